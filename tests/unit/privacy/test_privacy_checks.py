"""Exact-match share and distance to closest record on constructed data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.privacy import dcr_summary, exact_match_share

KINDS = {"amount": "numeric", "segment": "categorical", "when": "datetime"}


def _frame(seed: int, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.normal(100, 15, n).round(2),
            "segment": rng.choice(["retail", "smb", "enterprise"], n),
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        }
    )


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return _frame(0)


def test_copied_rows_match_exactly(real: pd.DataFrame) -> None:
    assert exact_match_share(real, real.copy(), list(KINDS)) == 1.0
    assert exact_match_share(real, _frame(1), list(KINDS)) == 0.0


def test_exact_match_ignores_dtype_and_counts_partial_copies(real: pd.DataFrame) -> None:
    synth = pd.concat([real.iloc[:50], _frame(1, 150)], ignore_index=True)
    synth["amount"] = synth["amount"].astype("float32").astype("float64").round(2)
    assert exact_match_share(real, synth, list(KINDS)) == pytest.approx(0.25)
    ints = pd.DataFrame({"a": [1, 2, None]})
    floats = pd.DataFrame({"a": [1.0, 5.0, np.nan]})
    assert exact_match_share(ints.astype("Int64"), floats, ["a"]) == pytest.approx(2 / 3)


def test_copy_of_the_real_rows_is_too_close(real: pd.DataFrame) -> None:
    summary = dcr_summary(real, real.copy(), list(KINDS), KINDS, seed=0)
    assert summary["verdict"] == "too close"
    assert summary["synthetic_to_real"]["zero_share"] >= 0.5
    assert summary["reasons"]


def test_independent_data_is_not_too_close(real: pd.DataFrame) -> None:
    summary = dcr_summary(real, _frame(1), list(KINDS), KINDS, seed=0)
    assert summary["verdict"] == "ok", summary["reasons"]
    assert 0.5 < summary["ratio_p50"] < 2.0
    assert summary["rows"] == {"reference": 300, "holdout": 300, "synthetic": 600}


def test_summary_is_seeded_bounded_and_json_ready(real: pd.DataFrame) -> None:
    import json

    one = dcr_summary(real, _frame(1), list(KINDS), KINDS, seed=4, max_rows=100)
    two = dcr_summary(real, _frame(1), list(KINDS), KINDS, seed=4, max_rows=100)
    assert one == two
    assert one["rows"] == {"reference": 100, "holdout": 100, "synthetic": 100}
    json.dumps(one)


def test_too_few_rows_and_bad_columns(real: pd.DataFrame) -> None:
    assert (
        dcr_summary(real.iloc[:2], real, ["amount"], KINDS, seed=0)["verdict"]
        == "insufficient data"
    )
    with pytest.raises(PrivacyError, match="missing"):
        exact_match_share(real, real, ["nope"])
    with pytest.raises(PrivacyError, match="no columns"):
        dcr_summary(real, real, [], KINDS, seed=0)
