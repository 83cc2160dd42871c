"""Pearson correlations between a table's numeric columns, in one aggregate query.

The data tests compare the synthetic copy's pairwise correlations with these, and the
report draws them as a heatmap. Only the learned numeric columns take part: key columns
(their values are generated, not learned) and columns declared PII (their values never
reach the model) are left out, and so is everything past
``ProfileOptions.max_correlation_columns`` in column order, because the query has one
aggregate per pair and grows with the square of the column count.

DuckDB's ``corr`` skips a row when either value is null, so each pair uses the rows
where both are present (pandas' pairwise-complete ``DataFrame.corr``). A pair with
fewer than two such rows, or a column without variance, has no correlation: ``null``
in the matrix, also on the diagonal.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..privacy.declarations import key_columns, pii_columns
from ..project.model import Table
from ..quoting import quote_identifier
from .sql import fetch_all

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from .columns import ColumnSpec

logger = logging.getLogger(__name__)

#: default for ``ProfileOptions.max_correlation_columns``: 30 columns are 435 ``corr`` pairs
MAX_CORRELATION_COLUMNS = 30


def correlation_columns(table: Table, specs: Sequence[ColumnSpec], limit: int) -> list[str]:
    """The columns a table's correlation matrix covers, in column order, at most ``limit``.

    Numeric columns (by kind and by DuckDB type) that are neither key columns (primary,
    foreign or unique key) nor declared PII with an action other than ``keep``.
    """
    excluded = key_columns(table) | pii_columns(table)
    names = [
        s.name
        for s in specs
        if s.kind == "numeric" and s.family == "numeric" and s.name not in excluded
    ]
    if len(names) > limit:
        logger.info(
            "%s has %d numeric columns; correlations cover the first %d (max_correlation_columns)",
            table.name,
            len(names),
            limit,
        )
        names = names[: max(limit, 0)]
    return names


def compute_correlations(
    con: DuckDBPyConnection, table: str, relation: str, columns: Sequence[str]
) -> dict[str, Any]:
    """``{"columns": [...], "matrix": [[...]]}`` of ``relation`` (a SELECT), symmetric.

    One query: a ``corr`` per pair, and per column ``max > min`` for the diagonal (1.0
    when the column takes two values or more, null otherwise, as ``corr`` of a column
    with itself would give, without its cost). No row leaves DuckDB.
    """
    names = list(columns)
    if not names:
        return {"columns": [], "matrix": []}
    values = [_as_double(n) for n in names]
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    selects = [f"max({v}) > min({v})" for v in values]
    selects += [f"corr({values[i]}, {values[j]})" for i, j in pairs]
    sql = f"SELECT {', '.join(selects)} FROM ({relation}) AS _t"
    ((*result,),) = fetch_all(con, sql, table=table, what="compute correlations")
    varies, coefficients = result[: len(names)], result[len(names) :]
    matrix: list[list[float | None]] = [[None] * len(names) for _ in names]
    for i, flag in enumerate(varies):
        matrix[i][i] = 1.0 if flag else None
    for (i, j), value in zip(pairs, coefficients, strict=True):
        matrix[i][j] = matrix[j][i] = _coefficient(value)
    return {"columns": names, "matrix": matrix}


def _as_double(name: str) -> str:
    return f"CAST({quote_identifier(name)} AS DOUBLE)"


def _coefficient(value: Any) -> float | None:
    """A finite coefficient clipped to [-1, 1] (rounding can overshoot), else None."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return min(1.0, max(-1.0, number))


