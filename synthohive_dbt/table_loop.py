"""Tables in graph order, the descendants of a failed table skipped: training and
generation share this one loop.

Each table's step either returns its result or raises a :class:`ShiveError`. With
``fail_fast`` the error propagates; otherwise the table gets an ``error`` result and
every table downstream of it (directly or through a skipped table) a ``skipped`` one.
The error is logged once: by the caller's ``on_table`` reporter when there is one (the
CLI's numbered ERROR line), else here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from .errors import ShiveError
from .faults import fault_point

logger = logging.getLogger(__name__)

#: statuses after which a table's descendants are skipped
FAILED = ("error", "skipped")


class TableResult(Protocol):
    name: str
    status: Any
    seconds: float


R = TypeVar("R", bound=TableResult)


def run_tables(
    names: Sequence[str],
    step: Callable[[str], R],
    failure: Callable[..., R],
    *,
    parents: Callable[[str], Iterable[str]],
    fail_fast: bool,
    fault: str,
    on_start: Callable[[str, int, int], None] | None = None,
    on_table: Callable[[R], None] | None = None,
) -> list[R]:
    """Run ``step`` on each of ``names`` (in graph order, parents first).

    ``failure(name, status, seconds=, message=, error=)`` builds the result of a failed
    or skipped table; ``fault`` names the :func:`fault_point` passed after each table
    that succeeded.
    """
    results: list[R] = []
    failed: set[str] = set()
    for index, name in enumerate(names, start=1):
        if on_start:
            on_start(name, index, len(names))
        result = _run_one(name, step, failure, failed, parents, fail_fast, report=on_table is None)
        if result.status in FAILED:
            failed.add(name)
        else:
            fault_point(fault)
        results.append(result)
        if on_table:
            on_table(result)
    return results


def failed_names(results: Iterable[TableResult]) -> list[str]:
    """The tables that failed or were skipped, sorted."""
    return sorted(r.name for r in results if r.status in FAILED)


def _run_one(
    name: str,
    step: Callable[[str], R],
    failure: Callable[..., R],
    failed: set[str],
    parents: Callable[[str], Iterable[str]],
    fail_fast: bool,
    *,
    report: bool,
) -> R:
    upstream = sorted(set(parents(name)) & failed)
    if upstream:
        return failure(name, "skipped", message=f"parent {upstream[0]} failed")
    started = time.perf_counter()
    try:
        result = step(name)
    except ShiveError as exc:
        if fail_fast:
            raise
        if report:
            logger.error("%s: %s", name, exc)
        return failure(
            name, "error", seconds=time.perf_counter() - started, message=str(exc), error=exc
        )
    result.seconds = time.perf_counter() - started
    return result
