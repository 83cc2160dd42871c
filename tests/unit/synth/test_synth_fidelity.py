"""The fidelity score: 1 for identical data, and each part falls when its property breaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive_dbt.synth import fidelity_score


@pytest.fixture
def real() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    return pd.DataFrame({
        "x": x,
        "y": 2 * x + rng.normal(scale=0.3, size=2000),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, 2000), unit="D"),
        "kind": np.where(x > 0, "up", "down"),
    })


def test_identical_data_scores_one(real):
    score = fidelity_score(real, real.copy())
    assert score["overall"] == pytest.approx(1.0)
    assert set(score["columns"]) == set(real.columns)
    assert len(score["pairs"]) == 6


def test_total_variation_complement_for_categories():
    real = pd.DataFrame({"c": ["a", "a", "b", "b"]})
    synth = pd.DataFrame({"c": ["a", "a", "a", "a"]})
    assert fidelity_score(real, synth)["columns"]["c"] == pytest.approx(0.5)


def test_null_is_a_category_and_a_rate():
    real = pd.DataFrame({"c": ["a", None, "a", None], "n": [1.0, np.nan, 2.0, np.nan]})
    synth = pd.DataFrame({"c": ["a", "a", "a", "a"], "n": [1.0, 1.5, 2.0, 1.2]})
    columns = fidelity_score(real, synth)["columns"]
    assert columns["c"] == pytest.approx(0.5)
    assert columns["n"] < 1.0


def test_shifted_numbers_lower_the_shape_score(real):
    shifted = real.assign(x=real["x"] + 1.0)
    score = fidelity_score(real, shifted)
    assert score["columns"]["x"] < 0.7
    assert score["columns"]["kind"] == pytest.approx(1.0)


def test_broken_correlation_lowers_the_pair_score(real):
    shuffled = real.assign(y=real["y"].sample(frac=1, random_state=0).to_numpy())
    score = fidelity_score(real, shuffled)
    assert score["columns"]["y"] == pytest.approx(1.0)  # same marginal
    assert score["pairs"]["x|y"] < 0.6
    assert score["correlation"] < 0.95
