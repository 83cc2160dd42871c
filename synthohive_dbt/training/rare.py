"""A child's view of its parent's rare values: :func:`protect_rare_context`.

A child model is conditioned on its parents' context columns, read once per child row. A parent value seen fewer than ``privacy.min_count`` times among the parent's
rows can repeat often there (a parent with many children), so the child's own count
would keep it as a category, verbatim in the child's model file. The parent's rows are
counted instead, in DuckDB, and every value rare among them becomes a stand-in of its
own per row (:func:`~synthohive_dbt.synth.standins.rare_rows_as_standins`): the child
learns "a rare parent value", which is what a generated parent's stand-in maps to.
A hierarchy's context, its parent row's attributes in the same table, is treated alike:
the counts are the table's own.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from ..errors import TrainingError
from ..privacy.policy import privacy_min_count
from ..project.model import Manifest, Table
from ..project.sources import model_relation
from ..quoting import quote_identifier
from ..relations.fixed import FixedValues
from ..relations.hierarchy import DEPTH
from ..synth.settings import SynthSettings
from ..synth.standins import can_stand_in, rare_rows_as_standins, standins
from .plan import TablePlan, foreign_key, secondary_context_name

_TEXT_KINDS = ("categorical", "text")


def protect_rare_context(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    table: Table,
    plan: TablePlan,
    context: pd.DataFrame | None,
    *,
    seed: int,
) -> pd.DataFrame | None:
    """``context`` with the parents' rare text values replaced; ``keep`` columns untouched.

    Each context column is counted on its own parent: the primary parent's (or, for a
    hierarchy, the table's own) by name, a secondary parent's ``<fk>.<column>`` on it."""
    parent_fk = plan.primary_fk or plan.hierarchy_fk
    if context is None or not parent_fk:
        return context
    parent = manifest.tables[foreign_key(table, parent_fk).parent]
    sources = {c: (parent, c) for c in plan.context_columns if c != DEPTH}
    for fk_name, columns in plan.secondary_context.items():
        other = manifest.tables[foreign_key(table, fk_name).parent]
        sources.update({secondary_context_name(fk_name, c): (other, c) for c in columns})
    k = privacy_min_count(manifest)
    rng = np.random.default_rng(seed)
    out = context.copy()
    for name in context.columns:
        if name not in sources:  # a hierarchy row's own depth, not a parent value
            continue
        owner, source = sources[name]
        column = owner.column(source)
        raw = column.pii is not None and column.pii.action == "keep"
        if column.kind in _TEXT_KINDS and not raw:
            frequent = _frequent_values(con, owner.name, source, k)
            out[name] = rare_rows_as_standins(context[name], frequent, rng=rng)
    return out


def _frequent_values(con: duckdb.DuckDBPyConnection, table: str, column: str, k: int) -> set[object]:
    name = quote_identifier(column)
    sql = (
        f"SELECT {name} FROM {model_relation(table)} "
        f"WHERE {name} IS NOT NULL GROUP BY ALL HAVING count(*) >= {int(k)}"
    )
    try:
        return {row[0] for row in con.execute(sql).fetchall()}
    except duckdb.Error as exc:
        raise TrainingError(
            f"cannot count the values of {table}.{column}: {str(exc).splitlines()[0]}",
            table=table,
            column=column,
            hint="run `shive validate` to check the model's SQL against the real data",
        ) from exc


def protect_rare_fixed(
    fixed: FixedValues, table: Table, *, rows: int, settings: SynthSettings, seed: int
) -> FixedValues:
    """``fixed`` with each constant text or integer value of a table of fewer than
    ``privacy.min_count`` rows replaced by a stand-in of its shape (a one-row table's
    values are each seen once); ``keep`` columns and declared accepted values stay."""
    if rows >= settings.min_count:
        return fixed
    rng = np.random.default_rng([seed, 0x5EED])
    values = dict(fixed.values)
    for name, value in fixed.values.items():
        public = settings.public_values.get(name, ())
        if name in settings.raw_columns or str(value) in public or not can_stand_in(value):
            continue
        if table.column(name).kind not in _TEXT_KINDS:
            continue
        drawn = standins([value], real=[value], rng=rng, min_count=rows + 1)[0]
        values[name] = drawn  # None when the shape has no stand-in: the column comes out null
    return FixedValues(values)
