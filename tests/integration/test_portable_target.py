"""Train once, generate anywhere: a trained ``target/`` works where the sources are not.

The project is trained where its data is, then copied (with ``target/``) to another
folder that has no ``data/``; there ``shive generate``, ``shive test`` and ``shive
report`` run in fresh processes through the console entry point, from the trained
artifacts and the recorded manifest and profile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

SEGMENTS_CSV = "segment,label\nretail,Retail\nsmb,Small business\nenterprise,Enterprise\n"


def shive(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``shive ARGS`` in a fresh Python process (no state shared with the test)."""
    env = {**os.environ, "HOME": str(cwd / "home")}
    env.pop("SHIVE_PROFILES_DIR", None)
    return subprocess.run(
        [sys.executable, "-c", "from synthohive_dbt.cli import main; main()", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    """The starter project plus a copy table, trained for a few epochs."""
    done = shive("init", "shop", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    root = tmp_path / "shop"
    project = root / "shive_project.yml"
    project.write_text(project.read_text().replace("epochs: 50", "epochs: 3"))
    (root / "data" / "segments.csv").write_text(SEGMENTS_CSV)
    (root / "models" / "segments.sql").write_text("select * from {{ source('raw', 'segments') }}\n")
    schema = root / "models" / "schema.yml"
    schema.write_text(
        schema.read_text()
        .replace("      - name: orders\n", "      - name: orders\n      - name: segments\n", 1)
        .replace(
            "models:\n",
            "models:\n  - name: segments\n    config: {synth: {mode: copy}}\n"
            "    columns:\n      - name: segment\n        constraints: [{type: primary_key}]\n",
            1,
        )
    )
    # never profiled: train profiles what it needs first
    assert not (root / "target" / "profile.json").exists()
    done = shive("train", "--project-dir", str(root), "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "that target/profile.json lacks: customers, orders" in done.stdout + done.stderr
    assert set(json.loads((root / "target" / "profile.json").read_text())["tables"]) >= {
        "customers", "orders"
    }
    return root


def test_generate_test_and_report_work_without_the_sources(trained: Path, tmp_path: Path):
    # the trained project moves to a machine that cannot reach the data
    moved = tmp_path / "elsewhere" / "shop"
    shutil.copytree(trained, moved)
    shutil.rmtree(moved / "data")
    shutil.rmtree(trained)  # not even the old absolute paths are there
    (moved / "target" / "synthetic.duckdb").unlink(missing_ok=True)

    done = shive("generate", "--project-dir", str(moved), "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sources not reachable" in done.stdout + done.stderr
    with duckdb.connect(str(moved / "target" / "synthetic.duckdb"), read_only=True) as con:
        counts = dict(
            con.execute(
                "SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY 1"
            ).fetchall()
        )
        assert set(counts) >= {"customers", "orders", "segments"}
        assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 30
        segments = con.execute("SELECT segment, label FROM segments ORDER BY 1").fetchall()
        assert segments == [("enterprise", "Enterprise"), ("retail", "Retail"),
                            ("smb", "Small business")]  # fmt: skip
        orphans = con.execute(
            "SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) "
            "WHERE c.customer_id IS NULL"
        ).fetchone()[0]
        assert orphans == 0

    done = shive("test", "--project-dir", str(moved), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    results = [r["shive"] for r in json.loads((moved / "target" / "run_results.json").read_text())["results"]]
    by_category: dict[str, set[str]] = {}
    for result in results:
        by_category.setdefault(result["category"], set()).add(result["status"])
    assert by_category["integrity"] == {"pass"}
    assert "pass" in by_category["distribution"]
    privacy = [r for r in results if r["category"] == "privacy"]
    assert privacy and all(r["status"] == "skipped" for r in privacy)
    assert all("real data unavailable" in r["message"] for r in privacy)

    required = shive("test", "--project-dir", str(moved), "--require-privacy", cwd=tmp_path)
    assert required.returncode == 1, required.stdout + required.stderr
    results = [r["shive"] for r in json.loads((moved / "target" / "run_results.json").read_text())["results"]]
    assert {r["status"] for r in results if r["category"] == "privacy"} == {"error"}

    done = shive("report", "--project-dir", str(moved), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((moved / "target" / "report.json").read_text())
    assert {"customers", "orders"} <= set(report["tables"])


def test_without_a_recorded_manifest_the_missing_source_is_the_error(trained: Path, tmp_path: Path):
    shutil.rmtree(trained / "data")
    (trained / "target" / "manifest.json").unlink()
    done = shive("generate", "--project-dir", str(trained), cwd=tmp_path)
    assert done.returncode == 1
    assert "file not found" in done.stdout + done.stderr
    assert "train where the sources are" in done.stdout + done.stderr
