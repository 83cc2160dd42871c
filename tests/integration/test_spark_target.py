"""The Spark target against a real local Spark with a Hive (Derby) catalog.

The session is the run's shared one (``spark`` in conftest.py); each test uses a
database of its own.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from synthohive_dbt.errors import TargetError
from synthohive_dbt.spark.config import SparkTarget
from synthohive_dbt.targets.spark import SparkAdapter

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java on PATH"),
]

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("n_items", pa.int32()),
        ("score", pa.float64()),
        ("amount", pa.decimal128(12, 2)),
        ("day", pa.date32()),
        ("seen_at", pa.timestamp("us")),
        ("active", pa.bool_()),
        ("segment", pa.string()),
    ]
)


def sample(rows: int = 6, offset: int = 0) -> pa.Table:
    """Every type; every third row null in all columns but the key and the segment."""
    ids = range(offset, offset + rows)

    def maybe(values: list) -> list:
        return [None if i % 3 == 2 else v for i, v in zip(ids, values)]

    return pa.table(
        {
            "id": list(ids),
            "n_items": pa.array(maybe([i * 2 for i in ids]), pa.int32()),
            "score": maybe([i / 4 for i in ids]),
            "amount": pa.array(
                maybe([Decimal(i * 100 + 12) / 100 for i in ids]), pa.decimal128(12, 2)
            ),
            "day": pa.array(maybe([dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in ids])),
            "seen_at": pa.array(
                maybe(
                    [dt.datetime(2024, 1, 1, 12, 0, 0, 250) + dt.timedelta(hours=i) for i in ids]
                ),
                pa.timestamp("us"),
            ),
            "active": maybe([i % 2 == 0 for i in ids]),
            "segment": ["retail" if i % 2 else "smb" for i in ids],
        },
        schema=SCHEMA,
    )


def failing(table: pa.Table, after: int):
    yield from table.to_batches(max_chunksize=1)[:after]
    raise RuntimeError("generator failed half-way")


def make_adapter(spark, root: Path, database: str, **settings) -> SparkAdapter:
    adapter = SparkAdapter(SparkTarget(database=database, **settings), root, session=spark)
    adapter.connect()
    return adapter


def ordered(table: pa.Table) -> pa.Table:
    return table.select(SCHEMA.names).sort_by("id")


def staging_tables(adapter: SparkAdapter) -> list[str]:
    rows = adapter.query(f"SHOW TABLES IN {adapter.quote(adapter.database)}").to_pylist()
    return [r["tableName"] for r in rows if r["tableName"].startswith("__shive_tmp_")]


def test_round_trip_query_and_replace(spark, spark_root, tmp_path):
    adapter = make_adapter(spark, tmp_path, "round_trip")
    table = sample()

    assert adapter.write_table("customers", SCHEMA, table.to_batches(max_chunksize=2)) == 6
    back = pa.Table.from_batches(list(adapter.read_table("customers", batch_size=4)))

    assert back.schema == SCHEMA
    assert ordered(back).equals(table)
    assert adapter.query(
        f"SELECT count(*) AS n, sum(amount) AS total FROM {adapter.relation('customers')}"
    ).to_pylist() == [{"n": 6, "total": Decimal("8.48")}]

    adapter.write_table("customers", SCHEMA, sample(2, offset=100).to_batches())
    ids = adapter.query(f"SELECT id FROM {adapter.relation('customers')} ORDER BY id")
    assert ids.column("id").to_pylist() == [100, 101]
    assert adapter.list_tables() == ["customers"]
    # the catalog and the data live where the settings put them
    assert (spark_root / "metastore" / "metastore_db").is_dir()
    assert (spark_root / "warehouse" / "round_trip.db" / "customers").is_dir()


def test_partitioned_external_table_swaps_its_folder(spark, tmp_path):
    adapter = make_adapter(
        spark, tmp_path, "partitioned", partition_by={"orders": ["segment"]}, location="ext"
    )
    adapter.write_chunk_rows = 3  # two DataFrames: the first creates, the second appends

    adapter.write_table("orders", SCHEMA, sample().to_batches(max_chunksize=1))
    first = sorted((tmp_path / "ext/orders").iterdir())
    adapter.write_table("orders", SCHEMA, sample(4, offset=10).to_batches())
    second = sorted((tmp_path / "ext/orders").iterdir())

    assert len(first) == len(second) == 1 and first != second  # the replaced folder is gone
    assert sorted(p.name for p in second[0].iterdir() if p.is_dir()) == [
        "segment=retail",
        "segment=smb",
    ]
    partitions = adapter.query(f"SHOW PARTITIONS {adapter.relation('orders')}")
    assert partitions.num_rows == 2
    assert adapter.query(f"SELECT count(*) AS n FROM {adapter.relation('orders')}").to_pylist() == [
        {"n": 4}
    ]

    adapter.drop_table("orders")
    assert not adapter.table_exists("orders")
    assert list((tmp_path / "ext/orders").iterdir()) == []


def test_failure_half_way_keeps_the_previous_table(spark, tmp_path):
    adapter = make_adapter(spark, tmp_path, "atomic", location="ext")
    adapter.write_table("customers", SCHEMA, sample().to_batches())
    adapter.write_chunk_rows = 1  # the staging table has rows before the iterator fails

    with pytest.raises(RuntimeError, match="half-way"):
        adapter.write_table("customers", SCHEMA, failing(sample(4, offset=50), after=3))

    back = pa.Table.from_batches(list(adapter.read_table("customers")))
    assert ordered(back).equals(sample())
    assert staging_tables(adapter) == []
    assert len(list((tmp_path / "ext/customers").iterdir())) == 1  # no staging folder left


def test_injection_as_database_or_table_name_is_refused(spark, tmp_path):
    adapter = make_adapter(spark, tmp_path, "canary_db")
    adapter.write_table("canary", SCHEMA, sample().to_batches())
    attack = "x; DROP DATABASE canary_db"

    with pytest.raises(TargetError, match="not a plain name"):
        make_adapter(spark, tmp_path, attack)
    for call in (
        lambda: adapter.write_table(attack, SCHEMA, sample().to_batches()),
        lambda: adapter.read_table(attack),
        lambda: adapter.drop_table(attack),
        lambda: adapter.create_table_as(attack, "SELECT 1 AS x"),
    ):
        with pytest.raises(TargetError, match="not a plain name"):
            call()

    assert adapter.table_exists("canary")
    assert adapter.query(f"SELECT count(*) AS n FROM {adapter.relation('canary')}").to_pylist() == [
        {"n": 6}
    ]


def test_derived_models_and_column_selection(spark, tmp_path):
    adapter = make_adapter(spark, tmp_path, "derived")
    adapter.write_table("customers", SCHEMA, sample().to_batches())
    source = adapter.relation("customers")

    rows = adapter.create_table_as("smb", f"SELECT id, amount FROM {source} WHERE segment = 'smb'")
    adapter.create_view("retail", f"SELECT id FROM {source} WHERE segment = 'retail'")

    assert rows == 3
    smb = pa.Table.from_batches(list(adapter.read_table("smb", columns=["id"])))
    assert sorted(smb.column("id").to_pylist()) == [0, 2, 4]
    assert adapter.query(f"SELECT count(*) AS n FROM {adapter.relation('retail')}").to_pylist() == [
        {"n": 3}
    ]
    with pytest.raises(TargetError, match="no column 'amount'"):
        adapter.read_table("retail", columns=["amount"])


def _generations(adapter: SparkAdapter) -> dict[str, tuple[str, int]]:
    return {n: (g.generation_id, g.rows) for n, g in adapter.table_generations().items()}


def _rows(adapter: SparkAdapter, name: str) -> int:
    return adapter.query(f"SELECT count(*) AS n FROM {adapter.relation(name)}").column(0)[0].as_py()


def test_a_generation_is_staged_then_swapped_in_together(spark, tmp_path):
    adapter = make_adapter(spark, tmp_path, "generations", location="ext")
    data = sample(4)
    with adapter.generation() as first:
        adapter.write_table("parents", SCHEMA, data.to_batches())
        adapter.create_table_as("derived", f"SELECT id FROM {adapter.relation('parents')}")
        assert _rows(adapter, "derived") == 4  # the run reads its staged tables
        assert not spark.catalog.tableExists("generations.parents")  # nobody else does
    assert adapter.list_tables() == ["derived", "parents"]
    assert _generations(adapter) == {"parents": (first.id, 4), "derived": (first.id, 4)}
    with pytest.raises(RuntimeError, match="half-way"), adapter.generation():
        adapter.write_table("parents", SCHEMA, sample(9).to_batches())
        raise RuntimeError("a child failed half-way")
    assert _rows(adapter, "parents") == 4 and _generations(adapter)["parents"] == (first.id, 4)
    names = [t.name for t in spark.catalog.listTables("generations")]
    assert not [n for n in names if n.startswith("__shive")]


def test_a_swap_killed_half_way_is_rolled_forward_by_the_next_generation(spark, tmp_path):
    """The renames of a Hive swap are not one transaction: a kill between them leaves
    marked staged tables, which the next generation swaps in before it starts."""
    from synthohive_dbt.targets.generation import Generation, new_generation_id

    adapter = make_adapter(spark, tmp_path, "rollforward")
    with adapter.generation() as old:
        adapter.write_table("parents", SCHEMA, sample(3).to_batches())
        adapter.write_table("children", SCHEMA, sample(3).to_batches())
    killed = Generation(new_generation_id())
    adapter._begin_generation(killed)
    adapter._generation = killed
    adapter.write_table("parents", SCHEMA, sample(5).to_batches())
    adapter.write_table("children", SCHEMA, sample(7).to_batches())
    adapter._generation = None
    for name, physical in killed.staged.items():  # the swap's first half: mark all ...
        adapter._set_properties(physical, {"shive.generation_id": killed.id,
                                           "shive.rows": str(killed.rows[name]),
                                           "shive.committing": "true"})  # fmt: skip
    adapter._swap_in("parents", killed.staged["parents"])  # ... rename one, then die
    assert _generations(adapter) == {"parents": (killed.id, 5), "children": (old.id, 3)}

    with adapter.generation():
        assert _generations(adapter) == {"parents": (killed.id, 5), "children": (killed.id, 7)}
    assert (_rows(adapter, "parents"), _rows(adapter, "children")) == (5, 7)
    names = [t.name for t in spark.catalog.listTables("rollforward")]
    assert not [n for n in names if n.startswith("__shive")]
