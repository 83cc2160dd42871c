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


# ---- the leave-one-out measurement the privacy data tests use -------------------------------
def test_leave_one_out_baselines(real: pd.DataFrame) -> None:
    from synthohive_dbt.privacy.checks import duplicate_share, nearest_other_distances

    doubled = pd.concat([real.iloc[:10], real], ignore_index=True)
    assert duplicate_share(real, list(KINDS)) == 0.0
    assert duplicate_share(doubled, list(KINDS)) == pytest.approx(20 / 610)
    distances = nearest_other_distances(doubled, list(KINDS), KINDS)
    assert (distances[:10] == 0).all() and (distances[10:20] == 0).all()
    assert (distances[20:] > 0).all()  # a row is never its own closest record


def test_measure_privacy_copy_fresh_and_near_copy(real: pd.DataFrame) -> None:
    from synthohive_dbt.privacy.measure import measure_privacy

    copy = measure_privacy(real, real.copy(), list(KINDS), KINDS, seed=0)
    assert copy["exact_match"] == {"synthetic_share": 1.0, "holdout_share": 0.0}
    assert copy["dcr"]["synthetic"]["zero_share"] == 1.0
    assert copy["dcr"]["closer"]["synthetic_share"] == 1.0
    fresh = measure_privacy(real, _frame(1), list(KINDS), KINDS, seed=0)
    assert fresh["exact_match"]["synthetic_share"] == 0.0
    closer = fresh["dcr"]["closer"]
    assert closer["quantile"] == "p05" and abs(closer["synthetic_share"] - closer["holdout_share"]) < 0.05
    some_ties = measure_privacy(pd.concat([real.iloc[:60], real]), _frame(1), list(KINDS), KINDS, seed=0)
    assert some_ties["dcr"]["closer"]["quantile"] == "min"  # 18% repeat: p05 is 0
    assert some_ties["dcr"]["closer"]["holdout_share"] == pytest.approx(120 / 660)
    ties = measure_privacy(pd.concat([real, real]), _frame(1), ["segment"], KINDS, seed=0)
    assert ties["dcr"]["closer"] == {"quantile": "zero", "distance": 0.0, "synthetic_share": 0.0, "holdout_share": 0.0}
    assert 0.5 < fresh["dcr"]["synthetic"]["p50"] / fresh["dcr"]["holdout"]["p50"] < 2.0
    near = real.assign(amount=real["amount"] + 1e-6)
    moved = measure_privacy(real, near, list(KINDS), KINDS, seed=0)
    assert moved["exact_match"]["synthetic_share"] == 0.0
    assert moved["dcr"]["closer"]["synthetic_share"] == 1.0


def test_measure_privacy_is_seeded_bounded_and_json_ready(real: pd.DataFrame) -> None:
    import json

    from synthohive_dbt.privacy.measure import measure_privacy

    one = measure_privacy(real, _frame(1), list(KINDS), KINDS, seed=3, dcr_rows=100)
    assert one == measure_privacy(real, _frame(1), list(KINDS), KINDS, seed=3, dcr_rows=100)
    assert one["rows"] == {"real": 600, "synthetic": 600, "dcr": {"real": 100, "synthetic": 100}}
    json.dumps(one)
    no_distance = measure_privacy(real, _frame(1), list(KINDS), KINDS, seed=3, dcr_columns=[])
    assert no_distance["dcr"]["synthetic"] is None and no_distance["exact_match"]["synthetic_share"] == 0.0
    assert measure_privacy(real.iloc[:1], real, list(KINDS), KINDS, seed=3)["exact_match"]["synthetic_share"] is None


def test_identifier_like_columns_are_categorical_and_mostly_distinct(real: pd.DataFrame) -> None:
    from synthohive_dbt.privacy.measure import identifier_like

    frame = real.assign(card=[f"****-{i:04d}" for i in range(len(real))])
    kinds = {**KINDS, "card": "categorical"}
    assert identifier_like(frame, [*KINDS, "card"], kinds) == ["card"]  # amounts are distinct too, but numeric
