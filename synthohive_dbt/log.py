"""dbt-style log lines: timestamps, numbered steps, and the closing ``Done.`` summary.

Every stage logs through :mod:`logging` under the ``synthohive_dbt`` logger; the CLI
calls :func:`setup_logging` once per command to print those records the way dbt
does (``01:02:03  message``), or as one JSON object per line with
``--log-format json``, and :func:`attach_log_file` to keep a full log in
``target/logs/shive.log``. :class:`RunReport` numbers per-table steps and counts
their outcome::

    01:02:03  1 of 2 START profiling customers .......................... [RUN]
    01:02:03  1 of 2 OK profiled customers ............................... [OK in 0.12s]
    01:02:04  Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from .errors import ShiveError

LOGGER_NAME = "synthohive_dbt"
LOG_FILE = Path("logs") / "shive.log"
#: width the step lines are padded to with dots
LINE_WIDTH = 72
Status = Literal["pass", "warn", "error", "skip"]
_STATUS_WORD = {"pass": "OK", "warn": "WARN", "error": "ERROR", "skip": "SKIP"}
_HANDLER_TAG = "_shive_handler"

logger = logging.getLogger(LOGGER_NAME)


# ---- formatting --------------------------------------------------------------------------
class TextFormatter(logging.Formatter):
    """``HH:MM:SS  message`` (local time), as dbt prints to the console."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        text = record.getMessage()
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        return "\n".join(f"{stamp}  {line}" for line in text.splitlines() or [""])


class FileFormatter(logging.Formatter):
    """Full timestamp, level and logger name: for ``target/logs/shive.log``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).isoformat(sep=" ", timespec="milliseconds")
        text = f"{stamp} [{record.levelname.lower():<7}] {record.name}: {record.getMessage()}"
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, message and the record's ``shive`` data."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "shive", None) or {})
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class _StdoutHandler(logging.Handler):
    """Writes to whatever ``sys.stdout`` is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):  # a closed or broken stdout (e.g. `shive ls | head`)
            self.handleError(record)


# ---- setup ---------------------------------------------------------------------------------
def setup_logging(*, log_format: str = "text", quiet: bool = False, debug: bool = False) -> None:
    """Send ``synthohive_dbt`` records to stdout; replaces handlers of a previous call."""
    reset_logging()
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.setLevel(logging.ERROR if quiet else logging.DEBUG if debug else logging.INFO)
    setattr(handler, _HANDLER_TAG, True)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


def attach_log_file(target_dir: Path) -> Path:
    """Also write every record (debug included) to ``<target_dir>/logs/shive.log``."""
    path = target_dir / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(FileFormatter())
    handler.setLevel(logging.DEBUG)
    setattr(handler, _HANDLER_TAG, True)
    logger.addHandler(handler)
    return path


def reset_logging() -> None:
    """Remove (and close) the handlers :func:`setup_logging` and :func:`attach_log_file` added."""
    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_TAG, False):
            logger.removeHandler(handler)
            handler.close()
    # hand records back to the root logger, as before setup_logging (library use, tests)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def event(message: str, /, *, level: int = logging.INFO, **data: Any) -> None:
    """Log ``message`` with structured ``data`` (fields of the JSON line)."""
    logger.log(level, message, extra={"shive": data})


# ---- steps and summary ---------------------------------------------------------------------
def step_line(index: int, total: int, text: str, status: str) -> str:
    """``1 of 4 OK profiled customers ...... [OK in 0.12s]``."""
    head = f"{index} of {total} {text} "
    return head + "." * max(3, LINE_WIDTH - len(head)) + f" [{status}]"


@dataclass
class Step:
    """The outcome of one step, adjustable inside :meth:`RunReport.step`."""

    name: str
    status: Status = "pass"
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        self.status, self.message = "warn", message

    def skip(self, message: str | None = None) -> None:
        self.status, self.message = "skip", message


@dataclass
class RunReport:
    """Numbered per-table steps of one command and the ``Done.`` line that closes them."""

    total: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_STATUS_WORD, 0))
    results: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    @contextmanager
    def step(self, index: int, name: str, doing: str, done: str) -> Iterator[Step]:
        """Log START, run the body, log its outcome; a ShiveError in it is an ERROR line."""
        event(step_line(index, self.total, f"START {doing}", "RUN"), event="step_started",
              index=index, total=self.total, node=name)  # fmt: skip
        step = Step(name)
        began = time.perf_counter()
        try:
            yield step
        except ShiveError as exc:
            step.status, step.message = "error", str(exc)
        self._finish(
            index, step, done if step.status != "error" else doing, time.perf_counter() - began
        )

    def record(self, index: int, name: str, status: Status, text: str, elapsed: float = 0.0,
               message: str | None = None) -> None:  # fmt: skip
        """Log the outcome of a step run without :meth:`step`."""
        self._finish(index, Step(name, status, message), text, elapsed)

    def _finish(self, index: int, step: Step, text: str, elapsed: float) -> None:
        word = _STATUS_WORD[step.status]
        label = f"{word} {text}" if step.status != "error" else f"ERROR {text}"
        badge = f"{word} in {elapsed:.2f}s" if step.status != "skip" else word
        level = {"pass": logging.INFO, "skip": logging.INFO, "warn": logging.WARNING}.get(
            step.status, logging.ERROR
        )
        self.counts[step.status] += 1
        result = {"node": step.name, "status": step.status, "elapsed": round(elapsed, 4),
                  "message": step.message, **step.data}  # fmt: skip
        self.results.append(result)
        event(step_line(index, self.total, label, badge), level=level, event="step_finished",
              index=index, total=self.total, **result)  # fmt: skip
        if step.message and step.status in ("error", "warn"):
            event(f"  {step.message}", level=level, event="step_message", node=step.name)

    @property
    def failed(self) -> bool:
        return self.counts["error"] > 0

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 1 when a step did."""
        return 1 if self.failed else 0

    def summary(self, what: str = "table") -> int:
        """Log the closing lines (``Done. PASS=..``) and return the exit code.

        ``what`` is the singular noun of a step (``table``, ``test``).
        """
        elapsed = time.perf_counter() - self.started
        total = sum(self.counts.values())
        noun = what if total == 1 else f"{what}s"
        event(
            f"Finished {total} {noun} in {elapsed:.2f}s.",
            event="run_finished",
            elapsed=round(elapsed, 4),
        )
        c = self.counts
        if self.failed:
            event(
                f"Completed with {c['error']} error(s) and {c['warn']} warning(s)",
                level=logging.ERROR,
            )
        elif c["warn"]:
            event(f"Completed with {c['warn']} warning(s)", level=logging.WARNING)
        else:
            event("Completed successfully")
        event(
            format_done(c["pass"], c["warn"], c["error"], c["skip"], total),
            level=logging.ERROR if self.failed else logging.INFO,
            event="summary",
            **{k.upper(): v for k, v in c.items()},
            TOTAL=total,
        )
        return self.exit_code


def format_done(passed: int, warned: int, errored: int, skipped: int, total: int) -> str:
    """dbt's closing line, ``Done. PASS=.. WARN=.. ERROR=.. SKIP=.. TOTAL=..``: the one
    formatter of the command summaries and the data-test run."""
    return f"Done. PASS={passed} WARN={warned} ERROR={errored} SKIP={skipped} TOTAL={total}"
