"""Putting fake values into the source column's pandas dtype, and typed null columns.

Re-created columns must look like the columns they replace (writers derive the
output schema from the frame), so fakes are cast back to the dtype the plan
recorded: text stays text, dates become datetimes, digit kinds fill integer columns.
"""

from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes

from synthohive_dbt.dtypes import as_dtype
from synthohive_dbt.errors import PrivacyError

from .faking import to_date
from .kinds import FakeKind

#: dtypes that cannot hold a null, and the nullable dtype used instead
_NULLABLE = {"bool": "boolean"}


def _nullable_dtype(dtype: str) -> str:
    if dtype in _NULLABLE:
        return _NULLABLE[dtype]
    if dtype.startswith(("int", "uint")):
        return dtype.capitalize().replace("Uint", "UInt")
    return dtype


def restore_dtype(values: pd.Series, dtype: str, kind: FakeKind, *, column: str) -> pd.Series:
    """``values`` (fakes, None for null) cast to the source ``dtype``."""
    try:
        if dtype.startswith("datetime64"):
            return pd.to_datetime(values).astype(dtype)
        if _is_numeric(dtype):
            digits = values.map(lambda v: None if v is None else _digits(str(v)))
            numbers = pd.to_numeric(digits)
            target = _nullable_dtype(dtype) if numbers.isna().any() else dtype
            return numbers.astype(target)
        texts = values.map(lambda v: None if v is None else str(to_date(v)))
        if kind.value_type == "date" and dtype == "object":
            return values
        return as_dtype(texts, dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise PrivacyError(
            f"fake {kind.name} values do not fit the column's type {dtype}: {exc}",
            hint="pick a kind that matches the column, or cast the column in the model SQL",
            column=column,
        ) from exc


def _is_numeric(dtype: str) -> bool:
    try:
        return ptypes.is_numeric_dtype(pd.api.types.pandas_dtype(dtype)) and dtype not in (
            "bool",
            "boolean",
        )
    except TypeError:
        return False


def _digits(text: str) -> str:
    core = text.split("x")[0]
    return "".join(ch for ch in core if ch.isdigit())


def null_column(n_rows: int, dtype: str, index: pd.Index) -> pd.Series:
    """A column of ``n_rows`` nulls in ``dtype`` (its nullable variant when needed)."""
    try:
        return as_dtype(pd.Series([None] * n_rows, index=index, dtype=object), _nullable_dtype(dtype))
    except (TypeError, ValueError):
        return pd.Series([None] * n_rows, index=index, dtype=object)
