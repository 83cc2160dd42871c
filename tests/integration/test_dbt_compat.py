"""The emitted tests run unchanged under real dbt (dbt-core + dbt-duckdb), with shive's verdicts.

A dbt project is scaffolded around ``target/tests`` (singular tests + the
``shive_synth`` source yml) by :func:`scaffold_dbt_project`, pointed at the synthetic
DuckDB file or Parquet folder, and ``dbt test`` runs in a subprocess. dbt's
``run_results.json`` must then agree with ``shive test`` test for test.

``emit_and_scaffold`` is the reusable part: give it any manifest, profile and target
config (the example project's, once generated) and it returns a runnable dbt project.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from synthohive_dbt.datatests import emit_tests, run_tests, scaffold_dbt_project, write_tests
from synthohive_dbt.project.model import Manifest
from synthohive_dbt.targets.base import TargetAdapter
from synthohive_dbt.targets.config import TargetConfig
from synthohive_dbt.targets.registry import create_adapter

pytest.importorskip("dbt.adapters.duckdb", reason="needs the dev extra (dbt-core, dbt-duckdb)")
pytestmark = [pytest.mark.dbt, pytest.mark.slow]

DEFECTS = ("parents_deleted", "primary_key_duplicated", "numeric_shifted", "category_share_changed")


def _toyshop() -> Any:
    if "toyshop" not in sys.modules:
        path = Path(__file__).parents[1] / "unit" / "datatests" / "toyshop.py"
        spec = importlib.util.spec_from_file_location("toyshop", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["toyshop"] = module
        spec.loader.exec_module(module)
    return sys.modules["toyshop"]


toyshop = _toyshop()


def emit_and_scaffold(
    manifest: Manifest, profile: dict[str, Any], target_config: TargetConfig, dest: Path
) -> tuple[Path, list[Any]]:
    """Emit the tests into ``<manifest.target_dir>/tests`` and build a dbt project in ``dest``."""
    tests = emit_tests(manifest, profile)
    folder = write_tests(tests, manifest.target_dir, manifest=manifest, target_config=target_config)
    return scaffold_dbt_project(dest, folder, manifest=manifest, target_config=target_config), tests


def dbt_test(project: Path) -> tuple[int, dict[str, str]]:
    """Run ``dbt test`` on ``project``: its exit code and {test name: status} from run_results.json."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
    command = [
        sys.executable, "-m", "dbt.cli.main", "--no-use-colors", "test",
        "--project-dir", str(project), "--profiles-dir", str(project),
    ]
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    results_file = project / "target" / "run_results.json"
    assert results_file.is_file(), f"dbt wrote no run_results.json:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    document = json.loads(results_file.read_text())
    statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in document["results"]}
    return done.returncode, statuses


def shive_statuses(config: TargetConfig, project_dir: Path, tests: list[Any]) -> dict[str, str]:
    adapter: TargetAdapter = create_adapter(config, project_dir)
    with adapter:
        return {r.name: r.status for r in run_tests(adapter, tests).results}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("shop")
    real, good = toyshop.make_data(seed=1), toyshop.make_data(seed=2)
    return {"profile": toyshop.make_profile(toyshop.make_manifest(folder), real), "good": good}


def test_dbt_passes_good_duckdb_output(shop: dict[str, Any], tmp_path: Path) -> None:
    config = toyshop.write_duckdb(tmp_path / "synthetic.duckdb", shop["good"])
    manifest = toyshop.make_manifest(tmp_path)
    project, tests = emit_and_scaffold(manifest, shop["profile"], config, tmp_path / "dbt")
    code, statuses = dbt_test(project)
    assert code == 0
    assert set(statuses) == {t.name for t in tests}
    assert set(statuses.values()) == {"pass"}


def test_dbt_fails_exactly_the_broken_tests_like_shive(shop: dict[str, Any], tmp_path: Path) -> None:
    db = tmp_path / "synthetic.duckdb"
    config = toyshop.write_duckdb(db, shop["good"])
    for defect in DEFECTS:
        toyshop.break_duckdb(db, toyshop.BREAKAGES[defect])
    manifest = toyshop.make_manifest(tmp_path)
    project, tests = emit_and_scaffold(manifest, shop["profile"], config, tmp_path / "dbt")
    code, statuses = dbt_test(project)
    expected = set().union(*(toyshop.BREAKAGES[d].fails for d in DEFECTS))
    assert {name for name, status in statuses.items() if status != "pass"} == expected
    assert statuses["shive_relationships_orders_customer_id_customers"] == "fail"
    assert statuses["shive_unique_customers_customer_id"] == "fail"
    assert statuses["shive_ks_orders_amount"] == "warn"
    assert statuses["shive_tv_customers_segment"] == "warn"
    assert code == 1  # an error-severity test failed
    assert statuses == shive_statuses(config, tmp_path, tests)


def test_dbt_reads_a_parquet_output_through_external_location(shop: dict[str, Any], tmp_path: Path) -> None:
    manifest = toyshop.make_manifest(tmp_path)
    frames = dict(shop["good"])
    frames["customers"] = frames["customers"][frames["customers"]["customer_id"] % 29 != 0]  # orphan some orders
    config = toyshop.write_parquet(tmp_path / "parquet", frames)
    project, tests = emit_and_scaffold(manifest, shop["profile"], config, tmp_path / "dbt")
    code, statuses = dbt_test(project)
    assert {name for name, status in statuses.items() if status != "pass"} == {
        "shive_relationships_orders_customer_id_customers"
    }
    assert code == 1
    assert statuses == shive_statuses(config, tmp_path, tests)
