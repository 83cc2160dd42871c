"""Privacy tests: emitted per learned table, run against real rows, judged against a holdout.

The toy shop's real data sits in an in-memory DuckDB as the model views; the synthetic
side is a DuckDB target holding a copy of the real rows (must fail), fresh rows of the
same population (must pass), or near-copies (real rows with tiny noise: only the
distance test can see them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from synthohive_dbt.datatests import (
    emit_privacy_tests,
    learned_columns,
    load_run_results,
    privacy_settings,
    privacy_test_text,
    render,
    run_privacy_tests,
    write_run_results,
)
from synthohive_dbt.datatests.privacy import dcr_verdict, exact_match_verdict
from synthohive_dbt.datatests.runner import TestRunResult
from synthohive_dbt.errors import DataTestError, ProjectError
from synthohive_dbt.project.model import Manifest, PiiConfig
from synthohive_dbt.targets.duckdb import DuckDBAdapter

toyshop: Any = __import__("toyshop")


def real_opener(real: dict[str, pd.DataFrame]) -> Callable[[Manifest], duckdb.DuckDBPyConnection]:
    """open_real for the tests: the real frames registered as the model views."""

    def open_(manifest: Manifest) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        for name, frame in real.items():
            con.register(name, frame)
        return con

    return open_


def near_copies(real: dict[str, pd.DataFrame], seed: int = 3) -> dict[str, pd.DataFrame]:
    """The real rows with every continuous value moved by a millionth: no exact copy left."""
    rng = np.random.default_rng(seed)
    out = {name: frame.copy() for name, frame in real.items()}
    out["customers"]["income"] = out["customers"]["income"] * (1 + rng.uniform(1e-6, 2e-6, len(out["customers"])))
    out["orders"]["amount"] = out["orders"]["amount"] + rng.uniform(1e-4, 2e-4, len(out["orders"]))
    return out


@pytest.fixture
def run_on(
    manifest: Manifest, real_data: dict[str, pd.DataFrame], tmp_path: Path, open_adapter: Callable[[Path], DuckDBAdapter]
) -> Callable[..., dict[str, Any]]:
    """Write ``synthetic`` to a DuckDB target and run every privacy test; results by name."""

    def run(synthetic: dict[str, pd.DataFrame], **kwargs: Any) -> dict[str, Any]:
        path = tmp_path / f"synthetic{len(list(tmp_path.glob('*.duckdb')))}.duckdb"
        toyshop.write_duckdb(path, synthetic)
        tests = emit_privacy_tests(manifest)
        kwargs.setdefault("open_real", real_opener(real_data))
        results = run_privacy_tests(manifest, open_adapter(path), tests, **kwargs)
        return {r.name: r for r in results}

    return run


# ---- emission and settings -------------------------------------------------------------------
def test_two_tests_per_learned_table_on_learned_columns(manifest: Manifest) -> None:
    tests = emit_privacy_tests(manifest)
    assert [(t.name, t.severity) for t in tests] == [
        ("shive_exact_match_customers", "error"), ("shive_dcr_customers", "warn"),
        ("shive_exact_match_orders", "error"), ("shive_dcr_orders", "warn"),
        ("shive_exact_match_order_lines", "error"), ("shive_dcr_order_lines", "warn"),
    ]  # fmt: skip
    # keys are regenerated and the e-mail is faked: neither is learned
    assert tests[0].columns == ["segment", "age", "income", "signup_date", "is_active"]
    assert tests[2].columns == ["amount", "status", "discount"]
    assert {t.category for t in tests} == {"privacy"}


def test_hashed_and_masked_columns_are_compared_dropped_and_copied_tables_are_not(manifest: Manifest) -> None:
    customers = manifest.tables["customers"]
    customers.column("email").pii = PiiConfig(action="hash", secret_env="X")
    customers.column("segment").pii = PiiConfig(action="drop")
    assert learned_columns(customers) == ["age", "income", "signup_date", "is_active", "email"]
    manifest.tables["orders"].synth.mode = "copy"
    assert {t.table for t in emit_privacy_tests(manifest)} == {"customers", "order_lines"}


def test_settings_project_table_and_severity_group(manifest: Manifest) -> None:
    settings = {
        "severity": {"privacy": "warn"},
        "privacy": {"exact_match_tolerance": 0.02, "sample_rows": 500,
                    "tables": {"orders": {"enabled": False}, "customers": {"dcr_severity": "error"}}},
    }  # fmt: skip
    tests = {t.name: t for t in emit_privacy_tests(manifest, settings=settings)}
    assert "shive_exact_match_orders" not in tests
    assert tests["shive_exact_match_customers"].severity == "warn"
    assert tests["shive_dcr_customers"].severity == "error"
    assert tests["shive_exact_match_order_lines"].threshold == 0.02
    assert tests["shive_dcr_customers"].settings.sample_rows == 500
    assert emit_privacy_tests(manifest, settings={"privacy": False}) == []
    assert privacy_settings(None).base.exact_match_tolerance == 0.05


@pytest.mark.parametrize(
    "settings",
    [{"privacy": {"exact_match_tolerence": 0.1}}, {"privacy": {"dcr_tolerance": 2}},
     {"privacy": {"sample_rows": 5}}, {"privacy": {"exact_match_severity": "fatal"}},
     {"privacy": {"tables": {"ordres": {"enabled": False}}}}, {"privacy": "yes"}],
)
def test_bad_privacy_settings_are_errors(manifest: Manifest, settings: dict[str, Any]) -> None:
    with pytest.raises(DataTestError) as info:
        emit_privacy_tests(manifest, settings=settings)
    if "ordres" in json.dumps(settings) or "tolerence" in json.dumps(settings):
        assert "did you mean" in (info.value.hint or "")


# ---- verdicts on constructed measurements -------------------------------------------------
def _measurement(s: float, h: float, n: int, closer: tuple[float, float] = (0.05, 0.05), cut: str = "p05") -> dict[str, Any]:
    stats = {"p05": 0.1, "p10": 0.15, "p25": 0.2, "p50": 0.3, "p75": 0.4, "mean": 0.3, "zero_share": 0.0}
    return {
        "columns": ["a"], "dcr_columns": ["a"],
        "rows": {"real": n, "synthetic": n, "dcr": {"real": n, "synthetic": n}},
        "exact_match": {"synthetic_share": s, "holdout_share": h},
        "dcr": {"synthetic": stats, "holdout": stats,
                "closer": {"quantile": cut, "distance": 0.1 if cut != "zero" else 0.0,
                           "synthetic_share": closer[0], "holdout_share": closer[1]}},
    }  # fmt: skip


def test_exact_match_allows_tolerance_plus_sampling_noise() -> None:
    assert exact_match_verdict(_measurement(0.30, 0.01, 1000), 0.05).failed is True
    assert exact_match_verdict(_measurement(0.05, 0.02, 1000), 0.05).failed is False
    # the same 10-point excess is noise on 40 rows, a finding on 4000
    assert exact_match_verdict(_measurement(0.5, 0.4, 40), 0.05).failed is False
    assert exact_match_verdict(_measurement(0.5, 0.4, 4000), 0.05).failed is True
    assert exact_match_verdict(_measurement(0.5, 0.4, 5), 0.05).failed is None  # too few rows


def test_dcr_verdict_on_the_closer_share() -> None:
    assert dcr_verdict(_measurement(0, 0, 1000, (0.45, 0.05)), 0.1).failed is True
    verdict = dcr_verdict(_measurement(0, 0, 1000, (0.07, 0.05)), 0.1)
    assert verdict.failed is False and verdict.statistic == pytest.approx(0.02)
    assert dcr_verdict(_measurement(0, 0, 1000, (0.5, 0.2), cut="min"), 0.1).failed is True
    trivial = dcr_verdict(_measurement(0, 0, 1000, (0.0, 0.0), cut="zero"), 0.1)
    assert trivial.failed is False and "no synthetic row can come closer" in trivial.message
    no_columns = dcr_verdict({**_measurement(0, 0, 1000), "dcr_columns": []}, 0.1)
    assert no_columns.failed is None and "identifier-like" in no_columns.message


# ---- running against real rows ---------------------------------------------------------------
def test_a_copy_of_the_real_rows_fails_exact_match(run_on: Callable[..., dict[str, Any]], real_data: dict[str, pd.DataFrame]) -> None:
    results = run_on(real_data)
    customers = results["shive_exact_match_customers"]
    assert customers.status == "fail" and customers.failures == 1
    assert customers.details["synthetic_share"] == 1.0 and customers.details["holdout_share"] < 0.05
    assert results["shive_exact_match_orders"].status == "fail"
    assert results["shive_dcr_customers"].status == "warn"
    # order_lines learns one small-integer column: real rows repeat each other as often
    assert results["shive_exact_match_order_lines"].status == "pass"
    assert results["shive_dcr_order_lines"].status == "pass"
    assert results["shive_dcr_order_lines"].details["closer"]["quantile"] == "zero"


def test_fresh_rows_of_the_same_population_pass(run_on: Callable[..., dict[str, Any]], good_data: dict[str, pd.DataFrame]) -> None:
    results = run_on(good_data)
    for table in ("customers", "orders"):
        for kind in ("exact_match", "dcr"):
            result = results[f"shive_{kind}_{table}"]
            assert result.status == "pass", result.message
    dcr = results["shive_dcr_customers"].details
    assert dcr["synthetic"]["p05"] > 0.5 * dcr["holdout"]["p05"]


def test_near_copies_pass_exact_match_but_fail_dcr(run_on: Callable[..., dict[str, Any]], real_data: dict[str, pd.DataFrame]) -> None:
    results = run_on(near_copies(real_data))
    for table in ("customers", "orders"):
        assert results[f"shive_exact_match_{table}"].status == "pass"
        dcr = results[f"shive_dcr_{table}"]
        assert dcr.status == "warn", dcr.message
        assert dcr.details["closer"]["synthetic_share"] > 0.4
        assert dcr.statistic > dcr.threshold


def test_unreachable_sources_skip_every_privacy_test(run_on: Callable[..., dict[str, Any]], good_data: dict[str, pd.DataFrame]) -> None:
    def unreachable(manifest: Manifest) -> duckdb.DuckDBPyConnection:
        raise ProjectError("source raw.customers: data/customers.parquet does not exist")

    results = run_on(good_data, open_real=unreachable)
    assert {r.status for r in results.values()} == {"skipped"}
    message = results["shive_exact_match_customers"].message
    assert "real data unavailable" in message and "customers.parquet does not exist" in message


def test_missing_synthetic_table_is_an_error_and_fail_fast_skips(
    manifest: Manifest, real_data: dict[str, pd.DataFrame], tmp_path: Path, open_adapter: Callable[[Path], DuckDBAdapter]
) -> None:
    path = tmp_path / "partial.duckdb"
    toyshop.write_duckdb(path, {"customers": real_data["customers"]})
    adapter = open_adapter(path)
    tests = emit_privacy_tests(manifest)
    seen: list[tuple[int, int]] = []
    results = run_privacy_tests(manifest, adapter, tests, open_real=real_opener(real_data),
                                on_result=lambda r, i, n: seen.append((i, n)), start=10, total=20)  # fmt: skip
    assert {r.table: r.status for r in results if r.kind == "exact_match"} == {
        "customers": "fail", "orders": "error", "order_lines": "error"
    }
    assert seen == [(11 + i, 20) for i in range(6)]
    skipped = run_privacy_tests(manifest, adapter, tests, skip_reason="after a failure")
    assert {r.status for r in skipped} == {"skipped"}


def test_a_hash_column_without_its_secret_is_left_out(
    run_on: Callable[..., dict[str, Any]], manifest: Manifest, real_data: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHIVE_TEST_UNSET_KEY", raising=False)
    manifest.tables["customers"].column("segment").pii = PiiConfig(action="hash", secret_env="SHIVE_TEST_UNSET_KEY")
    result = run_on(real_data)["shive_exact_match_customers"]
    assert "segment" in result.details["excluded_columns"]
    assert result.details["columns"] == ["age", "income", "signup_date", "is_active"]
    assert result.status == "fail"


def test_real_rows_compare_in_the_form_training_saw(
    run_on: Callable[..., dict[str, Any]], manifest: Manifest, real_data: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    from synthohive_dbt.privacy import hmac_hex
    from synthohive_dbt.privacy.transforms import as_text

    monkeypatch.setenv("SHIVE_TEST_SET_KEY", "a-key-of-more-than-sixteen-bytes")
    customers = manifest.tables["customers"]
    customers.column("segment").pii = PiiConfig(action="hash", secret_env="SHIVE_TEST_SET_KEY")
    customers.column("email").pii = PiiConfig(action="keep")
    hashed = real_data["customers"].assign(
        segment=hmac_hex(as_text(real_data["customers"]["segment"]), b"a-key-of-more-than-sixteen-bytes")
    )
    result = run_on({**real_data, "customers": hashed})["shive_exact_match_customers"]
    # a copy of the rows the model saw (hashed segment, raw e-mail kept) is found as a copy
    assert set(result.details["columns"]) >= {"segment", "email"}
    assert result.details["synthetic_share"] == 1.0 and result.status == "fail"
    raw = run_on(real_data)["shive_exact_match_customers"]  # raw segments are not what training saw
    assert raw.details["synthetic_share"] == 0.0


def test_statistics_round_trip_through_run_results(run_on: Callable[..., dict[str, Any]], real_data: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    results = list(run_on(real_data).values())
    path = write_run_results(TestRunResult(results=results), tmp_path / "run_results.json")
    document = json.loads(path.read_text())
    entry = next(r for r in document["results"] if r["unique_id"].endswith("shive_exact_match_customers"))
    assert entry["status"] == "fail" and entry["failures"] == 1
    assert entry["shive"]["details"]["synthetic_share"] > 0.9
    assert entry["shive"]["category"] == "privacy"
    dcr = next(r for r in document["results"] if r["unique_id"].endswith("shive_dcr_customers"))
    assert set(dcr["shive"]["details"]["synthetic"]) >= {"p05", "p25", "p50", "p75", "mean", "zero_share"}
    loaded = load_run_results(path).by_name()["shive_dcr_customers"]
    assert loaded.details["holdout"] == dcr["shive"]["details"]["holdout"]
    assert document["summary"]["fidelity_score"] is None  # privacy tests are not scored
    text = json.dumps(document)
    assert "user1@example.com" not in text and "customer_id" not in text


# ---- the recorded verdict for dbt --------------------------------------------------------------
def test_recorded_verdict_replays_and_notices_a_changed_table(
    run_on: Callable[..., dict[str, Any]], manifest: Manifest, real_data: dict[str, pd.DataFrame],
    tmp_path: Path, open_adapter: Callable[[Path], DuckDBAdapter],
) -> None:  # fmt: skip
    tests = {t.name: t for t in emit_privacy_tests(manifest)}
    failed = run_on(real_data)["shive_exact_match_customers"]
    passed = run_on(toyshop.make_data(seed=2))["shive_exact_match_customers"]
    path = tmp_path / "check.duckdb"
    toyshop.write_duckdb(path, toyshop.make_data(seed=2))
    adapter = open_adapter(path)

    def rows(result: Any) -> list[dict[str, Any]]:
        text = privacy_test_text(tests[result.name], result, measured_at="2026-01-01T00:00:00Z")
        assert text.startswith("{{ config(severity='error', tags=['shive', 'privacy', 'exact_match']) }}")
        return adapter.query(render(text.split("\n", 1)[1], adapter)).to_pylist()

    assert rows(passed) == []
    assert [r["reason"] for r in rows(failed)] == ["recorded verdict"]
    adapter.execute("DELETE FROM main.customers WHERE customer_id = 1")
    assert [r["reason"] for r in rows(passed)] == ["synthetic table changed since measured"]
    skipped = run_on(real_data, skip_reason="x")["shive_exact_match_customers"]
    assert "enabled=false" in privacy_test_text(tests[skipped.name], skipped, measured_at="t").splitlines()[0]
    assert "enabled=false" in privacy_test_text(tests[skipped.name], None, measured_at="t").splitlines()[0]


def test_the_project_file_model_feeds_the_privacy_settings() -> None:
    from synthohive_dbt.project.settings import DataTestSettings

    def through_yaml(data: dict[str, Any]) -> Any:
        return privacy_settings(DataTestSettings.model_validate(data).model_dump(exclude_none=True))

    parsed = through_yaml({"severity": {"privacy": "warn"}, "privacy": {"dcr_tolerance": 0.2, "tables": {"orders": {"sample_rows": 100}}}})
    assert (parsed.base.dcr_tolerance, parsed.base.exact_match_severity) == (0.2, "warn")
    assert parsed.for_table("orders").sample_rows == 100 and parsed.for_table("orders").dcr_tolerance == 0.2
    assert through_yaml({"privacy": False}).base.enabled is False
    assert through_yaml({}).base == privacy_settings(None).base


def test_project_file_keys_match_the_privacy_thresholds() -> None:
    from dataclasses import fields

    from synthohive_dbt.datatests import PrivacyThresholds
    from synthohive_dbt.project.settings import PrivacyTestSettings, PrivacyTestThresholds

    names = {f.name for f in fields(PrivacyThresholds)}
    assert set(PrivacyTestThresholds.model_fields) == names
    assert set(PrivacyTestSettings.model_fields) == names | {"tables"}
