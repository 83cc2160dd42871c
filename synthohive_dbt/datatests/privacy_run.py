"""Run the privacy tests: read bounded samples of real and synthetic rows, measure, judge.

Per table, both of its tests share one measurement:

1. a seeded sample of ``sample_rows`` *training* rows of the real data (the model view
   with orphans handled, as :func:`~synthohive_dbt.profiling.relations.training_relation_sql`
   reads it), on the learned columns, with the table's PII actions applied
   (:func:`~synthohive_dbt.privacy.apply_pii`: ``hash`` and ``mask`` columns compare in
   the form the model saw; a hash column whose secret is not set is left out, and said so);
2. a seeded sample of as many synthetic rows from the target;
3. :func:`~synthohive_dbt.privacy.measure.measure_privacy` on the columns both have
   (distances without identifier-like columns,
   :func:`~synthohive_dbt.privacy.measure.identifier_like`).

Only the aggregates of step 3 leave this module (into ``TestResult.details``). When the
real sources cannot be opened (the synthetic copy is tested where the real data is not
reachable) every privacy test is ``skipped`` with the reason, never failed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa
from pandas.api import types as ptypes
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..dtypes import as_float64
from ..duckdb_arrow import query_arrow
from ..errors import ShiveError
from ..privacy.measure import identifier_like, measure_privacy
from ..privacy.transforms import as_text
from ..quoting import quote_identifier
from . import sqlgen
from .privacy import PrivacyTest, judge
from .runner import Status, TestResult, render

if TYPE_CHECKING:
    from ..project.model import Manifest, Table
    from ..targets.base import TargetAdapter

log = logging.getLogger(__name__)

OnResult = Callable[[TestResult, int, int], None]
OpenReal = Callable[["Manifest"], duckdb.DuckDBPyConnection]
_NUMERIC_KINDS = ("numeric", "datetime")


def run_privacy_tests(
    manifest: Manifest,
    adapter: TargetAdapter,
    tests: Sequence[PrivacyTest],
    *,
    open_real: OpenReal | None = None,
    on_result: OnResult | None = None,
    start: int = 0,
    total: int | None = None,
    skip_reason: str | None = None,
) -> list[TestResult]:
    """Run ``tests`` on the connected ``adapter`` against the real data of ``manifest``.

    ``open_real(manifest)`` gives a DuckDB connection with the project's model views
    (default :func:`~synthohive_dbt.project.sources.open_real_connection`); when it
    fails, every test is skipped. ``skip_reason`` skips them all outright (after a
    failure under ``--fail-fast``). ``on_result(result, index, total)`` numbers results
    from ``start + 1`` out of ``total`` (default ``start + len(tests)``).
    """
    total = total if total is not None else start + len(tests)
    results: list[TestResult] = []

    def emit(batch: list[TestResult]) -> None:
        for result in batch:
            results.append(result)
            if on_result is not None:
                on_result(result, start + len(results), total)

    if not tests:
        return results
    if skip_reason is not None:
        emit([_result(t, "skipped", message=skip_reason) for t in tests])
        return results
    with _real_connection(manifest, open_real) as (con, reason):
        if con is None:
            log.warning("privacy tests skipped: %s", reason)
            emit([_result(t, "skipped", message=reason) for t in tests])
            return results
        for table_tests in _by_table(tests):
            emit(_run_table(con, manifest, adapter, table_tests))
    return results


@contextmanager
def _real_connection(
    manifest: Manifest, open_real: OpenReal | None
) -> Iterator[tuple[duckdb.DuckDBPyConnection | None, str]]:
    """(a connection to the real data, "") or (None, why it cannot be opened)."""
    if open_real is None:
        from ..project.sources import open_real_connection

        open_real = open_real_connection
    con, reason = None, ""
    try:
        con = open_real(manifest)
    except (ShiveError, duckdb.Error, OSError) as exc:
        text = exc.message if isinstance(exc, ShiveError) else str(exc).splitlines()[0]
        reason = (
            f"real data unavailable ({text}); privacy tests compare the synthetic rows with "
            "the real ones, so run them where the sources can be read"
        )
    try:
        yield con, reason
    finally:
        if con is not None:
            con.close()


def _by_table(tests: Sequence[PrivacyTest]) -> list[list[PrivacyTest]]:
    groups: dict[str, list[PrivacyTest]] = {}
    for test in tests:
        groups.setdefault(test.table, []).append(test)
    return list(groups.values())


# ---- one table -----------------------------------------------------------------------------
def _run_table(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, adapter: TargetAdapter, tests: list[PrivacyTest]
) -> list[TestResult]:
    started = time.perf_counter()
    first = tests[0]
    table = manifest.tables[first.table]
    if not adapter.table_exists(table.name):
        message = f"table {table.name} does not exist in {adapter.describe()}; run `shive generate` first"
        return [_result(t, "error", message=message) for t in tests]
    try:
        real, excluded = real_sample(con, manifest, table, first.columns, rows=first.settings.sample_rows)
    except (ShiveError, duckdb.Error) as exc:
        text = exc.message if isinstance(exc, ShiveError) else str(exc).splitlines()[0]
        message = f"cannot read the real rows of {table.name}: {text}"
        return [_result(t, "skipped", message=message) for t in tests]
    try:
        synth, synthetic_rows = synthetic_sample(
            adapter, table.name, list(real.columns), rows=first.settings.sample_rows, seed=manifest.seed
        )
        columns = [c for c in first.columns if c in real.columns and c in synth.columns]
        if not columns:
            message = "no learned column is readable on both sides" + _excluded_note(excluded)
            return [_result(t, "skipped", message=message) for t in tests]
        kinds = {c: _dcr_kind(table, c) for c in columns}
        real, synth = comparable(real, table, columns), comparable(synth, table, columns)
        identifiers = identifier_like(real, columns, kinds)
        measurement = measure_privacy(
            real, synth, columns, kinds, seed=manifest.seed,
            dcr_columns=[c for c in columns if c not in identifiers],
        )  # fmt: skip
    except (ShiveError, SqlglotError) as exc:
        return [_result(t, "error", message=str(exc)) for t in tests]
    elapsed = (time.perf_counter() - started) / len(tests)
    extra = {"synthetic_table_rows": synthetic_rows, "excluded_columns": excluded}
    return [_judged(t, measurement, extra, elapsed) for t in tests]


def _judged(test: PrivacyTest, measurement: dict[str, Any], extra: dict[str, Any], elapsed: float) -> TestResult:
    verdict = judge(test, measurement)
    details = {**verdict.details, **extra}
    if verdict.failed is None:
        return _result(test, "skipped", message=verdict.message, details=details, elapsed=elapsed)
    status: Status = "pass" if not verdict.failed else ("warn" if test.severity == "warn" else "fail")
    return _result(
        test, status, failures=int(verdict.failed), message=verdict.message, details=details,
        statistic=verdict.statistic, threshold=verdict.threshold, elapsed=elapsed,
    )  # fmt: skip


def _result(test: PrivacyTest, status: Status, **values: Any) -> TestResult:
    values.setdefault("threshold", test.threshold)
    return TestResult(
        name=test.name, table=test.table, kind=test.kind, category=test.category, severity=test.severity,
        status=status, column=None, columns=list(test.columns), description=test.description, **values,
    )  # fmt: skip


def _excluded_note(excluded: dict[str, str]) -> str:
    return f" ({'; '.join(f'{c}: {why}' for c, why in excluded.items())})" if excluded else ""


# ---- samples -------------------------------------------------------------------------------
def real_sample(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, table: Table, columns: list[str], *, rows: int
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A seeded sample of ``table``'s training rows on ``columns``, PII actions applied.

    Returns the frame and the columns left out with the reason (a hash column whose
    secret is not set here cannot be put in the form the model saw).
    """
    from ..privacy import apply_pii
    from ..profiling.relations import training_relation_sql

    excluded = _unhashable(table, columns)
    wanted = [c for c in columns if c not in excluded]
    if not wanted:
        return pd.DataFrame(), excluded
    order = ", ".join(f"c.{quote_identifier(k)}" for k in table.primary_key) or "c"
    sql = (
        f"SELECT {', '.join(f'c.{quote_identifier(c)}' for c in wanted)} "
        f"FROM ({training_relation_sql(manifest, table.name)}) AS c "
        f"ORDER BY hash({order}, {int(manifest.seed)}) LIMIT {int(rows)}"
    )
    log.debug("%s: privacy sample of the real rows\n%s", table.name, sql)
    frame = _to_frame(query_arrow(con, sql))
    # keep columns pass through as they are; leaving them out of apply_pii spares the
    # "raw values used as they are" line, which is about training, not this sample
    kept = [c for c in frame.columns if _action(table, c) == "keep"]
    transformed, _ = apply_pii(frame.drop(columns=kept), table, seed=manifest.seed)
    return pd.concat([transformed, frame[kept]], axis=1)[list(frame.columns)], excluded


def _action(table: Table, column: str) -> str | None:
    pii = table.column(column).pii
    return pii.action if pii is not None else None


def _unhashable(table: Table, columns: list[str]) -> dict[str, str]:
    out = {}
    for name in columns:
        pii = table.column(name).pii
        if pii is not None and pii.action == "hash" and not os.environ.get(pii.secret_env or ""):
            out[name] = f"hashed with the secret in {pii.secret_env}, which is not set here"
            log.warning("privacy tests of %s leave out %s: %s", table.name, name, out[name])
    return out


def synthetic_sample(
    adapter: TargetAdapter, table: str, columns: list[str], *, rows: int, seed: int
) -> tuple[pd.DataFrame, int]:
    """(a seeded sample of at most ``rows`` rows of ``columns`` that exist, the table's row count)."""
    present = set(_target_columns(adapter, table))
    names = [c for c in columns if c in present]
    count = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(sqlgen.relation(table))
    total = int(adapter.query(render(sqlgen.to_canonical_sql(count), adapter)).column(0)[0].as_py())
    if not names:
        return pd.DataFrame(), total
    source = sqlgen.relation(table)
    source.set("sample", exp.TableSample(
        method=exp.var("RESERVOIR"), size=exp.Literal.number(int(rows)),
        seed=exp.Literal.number(int(seed)) if adapter.SUPPORTS_SEEDED_SAMPLE else None,
    ))  # fmt: skip
    query = exp.select(*(sqlgen.column(n) for n in names)).from_(source)
    return _to_frame(adapter.query(render(sqlgen.to_canonical_sql(query), adapter))), total


def _target_columns(adapter: TargetAdapter, table: str) -> list[str]:
    query = exp.select(exp.Star()).from_(sqlgen.relation(table)).limit(0)
    return list(adapter.query(render(sqlgen.to_canonical_sql(query), adapter)).column_names)


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas with decimals as float64 and dates as datetime64."""
    columns = [
        table.column(i).cast(pa.float64()) if pa.types.is_decimal(f.type) else table.column(i)
        for i, f in enumerate(table.schema)
    ]
    return pa.Table.from_arrays(columns, names=table.schema.names).to_pandas(date_as_object=False)


# ---- comparable values -------------------------------------------------------------------
def comparable(frame: pd.DataFrame, table: Table, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` in one dtype per column kind, so both sides compare alike."""
    return pd.DataFrame({c: _as_kind(frame[c], table.column(c).kind) for c in columns}, index=frame.index)


def _as_kind(series: pd.Series, kind: str) -> pd.Series:
    if kind == "numeric":
        return pd.Series(as_float64(series), index=series.index)
    if kind == "datetime":
        values = pd.to_datetime(series, errors="coerce")
        if ptypes.is_datetime64_any_dtype(values.dtype) and getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values
    return as_text(series)


def _dcr_kind(table: Table, column: str) -> str:
    kind = table.column(column).kind
    return kind if kind in _NUMERIC_KINDS else "categorical"
