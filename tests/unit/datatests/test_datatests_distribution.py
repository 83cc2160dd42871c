"""The statistics the distribution tests compute in SQL agree with numpy / scipy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthohive_dbt.datatests import DEFAULT_THRESHOLDS, run_tests
from synthohive_dbt.datatests.distribution import (
    child_count_points,
    child_count_test,
    correlation_test,
    ks_test,
    moments_test,
    null_rate_test,
    quantile_levels,
    tv_test,
)
from synthohive_dbt.project.model import Column, ForeignKey, Table
from synthohive_dbt.targets.duckdb import DuckDBAdapter

LEVELS = np.linspace(0, 1, 101)


@pytest.fixture
def db(tmp_path: Path) -> Callable[[dict[str, pd.DataFrame]], Path]:
    def write(frames: dict[str, pd.DataFrame]) -> Path:
        path = tmp_path / "d.duckdb"
        con = duckdb.connect(str(path))
        for name, frame in frames.items():
            con.register("f", frame)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM f")
            con.unregister("f")
        con.close()
        return path

    return write


def run(path: Path, tmp_path: Path, tests: list) -> dict:
    from synthohive_dbt.targets.config import DuckDBTarget

    with DuckDBAdapter(DuckDBTarget(path=str(path)), tmp_path) as adapter:
        return run_tests(adapter, tests).by_name()


def test_ks_matches_scipy_against_the_true_distribution(db, tmp_path: Path) -> None:
    sample = np.random.default_rng(0).uniform(0, 1.5, 4000)
    path = db({"t": pd.DataFrame({"x": sample})})
    test = ks_test("t", Column("x", "DOUBLE", "numeric"), list(LEVELS), DEFAULT_THRESHOLDS, as_time=False)
    result = run(path, tmp_path, [test])[test.name]
    exact = stats.kstest(sample, "uniform").statistic
    # the real CDF is known at 101 levels only: the SQL value is at most one level below
    assert exact - 0.0101 <= result.statistic <= exact + 1e-9
    assert result.status == "warn"  # 1/3 = KS of U(0, 1.5) vs U(0, 1)


def test_point_masses_do_not_count_as_distance(db, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    real = np.where(rng.random(5000) < 0.5, 0.0, rng.integers(1, 4, 5000)).astype(float)
    synthetic = np.where(rng.random(5000) < 0.5, 0.0, rng.integers(1, 4, 5000)).astype(float)
    path = db({"t": pd.DataFrame({"x": synthetic})})
    quantiles = list(np.quantile(real, LEVELS))
    assert quantile_levels(quantiles)[0][:2] == (0.0, 0.0)
    test = ks_test("t", Column("x", "DOUBLE", "numeric"), quantiles, DEFAULT_THRESHOLDS, as_time=False)
    assert run(path, tmp_path, [test])[test.name].statistic < 0.03


def test_moments_match_numpy(db, tmp_path: Path) -> None:
    sample = np.random.default_rng(2).normal(10, 3, 1000)
    path = db({"t": pd.DataFrame({"x": sample})})
    test = moments_test("t", Column("x", "DOUBLE", "numeric"), {"mean": 9.0, "std": 2.0}, DEFAULT_THRESHOLDS)
    details = run(path, tmp_path, [test])[test.name].details
    assert details["statistic"] == pytest.approx(abs(sample.mean() - 9.0) / 2.0)
    assert details["std_ratio"] == pytest.approx(sample.std(ddof=1) / 2.0)
    assert details["failed"] is True
    assert moments_test("t", Column("x", "DOUBLE", "numeric"), {"mean": 1.0, "std": 0.0}, DEFAULT_THRESHOLDS) is None


def test_tv_counts_unlisted_values_as_other(db, tmp_path: Path) -> None:
    values = ["a"] * 50 + ["b"] * 30 + ["z"] * 20 + [None] * 10
    path = db({"t": pd.DataFrame({"c": values})})
    top = [{"value": "a", "frequency": 0.6}, {"value": "b", "frequency": 0.3}]
    test = tv_test("t", Column("c", "VARCHAR", "categorical"), top, DEFAULT_THRESHOLDS, boolean=False)
    # synthetic over non-null: a .5, b .3, other .2; real: a .6, b .3, other .1
    assert run(path, tmp_path, [test])[test.name].statistic == pytest.approx(0.1)


def test_tv_on_booleans_ignores_the_spelling_of_true(db, tmp_path: Path) -> None:
    path = db({"t": pd.DataFrame({"flag": [True] * 70 + [False] * 30})})
    top = [{"value": "True", "frequency": 0.7}, {"value": "False", "frequency": 0.3}]
    test = tv_test("t", Column("flag", "BOOLEAN", "boolean"), top, DEFAULT_THRESHOLDS, boolean=True)
    assert run(path, tmp_path, [test])[test.name].statistic == pytest.approx(0.0)


def test_null_rate(db, tmp_path: Path) -> None:
    path = db({"t": pd.DataFrame({"x": [1.0, None, None, 4.0]})})
    test = null_rate_test("t", "x", 0.2, DEFAULT_THRESHOLDS)
    result = run(path, tmp_path, [test])[test.name]
    assert result.statistic == pytest.approx(0.3) and result.status == "warn"


def test_child_count_points_give_the_exact_discrete_ks() -> None:
    histogram = {1: 4, 4: 4, 9: 2}
    points = dict(child_count_points(histogram))
    assert points == {0: 0.0, 1: 0.4, 3: 0.4, 4: 0.8, 8: 0.8, 9: 1.0}
    rng = np.random.default_rng(3)
    for _ in range(50):
        synthetic = rng.integers(0, 12, 40)
        brute = max(abs(np.mean(synthetic <= k) - _cdf(histogram, k)) for k in range(0, 15))
        at_points = max(abs(np.mean(synthetic <= k) - f) for k, f in points.items())
        assert at_points == pytest.approx(brute)


def _cdf(histogram: dict[int, int], k: int) -> float:
    total = sum(histogram.values())
    return sum(n for j, n in histogram.items() if j <= k) / total


def test_child_count_statistic(db, tmp_path: Path) -> None:
    parents = pd.DataFrame({"pid": [1, 2, 3, 4]})
    children = pd.DataFrame({"pid": [1, 1, 2, 2, 2, 2, 2, 9]})  # counts 2, 5, 0, 0 (9 is an orphan)
    path = db({"p": parents, "c": children})
    fk = ForeignKey(["pid"], "p", ["pid"])
    test = child_count_test("c", fk, {"histogram": {"0": 1, "2": 2, "5": 1}, "mean": 2.25}, DEFAULT_THRESHOLDS)
    result = run(path, tmp_path, [test])[test.name]
    # synthetic CDF: F(0)=.5 F(2)=.75 F(5)=1; real: F(0)=.25 F(2)=.75 F(5)=1
    assert result.statistic == pytest.approx(0.25)
    assert result.details["n_parents"] == 4
    assert result.details["synthetic_mean_children"] == pytest.approx(7 / 4)


def test_correlation_reports_the_worst_pair(db, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=500)
    frame = pd.DataFrame({"a": a, "b": a + rng.normal(size=500), "c": rng.normal(size=500)})
    path = db({"t": frame})
    table = Table("t", "synth", "", "", "", columns=[Column(n, "DOUBLE", "numeric") for n in "abc"])
    real = {"columns": ["a", "b", "c"], "matrix": [[1, 0.7, 0.0], [0.7, 1, 0.0], [0.0, 0.0, 1]]}
    test = correlation_test(table, real, {"a", "b", "c"}, DEFAULT_THRESHOLDS)
    details = run(path, tmp_path, [test])[test.name].details
    synthetic = frame.corr().to_numpy()
    diffs = {("a", "b"): abs(synthetic[0, 1] - 0.7), ("a", "c"): abs(synthetic[0, 2]), ("b", "c"): abs(synthetic[1, 2])}
    worst = max(diffs, key=diffs.get)
    assert (details["column_a"], details["column_b"]) == worst
    assert details["statistic"] == pytest.approx(diffs[worst])


def test_an_empty_synthetic_table_fails_every_distribution_test(db, tmp_path: Path) -> None:
    path = db({"t": pd.DataFrame({"x": pd.Series([], dtype=float), "c": pd.Series([], dtype=str)})})
    x, c = Column("x", "DOUBLE", "numeric"), Column("c", "VARCHAR", "categorical")
    tests = [
        ks_test("t", x, list(LEVELS), DEFAULT_THRESHOLDS, as_time=False),
        moments_test("t", x, {"mean": 0.5, "std": 0.2}, DEFAULT_THRESHOLDS),
        tv_test("t", c, [{"value": "a", "frequency": 1.0}], DEFAULT_THRESHOLDS, boolean=False),
        null_rate_test("t", "x", 0.0, DEFAULT_THRESHOLDS),
    ]
    results = run(path, tmp_path, tests)
    assert {r.status for r in results.values()} == {"warn"}
