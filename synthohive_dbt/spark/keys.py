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
from typing import TYPE_CHECKING, Any

from ..errors import ProfileError
from ..profiling.children import summarize_histogram
from ..profiling.relations import orphan_action
from ..project.model import ForeignKey, Table
from .runtime import collect
from .sql import all_not_null, any_null, col, keys_equal, quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def _one_row(spark: SparkSession, sql: str, table: str, what: str) -> tuple[Any, ...]:
    (row,) = collect(spark, sql, table=table, what=what, error=ProfileError)
    return row


def count_rows(spark: SparkSession, table: Table, relation: str) -> tuple[int, int]:
    """Rows of ``relation`` and rows with a null in the primary key."""
    pk_nulls = f"count_if({any_null('_t', table.primary_key)})" if table.primary_key else "0"
    rows, nulls = _one_row(spark, f"SELECT count(*), {pk_nulls} FROM {relation} AS _t",
                           table.name, "count the rows")  # fmt: skip
    return int(rows), int(nulls or 0)


def duplicates(spark: SparkSession, table: Table, relation: str, columns: Sequence[str]) -> tuple[int, int]:
    """(key values occurring more than once, rows beyond the first of each) over non-null keys."""
    keys = ", ".join(col("_t", c) for c in columns)
    grouped = (
        f"SELECT count(*) AS _n FROM {relation} AS _t WHERE {all_not_null('_t', columns)} "
        f"GROUP BY {keys} HAVING count(*) > 1"
    )
    dup_keys, dup_rows = _one_row(
        spark, f"SELECT count(*), coalesce(sum(_n - 1), 0) FROM ({grouped}) AS _d",
        table.name, f"check key ({', '.join(columns)})",
    )  # fmt: skip
    return int(dup_keys), int(dup_rows)


def key_entry(
    spark: SparkSession, table: Table, relation: str, columns: list[str], nulls: int, *, primary: bool
) -> dict[str, Any]:
    """The profile entry of a primary or unique key; a broken primary key is a ProfileError."""
    dup_keys, dup_rows = duplicates(spark, table, relation, columns)
    label = columns[0] if len(columns) == 1 else "(" + ", ".join(columns) + ")"
    if primary and (nulls or dup_rows):
        problem = f"null in {nulls} rows" if nulls else f"repeated: {dup_keys} values occur more than once"
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


def count_orphans(
    spark: SparkSession, table: Table, relation: str, fk: ForeignKey, parent: str
) -> tuple[int, int]:
    """Rows with a null key, and rows whose complete key matches no parent row."""
    parent_keys = ", ".join(col("_q", c) for c in fk.parent_columns)
    sql = (
        f"SELECT count_if({any_null('_c', fk.columns)}), "
        f"count_if({all_not_null('_c', fk.columns)} AND _p._shive_present IS NULL) "
        f"FROM {relation} AS _c "
        f"LEFT JOIN (SELECT DISTINCT {parent_keys}, TRUE AS _shive_present FROM {parent} AS _q) AS _p "
        f"ON {keys_equal('_c', fk.columns, '_p', fk.parent_columns)}"
    )
    nulls, orphans = _one_row(spark, sql, table.name, f"check foreign key {fk.name}")
    return int(nulls or 0), int(orphans or 0)


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
    keys = ", ".join(col("_c", c) for c in fk.columns)
    sql = (
        f"WITH _kids AS (SELECT {keys}, count(*) AS _n FROM {children} AS _c "
        f"WHERE {all_not_null('_c', fk.columns)} GROUP BY {keys}) "
        f"SELECT coalesce(_k._n, 0) AS _children, count(*) AS _parents "
        f"FROM {parents} AS _p LEFT JOIN _kids AS _k "
        f"ON {keys_equal('_p', fk.parent_columns, '_k', fk.columns)} "
        f"GROUP BY coalesce(_k._n, 0) ORDER BY _children"
    )
    rows = collect(spark, sql, table=table.name, what=f"count children per parent for {fk.name}",
                   error=ProfileError)  # fmt: skip
    return summarize_histogram({int(k): int(n) for k, n in rows})
