"""Distributed generation on a real local Spark (``local[2]``, Hive metastore under tmp).

A three-table shop (customers -> orders <- products) is trained once with tiny epochs
on DuckDB, then every table is generated on Spark in parallel parts with
``generate_table_distributed``. The tests check what the local path guarantees:
dense unique keys, foreign keys that all resolve, unique fakes across parts, the
emitted SQL tests passing on Spark SQL, the same seed giving the same rows, and the
same distributions as a local run of the same model.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from sparkshop import SCHEMA_YML as SHOP_SCHEMA
from sparkshop import shop_data
from sparkshop import write_shop as shop_files

from synthohive_dbt.datatests import DISTRIBUTION_KINDS, emit_tests, filter_tests, run_tests
from synthohive_dbt.errors import ConstraintViolation, GenerationError
from synthohive_dbt.generate import generate_project
from synthohive_dbt.profiling import profile_project
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.project.model import CheckConstraint
from synthohive_dbt.spark import generate_table_distributed
from synthohive_dbt.spark.config import SparkTarget
from synthohive_dbt.spark.partition import (
    PART,
    ROW,
    PartitionJob,
    generate_parts,
    spark_safe_schema,
)
from synthohive_dbt.spark.shipping import Shipment, ShippedModel
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter
from synthohive_dbt.targets.spark import SparkAdapter
from synthohive_dbt.training.trainer import table_seed, train_project

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java on PATH"),
]

SEED = 5
CUSTOMERS = 400

SCHEMA_YML = SHOP_SCHEMA + "      - name: quantity\n"


def write_shop(root: Path) -> Path:
    files = {
        "shive_project.yml": "name: sparkshop\nseed: 3\nsynth: {epochs: 1, batch_size: 100}\n",
        "models/schema.yml": SCHEMA_YML,
    }
    data = shop_data(
        np.random.default_rng(0),
        customers=CUSTOMERS,
        products=40,
        premium_orders=4.0,
        no_product_share=0.1,
        quantity=True,
    )
    return shop_files(root, files, data)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """The shop, profiled and trained (1 epoch) on DuckDB: (manifest, profile)."""
    root = write_shop(tmp_path_factory.mktemp("sparkshop"))
    manifest = load_project(root)
    con = open_real_connection(manifest)
    try:
        profile = profile_project(manifest, con, progress=False)
        train_project(manifest, con, profile, seed=SEED, progress=False)
    finally:
        con.close()
    return manifest, profile


def spark_target(spark, root: Path, database: str) -> SparkAdapter:
    adapter = SparkAdapter(SparkTarget(database=database), root, session=spark)
    adapter.connect()
    return adapter


def generate_all(adapter: SparkAdapter, manifest, seed: int = SEED) -> dict[str, int]:
    """Every table on Spark, parents first (what the orchestrator's hook will do)."""
    rows = {"customers": CUSTOMERS, "products": 40}
    written = {}
    for table in manifest.synth_tables():
        written[table.name] = generate_table_distributed(
            adapter,
            manifest,
            table,
            rows=rows.get(table.name),
            seed=table_seed(seed, table),
            partitions=2,
        )
    return written


@pytest.fixture(scope="module")
def generated(trained, spark, tmp_path_factory):
    manifest, _ = trained
    adapter = spark_target(spark, tmp_path_factory.mktemp("out"), "dist_shop")
    return adapter, generate_all(adapter, manifest)


def frame(adapter: SparkAdapter, sql: str) -> pd.DataFrame:
    return adapter.query(sql).to_pandas()


def test_keys_are_dense_unique_and_every_foreign_key_resolves(trained, generated):
    manifest, _ = trained
    adapter, written = generated
    customers, orders = adapter.relation("customers"), adapter.relation("orders")

    assert written["customers"] == CUSTOMERS and written["products"] == 40
    assert written["orders"] > CUSTOMERS  # about 1.9 orders per customer
    for name, key in (
        ("customers", "customer_id"),
        ("products", "product_id"),
        ("orders", "order_id"),
    ):
        stats = frame(adapter, f"SELECT min({key}) AS lo, max({key}) AS hi, count(DISTINCT {key}) AS n, "
                               f"count(*) AS rows FROM {adapter.relation(name)}")  # fmt: skip
        # keys are re-numbered globally after the parts: 1..N with no gap or repeat
        assert stats.to_dict("records") == [{"lo": 1, "hi": written[name], "n": written[name],
                                             "rows": written[name]}]  # fmt: skip
    orphans = frame(adapter, f"SELECT count(*) AS n FROM {orders} o LEFT ANTI JOIN {customers} c "
                             "ON o.customer_id = c.customer_id")  # fmt: skip
    product_orphans = frame(adapter, f"SELECT count(*) AS n FROM {orders} o LEFT ANTI JOIN "
                                     f"{adapter.relation('products')} p ON o.product_id = p.product_id "
                                     "WHERE o.product_id IS NOT NULL")  # fmt: skip
    assert orphans["n"].item() == 0 and product_orphans["n"].item() == 0
    emails = frame(adapter, f"SELECT email FROM {customers}")["email"]
    # fakes follow global row numbers, so a unique column stays unique across parts
    assert emails.notna().all() and emails.is_unique
    real = pd.read_parquet(Path(manifest.project_dir) / "data" / "customers.parquet")["email"]
    assert not set(emails) & set(real)


def test_emitted_tests_run_on_spark_sql(trained, generated):
    manifest, profile = trained
    adapter, _ = generated
    tests = emit_tests(manifest, profile)
    integrity = filter_tests(tests, categories=["integrity"])
    # one distribution test of each kind: each kind's SQL is transpiled once to Spark
    first_of_kind = {t.kind: t for t in reversed(filter_tests(tests, categories=["distribution"]))}
    distribution = list(first_of_kind.values())

    result = run_tests(adapter, integrity + distribution)

    by_status = {r.name: r.status for r in result.results}
    assert len(integrity) >= 10
    assert set(first_of_kind) == set(DISTRIBUTION_KINDS)
    assert all(by_status[t.name] == "pass" for t in integrity), result.results
    # every distribution test transpiles and runs; a 1-epoch model may only warn
    assert {by_status[t.name] for t in distribution} <= {"pass", "warn"}
    assert all(r.statistic is not None for r in result.results if r.category == "distribution")


def test_same_seed_same_rows_and_parents_must_exist(trained, generated, spark, tmp_path):
    manifest, _ = trained
    adapter, written = generated
    orders = manifest.tables["orders"]
    before = frame(adapter, f"SELECT * FROM {adapter.relation('orders')}").sort_values("order_id")

    again = generate_table_distributed(adapter, manifest, orders, rows=None,
                                       seed=table_seed(SEED, orders), partitions=2)  # fmt: skip
    after = frame(adapter, f"SELECT * FROM {adapter.relation('orders')}").sort_values("order_id")

    assert again == written["orders"]
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))
    empty = spark_target(spark, tmp_path, "no_parents")
    with pytest.raises(GenerationError, match="parent table 'customers'"):
        generate_table_distributed(empty, manifest, orders, rows=None, seed=1)
    assert not empty.table_exists("orders")


def test_a_failing_task_raises_its_own_error_and_writes_nothing(trained, spark, tmp_path):
    manifest, _ = trained
    impossible = copy.deepcopy(manifest)
    impossible.tables["customers"].checks.append(CheckConstraint("age > 1000", column="age"))
    target = spark_target(spark, tmp_path, "failing")

    with pytest.raises(ConstraintViolation, match="still break its checks") as caught:
        generate_table_distributed(
            target, impossible, impossible.tables["customers"], rows=50, seed=1
        )

    assert "more epochs" in caught.value.hint  # the task's own hint came back with it
    assert not target.table_exists("customers")


def test_same_distributions_as_the_local_path(trained, generated, tmp_path):
    manifest, _ = trained
    adapter, _ = generated
    local = DuckDBAdapter(DuckDBTarget(path=str(tmp_path / "local.duckdb")), tmp_path)
    local.connect()
    generate_project(manifest, local, seed=SEED + 1, rows={"customers": CUSTOMERS, "products": 40},
                     progress=False)  # fmt: skip

    def summary(target) -> dict[str, float]:
        customers, orders = target.relation("customers"), target.relation("orders")
        seg = target.query(f"SELECT avg(CASE WHEN segment = 'premium' THEN 1.0 ELSE 0.0 END) AS s "
                           f"FROM {customers}").column(0)[0].as_py()  # fmt: skip
        per = target.query(f"SELECT count(*) AS n FROM {orders}").column(0)[0].as_py() / CUSTOMERS
        web = target.query(
            f"SELECT avg(CASE WHEN channel = 'web' THEN 1.0 ELSE 0.0 END) FROM {orders}"
        )
        nulls = target.query(
            f"SELECT avg(CASE WHEN product_id IS NULL THEN 1.0 ELSE 0.0 END) FROM {orders}"
        )
        return {
            "premium": float(seg),
            "orders_per_customer": per,
            "web": float(web.column(0)[0].as_py()),
            "no_product": float(nulls.column(0)[0].as_py()),
        }

    on_spark, on_duckdb = summary(adapter), summary(local)
    local.close()

    assert on_spark["premium"] == pytest.approx(on_duckdb["premium"], abs=0.1)
    assert on_spark["web"] == pytest.approx(on_duckdb["web"], abs=0.1)
    assert on_spark["no_product"] == pytest.approx(on_duckdb["no_product"], abs=0.06)
    assert on_spark["orders_per_customer"] == pytest.approx(
        on_duckdb["orders_per_customer"], rel=0.25
    )


def test_a_part_makes_each_parents_children_in_that_part(trained):
    """generate_parts without Spark: two parts of orders from hand-made parent rows."""
    manifest, _ = trained
    orders = manifest.tables["orders"]
    shipment = Shipment(ShippedModel.of(manifest, "orders"), {
        "products": pa.table({"product_id": pa.array(range(1, 11), pa.int64()),
                              "category": ["books", "tech"] * 5, "price": [10.0, 400.0] * 5}),
    })  # fmt: skip
    from synthohive_dbt.relations.frames import ChunkCaster

    caster = ChunkCaster(orders)
    job = PartitionJob(table="orders", table_seed=9, parts=2, chunk_size=50, threads=1,
                       schema=spark_safe_schema(caster.schema), parent="customers",
                       parent_key=("customer_id",), expected_rows=120.0, part_weights=(0.5, 0.5))  # fmt: skip
    caster.close()
    parents = pa.table({
        "customer_id": pa.array(range(1, 61), pa.int64()),
        "segment": ["premium", "basic", "basic"] * 20,
        "age": pa.array([30 + i % 40 for i in range(60)], pa.int32()),
        PART: pa.array([i % 2 for i in range(60)], pa.int32()),
    })  # fmt: skip

    out = pa.Table.from_batches(
        list(generate_parts(parents.to_batches(max_chunksize=7), shipment, job))
    )
    again = pa.Table.from_batches(
        list(generate_parts(parents.to_batches(max_chunksize=60), shipment, job))
    )

    rows = out.to_pandas()
    assert len(rows) > 0 and set(rows[PART]) == {0, 1}
    linked = rows.dropna(subset=["customer_id"])
    # each child is made in the part of its parent row (parts were split by parity)
    assert ((linked["customer_id"] - 1) % 2 == linked[PART]).all()
    assert set(rows["product_id"].dropna()) <= set(range(1, 11))
    for _, part in rows.groupby(PART):
        assert sorted(part[ROW]) == list(range(len(part)))
    # a part's rows do not depend on how its input arrived in batches
    assert out.sort_by([(PART, "ascending"), (ROW, "ascending")]).equals(
        again.sort_by([(PART, "ascending"), (ROW, "ascending")])
    )
