"""Foreign keys the data shows and no test declares: suggested in a comment, never declared.

A column is suggested when every value of it, with at least :data:`SUGGEST_MIN_DISTINCT`
distinct values, is found in a key of another table (its traced primary key, or a
column unique and never null in the real data) of the same integer, string or UUID
type. A column that is itself unique in the data is not suggested: ids numbered 1..n in
two tables would match by chance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from ..quoting import quote_identifier

if TYPE_CHECKING:
    from .keys import TablePlan
    from .lineage import Tracer
    from .nodes import NodeRef

#: a column needs this many distinct values before it is suggested as a foreign key
SUGGEST_MIN_DISTINCT = 10


def suggest_foreign_keys(
    plans: dict[NodeRef, TablePlan], con: duckdb.DuckDBPyConnection, tracer: Tracer
) -> None:
    """Comment on columns that look like foreign keys in the data; never declare them."""
    keys = {node: _unique_in_data(con, tracer, node, plan) for node, plan in plans.items()}
    parents = [(n, c) for n, p in plans.items() for c in dict.fromkeys([p.primary_key, *keys[n]]) if c]
    for node, plan in plans.items():
        taken = {fk.column for fk in plan.foreign_keys} | set(keys[node])
        types = dict(plan.raw.columns)
        for column, data_type in plan.raw.columns:
            if column in taken or column == plan.primary_key or not _key_like(data_type):
                continue
            for pnode, pcolumn in parents:
                parent = plans[pnode]
                if pnode == node or dict(parent.raw.columns)[pcolumn] != types[column]:
                    continue
                distinct = _suggestion(con, tracer, node, column, pnode, pcolumn)
                if distinct:
                    extra = "" if pcolumn == parent.primary_key else f" (and declare {pcolumn} unique there)"
                    plan.suggestions[column] = (
                        f"suggested foreign key (not declared): every one of its {distinct} "
                        f"distinct values is a {parent.raw.model}.{pcolumn}; to declare it: "
                        f"constraints: [{{type: foreign_key, to: \"ref('{parent.raw.model}')\", "
                        f"to_columns: [{pcolumn}]}}]{extra}"
                    )
                    break


def _key_like(data_type: str) -> bool:
    """Types keys are made of: integers, strings, UUIDs (not floats, dates, booleans)."""
    base = data_type.upper().split("(")[0].strip()
    return base in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                    "UINTEGER", "UBIGINT", "VARCHAR", "UUID"}  # fmt: skip


def _unique_in_data(con: duckdb.DuckDBPyConnection, tracer: Tracer, node: NodeRef,
                    plan: TablePlan) -> list[str]:  # fmt: skip
    """Key-like columns that are unique and never null in the real rows (enough of them)."""
    columns = [c for c, t in plan.raw.columns if _key_like(t)]
    if not columns or plan.raw.rows < SUGGEST_MIN_DISTINCT:
        return []
    items = ", ".join(f"count(DISTINCT {quote_identifier(c)}), count({quote_identifier(c)})" for c in columns)
    row = con.execute(f"SELECT {items} FROM {tracer.places.relation(node)}").fetchone()
    return [c for i, c in enumerate(columns) if row[2 * i] == row[2 * i + 1] == plan.raw.rows]


def _suggestion(con: duckdb.DuckDBPyConnection, tracer: Tracer, node: NodeRef, column: str,
                pnode: NodeRef, pcolumn: str) -> int:  # fmt: skip
    """The child's distinct count when all its values are parent keys and there are enough."""
    c, p = quote_identifier(column), quote_identifier(pcolumn)
    child, parent = tracer.places.relation(node), tracer.places.relation(pnode)
    distinct, missing = con.execute(
        f"SELECT count(DISTINCT {c}), count(DISTINCT {c}) FILTER (WHERE {c} NOT IN "
        f"(SELECT {p} FROM {parent} WHERE {p} IS NOT NULL)) FROM {child}"
    ).fetchone()
    return int(distinct) if distinct >= SUGGEST_MIN_DISTINCT and not missing else 0
