"""One process at a time: an exclusive lock on a file, naming its holder.

``shive profile``, ``train``, ``generate``, ``run``, ``test`` and ``clean`` hold the
project's lock (``target/.shive.lock``) while they work, and a Parquet target's
generation holds a lock beside its folder, so two commands never write one project or one output at once (a
DuckDB file's own lock covers neither the artifacts in ``target/`` nor a Parquet folder).

The lock is an OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows), not the
existence of a file: the OS releases it when its process dies, even by SIGKILL, so a
killed run never leaves a stale lock behind. The holder writes its pid, command and
start time into the file; a process that cannot take the lock names them. The lock is
reentrant within a process (``run`` takes it, then its ``train`` and ``generate``
steps), counted per path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ProjectBusy, ProjectError

log = logging.getLogger(__name__)

#: the project's lock file, in its target folder
PROJECT_LOCK_FILE = ".shive.lock"
#: the environment variable giving the default wait for a busy lock, in seconds
TIMEOUT_ENV = "SHIVE_LOCK_TIMEOUT"
_POLL_SECONDS = 0.2

#: path -> [file descriptor, depth] of the locks this process holds
_held: dict[str, list[int]] = {}


def default_timeout() -> float:
    """Seconds to wait for a busy lock: ``$SHIVE_LOCK_TIMEOUT``, else 0 (refuse at once)."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else 0.0
    except ValueError:
        raise ProjectError(
            f"{TIMEOUT_ENV}={raw!r} is not a number of seconds", hint=f"e.g. {TIMEOUT_ENV}=60"
        ) from None


@contextlib.contextmanager
def exclusive(path: Path, command: str, *, what: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock ``path`` for the block; ``what`` names the thing locked in errors.

    Waits up to ``timeout`` seconds (None: :func:`default_timeout`) for another process
    to let go, then raises :class:`ProjectBusy` naming that process.
    """
    key = os.path.abspath(path)
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    fd = _acquire(Path(key), command, what, default_timeout() if timeout is None else timeout)
    _held[key] = [fd, 1]
    try:
        yield
    finally:
        del _held[key]
        _release(fd)


def _acquire(path: Path, command: str, what: str, timeout: float) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    waiting = False
    while not _try_lock(fd):
        if not waiting and timeout > 0:
            log.info("%s is in use by another shive process (%s): waiting up to %gs for it",
                     what, _describe(read_holder(path)), timeout)  # fmt: skip
            waiting = True
        if time.monotonic() >= deadline:
            holder = read_holder(path)
            os.close(fd)
            raise ProjectBusy(
                f"{what} is in use by another shive process ({_describe(holder)})",
                hint=f"wait for it to finish, or set {TIMEOUT_ENV}=<seconds> (or --lock-timeout) "
                "to wait for it; a killed process releases the lock by itself",
                path=path,
            )
        time.sleep(_POLL_SECONDS)
    record = {
        "pid": os.getpid(),
        "command": command,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, _INFO_OFFSET)
    os.lseek(fd, _INFO_OFFSET, os.SEEK_SET)
    os.write(fd, json.dumps(record).encode())
    os.fsync(fd)
    return fd


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, _INFO_OFFSET)
        _unlock(fd)
    finally:
        os.close(fd)


def read_holder(path: Path) -> dict[str, Any] | None:
    """The pid, command and start of the process holding ``path`` (None: unknown)."""
    try:
        raw = Path(path).read_bytes()[_INFO_OFFSET:]
        data = json.loads(raw.decode()) if raw.strip() else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "pid unknown: it is just starting"
    return (
        f"pid {holder.get('pid')}, 'shive {holder.get('command')}', "
        f"since {holder.get('started_at')}"
    )


if sys.platform == "win32":  # pragma: no cover - CI runs on Linux
    import msvcrt

    # Windows locks byte ranges and then forbids reading them: lock byte 0 only and
    # keep the holder's record after it.
    _INFO_OFFSET = 1

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    _INFO_OFFSET = 0

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
