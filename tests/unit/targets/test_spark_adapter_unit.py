"""The Spark target without starting Spark: install hints, names, settings, chunking."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from synthohive_dbt.errors import TargetError
from synthohive_dbt.spark import cluster as spark_session
from synthohive_dbt.spark.arrow import arrow_chunks
from synthohive_dbt.spark.cluster import _check_delta, _local_conf, resolve_location
from synthohive_dbt.spark.config import SparkTarget
from synthohive_dbt.targets.spark import SparkAdapter


def test_missing_pyspark_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # makes `import pyspark` fail
    adapter = SparkAdapter(SparkTarget(), tmp_path)

    with pytest.raises(TargetError) as error:
        adapter.connect()

    assert error.value.message == (
        "the spark target needs pyspark: pip install 'synthohive_dbt[spark]'"
    )
    assert isinstance(error.value.__cause__, ImportError)


@pytest.mark.parametrize("field", ["database", "partition_by"])
def test_injection_in_settings_is_refused_before_spark_starts(tmp_path, field):
    bad = "x; DROP DATABASE y"
    settings = {"database": bad} if field == "database" else {"partition_by": {bad: ["a"]}}

    with pytest.raises(TargetError, match="not a plain name"):
        SparkAdapter(SparkTarget(**settings), tmp_path)


def test_relation_and_quote_use_backticks(tmp_path):
    adapter = SparkAdapter(SparkTarget(database="synth"), tmp_path)

    assert adapter.relation("orders") == "`synth`.`orders`"
    assert adapter.quote("we`ird") == "`we``ird`"
    with pytest.raises(TargetError):
        adapter.relation("orders`; DROP DATABASE synth; --")


def test_local_sessions_keep_warehouse_and_metastore_in_the_project(tmp_path):
    conf = _local_conf(SparkTarget(master="local[2]"), tmp_path)

    assert conf["spark.sql.warehouse.dir"] == str((tmp_path / "target/spark-warehouse").resolve())
    metastore = (tmp_path / "target/spark-metastore").resolve()
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        f"jdbc:derby:;databaseName={metastore}/metastore_db;create=true"
    )
    assert metastore.is_dir()


def test_cluster_sessions_get_only_what_is_configured(tmp_path):
    config = SparkTarget(master="yarn", hive_support=False, warehouse_dir="s3a://bucket/wh")
    assert _local_conf(config, tmp_path) == {"spark.sql.warehouse.dir": "s3a://bucket/wh"}


def test_locations_resolve_against_the_project_unless_they_are_uris(tmp_path):
    assert resolve_location("out/tables", tmp_path) == str((tmp_path / "out/tables").resolve())
    assert resolve_location("hdfs://nn/warehouse", tmp_path) == "hdfs://nn/warehouse"
    assert resolve_location("file:/data/x", tmp_path) == "file:/data/x"


def test_delta_without_its_package_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        spark_session.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "delta" else real(name, *a),
    )
    with pytest.raises(TargetError, match="delta-spark") as error:
        _check_delta(SparkTarget(file_format="delta"))
    assert "pip install delta-spark" in error.value.hint
    _check_delta(SparkTarget(file_format="parquet"))  # no delta needed


def test_connect_method_needs_a_url(tmp_path):
    pytest.importorskip("pyspark")
    with pytest.raises(TargetError, match="connect_url"):
        SparkAdapter(SparkTarget(method="connect"), tmp_path).connect()


def test_chunks_bound_rows_and_always_yield_a_table():
    schema = pa.schema([("a", pa.int64())])
    batches = [pa.RecordBatch.from_pydict({"a": [i, i]}, schema=schema) for i in range(5)]

    sizes = [t.num_rows for t in arrow_chunks(batches, schema, max_rows=4)]
    empty = list(arrow_chunks([], schema, max_rows=4))

    assert sizes == [4, 4, 2]
    assert len(empty) == 1 and empty[0].num_rows == 0 and empty[0].schema == schema


def test_project_paths_are_not_created_before_connect(tmp_path: Path):
    SparkAdapter(SparkTarget(location="ext"), tmp_path)
    assert list(tmp_path.iterdir()) == []
