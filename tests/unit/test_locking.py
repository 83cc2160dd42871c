"""The process lock: a second process is refused with the holder named, or waits; a
killed holder releases it; the lock is reentrant within a process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from synthohive_dbt.errors import ProjectBusy, ProjectError
from synthohive_dbt.locking import default_timeout, exclusive, read_holder

HOLDER = """
import sys
from pathlib import Path
from synthohive_dbt.locking import exclusive
with exclusive(Path(sys.argv[1]), "run", what="project demo"):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def holder(tmp_path: Path):
    """A subprocess holding ``tmp_path/.shive.lock`` until its stdin gets a line."""
    lock = tmp_path / ".shive.lock"
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout.readline().strip() == "held"
    yield lock, process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_a_second_process_is_refused_with_the_holder_named(holder) -> None:
    lock, process = holder
    with pytest.raises(ProjectBusy) as caught, exclusive(lock, "generate", what="project demo",
                                                         timeout=0):  # fmt: skip
        pytest.fail("the lock was taken twice")
    message = str(caught.value)
    assert message.startswith("project demo is in use by another shive process")
    assert f"pid {process.pid}, 'shive run', since " in message
    assert caught.value.path == str(lock) and "--lock-timeout" in caught.value.hint
    assert read_holder(lock)["pid"] == process.pid


def test_a_waiting_process_gets_the_lock_when_the_holder_lets_go(holder, caplog) -> None:
    lock, process = holder

    def let_go() -> None:
        process.stdin.write("go\n")
        process.stdin.flush()

    timer = threading.Timer(1.0, let_go)
    timer.start()
    try:
        with caplog.at_level(logging.INFO, logger="synthohive_dbt.locking"), exclusive(
            lock, "generate", what="project demo", timeout=60
        ):
            assert read_holder(lock)["pid"] == os.getpid()
            assert process.wait(timeout=30) == 0  # it had let go before we got in
    finally:
        timer.cancel()
    assert "waiting up to 60s for it" in caplog.text and f"pid {process.pid}" in caplog.text


def test_a_killed_holder_leaves_no_stale_lock(holder) -> None:
    lock, process = holder
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert read_holder(lock)["pid"] == process.pid  # its record is still in the file ...
    with exclusive(lock, "generate", what="project demo", timeout=0):  # ... but not its lock
        assert read_holder(lock)["command"] == "generate"
    assert read_holder(lock) is None  # released: the record is cleared


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    lock = tmp_path / ".shive.lock"
    probe = ("import sys; from pathlib import Path; from synthohive_dbt.locking import exclusive\n"
             "with exclusive(Path(sys.argv[1]), 'test', what='project demo', timeout=0): pass")  # fmt: skip
    with exclusive(lock, "run", what="project demo", timeout=0):
        with exclusive(lock, "generate", what="project demo", timeout=0):
            assert read_holder(lock)["command"] == "run"
        # still held by the outer block: another process is refused
        assert subprocess.run([sys.executable, "-c", probe, str(lock)],
                              capture_output=True, check=False).returncode == 1  # fmt: skip
    assert subprocess.run([sys.executable, "-c", probe, str(lock)], check=False).returncode == 0


def test_the_default_wait_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("SHIVE_LOCK_TIMEOUT", raising=False)
    assert default_timeout() == 0
    monkeypatch.setenv("SHIVE_LOCK_TIMEOUT", "12.5")
    assert default_timeout() == 12.5
    monkeypatch.setenv("SHIVE_LOCK_TIMEOUT", "soon")
    with pytest.raises(ProjectError, match="not a number of seconds"):
        default_timeout()
