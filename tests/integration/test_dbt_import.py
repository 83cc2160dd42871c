"""The proof of ``shive init --from-dbt``: a dbt project runs unchanged on synthetic data.

tests/data/dbt_shop is a dbt project written the usual way (raw tables in a DuckDB
file, staging models that rename, marts that join, tests on staging and marts). The
test builds it on the real data with dbt, then runs the three commands of docs/dbt.md:

    shive init shopsynth --from-dbt dbt
    shive run --project-dir shopsynth
    dbt build --project-dir dbt --profiles-dir shopsynth/target/dbt --target shive

and checks that the keys were found through the renames, that every dbt test passes on
the synthetic data, that the row counts follow the settings and that the real DuckDB
file is byte for byte what it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from click.testing import CliRunner
from dbtshop import ROWS, copy_project

from synthohive_dbt.cli import cli

pytest.importorskip("dbt.adapters.duckdb", reason="needs the dev extra (dbt-core, dbt-duckdb)")
pytestmark = [pytest.mark.dbt, pytest.mark.slow]


def dbt(project: Path, *args: str) -> tuple[int, dict[str, str], str]:
    """Run dbt in ``project``: exit code, {node: status} of run_results.json, output."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
    env.pop("DBT_PROFILES_DIR", None)
    command = [sys.executable, "-m", "dbt.cli.main", "--no-use-colors", *args,
               "--project-dir", str(project)]  # fmt: skip
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout[-6000:] + done.stderr[-2000:]
    results = project / "target" / "run_results.json"
    assert results.is_file(), output
    document = json.loads(results.read_text())
    return done.returncode, {r["unique_id"]: r["status"] for r in document["results"]}, output


def shive(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def columns(schema: dict[str, Any], model: str) -> dict[str, dict[str, Any]]:
    entry = next(m for m in schema["models"] if m["name"] == model)
    return {c["name"]: c for c in entry.get("columns", [])}


def count(database: Path, relation: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return int(con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0])


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHIVE_PROFILES_DIR", "DBT_PROFILES_DIR", "DBT_SHOP_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def test_a_dbt_project_builds_and_passes_its_tests_on_synthetic_data(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "dbt")
    real = project / "shop.duckdb"
    code, real_statuses, output = dbt(project, "build", "--profiles-dir", str(project))
    assert code == 0, output
    real_tests = {k for k in real_statuses if k.startswith("test.")}
    assert len(real_tests) == 20 and set(real_statuses.values()) <= {"pass", "success"}
    before = digest(real)

    # 1. import: the manifest dbt build wrote is read, keys are traced through the renames
    shive("init", "shopsynth", "--from-dbt", str(project))
    synth = tmp_path / "shopsynth"
    info = yaml.safe_load((synth / "from_dbt.yml").read_text())
    assert info["read_from"] == "target/manifest.json"
    schema = yaml.safe_load((synth / "models" / "schema.yml").read_text())
    customers, orders, payments = (columns(schema, m) for m in ("customers", "orders", "payments"))
    assert customers["id"]["constraints"] == [{"type": "primary_key"}]  # stg: id as customer_id
    assert orders["id"]["constraints"] == [{"type": "primary_key"}]  # CTE: id as order_id
    assert {"type": "foreign_key", "to": "ref('customers')", "to_columns": ["id"]} in orders["user_id"]["constraints"]
    assert {"type": "foreign_key", "to": "ref('orders')", "to_columns": ["id"]} in payments["order_id"]["constraints"]
    assert {"type": "not_null"} in orders["ordered_on"]["constraints"]  # mart orders.order_date
    assert customers["tier"]["data_tests"] == [{"accepted_values": {"values": ["bronze", "silver", "gold"]}}]
    assert payments["method"]["data_tests"] == [{"accepted_values": {"values": ["card", "voucher", "transfer"]}}]
    reasons = {f["check"]: f["reason"] for f in info["not_traced"]}
    assert reasons == {
        "test not_null on customers.number_of_orders":
            "customers.number_of_orders is computed as COALESCE(orders.number_of_orders, 0)",
        "test not_null on stg_orders.amount": "stg_orders.amount is computed as source.amount_cents / 100.0",
    }
    profiles = yaml.safe_load((synth / "profiles.yml").read_text())
    assert profiles["shopsynth"]["outputs"]["dev"]["relations"] == {
        "customers": "raw.customers", "orders": "raw.order_headers", "payments": "raw.payments"}

    # 2. shive run, with tiny training and half the real customers
    config = yaml.safe_load((synth / "shive_project.yml").read_text())
    config["synth"] = {"epochs": 2, "batch_size": 100, "scale": 0.5}
    (synth / "shive_project.yml").write_text(yaml.safe_dump(config))
    shive("run", "--project-dir", str(synth), "--no-progress")
    synthetic = synth / "target" / "synthetic" / "shop.duckdb"
    dbt_profiles = yaml.safe_load((synth / "target" / "dbt" / "profiles.yml").read_text())
    assert dbt_profiles["dbt_shop"]["outputs"]["shive"]["path"] == str(synthetic.resolve())
    assert dbt_profiles["dbt_shop"]["outputs"]["dev"]["path"] == "{{ env_var('DBT_SHOP_DB', 'shop.duckdb') }}"
    assert count(synthetic, "raw.customers") == ROWS["customers"] // 2
    synthetic_orders = count(synthetic, "raw.order_headers")
    assert 0.5 * ROWS["order_headers"] / 2 <= synthetic_orders <= 1.5 * ROWS["order_headers"] / 2

    # 3. the user's dbt project, unchanged, on the synthetic data
    code, statuses, output = dbt(project, "build", "--profiles-dir", str(synth / "target" / "dbt"),
                                 "--target", "shive")  # fmt: skip
    assert code == 0, output
    assert {k for k in statuses if k.startswith("test.")} == real_tests
    assert set(statuses.values()) <= {"pass", "success"}, statuses
    assert count(synthetic, "main.customers") == ROWS["customers"] // 2  # the mart read synthetic rows
    assert count(synthetic, "main.orders") == synthetic_orders
    assert digest(real) == before
    assert count(real, "raw.customers") == ROWS["customers"]


def test_a_seed_used_as_raw_data_keeps_its_synthetic_table_when_dbt_builds(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "dbt")
    (project / "seeds").mkdir()
    (project / "seeds" / "payment_methods.csv").write_text(
        "method,label\ncard,Card\nvoucher,Voucher\ntransfer,Bank transfer\n")
    (project / "models" / "marts" / "payment_labels.sql").write_text(
        "select p.payment_id, m.label from {{ ref('stg_payments') }} p\n"
        "join {{ ref('payment_methods') }} m on m.method = p.payment_method\n")
    (project / "models" / "marts" / "labels.yml").write_text(
        "version: 2\nmodels:\n  - name: payment_labels\n    columns:\n      - name: label\n"
        "        data_tests: [not_null, {accepted_values: {values: [Card, Voucher, Bank transfer]}}]\n")
    code, _, output = dbt(project, "build", "--profiles-dir", str(project))
    assert code == 0, output

    shive("init", "shopsynth", "--from-dbt", str(project))
    synth = tmp_path / "shopsynth"
    info = yaml.safe_load((synth / "from_dbt.yml").read_text())
    assert info["seeds_as_raw_data"] == ["payment_methods"]
    schema = yaml.safe_load((synth / "models" / "schema.yml").read_text())
    labels = columns(schema, "payment_methods")["label"]
    assert labels["data_tests"] == [{"accepted_values": {"values": ["Card", "Voucher", "Bank transfer"]}}]
    assert {"type": "not_null"} in labels["constraints"]
    config = yaml.safe_load((synth / "shive_project.yml").read_text())
    config["synth"] = {"epochs": 2, "batch_size": 100}
    (synth / "shive_project.yml").write_text(yaml.safe_dump(config))
    output = shive("run", "--project-dir", str(synth), "--no-progress")
    assert "--exclude resource_type:seed" in output

    synthetic = synth / "target" / "synthetic" / "shop.duckdb"
    with duckdb.connect(str(synthetic), read_only=True) as con:
        generated = sorted(con.execute("SELECT * FROM main.payment_methods").fetchall())
    code, statuses, output = dbt(project, "build", "--profiles-dir", str(synth / "target" / "dbt"),
                                 "--target", "shive", "--exclude", "resource_type:seed")  # fmt: skip
    assert code == 0, output
    assert not any(k.startswith("seed.") for k in statuses)
    assert set(statuses.values()) <= {"pass", "success"}, statuses
    with duckdb.connect(str(synthetic), read_only=True) as con:
        assert sorted(con.execute("SELECT * FROM main.payment_methods").fetchall()) == generated
        joined = con.execute("SELECT count(*) FROM main.payment_labels").fetchone()[0]
    assert joined > 0  # the mart joined the synthetic payments to the synthetic seed
