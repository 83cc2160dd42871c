"""The real shape of a hierarchy (a self-referencing foreign key), read in DuckDB.

Every row's *depth* is its distance from a root: a row whose parent key is null (or
names no row of the training relation) is a root at depth 0, its children are at
depth 1, and so on, computed by one recursive query. Rows no root reaches (a cycle in
the real data, or a row that is its own parent) cannot be reproduced without a cycle;
they are left out of training, with a warning.

From the depths come the hierarchy's shape, stored in ``linkage.json``: the share of
roots, and per depth the distribution of children per node (leaves included), which
is what generation grows its forest from (:mod:`synthohive_dbt.generate.hierarchy`).
A root rule's value (what nearly every root has) is a real value written to that file:
when it is text seen fewer than ``privacy.min_count`` times in the table, a stand-in of
its shape is stored instead (:func:`protect_root_rule`), unless the column is ``keep``
or the value one of its declared accepted values.
The training rows of a hierarchy carry, as their context, the parent row's attributes
(null for a root) and their own depth.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import numpy as np

from ..duckdb_arrow import query_arrow
from ..errors import TrainingError
from ..profiling.relations import training_relation_sql
from ..profiling.sql import col
from ..project.model import ForeignKey, Manifest, Table
from ..quoting import quote_identifier
from ..relations.frames import arrow_to_frame
from ..relations.hierarchy import DEPTH, HierarchyModel, ParentRule
from ..relations.linkage import CountDistribution
from ..synth.standins import DEFAULT_MIN_COUNT, standins

logger = logging.getLogger(__name__)

#: deepest level the recursive query follows (a guard; real hierarchies are shallow)
MAX_DEPTH = 256
#: (row, parent) pairs read to find the attributes a row takes from its parent
MAX_PAIRS = 200_000
_KEY = "__shive_key"
_COUNT = "__shive_n"


def depth_relation_sql(manifest: Manifest, table: Table, fk: ForeignKey) -> str:
    """``SELECT __shive_key, __shive_depth``: each reachable row's key and depth."""
    rel = training_relation_sql(manifest, table.name)
    key, parent = fk.parent_columns[0], fk.columns[0]
    k, d = quote_identifier(_KEY), quote_identifier(DEPTH)
    return (
        f"WITH RECURSIVE __shive_rows AS ({rel}), "
        f"__shive_tree({k}, {d}) AS ("
        f"SELECT {col('c', key)}, 0 FROM __shive_rows AS c WHERE {col('c', parent)} IS NULL "
        f"OR NOT EXISTS (SELECT 1 FROM __shive_rows AS p WHERE {col('p', key)} = {col('c', parent)}) "
        f"UNION ALL SELECT {col('c', key)}, {col('t', DEPTH)} + 1 FROM __shive_rows AS c "
        f"JOIN __shive_tree AS t ON {col('c', parent)} = {col('t', _KEY)} "
        f"WHERE {col('t', DEPTH)} < {MAX_DEPTH}) "
        f"SELECT {k}, min({d}) AS {d} FROM __shive_tree GROUP BY {k}"
    )


def hierarchy_join(
    manifest: Manifest, table: Table, fk: ForeignKey, attrs: list[str], prefix: str
) -> tuple[list[str], str]:
    """(select items, join clauses) adding to the child alias ``c`` of a training read
    its depth and its parent row's ``attrs`` (null for a root), named ``prefix + name``."""
    rel = training_relation_sql(manifest, table.name)
    key, parent = fk.parent_columns[0], fk.columns[0]
    items = [f"{col('p', a)} AS {quote_identifier(prefix + a)}" for a in attrs]
    items.append(f"{col('d', DEPTH)} AS {quote_identifier(prefix + DEPTH)}")
    joins = (
        f"JOIN ({depth_relation_sql(manifest, table, fk)}) AS d ON {col('c', key)} = {col('d', _KEY)} "
        f"LEFT JOIN ({rel}) AS p ON {col('c', parent)} = {col('p', key)}"
    )
    return items, joins


def fit_hierarchy(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    table: Table,
    fk: ForeignKey,
    *,
    attrs: list[str],
    seed: int,
    family: str = "empirical",
    min_count: int = DEFAULT_MIN_COUNT,
) -> dict[str, Any]:
    """The ``hierarchy`` entry of ``linkage.json``: root share, children per depth, and
    the rules by which a row's ``attrs`` follow its parent's (``min_count``: the
    project's ``privacy.min_count``, see :func:`protect_root_rule`)."""
    rel = training_relation_sql(manifest, table.name)
    depths = depth_relation_sql(manifest, table, fk)
    parent = fk.columns[0]
    per_node = (
        f"SELECT d.{quote_identifier(DEPTH)} AS depth, count({col('c', parent)}) AS {quote_identifier(_COUNT)} "
        f"FROM ({depths}) AS d LEFT JOIN ({rel}) AS c ON {col('c', parent)} = {col('d', _KEY)} "
        f"GROUP BY d.{quote_identifier(_KEY)}, d.{quote_identifier(DEPTH)}"
    )
    histogram = _rows(
        con,
        f"SELECT depth, {quote_identifier(_COUNT)}, count(*) FROM ({per_node}) GROUP BY ALL ORDER BY ALL",
        table,
        "count the children of each node",
    )
    total = _rows(con, f"SELECT count(*) FROM ({rel})", table, "count the rows")[0][0]
    children: dict[int, dict[int, int]] = {}
    for depth, count, freq in histogram:
        children.setdefault(int(depth), {})[int(count)] = int(freq)
    reached = sum(sum(h.values()) for h in children.values())
    roots = sum(children.get(0, {}).values())
    if total > reached:
        logger.warning(
            "%s: %d of %d rows are reached from no root through %s (a cycle in the real "
            "data); they are left out of training",
            table.name,
            total - reached,
            total,
            fk.columns[0],
        )
    model = HierarchyModel(
        fk=fk.name,
        root_share=roots / reached if reached else 1.0,
        children={d: CountDistribution(h) for d, h in children.items()},
        family=family,
        rules=_parent_rules(con, manifest, table, fk, attrs, seed, min_count),
    )
    logger.debug("%s: hierarchy %s", table.name, model.to_dict())
    return model.to_dict()


def _parent_rules(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    table: Table,
    fk: ForeignKey,
    attrs: list[str],
    seed: int,
    min_count: int,
) -> list[ParentRule]:
    """The attributes a row takes from its parent (see :class:`ParentRule`), from a
    seeded sample of (row, parent) pairs."""
    if not attrs:
        return []
    rel = training_relation_sql(manifest, table.name)
    key, parent = fk.parent_columns[0], fk.columns[0]
    items = [f"{col('c', a)} AS {quote_identifier('c_' + a)}" for a in attrs]
    items += [f"{col('p', a)} AS {quote_identifier('p_' + a)}" for a in attrs]
    sql = (
        f"SELECT {', '.join(items)} FROM ({rel}) AS c JOIN ({rel}) AS p "
        f"ON {col('c', parent)} = {col('p', key)} "
        f"ORDER BY hash({col('c', key)}, {int(seed)}) LIMIT {MAX_PAIRS}"
    )
    pairs = _read(con, sql, table)
    roots = _read(con, _roots_sql(manifest, table, fk, attrs, seed), table)
    rules = []
    for name in attrs:
        kind = table.column(name).kind
        root = ParentRule.fit_roots(name, roots[name])
        if root is not None:
            root = protect_root_rule(con, manifest, table, root, min_count=min_count, seed=seed)
        for rule in (ParentRule.fit(name, kind, pairs["c_" + name], pairs["p_" + name]), root):
            if rule is not None:
                logger.info("%s: %s", table.name, rule.describe())
                rules.append(rule)
    return rules


def protect_root_rule(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    table: Table,
    rule: ParentRule,
    *,
    min_count: int,
    seed: int,
) -> ParentRule | None:
    """``rule`` as ``linkage.json`` may keep it: a text root value seen fewer than
    ``min_count`` times in the table becomes a stand-in of its shape (never equal to a
    value of the column), so the roots still share one value but not the real one; with
    no stand-in left for its shape, the rule is dropped. Numbers, booleans, ``keep``
    columns and declared accepted values are kept as they are."""
    from ..relations.constraints import accepted_values

    column = table.column(rule.column)
    raw = column.pii is not None and column.pii.action == "keep"
    public = {str(v) for v in accepted_values(table).get(rule.column, ())}
    if raw or not isinstance(rule.value, str) or rule.value in public:
        return rule
    name = quote_identifier(rule.column)
    rel = training_relation_sql(manifest, table.name)
    counts = dict(_rows(
        con,
        f"SELECT {name}, count(*) FROM ({rel}) WHERE {name} IS NOT NULL GROUP BY ALL",
        table,
        f"count the values of {rule.column}",
    ))  # fmt: skip
    if counts.get(rule.value, 0) >= min_count:
        return rule
    rng = np.random.default_rng([int(seed), 0x2007])
    stand_in = standins([rule.value], real=counts, rng=rng, min_count=min_count)[0]
    if stand_in is None:
        logger.info(
            "%s: the roots' %s is rare and has no stand-in: no root rule", table.name, rule.column
        )
        return None
    return ParentRule(rule.column, rule.kind, rule.rate, rule.offset, stand_in)


def _roots_sql(
    manifest: Manifest, table: Table, fk: ForeignKey, attrs: list[str], seed: int
) -> str:
    rel = training_relation_sql(manifest, table.name)
    key = fk.parent_columns[0]
    return (
        f"SELECT {', '.join(col('c', a) for a in attrs)} FROM ({rel}) AS c "
        f"JOIN ({depth_relation_sql(manifest, table, fk)}) AS d ON {col('c', key)} = {col('d', _KEY)} "
        f"WHERE {col('d', DEPTH)} = 0 ORDER BY hash({col('c', key)}, {int(seed)}) LIMIT {MAX_PAIRS}"
    )


def _read(con: duckdb.DuckDBPyConnection, sql: str, table: Table) -> Any:
    logger.debug("%s: hierarchy rows\n%s", table.name, sql)
    try:
        return arrow_to_frame(query_arrow(con, sql))
    except duckdb.Error as exc:
        raise TrainingError(
            f"could not read the rows of hierarchy {table.name}: {str(exc).splitlines()[0]}",
            table=table.name,
            hint="run `shive validate` and `shive profile` to check the model and its keys",
        ) from exc


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, table: Table, what: str
) -> list[tuple[Any, ...]]:
    logger.debug("%s: %s\n%s", table.name, what, sql)
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise TrainingError(
            f"could not {what} of hierarchy {table.name}: {str(exc).splitlines()[0]}",
            table=table.name,
            hint="run `shive validate` and `shive profile` to check the model and its keys",
        ) from exc
