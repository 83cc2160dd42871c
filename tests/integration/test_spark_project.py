"""A project whose sources are Spark (Hive) tables, loaded and profiled end to end.

``load_project`` describes the models from the Spark tables' types (an empty cached
file per source); ``profile_tables`` caches a bounded sample for the DuckDB side and
profiles the models on Spark over *all* their rows. The first tests need no Spark: they
check how a ``format: spark`` source is declared and resolved.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from synthohive_dbt.errors import ProfileError, ProjectError
from synthohive_dbt.pipeline.build import train_step
from synthohive_dbt.pipeline.profile_step import profile_tables
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.spark.sample import read_sample_info
from synthohive_dbt.training.artifacts import TableArtifacts

DATABASE = "shop_lake"
CUSTOMERS = 300
SAMPLE_ROWS = 50

SCHEMA_YML = f"""
version: 2
sources:
  - name: lake
    schema: {DATABASE}
    config: {{format: spark}}
    tables:
      - name: customers
      - name: orders
        identifier: orders_v2
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{{type: primary_key}}]
  - name: orders
    columns:
      - name: order_id
        constraints: [{{type: primary_key}}]
      - name: customer_id
        constraints:
          - {{type: not_null}}
          - {{type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}}
"""


def write_project(root: Path, schema_yml: str, profiles_yml: str) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "shive_project.yml").write_text("name: lakeproj\nseed: 3\n", encoding="utf-8")
    (root / "profiles.yml").write_text(textwrap.dedent(profiles_yml).lstrip(), encoding="utf-8")
    (root / "models/schema.yml").write_text(textwrap.dedent(schema_yml).lstrip(), encoding="utf-8")
    for name in ("customers", "orders"):
        (root / f"models/{name}.sql").write_text(
            f"select * from {{{{ source('lake', '{name}') }}}}\n"
        )
    return root


def spark_profiles(spark_root: Path, *, selected: str = "lake") -> str:
    return f"""
    lakeproj:
      target: {selected}
      outputs:
        dev: {{type: duckdb, path: target/synthetic.duckdb}}
        lake:
          type: spark
          method: session
          master: "local[2]"
          warehouse_dir: "{spark_root / "warehouse"}"
          metastore_dir: "{spark_root / "metastore"}"
    """


# ---- declaring a spark source (no Spark needed) ------------------------------------------
def test_a_spark_source_resolves_to_its_sample_cache_and_needs_a_spark_output(tmp_path):
    root = write_project(tmp_path / "p", SCHEMA_YML, spark_profiles(tmp_path, selected="dev"))

    with pytest.raises(ProjectError) as err:  # selected target is duckdb, no spark_target
        load_project(root)

    assert "spark_target" in (err.value.hint or "")


def test_a_spark_source_with_a_file_location_is_refused(tmp_path):
    schema = SCHEMA_YML.replace(
        "config: {format: spark}", "config: {format: spark, external_location: 'x.parquet'}"
    )
    root = write_project(tmp_path / "p", schema, spark_profiles(tmp_path))

    with pytest.raises(ProjectError, match="external_location"):
        load_project(root)


def test_a_spark_name_that_is_not_plain_is_refused_before_spark_starts(tmp_path):
    schema = SCHEMA_YML.replace("identifier: orders_v2", "identifier: 'o; drop table x'")
    root = write_project(tmp_path / "p", schema, spark_profiles(tmp_path))

    with pytest.raises(ProjectError, match="not a plain name"):
        load_project(root)


# ---- on a real local Spark ---------------------------------------------------------------
@pytest.fixture(scope="module")
def hive_tables(spark) -> dict[str, pd.DataFrame]:
    """customers and orders (as orders_v2) managed by the local Hive catalog."""
    rng = np.random.default_rng(5)
    customers = pd.DataFrame({
        "customer_id": np.arange(1, CUSTOMERS + 1, dtype=np.int64),
        "segment": rng.choice(["basic", "premium"], CUSTOMERS),
        "signup": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 400, CUSTOMERS)],
    })  # fmt: skip
    owner = np.repeat(customers["customer_id"].to_numpy(), rng.poisson(2.0, CUSTOMERS))
    orders = pd.DataFrame({
        "order_id": np.arange(1, len(owner) + 1, dtype=np.int64),
        "customer_id": owner,
        "amount": np.round(rng.gamma(2.0, 20.0, len(owner)), 2),
    })  # fmt: skip
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    for name, frame in (("customers", customers), ("orders_v2", orders)):
        spark.createDataFrame(frame).write.mode("overwrite").saveAsTable(f"{DATABASE}.{name}")
    return {"customers": customers, "orders": orders}


@pytest.fixture
def smaller_sample(monkeypatch):
    """Make `shive profile` sample at most SAMPLE_ROWS customers, so sample != table."""
    from synthohive_dbt.spark import sources

    bounded = functools.partial(sources.cache_spark_sources, max_rows=SAMPLE_ROWS)
    monkeypatch.setattr(sources, "cache_spark_sources", bounded)


@pytest.mark.spark
@pytest.mark.slow
def test_load_and_profile_a_spark_project(tmp_path, spark_root, hive_tables, smaller_sample):
    root = write_project(tmp_path / "p", SCHEMA_YML, spark_profiles(spark_root))
    cache = root / ".shive-samples/lake"

    manifest = load_project(root)
    types = {c.name: c.data_type for c in manifest.tables["orders"].columns}
    empty_rows = pq.read_metadata(cache / "customers.parquet").num_rows
    code = profile_tables(manifest, list(manifest.order))
    profile = json.loads((root / "target/profile.json").read_text(encoding="utf-8"))
    sample = pq.read_table(cache / "customers.parquet").to_pandas()
    sample_orders = pq.read_table(cache / "orders.parquet").to_pandas()

    st = manifest.sources["lake.orders"]
    assert (st.format, st.schema, st.identifier) == ("spark", DATABASE, "orders_v2")
    # loading described the models from the Spark types, reading no row
    assert types == {"order_id": "BIGINT", "customer_id": "BIGINT", "amount": "DOUBLE"}
    assert empty_rows == 0
    assert manifest.tables["orders"].foreign_keys[0].parent == "customers"
    # profiling: the whole tables on Spark, the bounded sample cached for DuckDB
    assert code == 0
    assert profile["tables"]["customers"]["row_count"] == CUSTOMERS
    assert profile["tables"]["orders"]["row_count"] == len(hive_tables["orders"])
    assert len(sample) == SAMPLE_ROWS
    assert set(sample_orders["customer_id"]) <= set(sample["customer_id"])
    assert (cache / "customers.json").is_file() and (cache / "orders.json").is_file()


@pytest.mark.spark
@pytest.mark.slow
def test_spark_target_names_the_session_when_another_target_is_selected(
    tmp_path, spark_root, hive_tables
):
    schema = SCHEMA_YML.replace(
        "config: {format: spark}", "config: {format: spark, spark_target: lake}"
    )
    root = write_project(tmp_path / "p", schema, spark_profiles(spark_root, selected="dev"))

    manifest = load_project(root)
    (root / ".shive-samples/lake/orders.parquet").unlink()

    assert manifest.target_type == "duckdb"
    assert manifest.settings["spark_target"] == "lake"
    assert manifest.tables["customers"].columns[0].data_type == "BIGINT"
    with pytest.raises(ProfileError) as err:  # the DuckDB side needs the cached sample
        open_real_connection(manifest)
    assert "shive profile" in (err.value.hint or "")


@pytest.mark.spark
@pytest.mark.slow
def test_a_spark_table_with_a_timestamp_column_loads(tmp_path, spark_root, spark):
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {DATABASE}.events (id BIGINT, at TIMESTAMP) USING parquet"
    )
    schema = f"""
    version: 2
    sources:
      - name: lake
        schema: {DATABASE}
        config: {{format: spark}}
        tables: [{{name: events}}]
    """
    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "shive_project.yml").write_text("name: lakeproj\n", encoding="utf-8")
    (root / "profiles.yml").write_text(
        textwrap.dedent(spark_profiles(spark_root)).lstrip(), encoding="utf-8"
    )
    (root / "models/schema.yml").write_text(textwrap.dedent(schema).lstrip(), encoding="utf-8")
    (root / "models/events.sql").write_text("select * from {{ source('lake', 'events') }}\n")

    manifest = load_project(root)

    assert [c.name for c in manifest.tables["events"].columns] == ["id", "at"]


@pytest.mark.spark
@pytest.mark.slow
def test_train_resamples_a_spark_table_that_changed_and_retrains_it(
    tmp_path, spark_root, spark, hive_tables
):
    database = "shop_lake_train"
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
    for name, key in (("customers", "customers"), ("orders_v2", "orders")):
        frame = spark.createDataFrame(hive_tables[key])
        frame.write.mode("overwrite").saveAsTable(f"{database}.{name}")
    schema = SCHEMA_YML.replace(f"schema: {DATABASE}", f"schema: {database}")
    root = write_project(tmp_path / "p", schema, spark_profiles(spark_root))
    (root / "shive_project.yml").write_text(
        "name: lakeproj\nseed: 3\nsynth: {epochs: 1, batch_size: 100}\n", encoding="utf-8"
    )
    manifest = load_project(root)
    cache = root / ".shive-samples/lake"

    def state() -> dict[str, object]:
        meta = {t: TableArtifacts(manifest.target_dir, t).read_meta()["fingerprint"]
                for t in ("customers", "orders")}  # fmt: skip
        return {**meta, "customers.sample": read_sample_info(cache / "customers.parquet"),
                "orders.sample": read_sample_info(cache / "orders.parquet")}  # fmt: skip

    assert profile_tables(manifest, list(manifest.order)) == 0
    assert train_step(manifest, list(manifest.order), progress=False) == 0
    first = state()
    assert train_step(manifest, list(manifest.order), progress=False) == 0
    unchanged = state()
    # orders change in place: the same rows, every amount doubled (a row count alone
    # would not tell), so the sample is retaken and orders (only) retrained
    changed = hive_tables["orders"].assign(amount=hive_tables["orders"]["amount"] * 2)
    spark.createDataFrame(changed).write.mode("overwrite").saveAsTable(f"{database}.orders_v2")
    assert train_step(manifest, list(manifest.order), progress=False) == 0
    after = state()
    sample = pq.read_table(cache / "orders.parquet").to_pandas()

    assert unchanged == first  # nothing changed: samples kept, both tables reused
    assert after["orders.sample"].content != first["orders.sample"].content
    assert after["orders.sample"].total_rows == first["orders.sample"].total_rows
    assert sorted(sample["amount"]) == sorted(changed["amount"])
    assert after["orders"] != first["orders"]  # new training rows: a new fingerprint
    assert after["customers"] == first["customers"]
    assert after["customers.sample"] == first["customers.sample"]
