"""Column statistics of a Spark relation, as Spark SQL aggregates.

The same statistics as :mod:`synthohive_dbt.profiling.columns`, computed where the
data lives: one aggregate pass for counts, HyperLogLog distinct estimates, bounds,
moments and the 101 quantiles (exact ``percentile`` up to
``ProfileOptions.exact_quantiles_up_to`` rows, ``percentile_approx`` above), then one
``GROUPING SETS`` pass for the exact distinct counts and top values of columns of
moderate cardinality, and a per-column top-k (values seen at least
``min_value_count`` times) for the others. Only aggregates reach the driver; a PII
column's values are replaced by NULL inside Spark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ProfileError
from ..profiling.columns import ColumnSpec, ProfileOptions, column_stats, infer_kind, type_family
from ..profiling.frequencies import Frequencies, add_frequency_rows, grouping_sets_sql
from ..profiling.moments import QUANTILE_LEVELS, render_moments
from .runtime import collect
from .sql import quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

    from ..project.model import Table

_LEVELS_SQL = "array(" + ", ".join(f"{q:.2f}" for q in QUANTILE_LEVELS) + ")"
#: accuracy of percentile_approx (relative rank error about 1/accuracy)
_APPROX_ACCURACY = 10_000
#: Spark keeps a grouping set's membership in a 64-bit mask: at most this many per query
_GROUPING_SETS_PER_QUERY = 32
_EMPTY = dict.fromkeys(("min", "max", "mean", "std", "quantiles"))


@dataclass(frozen=True)
class SparkColumn:
    """A column as Spark profiling sees it: the profile's view plus its Spark type."""

    spec: ColumnSpec
    spark_type: str  # Spark's simple type string: bigint, decimal(10,2), date, timestamp_ntz, ...

    @property
    def name(self) -> str:
        return self.spec.name


# ---- columns -----------------------------------------------------------------------------
def duckdb_type(spark_type: str) -> str:
    """The DuckDB spelling of a Spark type, as the profile's ``data_type`` is written."""
    simple = spark_type.lower()
    names = {
        "tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER", "bigint": "BIGINT",
        "float": "FLOAT", "double": "DOUBLE", "string": "VARCHAR", "boolean": "BOOLEAN",
        "date": "DATE", "timestamp": "TIMESTAMP WITH TIME ZONE", "timestamp_ntz": "TIMESTAMP",
        "binary": "BLOB",
    }  # fmt: skip
    if simple in names:
        return names[simple]
    if simple.startswith(("varchar", "char")):
        return "VARCHAR"
    return simple.upper()  # decimal(10,2) -> DECIMAL(10,2); complex types as Spark spells them


def spark_columns(schema: StructType, table: Table) -> list[SparkColumn]:
    """The relation's columns with the manifest's type, kind and PII flag where declared."""
    names = [f.name for f in schema.fields]
    for column in table.columns:
        if column.name not in names:
            raise ProfileError(
                f"column {column.name!r} is declared in schema.yml but the Spark model has no such column",
                table=table.name,
                column=column.name,
                hint=f"the model's columns on Spark: {', '.join(names)}",
            )
    declared = {c.name: c for c in table.columns}
    out = []
    for field in schema.fields:
        spark_type = field.dataType.simpleString()
        column = declared.get(field.name)
        data_type = column.data_type if column is not None else duckdb_type(spark_type)
        kind = column.kind if column is not None else infer_kind(data_type)
        pii = column is not None and column.pii is not None
        family = type_family(duckdb_type(spark_type))
        out.append(SparkColumn(ColumnSpec(field.name, data_type, kind, family, pii), spark_type))
    return out


# ---- moments -----------------------------------------------------------------------------
def _as_double(column: SparkColumn) -> str:
    """Numbers as DOUBLE; dates and timestamps as seconds since the epoch (UTC)."""
    name = quote(column.name)
    if column.spark_type == "date":
        return f"CAST(unix_date({name}) AS DOUBLE) * 86400.0"
    if column.spark_type == "timestamp_ntz":
        micros = f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', {name})"
        return f"CAST({micros} AS DOUBLE) / 1e6"
    if column.spark_type == "timestamp":
        return f"CAST(unix_micros({name}) AS DOUBLE) / 1e6"
    return f"CAST({name} AS DOUBLE)"


def compute_moments(
    spark: SparkSession,
    table: str,
    relation: str,
    columns: Sequence[SparkColumn],
    options: ProfileOptions,
    rows: int,
    correlated: Sequence[str] = (),
) -> tuple[dict[str, tuple[int, int, dict[str, Any]]], dict[str, Any]]:
    """One pass: per column (non-null count, estimated distinct count, min/max/mean/std/
    quantiles), and the correlation matrix of ``correlated`` (see :func:`_correlations`)."""
    exact = rows <= options.exact_quantiles_up_to
    selects: list[str] = []
    for column in columns:
        name = quote(column.name)
        selects += [f"count({name})", f"approx_count_distinct({name})"]
        if column.spec.has_moments:
            value = _as_double(column)
            bound = value if column.spec.family == "datetime" else name
            quantiles = (
                f"percentile({value}, {_LEVELS_SQL})" if exact
                else f"percentile_approx({value}, {_LEVELS_SQL}, {_APPROX_ACCURACY})"
            )  # fmt: skip
            selects += [f"min({bound})", f"max({bound})", f"avg({value})",
                        f"stddev_samp({value})", quantiles]  # fmt: skip
    at_correlations = len(selects)
    selects += _correlation_selects(correlated)
    if not selects:
        return {}, {"columns": [], "matrix": []}
    sql = f"SELECT {', '.join(selects)} FROM {relation} AS _t"
    (result,) = collect(
        spark, sql, table=table, what="compute column statistics", error=ProfileError
    )
    out: dict[str, tuple[int, int, dict[str, Any]]] = {}
    at = 0
    for column in columns:
        non_null, distinct = int(result[at]), int(result[at + 1])
        at += 2
        values = dict(_EMPTY)
        if column.spec.has_moments:
            values = render_moments(column.spec, *result[at : at + 5])
            at += 5
        out[column.name] = (non_null, min(distinct, non_null), values)
    return out, _correlations(list(correlated), result[at_correlations:])


# ---- frequencies -------------------------------------------------------------------------


def exact_frequencies(
    spark: SparkSession,
    table: str,
    relation: str,
    columns: Sequence[SparkColumn],
    options: ProfileOptions,
) -> Frequencies:
    """Exact distinct counts and top values, one GROUPING SETS pass per 32 columns."""
    out: Frequencies = {}
    for start in range(0, len(columns), _GROUPING_SETS_PER_QUERY):
        part = list(columns[start : start + _GROUPING_SETS_PER_QUERY])
        sql = grouping_sets_sql(
            relation,
            [quote(c.name) for c in part],
            [c.spec.pii for c in part],
            int(options.top_k),
            text_type="STRING",
        )
        rows = collect(spark, sql, table=table, what="count column values", error=ProfileError)
        add_frequency_rows(out, [c.name for c in part], rows, options.min_value_count)
    return out


def frequent_values(
    spark: SparkSession,
    table: str,
    relation: str,
    columns: Sequence[SparkColumn],
    options: ProfileOptions,
) -> Frequencies:
    """Top values of high-cardinality columns: a distributed top-k of exact counts.

    Spark spills a large GROUP BY to disk on the executors, so the exact counts need no
    sketch; only the ``top_k`` most frequent values come back. The distinct count stays
    the HyperLogLog estimate.
    """
    kept = [c for c in columns if not c.spec.pii]  # nothing of a PII column would be kept
    if not kept:
        return {}
    branches = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {i} AS _set, CAST({quote(c.name)} AS STRING) AS _value, count(*) AS _n "
        f"FROM {relation} AS _t WHERE {quote(c.name)} IS NOT NULL GROUP BY {quote(c.name)} "
        f"HAVING count(*) >= {int(options.min_value_count)} "
        f"ORDER BY _n DESC, _value LIMIT {int(options.top_k)}) AS _b{i}"
        for i, c in enumerate(kept)
    )
    out: Frequencies = {c.name: (None, []) for c in kept}
    rows = collect(spark, f"SELECT _set, _value, _n FROM ({branches}) AS _u ORDER BY _set, _n DESC, _value",
                   table=table, what="find frequent values", error=ProfileError)  # fmt: skip
    for index, value, count in rows:
        out[kept[index].name][1].append((value, int(count)))
    return out


# ---- correlations --------------------------------------------------------------------------
def _correlation_selects(names: Sequence[str]) -> list[str]:
    """Per column ``max > min`` (the diagonal), then a ``corr`` per pair, as
    :mod:`synthohive_dbt.profiling.correlations` computes them."""
    values = [f"CAST({quote(n)} AS DOUBLE)" for n in names]
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    return [f"max({v}) > min({v})" for v in values] + [
        f"corr({values[i]}, {values[j]})" for i, j in pairs
    ]


def _correlations(names: list[str], result: Sequence[Any]) -> dict[str, Any]:
    """The symmetric matrix: 1.0 on the diagonal of a column that varies, null where a
    coefficient is undefined (Spark's ``corr`` skips rows where either value is null)."""
    matrix: list[list[float | None]] = [[None] * len(names) for _ in names]
    for i, varies in enumerate(result[: len(names)]):
        matrix[i][i] = 1.0 if varies else None
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    for (i, j), value in zip(pairs, result[len(names) :], strict=True):
        matrix[i][j] = matrix[j][i] = _coefficient(value)
    return {"columns": names, "matrix": matrix}


def _coefficient(value: Any) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return min(1.0, max(-1.0, float(value)))


# ---- the per-column profile ---------------------------------------------------------------
def profile_columns(
    spark: SparkSession,
    table: str,
    relation: str,
    columns: Sequence[SparkColumn],
    options: ProfileOptions,
    rows: int,
    correlated: Sequence[str] = (),
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The ``columns`` and ``correlations`` sections of a table's profile
    (``docs/profile_json.md``); ``correlated`` names the columns of the matrix."""
    moments, correlations = compute_moments(
        spark, table, relation, columns, options, rows, correlated
    )
    small = [c for c in columns if moments[c.name][1] <= options.max_exact_distinct]
    large = [c for c in columns if c not in small]
    frequencies: Frequencies = {}
    if rows:
        frequencies = exact_frequencies(spark, table, relation, small, options)
        frequencies |= frequent_values(spark, table, relation, large, options)
    stats = {
        column.name: column_stats(column.spec, rows, *moments[column.name],
                                  frequencies.get(column.name))  # fmt: skip
        for column in columns
    }
    return stats, correlations
