"""Read a table's training rows from the real data: :func:`read_training_rows`.

The child's rows (orphans handled per ``orphan_policy``) joined to its primary parent's
context columns and (a left join: null for a null key) each secondary parent's, keys left out, in a seeded hash order so that the ``synth.sample_rows``
sample is the same on every run and independent of DuckDB's threads.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from ..duckdb_arrow import query_arrow
from ..errors import TrainingError
from ..profiling.relations import parent_relation_sql, training_relation_sql
from ..profiling.sql import col, keys_equal
from ..project.model import Manifest, Table
from ..quoting import quote_identifier
from ..relations.frames import arrow_to_frame
from ..relations.hierarchy import DEPTH
from .hierarchy import hierarchy_join
from .plan import TablePlan, foreign_key, secondary_context_name

logger = logging.getLogger(__name__)

_CTX = "__shive_ctx_"
_ROW = "__shive_row"


def read_training_rows(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, table: Table, plan: TablePlan, *, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(the child's non-key columns, PII included; the parent context or None), row-aligned.

    A table of keys only gives a frame of its rows with no columns.
    """
    values = [c for c in table.column_names if c not in plan.key_columns]
    # a table of keys only still has rows (and a parent context) to read: one per row
    selected = [col("c", v) for v in values] or [f"1 AS {quote_identifier(_ROW)}"]
    join = ""
    if plan.hierarchy_fk:
        # a hierarchy's context: its parent row's attributes and its own depth
        attrs = [c for c in plan.context_columns if c != DEPTH]
        fk = foreign_key(table, plan.hierarchy_fk)
        items, join = hierarchy_join(manifest, table, fk, attrs, _CTX)
        selected += items
    elif plan.primary_fk and plan.model_context:
        if plan.context_columns:
            fk = foreign_key(table, plan.primary_fk)
            parent = parent_relation_sql(manifest, table.name, fk)
            selected += [
                f"{col('p', c)} AS {quote_identifier(_CTX + c)}" for c in plan.context_columns
            ]
            join = f"JOIN {parent} AS p ON {keys_equal('c', fk.columns, 'p', fk.parent_columns)}"
        # each secondary parent's attributes: null where its key is null
        for i, (name, columns) in enumerate(plan.secondary_context.items()):
            sfk, alias = foreign_key(table, name), f"s{i}"
            other = parent_relation_sql(manifest, table.name, sfk)
            selected += [
                f"{col(alias, c)} AS {quote_identifier(_CTX + secondary_context_name(name, c))}"
                for c in columns
            ]
            on = keys_equal("c", sfk.columns, alias, sfk.parent_columns)
            join += f" LEFT JOIN {other} AS {alias} ON {on}"
    limit = f" LIMIT {int(table.synth.sample_rows)}" if table.synth.sample_rows else ""
    sql = (
        f"SELECT {', '.join(selected)} FROM ({training_relation_sql(manifest, table.name)}) "
        f"AS c {join} ORDER BY {seeded_order(table, seed)}{limit}"
    )
    frame = _read(con, sql, table)
    context = None
    if join and plan.model_context:
        context = frame[[_CTX + c for c in plan.model_context]]
        context = context.rename(columns=lambda c: c[len(_CTX) :]).reset_index(drop=True)
    return frame[values].reset_index(drop=True), context


def seeded_order(table: Table, seed: int, alias: str = "c") -> str:
    """A seeded, deterministic row order: by the primary key's hash, else the row's."""
    if table.primary_key:
        return f"hash({', '.join(col(alias, k) for k in table.primary_key)}, {int(seed)})"
    return f"hash({alias}, {int(seed)})"


def _read(con: duckdb.DuckDBPyConnection, sql: str, table: Table) -> pd.DataFrame:
    logger.debug("%s: training rows\n%s", table.name, sql)
    try:
        frame = arrow_to_frame(query_arrow(con, sql))
    except duckdb.Error as exc:
        raise TrainingError(
            f"cannot read the training rows of {table.name}: {str(exc).splitlines()[0]}",
            table=table.name,
            hint="run `shive validate` and `shive profile` to check the model and its keys",
        ) from exc
    if frame.empty:
        raise TrainingError(
            f"{table.name} has no training rows",
            table=table.name,
            hint="check its source data and foreign keys (`shive profile`)",
        )
    return frame
