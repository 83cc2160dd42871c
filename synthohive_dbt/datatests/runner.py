"""Run emitted tests on a target: verdicts, statistics, per-table summaries, the score.

A test's canonical SQL is rendered for the adapter (its relations, its dialect via
sqlglot) and run. Integrity tests count their failing rows, as dbt does; distribution
tests run their ``metrics_sql``, which always returns the statistic, so a passing test
still contributes to the fidelity score.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from sqlglot.errors import SqlglotError

from ..errors import DataTestError, ShiveError
from ..targets.base import validate_identifier
from . import scoring
from .model import EmittedTest
from .sqlgen import render_for_target

if TYPE_CHECKING:
    from ..targets.base import TargetAdapter

log = logging.getLogger(__name__)

Status = Literal["pass", "warn", "fail", "error", "skipped"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "error", "skipped")
#: failing rows of test <name> are kept in table <prefix><name> (``--store-failures``)
FAILURES_PREFIX = "shive_test_failures__"


@dataclass
class TestResult:
    """The outcome of one test."""

    __test__ = False  # not a pytest class

    name: str
    table: str
    kind: str
    category: str
    severity: str
    status: Status
    failures: int = 0
    message: str | None = None
    elapsed: float = 0.0
    column: str | None = None
    columns: list[str] = field(default_factory=list)
    threshold: float | None = None
    statistic: float | None = None
    details: dict[str, Any] = field(default_factory=dict)  # the metrics row of a distribution test
    score: float | None = None
    description: str = ""
    failures_table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TableSummary:
    """Counts by status and the fidelity score of one table's tests."""

    table: str
    counts: dict[str, int]
    score: float | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class TestRunResult:
    """Everything ``shive test`` found: per test, per table, overall."""

    __test__ = False

    results: list[TestResult]
    elapsed: float = 0.0
    generated_at: str = ""
    target: str = ""

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(r.status for r in self.results)
        return {status: found.get(status, 0) for status in STATUSES}

    @property
    def tables(self) -> dict[str, TableSummary]:
        """Per-table counts and scores, tables in the order their first test ran."""
        scores = scoring.table_scores(self.results)
        out: dict[str, TableSummary] = {}
        for result in self.results:
            summary = out.setdefault(
                result.table, TableSummary(result.table, dict.fromkeys(STATUSES, 0), scores.get(result.table))
            )
            summary.counts[result.status] += 1
        return out

    @property
    def fidelity_score(self) -> float | None:
        """Mean of the table scores in [0, 1]; None when no distribution test ran."""
        return scoring.overall_score(scoring.table_scores(self.results))

    @property
    def success(self) -> bool:
        """No error-severity test failed and no test errored."""
        return not any(r.status in ("fail", "error") for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1

    def by_name(self) -> dict[str, TestResult]:
        return {r.name: r for r in self.results}


OnResult = Callable[[TestResult, int, int], None]


def run_tests(
    adapter: TargetAdapter,
    tests: Sequence[EmittedTest],
    *,
    store_failures: bool = False,
    fail_fast: bool = False,
    on_result: OnResult | None = None,
) -> TestRunResult:
    """Run ``tests`` in order on the connected ``adapter``.

    ``on_result(result, index, total)`` is called after each test (index from 1), for
    progress lines. ``fail_fast`` skips the remaining tests after the first ``fail`` or
    ``error``. ``store_failures`` keeps the failing rows of each failing test in table
    ``shive_test_failures__<test>`` (and drops that table when the test passes).
    """
    started = time.perf_counter()
    results: list[TestResult] = []
    stop = False
    existing: dict[str, bool] = {}
    for index, test in enumerate(tests, start=1):
        if stop:
            result = _result(test, "skipped", message="skipped after an earlier failure (--fail-fast)")
        else:
            result = _run_one(adapter, test, existing, store_failures)
        results.append(result)
        log.debug("%s %s (%d failures)", result.status.upper(), result.name, result.failures)
        if on_result is not None:
            on_result(result, index, len(tests))
        stop = stop or (fail_fast and result.status in ("fail", "error"))
    return TestRunResult(
        results=results,
        elapsed=time.perf_counter() - started,
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        target=adapter.describe(),
    )


class _Selectable(Protocol):
    @property
    def table(self) -> str: ...

    @property
    def category(self) -> str: ...


T = TypeVar("T", bound=_Selectable)


def filter_tests(
    tests: Iterable[T], *, tables: Iterable[str] | None = None, categories: Iterable[str] | None = None
) -> list[T]:
    """The tests (emitted SQL or privacy tests) about ``tables`` (any, if None) of ``categories`` (any, if None)."""
    wanted_tables = set(tables) if tables is not None else None
    wanted_categories = set(categories) if categories is not None else None
    return [
        t for t in tests
        if (wanted_tables is None or t.table in wanted_tables)
        and (wanted_categories is None or t.category in wanted_categories)
    ]


def render(test_sql: str, adapter: TargetAdapter) -> str:
    """Canonical test SQL as the adapter runs it (its relations, its dialect)."""
    return render_for_target(test_sql, adapter.dialect, adapter.relation)


def failures_table(test_name: str) -> str:
    """The table ``--store-failures`` keeps a test's failing rows in."""
    return validate_identifier(FAILURES_PREFIX + test_name, "failures table")


# ---- one test --------------------------------------------------------------------------
def _run_one(adapter: TargetAdapter, test: EmittedTest, existing: dict[str, bool], store: bool) -> TestResult:
    started = time.perf_counter()
    missing = [name for name in test.relations if not _exists(adapter, name, existing)]
    if missing:
        return _result(
            test, "error", elapsed=time.perf_counter() - started,
            message=f"table {', '.join(missing)} does not exist in {adapter.describe()}; "
            "run `shive generate` first",
        )
    try:
        failures, details = _measure(adapter, test)
    except (ShiveError, SqlglotError) as exc:
        return _result(test, "error", elapsed=time.perf_counter() - started, message=str(exc))
    status: Status = "pass" if failures == 0 else ("warn" if test.severity == "warn" else "fail")
    result = _result(test, status, failures=failures, details=details, message=_message(test, failures, details))
    if store:
        _store_failures(adapter, test, result)
    result.elapsed = time.perf_counter() - started
    return result


def _exists(adapter: TargetAdapter, name: str, cache: dict[str, bool]) -> bool:
    if name not in cache:
        cache[name] = adapter.table_exists(name)
    return cache[name]


def _measure(adapter: TargetAdapter, test: EmittedTest) -> tuple[int, dict[str, Any]]:
    """(number of failing rows, metrics row) of one test."""
    if test.metrics_sql:
        rows = adapter.query(render(test.metrics_sql, adapter)).to_pylist()
        details = {k: _plain(v) for k, v in rows[0].items()} if rows else {}
        return sum(1 for row in rows if row.get("failed")), details
    return count_failures(adapter, test), {}


def count_failures(adapter: TargetAdapter, test: EmittedTest) -> int:
    """The rows ``test.sql`` returns on the adapter: its failures (dbt's convention)."""
    counted = f"SELECT COUNT(*) AS failures FROM ({test.sql}) AS shive_test"
    table = adapter.query(render(counted, adapter))
    if table.num_rows != 1:
        raise DataTestError(f"counting the failures of {test.name} returned {table.num_rows} rows")
    return int(table.column(0)[0].as_py())


def _store_failures(adapter: TargetAdapter, test: EmittedTest, result: TestResult) -> None:
    if not adapter.SUPPORTS_STORE_FAILURES:
        log.warning("%s cannot store failing rows; --store-failures ignored", adapter.describe())
        return
    name = failures_table(test.name)
    try:
        if result.failures:
            adapter.create_table_as(name, render(test.sql, adapter))
            result.failures_table = name
        elif adapter.table_exists(name):
            adapter.drop_table(name)
    except ShiveError as exc:
        log.warning("could not store the failing rows of %s: %s", test.name, exc)
        result.message = f"{result.message or ''} (storing failing rows failed: {exc.message})".strip()


def _result(test: EmittedTest, status: Status, **values: Any) -> TestResult:
    details = values.get("details") or {}
    statistic = details.get("statistic")
    return TestResult(
        name=test.name,
        table=test.table,
        kind=test.kind,
        category=test.category,
        severity=test.severity,
        status=status,
        column=test.column,
        columns=list(test.columns),
        threshold=test.threshold,
        statistic=float(statistic) if isinstance(statistic, (int, float)) else None,
        score=scoring.distribution_score(test.kind, details) if details else None,
        description=test.description,
        **values,
    )


def _message(test: EmittedTest, failures: int, details: dict[str, Any]) -> str | None:
    if not failures:
        return None
    if test.category == "distribution" and details:
        text = f"{test.kind} statistic {_fmt(details.get('statistic'))} > threshold {_fmt(details.get('threshold'))}"
        if test.kind == "moments":
            text += (
                f"; std ratio {_fmt(details.get('std_ratio'))} (allowed "
                f"{_fmt(details.get('std_ratio_min'))}..{_fmt(details.get('std_ratio_max'))})"
            )
        return text
    return f"Got {failures} result{'s' if failures != 1 else ''}, configured to {test.severity} if != 0"


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a metrics value (Decimal -> float, dates -> ISO text)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value
