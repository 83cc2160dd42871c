"""Spark (Hive) tables as sources, on a real local Spark with a Hive metastore under tmp.

The real data lives in external Hive tables. Profiling them on Spark must give the
profile DuckDB computes from the same rows; the cached training sample must be bounded,
seeded and key-consistent; names that are not plain SQL names never reach Spark.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from synthohive_dbt.errors import ProfileError, ProjectError
from synthohive_dbt.profiling import check_keys, profile_project
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.project.model import SourceTable
from synthohive_dbt.spark import (
    cache_spark_sample,
    cache_spark_schemas,
    cache_spark_sources,
    profile_spark_tables,
    spark_relation,
    spark_source_table,
)
from synthohive_dbt.spark.profiling import model_relations
from synthohive_dbt.spark.sample import read_sample_info

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java on PATH"),
]

DATABASE = "lake_src"

SCHEMA_YML = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}/part.parquet"}
    tables: [{name: customers}, {name: orders}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
      - name: email
        config: {pii: {action: fake, kind: email}}
      - name: segment
      - name: age
      - name: signup
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}
      - name: channel
      - name: amount
"""


def real_data(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    n = 300
    premium = rng.random(n) < 0.3
    customers = pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype=np.int64),
        "email": [f"person{i}@example.com" for i in range(n)],
        "segment": np.where(premium, "premium", "basic"),
        "age": pd.array(np.where(rng.random(n) < 0.05, np.nan, rng.integers(18, 90, n)), dtype="Int32"),
        "signup": [dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, n)],
    })  # fmt: skip
    owner = np.repeat(customers["customer_id"].to_numpy(), rng.poisson(np.where(premium, 4.0, 1.0)))
    owner = np.concatenate([owner, [9001, 9002]])  # two orphans: no such customer
    orders = pd.DataFrame({
        "order_id": np.arange(1, len(owner) + 1, dtype=np.int64),
        "customer_id": owner,
        "channel": rng.choice(["web", "store", "phone"], len(owner), p=[0.6, 0.3, 0.1]),
        "amount": np.round(rng.gamma(2.0, 30.0, len(owner)) + 1, 2),
    })  # fmt: skip
    return {"customers": customers, "orders": orders}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, spark):
    """(file-based manifest, the same manifest reading Spark, spark): the data both as
    Parquet files and as external Hive tables over the same files."""
    root = tmp_path_factory.mktemp("lakeshop")
    (root / "models").mkdir()
    (root / "shive_project.yml").write_text("name: lakeshop\nseed: 4\n", encoding="utf-8")
    (root / "models/schema.yml").write_text(textwrap.dedent(SCHEMA_YML).lstrip(), encoding="utf-8")
    for name in ("customers", "orders"):
        (root / f"models/{name}.sql").write_text(
            f"select * from {{{{ source('raw', '{name}') }}}}\n"
        )
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    for name, frame in real_data(np.random.default_rng(1)).items():
        folder = root / "data" / name
        folder.mkdir(parents=True)
        frame.to_parquet(folder / "part.parquet", index=False)
        spark.sql(f"CREATE TABLE IF NOT EXISTS {DATABASE}.{name} USING parquet LOCATION '{folder}'")
    files = load_project(root)
    on_spark = copy.deepcopy(files)
    for key, st in files.sources.items():
        on_spark.sources[key] = spark_source_table(st.source, st.name, identifier=st.name,
                                                   database=DATABASE, project_dir=files.project_dir)  # fmt: skip
    return files, on_spark, spark


@pytest.fixture(scope="module")
def duckdb_profile(lake):
    files, _, _ = lake
    con = open_real_connection(files)
    try:
        return profile_project(files, con, progress=False)["tables"]
    finally:
        con.close()


def test_spark_profile_matches_the_duckdb_profile(lake, duckdb_profile):
    _, on_spark, spark = lake

    # one table per call, as `shive profile` steps do; the parent's entry is reused
    profile = profile_spark_tables(on_spark, spark, tables=["customers"])
    profile |= profile_spark_tables(on_spark, spark, tables=["orders"], known=profile)

    assert set(profile) == {"customers", "orders"}
    for name, expected in duckdb_profile.items():
        got = profile[name]
        assert set(got) == set(expected)
        for key in ("row_count", "source_row_count", "mode", "primary_key", "unique_keys"):
            assert got[key] == expected[key], (name, key)
        for column, stats in expected["columns"].items():
            spark_stats = got["columns"][column]
            assert set(spark_stats) == set(stats)
            for key in ("data_type", "kind", "pii", "null_count", "distinct_count", "top_values",
                        "min", "max"):  # fmt: skip
                assert spark_stats[key] == stats[key], (name, column, key)
            for key in ("mean", "std"):  # None (text columns) is compared as it is
                want = stats[key] if stats[key] is None else pytest.approx(stats[key], rel=1e-9)
                assert spark_stats[key] == want, (name, column, key)
            if stats["quantiles"] is not None and stats["kind"] == "numeric":
                assert spark_stats["quantiles"] == pytest.approx(stats["quantiles"], rel=1e-9)
            elif stats["quantiles"] is not None:  # datetimes: the same instants as ISO text
                assert spark_stats["quantiles"] == stats["quantiles"]
        assert got["correlations"]["columns"] == expected["correlations"]["columns"]
        for row, want in zip(got["correlations"]["matrix"], expected["correlations"]["matrix"]):
            assert row == pytest.approx(want, rel=1e-9)
    orders_fk = profile["orders"]["foreign_keys"][0]
    assert orders_fk == duckdb_profile["orders"]["foreign_keys"][0]
    # the two orphan orders are counted, and left out of the rows that are profiled
    assert orders_fk["orphan_count"] == 2
    assert profile["orders"]["row_count"] == profile["orders"]["source_row_count"] - 2
    assert profile["customers"]["columns"]["email"]["top_values"] == []


def test_sample_is_bounded_seeded_and_keeps_whole_families(lake, tmp_path):
    files, on_spark, spark = lake
    customers_path = Path(on_spark.sources["raw.customers"].location)
    orders_path = Path(on_spark.sources["raw.orders"].location)

    empty = cache_spark_schemas(spark, on_spark.sources.values())
    columns = pq.read_table(customers_path).schema.names
    paths = cache_spark_sources(on_spark, spark, max_rows=60, seed=7)
    first = pq.read_table(customers_path).to_pandas()
    orders = pq.read_table(orders_path).to_pandas()
    written = customers_path.stat().st_mtime_ns
    findings = _duckdb_key_checks(files, on_spark)
    cache_spark_sources(on_spark, spark, max_rows=60, seed=7)  # current: reused as it is
    reused = customers_path.stat().st_mtime_ns
    cache_spark_sources(on_spark, spark, max_rows=60, seed=8)
    other = pq.read_table(customers_path).to_pandas()

    real_orders = pd.read_parquet(Path(files.project_dir) / "data/orders/part.parquet")
    sampled = set(first["customer_id"])
    assert paths == {"raw.customers": customers_path, "raw.orders": orders_path}
    # before sampling: empty files with the Spark tables' columns, for the loader
    assert empty == [customers_path, orders_path] and columns == list(first.columns)
    assert len(first) == 60 and first["customer_id"].is_unique
    assert written == reused
    assert set(other["customer_id"]) != sampled  # another seed, another sample
    # every order of every sampled customer, and nothing else
    expected = real_orders[real_orders["customer_id"].isin(sampled)]
    assert sorted(orders["order_id"]) == sorted(expected["order_id"])
    info = read_sample_info(customers_path)
    assert (info.total_rows, info.sampled_rows, info.seed) == (300, 60, 8)
    # the DuckDB side reads the samples unchanged: no orphan, since families are kept
    fk = next(f for f in findings if f.check == "foreign_key")
    assert fk.row_count == len(orders) and fk.orphan_count == 0


def _duckdb_key_checks(files, on_spark) -> list:
    """Key checks of the models over the cached samples, as DuckDB views read them."""
    local = copy.deepcopy(files)
    for key, st in on_spark.sources.items():
        local.sources[key] = SourceTable(st.source, st.name, st.relation, location=st.location,
                                         format="parquet", identifier=st.name)  # fmt: skip
    con = open_real_connection(local)
    try:
        return check_keys(local, con)
    finally:
        con.close()


def test_source_names_that_are_not_plain_are_refused(lake):
    files, _, spark = lake
    attack = "x; DROP DATABASE lake_src"

    for call in (
        lambda: spark_relation(DATABASE, attack),
        lambda: spark_relation(attack, "customers"),
        lambda: spark_source_table("raw", "customers", identifier=attack, database=DATABASE,
                                   project_dir=files.project_dir),
        lambda: spark_source_table("raw", "customers", identifier=None, database="lake`; --",
                                   project_dir=files.project_dir),
    ):  # fmt: skip
        with pytest.raises(ProjectError, match="not a plain name"):
            call()
    with pytest.raises(ProjectError, match="plain names"):
        cache_spark_sample(spark, f"{DATABASE}.customers; DROP DATABASE {DATABASE}", "x.parquet",
                           max_rows=1, seed=0)  # fmt: skip

    assert spark.catalog.databaseExists(DATABASE)
    assert spark_relation(DATABASE, "customers") == "`lake_src`.`customers`"


def test_a_model_reading_a_non_spark_source_is_not_profiled_on_spark(lake):
    files, on_spark, spark = lake
    mixed = copy.deepcopy(on_spark)
    mixed.sources["raw.orders"] = files.sources["raw.orders"]  # orders stay a Parquet file

    profile = profile_spark_tables(mixed, spark)

    assert set(profile) == {"customers"}  # orders is profiled by DuckDB, on its file
    with pytest.raises(ProfileError, match="not a Spark source"):
        model_relations(mixed, ["orders"])
