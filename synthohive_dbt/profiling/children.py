"""How many children each parent row has, per foreign key: the input of the count model.

Computed in DuckDB with a LEFT JOIN of the parent rows onto the children grouped by
their (possibly composite) key, so parents without children count as zero. Only the
histogram (number of children -> number of parents) comes back to Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..project.model import ForeignKey, Manifest
from .findings import KeyFinding
from .relations import parent_relation_sql, training_relation_sql
from .sql import DUCKDB, KeyPredicates, fetch_all

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def child_count_distribution(
    manifest: Manifest,
    con: DuckDBPyConnection,
    child: str,
    fk: ForeignKey,
    *,
    findings: Iterable[KeyFinding] | None = None,
) -> dict[str, Any]:
    """``{"parents", "mean", "std", "max", "histogram"}`` for foreign key ``fk`` of ``child``.

    Both sides are training rows (orphans handled as their policy says); ``std`` is the
    sample standard deviation of the children per parent; histogram keys are strings
    because JSON object keys are.
    """
    findings = list(findings) if findings is not None else None
    children = training_relation_sql(manifest, child, findings=findings)
    parents = parent_relation_sql(manifest, child, fk, findings=findings)
    sql = child_counts_sql(f"({children})", parents, fk)
    rows = fetch_all(con, sql, table=child, what=f"count children per parent for {fk.name}")
    return summarize_histogram({int(k): int(n) for k, n in rows})


def child_counts_sql(
    children: str, parents: str, fk: ForeignKey, sql: KeyPredicates = DUCKDB
) -> str:
    """The query of the children-per-parent histogram of ``fk`` (``_children``,
    ``_parents`` rows), over two relations of ``sql``'s dialect (DuckDB, or Spark's
    builders from ``spark/sql.py``); parents without children count as zero."""
    keys = ", ".join(sql.col("_c", c) for c in fk.columns)
    return (
        f"WITH _kids AS (SELECT {keys}, count(*) AS _n FROM {children} AS _c "
        f"WHERE {sql.all_not_null('_c', fk.columns)} GROUP BY {keys}) "
        f"SELECT coalesce(_k._n, 0) AS _children, count(*) AS _parents "
        f"FROM {parents} AS _p LEFT JOIN _kids AS _k "
        f"ON {sql.keys_equal('_p', fk.parent_columns, '_k', fk.columns)} "
        f"GROUP BY coalesce(_k._n, 0) ORDER BY _children"
    )


def summarize_histogram(histogram: dict[int, int]) -> dict[str, Any]:
    """Parents, mean, sample std and max of a children-per-parent histogram."""
    parents = sum(histogram.values())
    if parents == 0:
        return {"parents": 0, "mean": None, "std": None, "max": None, "histogram": {}}
    mean = sum(k * n for k, n in histogram.items()) / parents
    spread = sum(n * (k - mean) ** 2 for k, n in histogram.items())
    std = math.sqrt(spread / (parents - 1)) if parents > 1 else None
    return {
        "parents": parents,
        "mean": mean,
        "std": std,
        "max": max(histogram),
        "histogram": {str(k): histogram[k] for k in sorted(histogram)},
    }
