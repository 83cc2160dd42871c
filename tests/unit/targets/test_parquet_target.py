"""The Parquet target: typed files, atomic rename, SQL over the files through DuckDB."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthohive_dbt.errors import TargetError
from synthohive_dbt.targets.config import ParquetTarget
from synthohive_dbt.targets.parquet import ParquetAdapter

INJECTION = "x; DROP TABLE canary"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "out" / "parquet"


@pytest.fixture
def adapter(tmp_path: Path):
    with ParquetAdapter(ParquetTarget(path="out/parquet"), tmp_path) as target:
        yield target


def read_all(adapter: ParquetAdapter, name: str, **kwargs) -> pa.Table:
    return pa.Table.from_batches(list(adapter.read_table(name, **kwargs)))


def test_round_trip_keeps_every_type_and_null(adapter, sample, folder):
    assert adapter.write_table("customers", sample.schema, sample.to_batches(max_chunksize=2)) == 5

    assert sorted(p.name for p in folder.iterdir()) == ["customers.parquet"]
    assert pq.read_schema(folder / "customers.parquet").equals(sample.schema)
    assert read_all(adapter, "customers").equals(sample)


def test_sql_runs_on_the_files_through_duckdb_views(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    result = adapter.query(
        f"SELECT count(*) AS n, sum(amount) AS total, count(n_items) AS known "
        f"FROM {adapter.relation('customers')}"
    )

    assert adapter.relation("customers") == '"customers"'
    assert result.to_pylist() == [{"n": 5, "total": Decimal("8.48"), "known": 4}]


def test_queries_see_files_written_by_another_adapter(tmp_path, adapter, sample):
    with ParquetAdapter(ParquetTarget(path="out/parquet"), tmp_path) as other:
        other.write_table("orders", sample.schema, sample.to_batches())
    assert adapter.query("SELECT count(*) AS n FROM orders").to_pylist() == [{"n": 5}]

    adapter.drop_table("orders")

    assert not adapter.table_exists("orders")
    with pytest.raises(TargetError, match="query failed"):
        adapter.query("SELECT * FROM orders")


def test_write_replaces_the_previous_file(adapter, sample, make_table):
    adapter.write_table("customers", sample.schema, sample.to_batches())
    adapter.query("SELECT * FROM customers")  # the view exists before the rewrite

    adapter.write_table("customers", sample.schema, make_table(2, offset=100).to_batches())

    assert read_all(adapter, "customers").column("id").to_pylist() == [100, 101]
    assert adapter.query("SELECT count(*) AS n FROM customers").to_pylist() == [{"n": 2}]


def test_failure_half_way_keeps_the_previous_file_and_no_temp_file(
    adapter, sample, make_table, failing, folder
):
    adapter.write_table("customers", sample.schema, sample.to_batches())
    before = (folder / "customers.parquet").read_bytes()

    with pytest.raises(RuntimeError, match="half-way"):
        adapter.write_table("customers", sample.schema, failing(make_table(4, offset=50), after=2))

    assert [p.name for p in folder.iterdir()] == ["customers.parquet"]
    assert (folder / "customers.parquet").read_bytes() == before


def test_failure_on_first_write_leaves_nothing(adapter, sample, failing, folder):
    with pytest.raises(RuntimeError):
        adapter.write_table("orders", sample.schema, failing(sample, after=3))

    assert list(folder.iterdir()) == []
    assert adapter.list_tables() == []


def test_row_groups_follow_row_group_size_not_batch_size(tmp_path, make_table):
    table = make_table(3000)
    config = ParquetTarget(path="pq", row_group_size=1024, compression="none")
    with ParquetAdapter(config, tmp_path) as target:
        target.write_table("big", table.schema, table.to_batches(max_chunksize=100))

    metadata = pq.ParquetFile(tmp_path / "pq" / "big.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [
        1024,
        1024,
        952,
    ]
    assert metadata.row_group(0).column(0).compression == "UNCOMPRESSED"


def test_read_selected_columns_in_bounded_batches(adapter, make_table):
    table = make_table(10)
    adapter.write_table("customers", table.schema, table.to_batches())

    batches = list(adapter.read_table("customers", columns=["id", "segment"], batch_size=4))

    assert [b.num_rows for b in batches] == [4, 4, 2]
    assert batches[0].schema.names == ["id", "segment"]


def test_unknown_table_and_column_are_named_with_a_suggestion(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    with pytest.raises(TargetError, match="does not exist") as missing:
        adapter.read_table("customer")
    assert "customers" in str(missing.value)
    with pytest.raises(TargetError, match="no column 'ids'") as column:
        adapter.read_table("customers", columns=["ids"])
    assert "'id'" in str(column.value)


@pytest.mark.parametrize("name", [INJECTION, "../escaped", "a/b", ""])
def test_unsafe_table_names_are_refused_and_canary_survives(adapter, sample, folder, name):
    adapter.write_table("canary", sample.schema, sample.to_batches())

    for call in (
        lambda: adapter.write_table(name, sample.schema, sample.to_batches()),
        lambda: adapter.read_table(name),
        lambda: adapter.drop_table(name),
        lambda: adapter.create_table_as(name, "SELECT 1 AS x"),
        lambda: adapter.relation(name),
    ):
        with pytest.raises(TargetError, match="not a plain name"):
            call()

    assert sorted(p.name for p in folder.parent.rglob("*") if p.is_file()) == ["canary.parquet"]
    assert read_all(adapter, "canary").num_rows == 5


def test_derived_models_become_parquet_files(adapter, sample, folder):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    rows = adapter.create_table_as("active_customers", "SELECT id FROM customers WHERE active")
    adapter.create_view(
        "segments", "SELECT DISTINCT segment FROM customers WHERE segment IS NOT NULL"
    )

    assert rows == 2
    assert pq.read_table(folder / "active_customers.parquet").column("id").to_pylist() == [0, 4]
    assert pq.read_table(folder / "segments.parquet").num_rows == 4
    assert adapter.list_tables() == ["active_customers", "customers", "segments"]


def test_derived_model_may_rewrite_its_own_source(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    assert adapter.create_table_as("customers", "SELECT * FROM customers WHERE id >= 3") == 2
    assert read_all(adapter, "customers").column("id").to_pylist() == [3, 4]
