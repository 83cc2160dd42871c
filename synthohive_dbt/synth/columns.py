"""A column's kind and exact storage, and the moves between pandas and the model's domain.

The model sees two kinds of column: *continuous* (numeric and datetime, as float64 in the
column's own units: numbers as they are, datetimes as integer ticks of their unit) and
*discrete* (categorical, text, boolean, as values matched against a category list).
:class:`ColumnSpec` records what is needed to turn model output back into the input's
exact pandas dtype: integers stay ``int64``/``Int64``, decimals keep their scale,
datetimes their unit, time zone and resolution, dates stay ``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types as ptypes

from ..dtypes import TEXT_DTYPE, as_dtype, dtype_name, writable
from ..errors import TrainingError

KINDS = ("numeric", "categorical", "datetime", "boolean", "text")
CONTINUOUS_KINDS = frozenset({"numeric", "datetime"})
#: rows looked at to infer a kind or a rounding rule
_PROBE_ROWS = 10_000
#: datetime rounding steps tried, coarsest first, in nanoseconds
_STEPS_NS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3)
_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1, "D": 86_400 * 10**9}


@dataclass
class ColumnSpec:
    """How one column is modelled and how its values are restored.

    ``storage`` is one of ``int``, ``float``, ``decimal`` (object of Decimal),
    ``datetime64`` (a datetime64 dtype, ``unit``/``tz``), ``date`` (object of
    datetime.date), ``pydatetime`` (object of datetime.datetime) or ``value``
    (a discrete column restored by ``dtype``).
    """

    name: str
    kind: str
    dtype: str
    storage: str
    nullable: bool = False
    all_null: bool = False
    scale: int | None = None  # decimals kept: a Decimal's scale, or learned for floats
    unit: str | None = None  # datetime tick unit: D, s, ms, us, ns
    tz: str | None = None
    step: int | None = None  # datetime resolution, in ticks
    categories: list[Any] | None = None  # a category dtype's categories, JSON-encoded
    ordered: bool = False

    @property
    def continuous(self) -> bool:
        return self.kind in CONTINUOUS_KINDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSpec:
        return cls(**data)


# ---- kinds --------------------------------------------------------------------------


def _probe(series: pd.Series) -> list[Any]:
    values = series.dropna()
    return values.iloc[:_PROBE_ROWS].tolist()


def infer_kind(series: pd.Series) -> str:
    """The kind a column is modelled as, from its dtype and, for objects, its values."""
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if ptypes.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return "numeric"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    probe = _probe(series)
    if probe and all(isinstance(v, (bool, np.bool_)) for v in probe):
        return "boolean"
    if probe and all(isinstance(v, decimal.Decimal) for v in probe):
        return "numeric"
    if probe and all(isinstance(v, dt.date) for v in probe):
        return "datetime"
    distinct = series.nunique(dropna=True)
    if probe and all(isinstance(v, str) for v in probe) and distinct > max(1000, len(series) // 2):
        return "text"
    return "categorical"


def describe_column(series: pd.Series, kind: str) -> ColumnSpec:
    """The :class:`ColumnSpec` of ``series`` modelled as ``kind``."""
    name = str(series.name)
    if kind not in KINDS:
        raise TrainingError(
            f"unknown column kind {kind!r}", column=name, hint="use one of: " + ", ".join(KINDS)
        )
    null = series.isna()
    spec = ColumnSpec(
        name=name,
        kind=kind,
        dtype=_portable_dtype(series),
        storage="value",
        nullable=bool(null.any()),
        all_null=bool(null.all()),
    )
    if isinstance(series.dtype, pd.CategoricalDtype):
        spec.categories = [encode_value(v) for v in series.dtype.categories]
        spec.ordered = bool(series.dtype.ordered)
    if kind == "numeric":
        _describe_numeric(series, spec)
    elif kind == "datetime":
        _describe_datetime(series, spec)
    return spec


def _portable_dtype(series: pd.Series) -> str:
    """The dtype's portable name; an object column of strings is text in either major."""
    if ptypes.is_object_dtype(series.dtype):
        probe = _probe(series)
        if probe and all(isinstance(v, str) for v in probe):
            return TEXT_DTYPE
    return dtype_name(series.dtype)


def _describe_numeric(series: pd.Series, spec: ColumnSpec) -> None:
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        raise TrainingError(
            "a boolean column cannot be modelled as numeric", column=spec.name,
            hint="declare it boolean (or leave its kind to be inferred)",
        )
    if ptypes.is_integer_dtype(dtype):
        spec.storage = "int"
        return
    if ptypes.is_float_dtype(dtype):
        spec.storage = "float"
        spec.scale = _learned_decimals(series.dropna().to_numpy(dtype="float64")[:_PROBE_ROWS])
        return
    probe = _probe(series)
    if probe and all(isinstance(v, decimal.Decimal) for v in probe):
        spec.storage = "decimal"
        exponents = [v.as_tuple().exponent for v in probe if v.is_finite()]
        spec.scale = max([-e for e in exponents if isinstance(e, int)] + [0])
        return
    if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in probe):
        spec.storage = "float"
        return
    raise TrainingError(
        f"column holds {type(probe[0]).__name__} values, not numbers", column=spec.name,
        hint="declare its kind categorical or text, or cast it to a number in the model SQL",
    )


def _describe_datetime(series: pd.Series, spec: ColumnSpec) -> None:
    dtype = series.dtype
    if ptypes.is_datetime64_any_dtype(dtype):
        spec.storage = "datetime64"
        if isinstance(dtype, pd.DatetimeTZDtype):
            spec.unit, spec.tz = dtype.unit, str(dtype.tz)
        else:
            spec.unit = str(np.datetime_data(dtype)[0])
    else:
        probe = _probe(series)
        if probe and all(isinstance(v, dt.datetime) for v in probe):
            spec.storage, spec.unit = "pydatetime", "us"
        elif probe and all(isinstance(v, dt.date) for v in probe):
            spec.storage, spec.unit = "date", "D"
        elif not probe:
            spec.storage, spec.unit = "pydatetime", "us"
        else:
            raise TrainingError(
                f"column holds {type(probe[0]).__name__} values, not datetimes",
                column=spec.name,
                hint="cast it to DATE or TIMESTAMP in the model SQL, or declare it categorical",
            )
    values, null = to_continuous(series, spec)
    spec.step = _learned_step(values[~null][:_PROBE_ROWS].astype("int64"), spec.unit or "ns")


def _learned_decimals(values: np.ndarray) -> int | None:
    """Fewest decimals (0-6) that every probed float already has, or None."""
    finite = values[np.isfinite(values)]
    for places in range(7):
        if np.array_equal(np.round(finite, places), finite):
            return places
    return None


def _learned_step(ticks: np.ndarray, unit: str) -> int | None:
    """Coarsest calendar step (a day, hour, ... microsecond) dividing every tick, or None."""
    per_tick = _UNIT_NS[unit]
    for step_ns in _STEPS_NS:
        if step_ns % per_tick:
            continue
        step = step_ns // per_tick
        if step > 1 and ticks.size and not np.any(ticks % step):
            return int(step)
    return None


# ---- continuous columns ---------------------------------------------------------------


def to_continuous(series: pd.Series, spec: ColumnSpec) -> tuple[np.ndarray, np.ndarray]:
    """``(values, null)``: float64 in the column's units (datetimes as ticks), null mask."""
    null = series.isna().to_numpy()
    storage = spec.storage
    try:
        if storage in ("int", "float"):
            values = pd.to_numeric(series, errors="raise").to_numpy(dtype="float64", na_value=np.nan)
        elif storage == "decimal":
            values = series.astype("float64").to_numpy()
        elif storage == "datetime64":
            naive = series.dt.tz_convert(None) if spec.tz else series
            values = naive.to_numpy(dtype=f"datetime64[{spec.unit}]").view("int64").astype("float64")
        elif storage == "date":
            values = np.array(series.to_numpy(), dtype="datetime64[D]").view("int64").astype("float64")
        else:
            stamps = pd.to_datetime(series).dt.tz_localize(None)
            values = stamps.to_numpy(dtype="datetime64[us]").view("int64").astype("float64")
    except (TypeError, ValueError, AttributeError) as exc:
        raise TrainingError(
            f"cannot read column as {spec.kind}: {exc}", column=spec.name,
            hint="check the column's values or declare a different kind",
        ) from exc
    values = writable(values)
    values[null] = np.nan
    return values, null


def snap(values: np.ndarray, spec: ColumnSpec) -> np.ndarray:
    """Round model output to the column's grid: integers, decimal scale, datetime step."""
    if spec.storage == "int":
        return np.round(values)
    if spec.storage in ("float", "decimal") and spec.scale is not None:
        return np.round(values, spec.scale)
    if spec.kind == "datetime":
        step = float(spec.step or 1)
        return np.round(values / step) * step
    return values


def grid_bounds(low: float | None, high: float | None, spec: ColumnSpec) -> tuple[float, float]:
    """``(low, high)`` moved inwards onto the column's grid so snapped values stay inside."""
    lo = -np.inf if low is None else float(low)
    hi = np.inf if high is None else float(high)
    if spec.storage == "int":
        return float(np.ceil(lo)), float(np.floor(hi))
    if spec.storage in ("float", "decimal") and spec.scale is not None:
        factor = 10.0**spec.scale
        return float(np.ceil(lo * factor) / factor), float(np.floor(hi * factor) / factor)
    if spec.kind == "datetime":
        step = float(spec.step or 1)
        return float(np.ceil(lo / step) * step), float(np.floor(hi / step) * step)
    return lo, hi


def from_continuous(values: np.ndarray, null: np.ndarray, spec: ColumnSpec) -> pd.Series:
    """A Series of the column's exact dtype from snapped float64 ``values``."""
    storage = spec.storage
    if storage == "int":
        dtype = pd.api.types.pandas_dtype(spec.dtype)
        info = np.iinfo(dtype.numpy_dtype if hasattr(dtype, "numpy_dtype") else dtype)
        ints = np.clip(np.nan_to_num(values), info.min, info.max).astype("int64")
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return pd.Series(pd.arrays.IntegerArray(ints, null.copy()), name=spec.name).astype(dtype)
        return pd.Series(ints, name=spec.name).astype(dtype)
    if storage == "float":
        floats = np.where(null, np.nan, values)
        return pd.Series(floats, name=spec.name).astype(spec.dtype)
    if storage == "decimal":
        arrow = pa.array(values, mask=null, type=pa.float64())
        decimals = pc.cast(arrow, pa.decimal128(38, spec.scale or 0), safe=False)
        return pd.Series(decimals.to_pandas(), name=spec.name, dtype=object)
    ticks = np.where(null, 0, np.nan_to_num(values)).astype("int64")
    if storage == "datetime64":
        stamps = pd.Series(ticks.view(f"datetime64[{spec.unit}]"), name=spec.name)
        stamps[null] = pd.NaT
        if spec.tz:
            stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(spec.tz)
        return stamps.astype(spec.dtype)
    objects = ticks.view(f"datetime64[{spec.unit}]").astype(object)
    objects[null] = None
    return pd.Series(objects, name=spec.name, dtype=object)


def observed_range(values: np.ndarray, null: np.ndarray) -> tuple[float | None, float | None]:
    """Min and max of the non-null values, or ``(None, None)``."""
    kept = values[~null]
    if not kept.size:
        return None, None
    return float(kept.min()), float(kept.max())


def to_model_bound(value: Any, spec: ColumnSpec) -> float | None:
    """A user bound (number, Decimal, date, timestamp or ISO string) in model units."""
    if value is None:
        return None
    if spec.kind == "numeric":
        return float(value)
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    elif spec.tz:
        stamp = stamp.tz_localize(spec.tz).tz_convert("UTC").tz_localize(None)
    return float(stamp.to_datetime64().astype(f"datetime64[{spec.unit}]").view("int64"))


# ---- discrete columns -----------------------------------------------------------------


def from_values(values: np.ndarray, null: np.ndarray, spec: ColumnSpec) -> pd.Series:
    """A Series of the column's exact dtype from decoded discrete values (objects)."""
    objects = values.astype(object, copy=True)
    objects[null] = None
    if spec.categories is not None:
        categories = [decode_value(v) for v in spec.categories]
        return pd.Series(
            pd.Categorical(objects, categories=categories, ordered=spec.ordered), name=spec.name
        )
    return as_dtype(pd.Series(objects, name=spec.name, dtype=object), spec.dtype)


def empty_series(n: int, spec: ColumnSpec) -> pd.Series:
    """``n`` nulls of the column's dtype, for a column that was all null."""
    if spec.storage == "int" and spec.dtype in ("int64", "int32", "int16", "int8"):
        return pd.Series(np.zeros(n, dtype=spec.dtype), name=spec.name)
    objects = pd.Series(np.full(n, None, dtype=object), name=spec.name, dtype=object)
    return objects if spec.dtype == "bool" else as_dtype(objects, spec.dtype)


# ---- JSON codec for category values -----------------------------------------------------


def encode_value(value: Any) -> Any:
    """A JSON-safe form of a category value; non-JSON types are tagged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return {"datetime": pd.Timestamp(value).isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        return {"timedelta": int(pd.Timedelta(value).value)}
    raise TypeError(f"values of type {type(value).__name__} cannot be modelled")


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if not isinstance(value, dict):
        return value
    (tag, text), = value.items()
    if tag == "decimal":
        return decimal.Decimal(text)
    if tag == "datetime":
        return pd.Timestamp(text)
    if tag == "date":
        return dt.date.fromisoformat(text)
    if tag == "timedelta":
        return pd.Timedelta(int(text))
    raise ValueError(f"unknown value tag {tag!r}")
