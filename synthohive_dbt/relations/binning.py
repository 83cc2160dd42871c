"""Coarse bins over a few columns, the shared vocabulary of the linkage models.

A :class:`BinFeature` maps one column to small integer codes: a categorical column by
its most frequent values (plus "other" and "null"), a numeric or datetime column by
quantile edges (plus "null"). A list of features maps a row to one bin id by mixed
radix. Features round-trip through JSON; the values they keep are category labels
seen at least ``min_count`` times and quantile edges only, never whole rows.

Real and synthetic frames reach the same bins although they come from different
engines (DuckDB's pandas output, a target's Arrow batches): values are normalised
first (:func:`category_labels`, :func:`~synthohive_dbt.dtypes.as_float64`), so ``1``, ``1.0`` and a
``Decimal('1')`` are one category and a date is its epoch seconds.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..dtypes import as_float64
from ..synth.standins import DEFAULT_MIN_COUNT

#: column kinds a bin can be made of (``text`` is too free-form)
BINNABLE_KINDS = frozenset({"numeric", "categorical", "datetime", "boolean"})


@dataclass
class BinFeature:
    """One column's binning: category labels or inner quantile edges."""

    column: str
    kind: Literal["category", "range"]
    values: list[str] = field(default_factory=list)
    edges: list[float] = field(default_factory=list)

    @property
    def n_codes(self) -> int:
        """Codes in use: categories + other + null, or ranges + null."""
        return len(self.values) + 2 if self.kind == "category" else len(self.edges) + 2

    def codes(self, series: pd.Series) -> np.ndarray:
        """The bin code of each value (the last code is null)."""
        null_code = self.n_codes - 1
        if self.kind == "category":
            labels = category_labels(series)
            lookup = {v: i for i, v in enumerate(self.values)}
            other = len(self.values)
            return np.array(
                [null_code if lab is None else lookup.get(lab, other) for lab in labels],
                dtype=np.int64,
            )
        numbers = as_float64(series)
        out = np.searchsorted(np.asarray(self.edges, dtype=float), numbers, side="right")
        out = out.astype(np.int64)
        out[np.isnan(numbers)] = null_code
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BinFeature:
        return cls(**data)


def fit_feature(
    series: pd.Series,
    kind: str,
    *,
    max_categories: int = 8,
    n_quantiles: int = 4,
    min_count: int = DEFAULT_MIN_COUNT,
    counted_on: pd.Series | None = None,
) -> BinFeature | None:
    """A binning of ``series`` for a column of model ``kind``, or None if it cannot bin.

    A category label seen fewer than ``min_count`` times (``privacy.min_count``) is never
    kept (it could name one row, and linkage.json is an artifact): such values share the
    *other* bin. The times are counted in ``counted_on`` when given: the parent's own rows
    when ``series`` repeats a parent value once per child (a parent with many children
    makes its rare value look frequent)."""
    if kind not in BINNABLE_KINDS:
        return None
    labels = [lab for lab in category_labels(series) if lab is not None]
    if not labels:
        return None
    distinct = pd.Series(labels).value_counts()
    if kind == "categorical":
        counted = distinct if counted_on is None else _label_counts(counted_on)
        seen = counted.reindex(distinct.index, fill_value=0).to_numpy()
        distinct = distinct[seen >= min_count]
    if kind in ("categorical", "boolean") or len(distinct) <= max_categories:
        return BinFeature(
            str(series.name), "category", values=list(distinct.index[:max_categories])
        )
    numbers = as_float64(series)
    numbers = numbers[~np.isnan(numbers)]
    levels = np.linspace(0, 1, n_quantiles + 1)[1:-1]
    edges = np.unique(np.quantile(numbers, levels))
    return BinFeature(str(series.name), "range", edges=[float(e) for e in edges])


def _label_counts(series: pd.Series) -> pd.Series:
    return pd.Series([lab for lab in category_labels(series) if lab is not None]).value_counts()


def bin_ids(frame: pd.DataFrame, features: Sequence[BinFeature]) -> np.ndarray:
    """One bin id per row over ``features`` (mixed radix; 0 for no features)."""
    ids = np.zeros(len(frame), dtype=np.int64)
    for feature in features:
        ids = ids * feature.n_codes + feature.codes(frame[feature.column])
    return ids


def n_bins(features: Sequence[BinFeature]) -> int:
    """How many distinct ids :func:`bin_ids` can return."""
    total = 1
    for feature in features:
        total *= feature.n_codes
    return total


# ---- value normalisation ------------------------------------------------------------
def category_labels(series: pd.Series) -> list[str | None]:
    """Values as canonical strings (None for null) that agree across engines."""
    return [_label(v) for v in series.tolist()]


def _label(value: Any) -> str | None:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating, decimal.Decimal)):
        if value != value:  # NaN
            return None
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(value).isoformat()
    return str(value)


