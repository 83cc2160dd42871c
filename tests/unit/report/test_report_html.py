"""report.html and report.json: verdict, score, plots, test table, no real rows."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from synthohive_dbt.datatests import emit_tests, run_tests
from synthohive_dbt.report import build_report
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter
from synthohive_dbt.targets.parquet import ParquetAdapter

PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def built(shop: dict[str, Any], toyshop: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("report")
    manifest = toyshop.make_manifest(out)
    with DuckDBAdapter(DuckDBTarget(path=str(shop["db"])), out) as adapter:
        result = run_tests(adapter, emit_tests(manifest, shop["profile"]))
        path = build_report(manifest, shop["profile"], adapter, result, out / "target", sample_rows=500)
    return {
        "path": path, "html": path.read_text(), "json": json.loads((out / "target" / "report.json").read_text()),
        "result": result,
    }


def test_html_is_self_contained_with_a_failing_header(built: dict[str, Any]) -> None:
    html = built["html"]
    assert built["path"].name == "report.html"
    assert '<header class="fail">' in html and "FAIL · toyshop" in html
    assert f"{built['result'].fidelity_score:.3g}" in html
    assert "<style>" in html
    assert not re.search(r'(src|href)="(https?:|//)', html)  # nothing fetched from elsewhere


def test_html_has_valid_png_plots_for_columns_correlations_and_keys(built: dict[str, Any]) -> None:
    images = PNG.findall(built["html"])
    # 5 customers + 3 orders + 1 order_lines columns, 2 heatmaps, 2 foreign keys
    assert len(images) == 13
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "Correlations" in built["html"] and "Children per parent" in built["html"]


def test_html_lists_every_test_result(built: dict[str, Any]) -> None:
    html = built["html"]
    for result in built["result"].results:
        assert f"<td>{result.name}</td>" in html
    assert '<span class="status fail">FAIL</span></td><td>shive_unique_customers_customer_id</td>' in html
    assert '<span class="status warn">WARN</span></td><td>shive_ks_orders_amount</td>' in html


def test_json_has_verdict_score_and_aggregates(built: dict[str, Any]) -> None:
    document = built["json"]
    assert document["passed"] is False
    assert document["fidelity_score"] == pytest.approx(built["result"].fidelity_score)
    amount = document["tables"]["orders"]["columns"]["amount"]
    assert amount["synthetic"]["mean"] > amount["real"]["mean"] + 40  # the shift is visible
    assert {t["name"]: t["status"] for t in amount["tests"]}["shive_ks_orders_amount"] == "warn"
    fk = document["tables"]["orders"]["foreign_keys"]["customer_id__customers"]
    assert sum(fk["synthetic_histogram"].values()) == 601  # one duplicated customer row
    assert document["tables"]["customers"]["correlations"]["columns"] == ["age", "income"]
    assert len(document["tests"]) == len(built["result"].results)


def test_no_real_row_reaches_the_report(built: dict[str, Any], shop: dict[str, Any]) -> None:
    text = built["html"] + json.dumps(built["json"])
    assert "example.com" not in text  # the PII column's values
    incomes = [f"{v:.2f}" for v in shop["real"]["customers"]["income"].head(50)]
    profile = json.dumps(shop["profile"])
    assert not [v for v in incomes if v in text and v not in profile]


def test_report_without_tests_and_with_a_missing_table(shop: dict[str, Any], toyshop: Any, tmp_path: Path) -> None:
    db = tmp_path / "partial.duckdb"
    toyshop.write_duckdb(db, {"customers": shop["good"]["customers"]})
    manifest = toyshop.make_manifest(tmp_path)
    with DuckDBAdapter(DuckDBTarget(path=str(db)), tmp_path) as adapter:
        path = build_report(manifest, shop["profile"], adapter, None, tmp_path / "target", sample_rows=200)
    html = path.read_text()
    assert "NOT TESTED" in html and "run <code>shive test</code>" in html
    assert "synthetic data unavailable: table orders does not exist" in html
    document = json.loads((tmp_path / "target" / "report.json").read_text())
    assert document["passed"] is None and document["fidelity_score"] is None
    assert document["tables"]["orders"]["error"].startswith("table orders does not exist")


def test_report_reads_a_parquet_target(shop: dict[str, Any], toyshop: Any, tmp_path: Path) -> None:
    config = toyshop.write_parquet(tmp_path / "parquet", shop["good"])
    manifest = toyshop.make_manifest(tmp_path)
    with ParquetAdapter(config, tmp_path) as adapter:
        result = run_tests(adapter, emit_tests(manifest, shop["profile"]))
        path = build_report(manifest, shop["profile"], adapter, result, tmp_path / "target", sample_rows=300)
    assert result.success
    assert '<header class="pass">' in path.read_text()
