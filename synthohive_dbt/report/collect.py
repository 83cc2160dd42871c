"""What the report shows, gathered from the profile (real side) and the target (synthetic side).

The real side comes only from ``profile.json``: quantiles, top values, moments,
child-count histograms, correlations. No real row is read. The synthetic side is
aggregates computed in SQL on the target (row counts, null rates, moments, child
counts per parent) plus a bounded, seeded sample of rows for the plots.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlglot import exp

from ..datatests import sqlgen
from ..datatests.distribution import children_per_parent
from ..datatests.integrity import output_columns
from ..datatests.runner import render
from ..dtypes import as_float64
from ..errors import ShiveError
from ..project.model import Column, ForeignKey, Manifest, Table

if TYPE_CHECKING:
    from ..targets.base import TargetAdapter

log = logging.getLogger(__name__)

#: rows sampled per table for the plots and the synthetic correlation matrix
SAMPLE_ROWS = 5000
PLOTTED_KINDS = ("numeric", "datetime", "categorical", "boolean")


@dataclass
class ColumnData:
    """One column's real profile, synthetic aggregates and sampled values."""

    name: str
    kind: str
    real: Mapping[str, Any]
    synthetic: dict[str, Any]
    sample: pd.Series | None = None


@dataclass
class ForeignKeyData:
    """Children per parent row, real (profiled histogram) and synthetic (counted on the target)."""

    name: str
    parent: str
    columns: list[str]
    real_histogram: dict[int, int]
    synthetic_histogram: dict[int, int]


@dataclass
class TableData:
    name: str
    real_rows: int | None
    synthetic_rows: int | None
    columns: list[ColumnData] = field(default_factory=list)
    foreign_keys: list[ForeignKeyData] = field(default_factory=list)
    correlation_columns: list[str] = field(default_factory=list)
    real_correlations: list[list[float | None]] | None = None
    synthetic_correlations: list[list[float | None]] | None = None
    error: str | None = None  # why the synthetic side could not be read


def collect(
    manifest: Manifest,
    profile: Mapping[str, Any] | None,
    adapter: TargetAdapter,
    *,
    sample_rows: int = SAMPLE_ROWS,
) -> list[TableData]:
    """Report data for every synthesized table that has a profile, in graph order."""
    tables = (profile or {}).get("tables") or {}
    out: list[TableData] = []
    for table in manifest.synth_tables():
        table_profile = tables.get(table.name)
        if table_profile is None:
            continue
        data = TableData(table.name, table_profile.get("row_count"), None)
        try:
            _fill(data, table, table_profile, adapter, manifest.seed, sample_rows)
        except ShiveError as exc:
            log.warning("report: cannot read %s from the target: %s", table.name, exc.message)
            data.error = exc.message
        out.append(data)
    return out


def _fill(
    data: TableData, table: Table, table_profile: Mapping[str, Any], adapter: TargetAdapter, seed: int, sample_rows: int
) -> None:
    if not adapter.table_exists(table.name):
        data.error = f"table {table.name} does not exist in {adapter.describe()}"
        return
    columns = _report_columns(table, table_profile)
    aggregates = _aggregates(adapter, table.name, columns)
    data.synthetic_rows = int(aggregates.get("__rows") or 0)
    sample = _sample(adapter, table.name, [c.name for c, _ in columns], sample_rows, seed)
    for column, real in columns:
        synthetic = {
            "null_rate": _rate(aggregates, column.name, data.synthetic_rows),
            "mean": _float(aggregates.get(f"__mean__{column.name}")),
            "std": _float(aggregates.get(f"__std__{column.name}")),
        }
        series = sample[column.name] if column.name in sample.columns else None
        data.columns.append(ColumnData(column.name, real.get("kind") or column.kind, real, synthetic, series))
    for fk in table.foreign_keys:
        data.foreign_keys.append(_foreign_key(adapter, table, fk, table_profile))
    _correlations(data, table_profile, sample)


def _report_columns(table: Table, table_profile: Mapping[str, Any]) -> list[tuple[Column, Mapping[str, Any]]]:
    """Columns whose values are learned: profiled, not keys, not private."""
    profiled = table_profile.get("columns") or {}
    keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    out = []
    for column in output_columns(table):
        private = column.pii is not None and column.pii.action != "keep"
        if column.name in profiled and column.name not in keys and not private:
            out.append((column, profiled[column.name]))
    return out


# ---- synthetic side: SQL on the target ----------------------------------------------
def _aggregates(adapter: TargetAdapter, table: str, columns: list[tuple[Column, Mapping[str, Any]]]) -> dict[str, Any]:
    """Row count, non-null counts and (numeric) mean/std of the whole synthetic table."""
    items: list[exp.Expression] = [exp.alias_(exp.Count(this=exp.Star()), exp.to_identifier("__rows", quoted=True))]
    for column, real in columns:
        ref = sqlgen.column(column.name)
        items.append(exp.alias_(exp.Count(this=ref), exp.to_identifier(f"__nonnull__{column.name}", quoted=True)))
        if (real.get("kind") or column.kind) == "numeric":
            value = exp.cast(ref.copy(), "DOUBLE")
            items.append(exp.alias_(exp.Avg(this=value), exp.to_identifier(f"__mean__{column.name}", quoted=True)))
            items.append(exp.alias_(exp.Stddev(this=value.copy()), exp.to_identifier(f"__std__{column.name}", quoted=True)))
    query = exp.select(*items).from_(sqlgen.relation(table))
    rows = adapter.query(render(sqlgen.to_canonical_sql(query), adapter)).to_pylist()
    return rows[0] if rows else {}


def _sample(adapter: TargetAdapter, table: str, names: list[str], rows: int, seed: int) -> pd.DataFrame:
    """A seeded sample of at most ``rows`` rows of ``names`` (DuckDB's reservoir sampling)."""
    if not names:
        return pd.DataFrame()
    source = sqlgen.relation(table)
    source.set(
        "sample",
        exp.TableSample(
            method=exp.var("RESERVOIR"),
            size=exp.Literal.number(rows),
            seed=exp.Literal.number(seed) if adapter.SUPPORTS_SEEDED_SAMPLE else None,
        ),
    )
    query = exp.select(*(sqlgen.column(n) for n in names)).from_(source)
    return adapter.query(render(sqlgen.to_canonical_sql(query), adapter)).to_pandas()


def _foreign_key(adapter: TargetAdapter, table: Table, fk: ForeignKey, table_profile: Mapping[str, Any]) -> ForeignKeyData:
    real: dict[int, int] = {}
    for entry in table_profile.get("foreign_keys") or []:
        if entry.get("name") == fk.name or (entry.get("parent") == fk.parent and entry.get("columns") == fk.columns):
            histogram = (entry.get("child_count") or {}).get("histogram") or {}
            real = {int(k): int(v) for k, v in histogram.items()}
    per_parent = children_per_parent(table.name, fk)
    count = exp.column("n_children")
    query = (
        exp.select(count, exp.alias_(exp.Count(this=exp.Star()), "parents"))
        .from_(per_parent)
        .group_by(count.copy())
        .order_by(count.copy())
    )
    synthetic = {}
    if adapter.table_exists(fk.parent):
        rows = adapter.query(render(sqlgen.to_canonical_sql(query), adapter)).to_pylist()
        synthetic = {int(r["n_children"]): int(r["parents"]) for r in rows}
    return ForeignKeyData(fk.name, fk.parent, list(fk.columns), real, synthetic)


def _correlations(data: TableData, table_profile: Mapping[str, Any], sample: pd.DataFrame) -> None:
    """Real matrix from the profile (when present), synthetic from the sample, same columns."""
    numeric = [c.name for c in data.columns if c.kind == "numeric" and c.name in sample.columns]
    real = table_profile.get("correlations") or {}
    real_names = list(real.get("columns") or [])
    names = [n for n in real_names if n in numeric] if real_names else numeric
    if len(names) < 2:
        return
    data.correlation_columns = names
    if real_names:
        index = {n: i for i, n in enumerate(real_names)}
        matrix = real.get("matrix") or []
        data.real_correlations = [[_float(matrix[index[a]][index[b]]) for b in names] for a in names]
    if len(sample):
        synthetic = pd.DataFrame({n: as_float64(sample[n]) for n in names}).corr()
        data.synthetic_correlations = [[_float(v) for v in row] for row in synthetic.to_numpy().tolist()]


def _rate(aggregates: Mapping[str, Any], name: str, rows: int | None) -> float | None:
    non_null = aggregates.get(f"__nonnull__{name}")
    if not rows or non_null is None:
        return None
    return (rows - int(non_null)) / rows


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN -> None
