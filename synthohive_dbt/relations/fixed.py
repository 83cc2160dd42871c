"""Columns with nothing to learn: :class:`FixedValues`.

A model column that holds one value in every training row (a constant, or null
throughout; a one-row table has only such columns) carries no information a model
could learn, and a CTGAN given only such columns has nothing to train on (its data
vector would be empty). Training takes them out of the model and stores their value;
generation fills them in for every row. A table left with no learnable column is
generated without any model at all: keys from their sequences and parents, the rest
from its fixed values.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class FixedValues:
    """The single value (``None``: null) of each fixed column, by name."""

    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def split(cls, frame: pd.DataFrame) -> tuple[FixedValues, list[str]]:
        """(the fixed columns of ``frame`` and their values, the columns left to learn)."""
        fixed: dict[str, Any] = {}
        learnable: list[str] = []
        for name in frame.columns:
            series = frame[name]
            if series.nunique(dropna=False) <= 1:
                fixed[str(name)] = _plain(series.iloc[0]) if len(series) else None
            else:
                learnable.append(str(name))
        return cls(fixed), learnable

    def fill(self, frame: pd.DataFrame, rows: int) -> pd.DataFrame:
        """``frame`` (``rows`` rows, or no columns) with every fixed column added."""
        out = (
            frame.reset_index(drop=True) if len(frame.columns) else pd.DataFrame(index=range(rows))
        )
        for name, value in self.values.items():
            out[name] = pd.Series([value] * rows, dtype=object)
        return out

    def to_dict(self) -> dict[str, Any]:
        return dict(self.values)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FixedValues:
        return cls(dict(data or {}))


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it; the caster turns it back into the declared type."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)
