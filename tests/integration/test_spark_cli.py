"""The real CLI on Spark: ``shive run -t spark``, ``shive test``, ``shive generate`` again.

A small shop (customers and products as roots; orders under customers with a nullable
foreign key to products, so a table with two parents; ``customer_ltv`` derived by SQL)
is read from Parquet files, profiled and trained with one epoch on DuckDB, and
generated on Spark: every learned table through the orchestrator's distributed hook,
checked there by ``verify_table``, the derived model built by Spark SQL, and the
emitted tests transpiled to Spark SQL by sqlglot. The Hive tables are then read back.

The same trained project is then generated over Spark Connect (a real Connect server
inside the run's session): distributed with the model inline in the plan, giving the
classic path's rows, and, when the model is too large for one plan, by the local path
writing through the target.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sparkshop import SCHEMA_YML as SHOP_SCHEMA
from sparkshop import shop_data
from sparkshop import write_shop as shop_files

from synthohive_dbt.cli import cli
from synthohive_dbt.generate import generate_project
from synthohive_dbt.project import load_project
from synthohive_dbt.spark.config import SparkTarget
from synthohive_dbt.targets.spark import SparkAdapter

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DATABASE = "cli_shop"
CUSTOMERS = 150
KEYS = {"customers": "customer_id", "products": "product_id", "orders": "order_id"}

SCHEMA_YML = SHOP_SCHEMA + """
  - name: customer_ltv
    columns:
      - name: customer_id
        constraints:
          - {type: primary_key}
          - {type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}
      - name: order_count
        constraints: [{type: check, expression: "order_count >= 0"}]
"""

LTV_SQL = """
{{ config(materialized='derived') }}
select
    c.customer_id,
    c.segment,
    count(o.order_id) as order_count,
    coalesce(sum(o.amount), 0) as lifetime_value
from {{ ref('customers') }} as c
left join {{ ref('orders') }} as o on o.customer_id = c.customer_id
group by c.customer_id, c.segment
"""


def write_shop(root: Path, spark_root: Path) -> Path:
    """The project; its spark target names the run's shared warehouse and metastore
    (Spark fixes both when it starts, and the CLI joins the running session)."""
    profiles = f"""
    cli_shop:
      target: dev
      outputs:
        dev: {{type: duckdb, path: target/synthetic.duckdb}}
        spark:
          type: spark
          method: session
          master: "local[2]"
          hive_support: true
          database: {DATABASE}
          warehouse_dir: "{spark_root / "warehouse"}"
          metastore_dir: "{spark_root / "metastore"}"
          conf: {{spark.sql.shuffle.partitions: "2"}}
    """
    files = {
        # distribution tests on Spark are test_spark_pipeline's; integrity tests are all here
        "shive_project.yml": "name: cli_shop\nprofile: cli_shop\nseed: 11\n"
        "synth: {epochs: 1, batch_size: 100}\ndata_tests: {distribution: false}\n",
        "profiles.yml": profiles,
        "models/schema.yml": SCHEMA_YML,
        "models/customer_ltv.sql": LTV_SQL,
    }
    data = shop_data(
        np.random.default_rng(2),
        customers=CUSTOMERS,
        products=30,
        premium_orders=3.0,
        no_product_share=0.15,
    )
    return shop_files(root, files, data)


def shive(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output[-6000:]
    return result.output


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, spark_root: Path, spark):
    """The shop after ``shive run -t spark`` and ``shive test --target spark``:
    (project folder, output of run, output of test)."""
    root = write_shop(tmp_path_factory.mktemp("cli_shop"), spark_root)
    ran = shive("run", "--project-dir", str(root), "--profiles-dir", str(root), "-t", "spark",
                "--no-progress")  # fmt: skip
    tested = shive("test", "--project-dir", str(root), "--profiles-dir", str(root),
                   "--target", "spark")  # fmt: skip
    return root, ran, tested


def table(spark, name: str) -> pd.DataFrame:
    return spark.table(f"{DATABASE}.{name}").toPandas()


def ordered(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.sort_values(KEYS[name]).reset_index(drop=True)


def orphans(spark, child: str, column: str, parent: str, key: str, database=DATABASE) -> int:
    return spark.sql(
        f"SELECT count(*) FROM {database}.{child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {database}.{parent} p WHERE p.{key} = c.{column})"
    ).collect()[0][0]


def test_run_generates_every_table_on_spark_with_intact_keys(shop, spark):
    root, ran, _ = shop

    tables = {t.name for t in spark.catalog.listTables(DATABASE)}
    customers, orders = table(spark, "customers"), table(spark, "orders")
    ltv = table(spark, "customer_ltv")

    assert "generated customers" in ran and "built derived customer_ltv" in ran
    # every learned table went through the orchestrator's distributed hook
    for name in ("customers", "products", "orders"):
        assert f"{name}: generating on Spark in parallel parts: the model" in ran
        assert f"{name}: {len(table(spark, name))} rows in 2 parts on Spark" in ran
    assert "ERROR=0" in ran
    assert {"customers", "products", "orders", "customer_ltv"} <= tables
    assert len(customers) == CUSTOMERS and len(table(spark, "products")) == 30
    assert len(orders) > CUSTOMERS  # children follow the count model, not --rows
    for frame, key in ((customers, "customer_id"), (orders, "order_id")):
        assert frame[key].notna().all() and frame[key].is_unique
    assert sorted(customers["customer_id"]) == list(range(1, CUSTOMERS + 1))
    assert customers["email"].is_unique
    # 100% foreign key integrity, the nullable key included (and some of it null)
    assert orphans(spark, "orders", "customer_id", "customers", "customer_id") == 0
    assert orphans(spark, "orders", "product_id", "products", "product_id") == 0
    assert orders["customer_id"].notna().all()
    assert 0 < orders["product_id"].isna().mean() < 0.5
    # the derived model was computed by Spark SQL from the synthetic tables
    assert len(ltv) == CUSTOMERS and ltv["order_count"].sum() == len(orders)
    assert (root / "target/models/orders/model.pt").is_file()


def test_emitted_tests_pass_on_spark(shop):
    root, _, tested = shop
    results = json.loads((root / "target/run_results.json").read_text())["results"]
    by_status: dict[str, list[str]] = {}
    for r in results:
        by_status.setdefault(r["status"], []).append(r["unique_id"])

    assert "ERROR=0" in tested
    assert not by_status.get("error") and not by_status.get("fail"), by_status
    ran = " ".join(r["unique_id"] for r in results)
    for kind in ("relationships", "unique", "not_null", "accepted_values", "check"):
        assert kind in ran, kind
    sql = "\n".join(p.read_text() for p in (root / "target/tests").rglob("*.sql"))
    assert sql  # the emitted files are there for dbt too


def test_generate_again_with_the_same_seed_gives_the_same_rows(shop, spark):
    root, _, _ = shop
    before = {n: table(spark, n) for n in ("customers", "products", "orders")}

    out = shive("generate", "--project-dir", str(root), "--profiles-dir", str(root), "-t", "spark",
                "--seed", "11", "--no-progress")  # fmt: skip

    assert "ERROR=0" in out
    for name, frame in before.items():
        pd.testing.assert_frame_equal(ordered(frame, name), ordered(table(spark, name), name))


# ---- Spark Connect ---------------------------------------------------------------------------
def connect_target(spark, spark_connect, root: Path, database: str, copied: list[str]):
    """A Connect target on ``database`` holding copies of the classic run's ``copied`` tables."""
    session, url = spark_connect
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
    for name in copied:
        spark.table(f"{DATABASE}.{name}").write.mode("overwrite").saveAsTable(f"{database}.{name}")
    adapter = SparkAdapter(SparkTarget(method="connect", connect_url=url, database=database),
                           root, session=session)  # fmt: skip
    adapter.connect()
    return adapter


def test_over_spark_connect_the_model_travels_inline_and_gives_the_classic_rows(
    shop, spark, spark_connect, caplog
):
    root, _, _ = shop
    manifest = load_project(root, target="spark")
    adapter = connect_target(spark, spark_connect, root, "cli_connect", copied=["products"])

    with caplog.at_level(logging.INFO, logger="synthohive_dbt"):
        results = generate_project(manifest, adapter, seed=manifest.seed, progress=False,
                                   tables=["customers", "orders"])  # fmt: skip

    assert [r.status for r in results] == ["generated"] * 2
    assert "orders: generating on Spark in parallel parts: Spark Connect has no" in caplog.text
    for name in ("customers", "orders"):  # the same seed, the same parts: the same rows
        remote = spark.table(f"cli_connect.{name}").toPandas()
        pd.testing.assert_frame_equal(ordered(table(spark, name), name), ordered(remote, name))


def test_over_spark_connect_a_model_too_large_for_a_plan_is_generated_locally(
    shop, spark, spark_connect, caplog, monkeypatch
):
    from synthohive_dbt.spark import connect

    root, _, _ = shop
    manifest = load_project(root, target="spark")
    adapter = connect_target(spark, spark_connect, root, "cli_connect_local",
                             copied=["customers", "products"])  # fmt: skip
    monkeypatch.setattr(connect, "CONNECT_INLINE_LIMIT", 1024)  # no model fits in a plan

    with caplog.at_level(logging.INFO, logger="synthohive_dbt"):
        results = generate_project(manifest, adapter, seed=manifest.seed, progress=False,
                                   tables=["orders"])  # fmt: skip

    assert [r.status for r in results] == ["generated"]
    assert results[0].chunks >= 1  # the local path's chunks, not Spark parts
    local = "orders: generating on the driver (local path), writing through the Spark target"
    assert local in caplog.text
    assert "exceed the 1.0 KiB one Spark Connect plan may carry" in caplog.text
    assert "parts on Spark" not in caplog.text
    orders = spark.table("cli_connect_local.orders").toPandas()
    assert len(orders) == results[0].rows > CUSTOMERS and orders["order_id"].is_unique
    for column, parent in (("customer_id", "customers"), ("product_id", "products")):
        assert orphans(spark, "orders", column, parent, column, database="cli_connect_local") == 0
