"""Running the tests on DuckDB: good output passes, each defect fails exactly its tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import toyshop

from synthohive_dbt.datatests import (
    emit_tests,
    failures_table,
    format_result_line,
    format_summary,
    load_run_results,
    run_tests,
    write_run_results,
)
from synthohive_dbt.project.model import Manifest
from synthohive_dbt.targets.duckdb import DuckDBAdapter

Opener = Callable[[Path], DuckDBAdapter]


def not_passing(result) -> set[str]:
    return {r.name for r in result.results if r.status != "pass"}


def test_good_output_passes_every_test(manifest: Manifest, profile: dict, good_db: Path, open_adapter: Opener) -> None:
    tests = emit_tests(manifest, profile)
    result = run_tests(open_adapter(good_db), tests)
    assert not_passing(result) == set()
    assert result.success and result.exit_code == 0
    assert result.counts["pass"] == len(tests)
    assert 0.9 < result.fidelity_score <= 1.0
    assert set(result.tables) == {"customers", "orders", "order_lines"}


@pytest.mark.parametrize("defect", sorted(toyshop.BREAKAGES))
def test_each_defect_fails_exactly_its_tests(
    defect: str, manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener
) -> None:
    result = run_tests(open_adapter(broken_db(defect)), emit_tests(manifest, profile))
    assert not_passing(result) == toyshop.BREAKAGES[defect].fails
    integrity_failed = any(r.status == "fail" for r in result.results)
    assert result.exit_code == (1 if integrity_failed else 0)


def test_distribution_failures_are_warnings_with_statistics(
    manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener
) -> None:
    result = run_tests(open_adapter(broken_db("numeric_shifted")), emit_tests(manifest, profile))
    ks = result.by_name()["shive_ks_orders_amount"]
    assert ks.status == "warn" and ks.failures == 1
    assert ks.statistic > ks.threshold == 0.2
    assert ks.details["failed"] is True and "statistic" in ks.message
    moments = result.by_name()["shive_moments_orders_amount"]
    assert moments.details["statistic"] > 0.9  # shifted by ~1.06 real std
    assert result.exit_code == 0  # warnings do not fail the run
    good = run_tests(open_adapter(broken_db("check_violated")), emit_tests(manifest, profile))
    assert result.tables["orders"].score < good.tables["orders"].score


def test_project_thresholds_change_verdicts(
    manifest: Manifest, profile: dict, good_db: Path, open_adapter: Opener
) -> None:
    strict = {"ks_threshold": 0.001, "tvd_threshold": 0.001, "severity": {"distribution": "error"}}
    result = run_tests(open_adapter(good_db), emit_tests(manifest, profile, settings=strict))
    failed = {r.name for r in result.results if r.status == "fail"}
    assert "shive_ks_orders_amount" in failed and "shive_tv_customers_segment" in failed
    assert not any(n.startswith(("shive_moments", "shive_null_rate")) for n in failed)
    assert result.exit_code == 1


def test_column_threshold_overrides_project(
    manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener
) -> None:
    amount = manifest.tables["orders"].column("amount")
    amount.synth = {"ks_threshold": 0.9, "mean_tolerance": 2.0}
    result = run_tests(open_adapter(broken_db("numeric_shifted")), emit_tests(manifest, profile))
    assert not_passing(result) == set()


def test_distribution_false_turns_tests_off(manifest: Manifest, profile: dict) -> None:
    manifest.tables["customers"].column("segment").synth = {"distribution": False}
    names = {t.name for t in emit_tests(manifest, profile)}
    assert "shive_tv_customers_segment" not in names
    assert "shive_accepted_values_customers_segment" in names  # integrity stays
    off = emit_tests(manifest, profile, settings={"distribution": False})
    assert {t.category for t in off} == {"integrity"}


def test_integrity_severity_warn_keeps_exit_code_zero(
    manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener
) -> None:
    tests = emit_tests(manifest, profile, settings={"severity": {"integrity": "warn"}})
    result = run_tests(open_adapter(broken_db("primary_key_duplicated")), tests)
    assert result.by_name()["shive_unique_customers_customer_id"].status == "warn"
    assert result.exit_code == 0


def test_store_failures_keeps_failing_rows_and_drops_them_when_fixed(
    manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener
) -> None:
    adapter = open_adapter(broken_db("primary_key_duplicated"))
    tests = emit_tests(manifest, profile)
    result = run_tests(adapter, tests, store_failures=True)
    table = failures_table("shive_unique_customers_customer_id")
    assert result.by_name()["shive_unique_customers_customer_id"].failures_table == table
    rows = adapter.query(f"SELECT customer_id, n_records FROM {adapter.relation(table)}").to_pylist()
    assert rows == [{"customer_id": 3, "n_records": 2}]
    assert not adapter.table_exists(failures_table("shive_unique_orders_order_id"))
    adapter.execute("DELETE FROM main.customers WHERE rowid = (SELECT max(rowid) FROM main.customers)")
    run_tests(adapter, tests, store_failures=True)
    assert not adapter.table_exists(table)


def test_fail_fast_skips_the_rest(
    manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener
) -> None:
    tests = emit_tests(manifest, profile)
    seen: list[tuple[str, int, int]] = []
    result = run_tests(
        open_adapter(broken_db("primary_key_duplicated")), tests, fail_fast=True,
        on_result=lambda r, i, n: seen.append((r.status, i, n)),
    )
    assert [s for s, _, _ in seen[:2]] == ["fail", "skipped"]
    assert result.counts["skipped"] == len(tests) - 1
    assert seen[-1][1:] == (len(tests), len(tests))


def test_missing_table_is_an_error_result(manifest: Manifest, profile: dict, good_db: Path, open_adapter: Opener, tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    result = run_tests(open_adapter(empty), emit_tests(manifest, profile)[:3])
    assert {r.status for r in result.results} == {"error"}
    assert "does not exist" in result.results[0].message
    assert result.exit_code == 1


def test_bad_check_expression_errors_at_run_time_without_stopping(
    manifest: Manifest, profile: dict, good_db: Path, open_adapter: Opener
) -> None:
    from synthohive_dbt.project.model import CheckConstraint

    manifest.tables["customers"].checks.append(CheckConstraint("no_such_column > 0"))
    result = run_tests(open_adapter(good_db), emit_tests(manifest, profile))
    errored = [r for r in result.results if r.status == "error"]
    assert [r.name for r in errored] == ["shive_check_customers_2"]
    assert result.counts["pass"] == len(result.results) - 1


def test_run_results_round_trip(
    manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener, tmp_path: Path
) -> None:
    result = run_tests(open_adapter(broken_db("parents_deleted")), emit_tests(manifest, profile))
    path = write_run_results(result, tmp_path / "target" / "run_results.json", project_name="toyshop")
    document = json.loads(path.read_text())
    entry = next(r for r in document["results"] if r["unique_id"].endswith("relationships_orders_customer_id_customers"))
    assert entry["unique_id"] == "test.toyshop.shive_relationships_orders_customer_id_customers"
    assert entry["status"] == "fail" and entry["failures"] > 0
    assert document["summary"]["fidelity_score"] == pytest.approx(result.fidelity_score)
    assert document["summary"]["tables"]["orders"]["counts"]["fail"] == 1
    loaded = load_run_results(path)
    assert loaded.counts == result.counts
    assert loaded.fidelity_score == pytest.approx(result.fidelity_score)


def test_console_lines_look_like_dbt(manifest: Manifest, profile: dict, broken_db: Callable[[str], Path], open_adapter: Opener) -> None:
    result = run_tests(open_adapter(broken_db("primary_key_duplicated")), emit_tests(manifest, profile))
    failing = result.by_name()["shive_unique_customers_customer_id"]
    line = format_result_line(failing, 1, 40)
    assert line.startswith("1 of 40 FAIL 1 shive_unique_customers_customer_id ")
    assert line.endswith("s]") and "[FAIL 1 in " in line
    summary = format_summary(result)
    assert summary[-1] == f"Done. PASS={len(result.results) - 1} WARN=0 ERROR=1 SKIP=0 TOTAL={len(result.results)}"
    assert any(s.startswith("customers: PASS=") and "FAIL=1" in s for s in summary)
    assert any(s.startswith("Fidelity score: ") for s in summary)
