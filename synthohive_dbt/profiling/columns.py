"""Column statistics of one table: which columns, what kind, and the per-column profile.

The numbers come from a few aggregate queries (:mod:`.moments`, :mod:`.frequencies`)
over the table's training rows; no row is ever brought to Python. Values that identify
few rows stay in DuckDB: top values need at least ``min_value_count`` occurrences, and
columns declared PII keep no literal value at all (no top values, min, max or
quantiles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ProfileError, did_you_mean
from ..project.model import ColumnKind, Manifest, Table
from ..quoting import quote_identifier
from ..synth.standins import DEFAULT_MIN_COUNT
from .correlations import MAX_CORRELATION_COLUMNS
from .frequencies import exact_frequencies, heavy_hitters
from .moments import compute_moments
from .sql import fetch_all

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

#: what DuckDB can aggregate a column as, from its type
TypeFamily = Literal["numeric", "datetime", "boolean", "other"]

_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
_FLOAT_TYPES = {"FLOAT", "REAL", "DOUBLE"}


@dataclass(frozen=True)
class ProfileOptions:
    """How much literal data a profile may keep, and where it may approximate."""

    #: most frequent values kept per column
    top_k: int = 50
    #: a value seen fewer times than this is never written (a value seen once names a row);
    #: the project's ``privacy.min_count`` (:func:`options_for`)
    min_value_count: int = DEFAULT_MIN_COUNT
    #: columns with more (estimated) distinct values get an estimated distinct count and
    #: sketched top values, so memory does not grow with the column
    max_exact_distinct: int = 100_000
    #: tables with more rows get t-digest quantiles instead of exact ones
    exact_quantiles_up_to: int = 1_000_000
    #: numeric columns a table's correlation matrix covers at most (one aggregate per pair)
    max_correlation_columns: int = MAX_CORRELATION_COLUMNS


def options_for(manifest: Manifest) -> ProfileOptions:
    """The default options with the project's rare-value threshold (``privacy.min_count``)."""
    from ..privacy.policy import privacy_min_count

    return ProfileOptions(min_value_count=privacy_min_count(manifest))


@dataclass(frozen=True)
class ColumnSpec:
    """A column as profiling sees it: its DuckDB type, modelling kind and PII flag."""

    name: str
    data_type: str
    kind: ColumnKind
    family: TypeFamily
    pii: bool

    @property
    def has_moments(self) -> bool:
        """min/max/mean/std/quantiles apply: a numeric or datetime kind stored as such."""
        return self.kind in ("numeric", "datetime") and self.kind == self.family


def type_family(data_type: str) -> TypeFamily:
    """How DuckDB type ``data_type`` aggregates: numeric, datetime, boolean or other."""
    t = data_type.upper().strip()
    if t == "BOOLEAN":
        return "boolean"
    if t in _INTEGER_TYPES or t in _FLOAT_TYPES or t.startswith(("DECIMAL", "NUMERIC")):
        return "numeric"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "datetime"
    return "other"


def infer_kind(data_type: str) -> ColumnKind:
    """The modelling kind of a column the manifest does not describe, from its type."""
    family = type_family(data_type)
    return "categorical" if family == "other" else family


def column_specs(con: DuckDBPyConnection, table: Table) -> list[ColumnSpec]:
    """Every column of the model view, with the manifest's kind and PII where declared."""
    sql = f"DESCRIBE SELECT * FROM {quote_identifier(table.name)}"  # DuckDB 1.1 misreads DESCRIBE "a ""b"""
    names_types = [
        (r[0], r[1]) for r in fetch_all(con, sql, table=table.name, what="describe the model")
    ]
    names = [n for n, _ in names_types]
    for column in table.columns:
        if column.name not in names:
            raise ProfileError(
                f"column {column.name!r} is declared in schema.yml but the model has no such column",
                table=table.name,
                column=column.name,
                hint=did_you_mean(column.name, names) or f"the model's columns: {', '.join(names)}",
            )
    declared = {c.name: c for c in table.columns}
    specs = []
    for name, data_type in names_types:
        column = declared.get(name)
        kind = column.kind if column is not None else infer_kind(data_type)
        pii = column is not None and column.pii is not None
        specs.append(ColumnSpec(name, data_type, kind, type_family(data_type), pii))
    return specs


def profile_columns(
    con: DuckDBPyConnection,
    table: str,
    relation: str,
    specs: list[ColumnSpec],
    options: ProfileOptions,
) -> tuple[int, dict[str, dict[str, Any]]]:
    """Row count and the per-column statistics of ``relation`` (a SELECT statement)."""
    rows, moments = compute_moments(con, table, relation, specs, options)
    small = [s for s in specs if moments[s.name].approx_distinct <= options.max_exact_distinct]
    large = [s for s in specs if s not in small]
    frequencies = {}
    if rows:
        frequencies = exact_frequencies(con, table, relation, small, options)
        frequencies |= heavy_hitters(con, table, relation, large, options)
    stats = {}
    for spec in specs:
        m = moments[spec.name]
        stats[spec.name] = column_stats(spec, rows, m.non_null, m.approx_distinct, m.values,
                                        frequencies.get(spec.name))  # fmt: skip
    return rows, stats


def column_stats(
    spec: ColumnSpec,
    rows: int,
    non_null: int,
    approx_distinct: int,
    moments: dict[str, Any],
    frequency: tuple[int | None, list[tuple[str, int]]] | None,
) -> dict[str, Any]:
    """One column's entry of a profile's ``columns`` section (``docs/profile_json.md``),
    from what an engine measured: its non-null count, estimated distinct count, rendered
    moments and ``(exact distinct count or None, top values)``. Every engine's profile
    (DuckDB here, Spark in ``spark/aggregates.py``) is assembled by this one function."""
    distinct, top = frequency if frequency is not None else (None, [])
    nulls = rows - non_null
    shares = [] if spec.pii or not non_null else top
    return {
        "data_type": spec.data_type,
        "kind": spec.kind,
        "pii": spec.pii,
        "null_count": nulls,
        "null_rate": nulls / rows if rows else 0.0,
        "distinct_count": approx_distinct if distinct is None else distinct,
        "distinct_exact": distinct is not None,
        **moments,
        "top_values": [{"value": v, "count": n, "frequency": n / non_null} for v, n in shares],
    }
