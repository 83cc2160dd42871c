"""FixedValues: columns of one value are taken out of the model and filled back in."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from synthohive_dbt.relations.fixed import FixedValues


def test_split_keeps_varying_columns_and_records_single_values() -> None:
    frame = pd.DataFrame(
        {
            "region": ["eu"] * 4,
            "note": [None] * 4,
            "score": [1.0, 2.0, 2.0, 3.0],
            "flag": [True, None, True, True],  # a value and nulls: two states, learnable
            "rate": np.full(4, 0.25),
            "day": pd.to_datetime(["2024-03-01"] * 4),
        }
    )
    fixed, learnable = FixedValues.split(frame)
    assert learnable == ["score", "flag"]
    assert fixed.values == {
        "region": "eu",
        "note": None,
        "rate": 0.25,
        "day": "2024-03-01T00:00:00",
    }
    assert FixedValues.from_dict(json.loads(json.dumps(fixed.to_dict()))) == fixed


def test_fill_adds_every_fixed_column_to_each_row() -> None:
    fixed = FixedValues({"region": "eu", "note": None, "day": dt.date(2024, 3, 1).isoformat()})
    sampled = pd.DataFrame({"score": [1.0, 2.0, 3.0]}, index=[5, 6, 7])
    out = fixed.fill(sampled, 3)
    assert list(out.columns) == ["score", "region", "note", "day"]
    assert out["score"].tolist() == [1.0, 2.0, 3.0]
    assert out["region"].tolist() == ["eu"] * 3 and out["note"].isna().all()
    keys_only = fixed.fill(pd.DataFrame(index=range(4)), 4)
    assert len(keys_only) == 4 and keys_only["day"].tolist() == ["2024-03-01"] * 4
