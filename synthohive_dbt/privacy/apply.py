"""Apply the declared PII actions to a table's frame before training: :func:`apply_pii`.

The frame that comes out is the only one training sees. ``fake`` and ``drop``
columns are removed (generation re-creates them, see :mod:`.fill`), ``hash`` and
``mask`` columns are rewritten in place, ``keep`` columns pass through with a log
line. The :class:`PiiPlan` that comes with it records what was done without any
value of the data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from synthohive_dbt.dtypes import dtype_name
from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.project.model import Column, Table

from .declarations import check_pii_config, hash_length, is_unique
from .dtypes import restore_dtype
from .faking import consistent_fakes, derive_seed, generated_fakes
from .kinds import resolve_kind
from .plan import ColumnPlan, PiiPlan
from .secret import key_fingerprint, resolve_secret
from .transforms import as_text, hmac_hex, mask

logger = logging.getLogger(__name__)

#: remove: fake columns leave the frame (the default, for learned tables);
#: replace: they are overwritten with fakes in place (copied tables, exports)
FakeMode = Literal["remove", "replace"]


@dataclass
class _Context:
    table: Table
    seed: int
    run_key: str | None
    fake_mode: FakeMode


def apply_pii(
    df: pd.DataFrame,
    table: Table,
    *,
    seed: int,
    run_key: str | None = None,
    fake_mode: FakeMode = "remove",
) -> tuple[pd.DataFrame, PiiPlan]:
    """Carry out every declared PII action on ``df`` (a frame of ``table``'s rows).

    Returns the frame to train on and the plan to save with the model. ``df`` is not
    modified. Declared columns missing from ``df`` are skipped. Raises
    :class:`PrivacyError` for a declaration that cannot be honoured, including a hash
    column whose secret is not set, before any column is touched.
    """
    if fake_mode not in ("remove", "replace"):
        raise PrivacyError(f"unknown fake_mode {fake_mode!r}", hint="use 'remove' or 'replace'")
    check_pii_config([table])
    ctx = _Context(table=table, seed=seed, run_key=run_key, fake_mode=fake_mode)
    declared = [c for c in table.columns if c.pii is not None and c.name in df.columns]
    keys = {c.name: resolve_secret(c, table=table.name) for c in declared if c.pii.action == "hash"}
    plan = PiiPlan(table=table.name, column_order=[str(c) for c in df.columns])
    out = df.copy(deep=False)
    for column in declared:
        step = _column_plan(out[column.name], column, table)
        out = _STEPS[step.action](out, column, step, ctx, keys.get(column.name))
        plan.columns.append(step)
    _log_summary(plan)
    return out, plan


def _column_plan(series: pd.Series, column: Column, table: Table) -> ColumnPlan:
    pii = column.pii
    if pii is None:
        raise PrivacyError("column has no PII declaration", table=table.name, column=column.name)
    return ColumnPlan(
        column=column.name,
        action=pii.action,
        dtype=dtype_name(series.dtype),
        data_type=column.data_type,
        removed=False,
        locale=pii.locale,
        consistent=pii.consistent,
        unique=is_unique(table, column),
        nullable=column.nullable,
        null_share=float(series.isna().mean()) if len(series) else 0.0,
    )


def _fake(
    df: pd.DataFrame, column: Column, step: ColumnPlan, ctx: _Context, _: bytes | None
) -> pd.DataFrame:
    pii = column.pii
    kind = resolve_kind(pii.kind if pii else None, column, table=ctx.table.name)
    step.kind = kind.name
    if ctx.fake_mode == "remove":
        step.removed = True
        return df.drop(columns=[column.name])
    series = df[column.name]
    texts = as_text(series)
    if step.consistent:
        fakes = consistent_fakes(
            texts, kind, step.locale, seed=ctx.seed, run_key=ctx.run_key, unique=step.unique
        )
    else:
        drawn = generated_fakes(
            len(series),
            kind,
            step.locale,
            seed=derive_seed(ctx.seed, ctx.table.name, column.name),
            unique=step.unique,
        )
        fakes = pd.Series(drawn, index=series.index, dtype=object).where(texts.notna(), None)
    return df.assign(**{column.name: restore_dtype(fakes, step.dtype, kind, column=column.name)})


def _hash(
    df: pd.DataFrame, column: Column, step: ColumnPlan, ctx: _Context, secret: bytes | None
) -> pd.DataFrame:
    if secret is None or column.pii is None:
        raise PrivacyError("no HMAC secret resolved", table=ctx.table.name, column=column.name)
    step.secret_env = column.pii.secret_env
    step.key_fingerprint = key_fingerprint(secret)
    step.hash_length = hash_length(column.pii)
    hashed = hmac_hex(as_text(df[column.name]), secret, length=step.hash_length)
    return df.assign(**{column.name: _text_dtype(hashed, step.dtype)})


def _mask(
    df: pd.DataFrame, column: Column, step: ColumnPlan, ctx: _Context, _: bytes | None
) -> pd.DataFrame:
    keep_last = column.pii.keep_last if column.pii else 0
    step.keep_last = keep_last
    masked = mask(as_text(df[column.name]), keep_last)
    return df.assign(**{column.name: _text_dtype(masked, step.dtype)})


def _drop(
    df: pd.DataFrame, column: Column, step: ColumnPlan, ctx: _Context, _: bytes | None
) -> pd.DataFrame:
    step.removed = True
    return df.drop(columns=[column.name])


def _keep(
    df: pd.DataFrame, column: Column, step: ColumnPlan, ctx: _Context, _: bytes | None
) -> pd.DataFrame:
    logger.info(
        "%s.%s is declared PII with action: keep; its raw values are used as they are",
        ctx.table.name,
        column.name,
    )
    return df


_STEPS = {"fake": _fake, "hash": _hash, "mask": _mask, "drop": _drop, "keep": _keep}


def _text_dtype(values: pd.Series, source_dtype: str) -> pd.Series:
    return values.astype("string") if source_dtype.startswith("string") else values


def _log_summary(plan: PiiPlan) -> None:
    if plan.columns:
        logger.debug(
            "%s: PII actions %s",
            plan.table,
            ", ".join(f"{c.column}={c.action}" for c in plan.columns),
        )
