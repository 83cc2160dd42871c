"""Re-create the PII columns that never reached the model: :func:`fill_generated_pii`.

Generation calls it on every chunk of synthetic rows. ``fake`` columns are drawn by
faker (kind, locale, uniqueness and null share from the plan), ``drop`` columns come
back as typed nulls, and the table's column order is restored. Values depend on the
seed and the global row number only, so chunking does not change them.
"""

from __future__ import annotations

import pandas as pd

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.project.model import Table

from .declarations import is_unique
from .dtypes import null_column, restore_dtype
from .faking import derive_seed, generated_fakes
from .kinds import KINDS
from .plan import ColumnPlan, PiiPlan


def fill_generated_pii(
    df: pd.DataFrame,
    plan: PiiPlan,
    table: Table,
    *,
    seed: int,
    row_offset: int = 0,
) -> pd.DataFrame:
    """Add the plan's ``fake`` and ``drop`` columns to generated rows ``df``.

    ``row_offset`` is the global number of ``df``'s first row when a table is generated
    in chunks; unique fake columns stay unique across chunks. A column ``df`` already
    has (a key the generator made) is left alone. Same seed, same values.
    """
    if plan.table != table.name:
        raise PrivacyError(
            f"PII plan is for table {plan.table!r}, not {table.name!r}",
            hint="load the plan saved with this table's model",
            table=table.name,
        )
    added: dict[str, pd.Series] = {}
    for step in plan.regenerated:
        if step.column in df.columns:
            continue
        added[step.column] = _recreate(step, table, len(df), df.index, seed, row_offset)
    out = df.assign(**added) if added else df
    return out[_column_order(out, plan, table)]


def _recreate(
    step: ColumnPlan, table: Table, n_rows: int, index: pd.Index, seed: int, row_offset: int
) -> pd.Series:
    if step.action == "drop" or step.kind is None:
        return null_column(n_rows, step.dtype, index)
    kind = KINDS.get(step.kind)
    if kind is None:
        raise PrivacyError(
            f"PII plan names unknown fake kind {step.kind!r}",
            hint="retrain the table with `shive train --full-refresh`",
            table=table.name,
            column=step.column,
        )
    unique = step.unique or _declared_unique(table, step.column)
    values = generated_fakes(
        n_rows,
        kind,
        step.locale,
        seed=derive_seed(seed, table.name, step.column),
        row_offset=row_offset,
        unique=unique,
        null_share=step.null_share if step.nullable and not unique else 0.0,
    )
    series = pd.Series(values, index=index, dtype=object)
    return restore_dtype(series, step.dtype, kind, column=step.column)


def _declared_unique(table: Table, name: str) -> bool:
    try:
        return is_unique(table, table.column(name))
    except KeyError:
        return False


def _column_order(df: pd.DataFrame, plan: PiiPlan, table: Table) -> list[str]:
    present = set(df.columns)
    order: list[str] = []
    for name in [*table.column_names, *plan.column_order, *df.columns]:
        if name in present and name not in order:
            order.append(name)
    return order
