"""Key checks and children-per-parent counts of Spark relations, as Spark SQL.

The checks of :mod:`synthohive_dbt.profiling.keys` (null or duplicate primary keys,
duplicate unique keys, orphan foreign keys and their ``orphan_policy``) and the
histogram of :mod:`synthohive_dbt.profiling.children`, run as joins and group-bys on
the cluster; only counts come back. A relation is a FROM item: a quoted table or a
parenthesised SELECT.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ProfileError
from ..profiling.children import child_counts_sql, summarize_histogram
from ..profiling.relations import orphan_action
from ..project.model import ForeignKey, Table
from .runtime import collect
from .sql import SPARK, all_not_null, any_null, col, keys_equal, quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def _one_row(spark: SparkSession, sql: str, table: str, what: str) -> tuple[Any, ...]:
    (row,) = collect(spark, sql, table=table, what=what, error=ProfileError)
    return row


def count_rows(spark: SparkSession, table: Table, relation: str) -> int:
    ((rows,),) = collect(spark, f"SELECT count(*) FROM {relation} AS _t", table=table.name,
                         what="count the rows", error=ProfileError)  # fmt: skip
    return int(rows)


@dataclass
class KeyCounts:
    """Rows, and per declared key (primary first) its complete and distinct values."""

    rows: int
    pk_nulls: int
    complete: dict[tuple[str, ...], int] = field(default_factory=dict)  # rows with no null part
    distinct: dict[tuple[str, ...], int] = field(default_factory=dict)
    fk_nulls: dict[str, int] = field(default_factory=dict)  # foreign key name -> rows with a null

    def duplicate_rows(self, columns: Sequence[str]) -> int:
        """Rows beyond the first of every repeated complete key value."""
        return self.complete[tuple(columns)] - self.distinct[tuple(columns)]


def key_counts(spark: SparkSession, table: Table, relation: str) -> KeyCounts:
    """Row count, primary-key nulls and each key's complete/distinct counts: one query."""
    keys = [
        tuple(k) for k in ([table.primary_key] if table.primary_key else []) + table.unique_keys
    ]
    selects = [
        "count(*)",
        f"count_if({any_null('_t', table.primary_key)})" if table.primary_key else "0",
    ]
    for key in keys:
        # count(DISTINCT a, b) leaves out tuples with a null part, as the check should
        selects += [f"count_if({all_not_null('_t', key)})",
                    f"count(DISTINCT {', '.join(col('_t', c) for c in key)})"]  # fmt: skip
    selects += [f"count_if({any_null('_t', fk.columns)})" for fk in table.foreign_keys]
    rows, nulls, *counts = _one_row(spark, f"SELECT {', '.join(selects)} FROM {relation} AS _t",
                                    table.name, "count the rows and keys")  # fmt: skip
    out = KeyCounts(int(rows), int(nulls or 0))
    for i, key in enumerate(keys):
        out.complete[key], out.distinct[key] = int(counts[2 * i]), int(counts[2 * i + 1])
    for fk, fk_nulls in zip(table.foreign_keys, counts[2 * len(keys) :], strict=True):
        out.fk_nulls[fk.name] = int(fk_nulls or 0)
    return out


def repeated_values(
    spark: SparkSession, table: Table, relation: str, columns: Sequence[str]
) -> int:
    """How many key values occur more than once (run only when there are duplicates)."""
    keys = ", ".join(col("_t", c) for c in columns)
    grouped = (
        f"SELECT 1 FROM {relation} AS _t WHERE {all_not_null('_t', columns)} "
        f"GROUP BY {keys} HAVING count(*) > 1"
    )
    (repeated,) = _one_row(spark, f"SELECT count(*) FROM ({grouped}) AS _d", table.name,
                           f"check key ({', '.join(columns)})")  # fmt: skip
    return int(repeated)


def key_entry(
    spark: SparkSession,
    table: Table,
    relation: str,
    columns: list[str],
    counts: KeyCounts,
    *,
    primary: bool,
) -> dict[str, Any]:
    """The profile entry of a primary or unique key; a broken primary key is a ProfileError."""
    nulls = counts.pk_nulls if primary else 0
    dup_rows = counts.duplicate_rows(columns)
    label = columns[0] if len(columns) == 1 else "(" + ", ".join(columns) + ")"
    if primary and (nulls or dup_rows):
        problem = (
            f"null in {nulls} rows" if nulls
            else f"repeated: {repeated_values(spark, table, relation, columns)} values occur more than once"
        )  # fmt: skip
        raise ProfileError(
            f"primary key {label} of {table.name} is {problem}",
            table=table.name,
            column=columns[0] if len(columns) == 1 else None,
            hint=f"fix the source data or the key declared for {table.name}; "
            "a synthetic copy keeps keys unique, so the real data must",
        )
    if dup_rows:
        log.warning("%s: unique key %s has %d duplicate rows", table.name, label, dup_rows)
    return {
        "columns": list(columns),
        "duplicate_count": dup_rows,
        "null_count": nulls,
        "unique": dup_rows == 0 and nulls == 0,
    }


def link_counts(
    spark: SparkSession, table: Table, children: str, fk: ForeignKey, parents: str
) -> tuple[int, dict[str, Any]]:
    """(orphan rows, children-per-parent summary) of ``fk`` in one full outer join.

    Child keys are grouped first; a group no parent row matches is orphan rows, every
    parent row counts its matched group's size (zero without one). The histogram is over
    all child rows with a parent, i.e. the training rows when this is the only key with
    orphans (the caller recounts over the training rows otherwise).
    """
    keys = ", ".join(col("_c", c) for c in fk.columns)
    parent_keys = ", ".join(f"{col('_q', c)} AS {quote(c)}" for c in fk.parent_columns)
    sql = (
        f"WITH _kids AS (SELECT {keys}, count(*) AS _n FROM {children} AS _c "
        f"WHERE {all_not_null('_c', fk.columns)} GROUP BY {keys}), "
        f"_par AS (SELECT {parent_keys}, TRUE AS _present FROM {parents} AS _q) "
        f"SELECT CASE WHEN _p._present IS NULL THEN -1 ELSE coalesce(_k._n, 0) END AS _children, "
        f"count(*) AS _parents, sum(CASE WHEN _p._present IS NULL THEN _k._n ELSE 0 END) AS _orphans "
        f"FROM _par AS _p FULL OUTER JOIN _kids AS _k ON {keys_equal('_p', fk.parent_columns, '_k', fk.columns)} "
        f"GROUP BY 1"
    )
    rows = collect(
        spark, sql, table=table.name, what=f"check foreign key {fk.name}", error=ProfileError
    )
    orphans = sum(int(o or 0) for k, _, o in rows if k == -1)
    histogram = {int(k): int(n) for k, n, _ in rows if k != -1}
    return orphans, summarize_histogram(histogram)


def judge_orphans(table: Table, fk: ForeignKey, rows: int, orphans: int) -> None:
    """Apply ``fk.orphan_policy`` to ``orphans`` found: raise, warn, or note it."""
    if not orphans:
        return
    message = (
        f"foreign key ({', '.join(fk.columns)}) of {table.name} -> {fk.parent}: "
        f"{orphans} of {rows} rows ({orphans / rows:.2%}) have no parent row"
    )
    declared_not_null = [c for c in fk.columns if _not_null(table, c)]
    if fk.orphan_policy == "error" or (fk.orphan_policy == "null" and declared_not_null):
        raise ProfileError(
            message,
            table=table.name,
            hint=f"fix the source data, or set orphans: drop in the config of model {table.name}",
        )
    if fk.orphan_policy == "warn":
        log.warning("%s: %s; they are left out of training", table.name, message)
    else:
        log.info("%s: %s; handled by orphans: %s", table.name, message, fk.orphan_policy)


def _not_null(table: Table, column: str) -> bool:
    try:
        return not table.column(column).nullable
    except KeyError:
        return False


def training_relation(
    table: Table,
    relation: str,
    columns: Sequence[str],
    orphans: Mapping[str, int],
    parents: Mapping[str, str],
) -> str:
    """``relation`` with orphan rows dropped or their keys nulled, per key's policy.

    ``orphans`` maps a foreign key's name to its orphan count (keys without orphans add
    nothing); ``parents`` maps it to the parent's own training relation, so a parent
    row dropped as an orphan takes its children with it, as on the DuckDB side.
    """
    dirty = [fk for fk in table.foreign_keys if orphans.get(fk.name)]
    if not dirty:
        return relation
    joins, dropped, nulled = [], [], {}
    for i, fk in enumerate(dirty):
        alias = f"_o{i}"
        keys = ", ".join(col("_q", c) for c in fk.parent_columns)
        joins.append(
            f"LEFT JOIN (SELECT DISTINCT {keys}, TRUE AS _present FROM {parents[fk.name]} AS _q) AS {alias} "
            f"ON {keys_equal('_c', fk.columns, alias, fk.parent_columns)}"
        )
        orphan = f"({all_not_null('_c', fk.columns)} AND {alias}._present IS NULL)"
        if orphan_action(fk) == "null":
            for column in fk.columns:
                nulled.setdefault(column, []).append(orphan)
        else:
            dropped.append(f"NOT {orphan}")
    select = ", ".join(
        f"CASE WHEN {' OR '.join(nulled[c])} THEN NULL ELSE {col('_c', c)} END AS {quote(c)}"
        if c in nulled else col("_c", c)
        for c in columns
    )  # fmt: skip
    where = f" WHERE {' AND '.join(dropped)}" if dropped else ""
    return f"(SELECT {select} FROM {relation} AS _c {' '.join(joins)}{where})"


def child_counts(
    spark: SparkSession, table: Table, children: str, fk: ForeignKey, parents: str
) -> dict[str, Any]:
    """Children per parent row for ``fk`` (parents without children count as zero)."""
    sql = child_counts_sql(children, parents, fk, SPARK)
    rows = collect(spark, sql, table=table.name, what=f"count children per parent for {fk.name}",
                   error=ProfileError)  # fmt: skip
    return summarize_histogram({int(k): int(n) for k, n in rows})
