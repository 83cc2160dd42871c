"""The moments query: one aggregate pass over a table for counts, bounds and quantiles.

Per column: non-null count and an estimated distinct count (HyperLogLog, a few KiB
whatever the table size); for numeric and datetime columns also min, max, mean, sample
standard deviation and the 101 quantiles 0%, 1%, ..., 100% (exact ``quantile_cont`` up
to ``ProfileOptions.exact_quantiles_up_to`` rows, a t-digest ``approx_quantile`` above,
so memory stays bounded on large tables). Datetimes are aggregated as seconds since the
epoch and rendered back as ISO text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..quoting import quote_identifier
from .sql import fetch_all

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from .columns import ColumnSpec, ProfileOptions

#: the quantile levels every profile stores: 0.00, 0.01, ..., 1.00
QUANTILE_LEVELS: tuple[float, ...] = tuple(i / 100 for i in range(101))
_LEVELS_SQL = "[" + ", ".join(f"{q:.2f}" for q in QUANTILE_LEVELS) + "]"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EMPTY = dict.fromkeys(("min", "max", "mean", "std", "quantiles"))


@dataclass(frozen=True)
class ColumnMoments:
    non_null: int
    approx_distinct: int
    values: dict[str, Any]  # min, max, mean, std, quantiles (None where they do not apply)


def compute_moments(
    con: DuckDBPyConnection,
    table: str,
    relation: str,
    specs: list[ColumnSpec],
    options: ProfileOptions,
) -> tuple[int, dict[str, ColumnMoments]]:
    """Row count of ``relation`` and the moments of each column in ``specs``."""
    rows = row_count(con, table, relation)
    quantile = "quantile_cont" if rows <= options.exact_quantiles_up_to else "approx_quantile"
    selects = ["count(*)"]
    for spec in specs:
        name = quote_identifier(spec.name)
        selects += [f"count({name})", f"approx_count_distinct({name})"]
        if spec.has_moments:
            value = _as_double(spec)
            bound = value if spec.family == "datetime" else name
            selects += [
                f"min({bound})", f"max({bound})", f"avg({value})", f"stddev_samp({value})",
                f"{quantile}({value}, {_LEVELS_SQL})",
            ]  # fmt: skip
    sql = f"SELECT {', '.join(selects)} FROM ({relation}) AS _t"
    ((rows, *result),) = fetch_all(con, sql, table=table, what="compute column statistics")
    out: dict[str, ColumnMoments] = {}
    at = 0
    for spec in specs:
        non_null, distinct = int(result[at]), int(result[at + 1])
        at += 2
        values = dict(_EMPTY)
        if spec.has_moments:
            values = render_moments(spec, *result[at : at + 5])
            at += 5
        out[spec.name] = ColumnMoments(non_null, min(distinct, non_null), values)
    return int(rows), out


def row_count(con: DuckDBPyConnection, table: str, relation: str) -> int:
    sql = f"SELECT count(*) FROM ({relation}) AS _t"
    ((rows,),) = fetch_all(con, sql, table=table, what="count the rows")
    return int(rows)


def _as_double(spec: ColumnSpec) -> str:
    """The column as a DOUBLE: the number itself, or seconds since the epoch for datetimes."""
    name = quote_identifier(spec.name)
    return f"epoch({name})" if spec.family == "datetime" else f"CAST({name} AS DOUBLE)"


def render_moments(
    spec: ColumnSpec, lo: Any, hi: Any, mean: Any, std: Any, quantiles: Any
) -> dict[str, Any]:
    """JSON-ready moments: numbers for numerics, ISO text for datetime bounds and quantiles."""
    if quantiles is not None and lo is not None:
        # the 0% and 100% quantiles are the bounds exactly, also when t-digest estimated them
        quantiles = [float(lo), *quantiles[1:-1], float(hi)]
    if spec.family == "datetime":
        lo, hi = _iso(spec, lo), _iso(spec, hi)
        if quantiles is not None:
            quantiles = [_iso(spec, q, exact_date=False) for q in quantiles]
    else:
        lo, hi = _number(lo), _number(hi)
        if quantiles is not None:
            quantiles = [_number(q) for q in quantiles]
    if spec.pii:  # literal values of a PII column stay in the database
        lo = hi = quantiles = None
    return {
        "min": lo,
        "max": hi,
        "mean": _number(mean),
        "std": _number(std),
        "quantiles": quantiles,
    }


def _number(value: Any) -> int | float | None:
    """An int stays an int; Decimal and float become a finite float or None."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    number = float(value)
    return number if math.isfinite(number) else None


def _iso(spec: ColumnSpec, seconds: float | None, *, exact_date: bool = True) -> str | None:
    """Seconds since the epoch as ISO text: a date for DATE bounds, else a timestamp."""
    if seconds is None or not math.isfinite(seconds):
        return None
    moment = _EPOCH + timedelta(seconds=seconds)
    data_type = spec.data_type.upper()
    if data_type == "DATE" and exact_date:
        return date(moment.year, moment.month, moment.day).isoformat()
    if data_type == "TIMESTAMPTZ" or "TIME ZONE" in data_type:
        return moment.isoformat()
    return moment.replace(tzinfo=None).isoformat()
