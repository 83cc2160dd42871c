"""Atomic file writes: readers see the old file or the new one, never half of either.

Every writer of ``target/`` (profile, manifest, artifacts, checkpoints, run results, the
report, copy snapshots, the private Spark samples) and the Parquet target go through
:func:`atomic_path`: a temporary file in the destination's folder (so the rename stays on
one filesystem), flushed to disk with ``fsync``, then :func:`os.replace` onto the
destination. One permission policy: ``private`` files (anything derived from the real
rows: profiles, models, samples, the manifest) are the owner's alone (``0600``); the rest
(the report, run results, synthetic output) are ``0644``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PRIVATE_MODE = 0o600
SHARED_MODE = 0o644


@contextlib.contextmanager
def atomic_path(path: str | Path, *, private: bool = True) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; when the block succeeds it is synced
    and renamed onto ``path``, when it fails it is removed. The block may write the file
    itself, hand the path to a library, or make a folder there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        if temporary.is_file():
            _sync(temporary)
            os.chmod(temporary, PRIVATE_MODE if private else SHARED_MODE)
        os.replace(temporary, path)
    finally:
        if temporary.is_dir() and not temporary.is_symlink():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str, *, private: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    path = Path(path)
    with atomic_path(path, private=private) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


def write_json_atomic(path: str | Path, data: Any, *, private: bool = True) -> Path:
    """Write ``data`` as indented JSON (non-JSON values as text) to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n", private=private)


def write_bytes_atomic(path: str | Path, data: bytes, *, private: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    path = Path(path)
    with atomic_path(path, private=private) as temporary:
        temporary.write_bytes(data)
    return path


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
