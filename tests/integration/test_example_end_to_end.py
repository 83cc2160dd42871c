"""The bundled example, end to end: ``shive run`` then ``shive report``, then real ``dbt test``.

Epochs are cut to two so the run fits in the suite; integrity holds whatever the
epochs (keys are generated, not learned), so every integrity test must pass.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from synthohive_dbt.cli import cli

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).parents[2] / "examples" / "shop"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example with two epochs per table, after ``shive run`` and ``report``."""
    root = tmp_path_factory.mktemp("example") / "shop"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("target"))
    for name in ("models/schema.yml", "shive_project.yml"):
        path = root / name
        path.write_text(re.sub(r"epochs: \d+", "epochs: 2", path.read_text()))
    runner = CliRunner()
    run = runner.invoke(cli, ["run", "--project-dir", str(root), "--no-progress"])
    assert run.exit_code == 0, run.output[-4000:]
    assert "Done. PASS=" in run.output
    report = runner.invoke(cli, ["report", "--project-dir", str(root)])
    assert report.exit_code == 0, report.output[-4000:]
    return root


def _con(shop: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(shop / "target" / "synthetic.duckdb"), read_only=True)


def _orphans(con: duckdb.DuckDBPyConnection, child: str, column: str, parent: str, key: str) -> int:
    return con.execute(
        f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})"
    ).fetchone()[0]


def test_every_foreign_key_of_the_example_resolves(shop: Path) -> None:
    with _con(shop) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("customers", "products", "promotions", "orders", "order_items")}  # fmt: skip
        assert all(n > 0 for n in counts.values()), counts
        # three levels, a table with two parents, a nullable foreign key
        assert _orphans(con, "orders", "customer_id", "customers", "customer_id") == 0
        assert _orphans(con, "order_items", "order_id", "orders", "order_id") == 0
        assert _orphans(con, "order_items", "product_id", "products", "product_id") == 0
        assert _orphans(con, "orders", "promotion_id", "promotions", "promotion_id") == 0
        null_rate = con.execute("SELECT avg((promotion_id IS NULL)::INT) FROM orders").fetchone()[0]
        dupes = con.execute(
            "SELECT count(*) - count(DISTINCT (order_id, line_no)) FROM order_items"
        ).fetchone()[0]
    with duckdb.connect() as con:
        real = con.execute(
            "SELECT avg((promotion_id IS NULL)::INT) FROM read_parquet(?)",
            [str(EXAMPLE / "data" / "orders.parquet")],
        ).fetchone()[0]
    assert abs(null_rate - real) < 0.05
    assert dupes == 0


def test_integrity_tests_pass_and_results_are_written(shop: Path) -> None:
    results = json.loads((shop / "target" / "run_results.json").read_text())["results"]
    failing = [r["unique_id"] for r in results if r["status"] in ("fail", "error")]
    assert results and not failing
    report = (shop / "target" / "report.html").read_text()
    assert "data:image/png;base64," in report


def test_dbt_runs_the_emitted_tests_on_the_example_output(shop: Path, tmp_path: Path) -> None:
    pytest.importorskip("dbt.adapters.duckdb", reason="needs the dev extra (dbt-core, dbt-duckdb)")
    from test_dbt_compat import dbt_test

    from synthohive_dbt.datatests import scaffold_dbt_project
    from synthohive_dbt.project import load_project
    from synthohive_dbt.project.profiles import target_for_manifest

    manifest = load_project(shop)
    config = target_for_manifest(manifest).config
    project = scaffold_dbt_project(
        tmp_path / "dbt", shop / "target" / "tests", manifest=manifest, target_config=config
    )
    code, statuses = dbt_test(project)
    shive = json.loads((shop / "target" / "run_results.json").read_text())["results"]
    expected = {r["unique_id"].split(".")[-1]: r["status"] for r in shive}
    assert statuses, "dbt ran no test"
    assert not [n for n, s in statuses.items() if s in ("fail", "error")], statuses
    # dbt sees the same tests with the same verdicts as shive test
    assert set(statuses) == set(expected)
    assert code == 0
