"""pandas dtypes and value conversions that behave the same under pandas 2 and pandas 3.

Every stage that turns a column into numbers or records a dtype in an artifact goes
through here, so the answers cannot drift apart and an artifact written under one pandas
major reads back under the other (a Spark executor may run another pandas than the driver
that trained the model).

What differs between the majors, and is absorbed here:

* pandas 3 stores text as the ``str`` dtype (``StringDtype`` with NaN as its null);
  pandas 2 as ``object``. Artifacts record ``"str"`` for either and each major restores
  its own default text dtype.
* pandas 3 infers datetime resolutions (``s``, ``ms``, ``us``); pandas 2 mostly ``ns``.
  Conversions here never assume a unit.
* Under copy-on-write (the pandas 3 default) arrays taken from a Series may be
  read-only views; :func:`writable` makes the one copy needed before writing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

#: the portable name of "the default text dtype" in artifacts
TEXT_DTYPE = "str"
_TEXT_NAMES = frozenset({"str", "object"})


#: the dtype this pandas gives text by default: ``str`` (pandas 3) or ``object`` (pandas 2)
DEFAULT_TEXT = pd.Series(["a", None]).dtype


def is_default_text_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is the major's default for text: ``object`` or pandas 3's ``str``."""
    if ptypes.is_object_dtype(dtype):
        return True
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is not pd.NA


def dtype_name(dtype: Any) -> str:
    """A name for ``dtype`` that :func:`pandas_dtype` restores under either pandas major.

    ``object`` stays ``object`` (it may hold decimals or dates, not only text); pandas 3's
    default ``str`` becomes ``"str"``; every other dtype keeps pandas' own name
    (``int64``, ``Int64``, ``datetime64[us, UTC]``, ``string``, ``category``...).
    """
    if isinstance(dtype, pd.StringDtype) and dtype.na_value is not pd.NA:
        return TEXT_DTYPE
    return str(dtype)


def pandas_dtype(name: str) -> Any:
    """The dtype that :func:`dtype_name` named, in the running pandas major."""
    if name == TEXT_DTYPE:
        return DEFAULT_TEXT
    if name == "object":
        return np.dtype(object)
    return ptypes.pandas_dtype(name)


def as_dtype(series: pd.Series, name: str) -> pd.Series:
    """``series`` (objects, None for null) cast to the dtype :func:`dtype_name` named."""
    target = pandas_dtype(name)
    if ptypes.is_object_dtype(target):
        return series if ptypes.is_object_dtype(series.dtype) else series.astype(object)
    return series.astype(target)


def writable(values: np.ndarray) -> np.ndarray:
    """``values`` itself if it may be written to, else a copy (copy-on-write views)."""
    return values if values.flags.writeable else values.copy()


def epoch_seconds(series: pd.Series) -> np.ndarray:
    """Datetimes (any unit, naive or aware, or date/datetime objects) as float seconds
    since the epoch; aware values in UTC, naive ones as they read; NaN for null."""
    null = series.isna().to_numpy()
    stamps = pd.to_datetime(series, utc=True)
    ticks = stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[us]").view("int64")
    values = ticks.astype("float64") / 1e6
    values[null] = np.nan
    return values


def _is_datetime_like(series: pd.Series) -> bool:
    if ptypes.is_datetime64_any_dtype(series.dtype):
        return True
    if not ptypes.is_object_dtype(series.dtype):
        return False
    present = series.dropna()
    return bool(len(present)) and isinstance(present.iloc[0], (dt.date, pd.Timestamp))


def as_float64(series: pd.Series) -> np.ndarray:
    """A writable float64 array of ``series``: numbers, decimals, booleans as 0/1,
    datetimes as epoch seconds (:func:`epoch_seconds`), NaN for null or non-numbers."""
    if _is_datetime_like(series):
        return epoch_seconds(series)
    if ptypes.is_bool_dtype(series.dtype):
        return series.astype("float64").to_numpy(dtype="float64", copy=True)
    if ptypes.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        return series.to_numpy(dtype="float64", na_value=np.nan, copy=True)
    return np.array([_number(v) for v in series.tolist()], dtype="float64")


def _number(value: Any) -> float:
    if value is None or value is pd.NaT:
        return np.nan
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return float(epoch_seconds(pd.Series([value]))[0])
    try:  # numbers, decimals, booleans, numeric text
        return float(value)
    except (TypeError, ValueError):
        return np.nan
