"""The report's privacy section: exact-match shares and DCR quantiles per table, with verdicts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from synthohive_dbt.datatests import emit_privacy_tests, emit_tests, run_privacy_tests, run_tests
from synthohive_dbt.report import build_report
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter


@pytest.fixture(scope="module")
def built(shop: dict[str, Any], toyshop: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A report over a synthetic copy whose customers are the real rows (a privacy failure)."""
    out = tmp_path_factory.mktemp("privacy_report")
    db = out / "synthetic.duckdb"
    toyshop.write_duckdb(db, {**shop["good"], "customers": shop["real"]["customers"]})
    manifest = toyshop.make_manifest(out)

    def open_real(_: Any) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        for name, frame in shop["real"].items():
            con.register(name, frame)
        return con

    with DuckDBAdapter(DuckDBTarget(path=str(db)), out) as adapter:
        result = run_tests(adapter, emit_tests(manifest, shop["profile"]))
        result.results += run_privacy_tests(manifest, adapter, emit_privacy_tests(manifest), open_real=open_real)
        path = build_report(manifest, shop["profile"], adapter, result, out / "target", sample_rows=300)
    return {"html": path.read_text(), "json": json.loads((out / "target" / "report.json").read_text()),
            "result": result}  # fmt: skip


def _privacy_section(html: str) -> str:
    start = html.index('<h2 id="privacy">')
    return html[start : html.index('<h2 id="tests">')]


def test_json_has_the_privacy_figures_per_table(built: dict[str, Any]) -> None:
    privacy = built["json"]["privacy"]
    assert list(privacy) == ["customers", "orders", "order_lines"]
    customers = privacy["customers"]
    assert customers["exact_match"]["status"] == "fail"
    assert customers["exact_match"]["synthetic_share"] == 1.0
    assert customers["exact_match"]["holdout_share"] == 0.0
    assert customers["dcr"]["status"] == "warn"
    assert set(customers["dcr"]["synthetic"]) >= {"p05", "p25", "p50", "p75"}
    assert privacy["orders"]["exact_match"]["status"] == "pass"
    assert privacy["order_lines"]["dcr"]["closer"]["quantile"] == "zero"


def test_html_shows_shares_quantiles_and_verdicts(built: dict[str, Any]) -> None:
    section = _privacy_section(built["html"])
    text = re.sub(r"\s+", " ", section)
    rows = re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", text)
    assert [name for name, _ in rows] == ["customers", "orders", "order_lines"]
    customers = dict(rows)["customers"]
    assert '<td class="num">100.0%</td><td class="num">0.0%</td>' in customers
    assert ">FAIL</span>" in customers and ">WARN</span>" in customers
    dcr = built["json"]["privacy"]["orders"]["dcr"]
    assert f"{dcr['synthetic']['p50']:.3g} / {dcr['holdout']['p50']:.3g}" in dict(rows)["orders"]
    assert "every real row equals another real row" in text
    assert "<td>shive_exact_match_customers</td>" in built["html"]  # and in the results table


def test_privacy_failure_fails_the_header(built: dict[str, Any]) -> None:
    assert built["json"]["passed"] is False
    assert '<header class="fail">' in built["html"]


def test_no_privacy_results_says_so(shop: dict[str, Any], toyshop: Any, tmp_path: Path) -> None:
    manifest = toyshop.make_manifest(tmp_path)
    with DuckDBAdapter(DuckDBTarget(path=str(shop["db"])), tmp_path) as adapter:
        path = build_report(manifest, shop["profile"], adapter, None, tmp_path / "target", sample_rows=100)
    assert "No privacy test results: run <code>shive test</code> first" in path.read_text()
    assert json.loads((tmp_path / "target" / "report.json").read_text())["privacy"] is None


def test_header_shows_exact_match_and_closest_record_shares_next_to_the_score(built: dict[str, Any]) -> None:
    document = built["json"]
    headline = document["privacy_headline"]
    tables = document["privacy"].values()
    rows = [t["exact_match"]["rows"]["synthetic"] for t in tables]
    shares = [t["exact_match"]["synthetic_share"] for t in tables]
    expected = sum(r * s for r, s in zip(rows, shares)) / sum(rows)
    assert headline["exact_match"]["synthetic_share"] == pytest.approx(expected)
    assert 0 < expected < 1  # customers are copies, the other tables are not: a weighted mean
    assert headline["exact_match"]["status"] == "fail"  # the worst table's verdict
    assert headline["closest_record"]["tables"] == 3
    header = built["html"][built["html"].index("<header") : built["html"].index("</header>")]
    assert "fidelity score" in header and "exact matches" in header and "closest record" in header
    assert f"{expected:.1%}" in header
    closest = headline["closest_record"]["synthetic_share"]
    assert f"{closest:.1%}" in header
