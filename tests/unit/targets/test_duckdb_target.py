"""The DuckDB target: typed round trips, atomic replacement, safe names, derived models."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from synthohive_dbt.errors import TargetError
from synthohive_dbt.targets.config import DuckDBTarget, GenericTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter

INJECTION = "x; DROP TABLE canary"


@pytest.fixture
def adapter(tmp_path: Path):
    target = DuckDBAdapter(DuckDBTarget(path="out/db/synthetic.duckdb", schema="synth"), tmp_path)
    with target:
        yield target


def read_all(adapter: DuckDBAdapter, name: str, **kwargs) -> pa.Table:
    batches = list(adapter.read_table(name, **kwargs))
    return pa.Table.from_batches(batches)


def table_names(database: Path) -> set[str]:
    with duckdb.connect(str(database)) as con:
        return {
            row[0]
            for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }


def test_round_trip_keeps_every_type_and_null(adapter, sample, tmp_path):
    assert adapter.write_table("customers", sample.schema, sample.to_batches(max_chunksize=2)) == 5

    back = read_all(adapter, "customers")

    assert back.schema == sample.schema
    assert back.equals(sample)
    assert (tmp_path / "out/db/synthetic.duckdb").is_file()


def test_declared_types_reach_duckdb(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    types = dict(
        adapter.session.run(
            f"SELECT column_name, column_type FROM (DESCRIBE {adapter.relation('customers')})"
        )
    )

    assert types["amount"] == "DECIMAL(12,2)"
    assert types["n_items"] == "INTEGER"
    assert types["day"] == "DATE"
    assert types["seen_at"] == "TIMESTAMP"
    assert types["active"] == "BOOLEAN"


def test_rows_survive_reopening_the_file(tmp_path, sample):
    config = DuckDBTarget(path="synthetic.duckdb", schema="synth")
    with DuckDBAdapter(config, tmp_path) as first:
        first.write_table("customers", sample.schema, sample.to_batches())
    with DuckDBAdapter(config, tmp_path) as second:
        assert read_all(second, "customers").equals(sample)


def test_write_replaces_the_previous_table(adapter, sample, make_table):
    adapter.write_table("customers", sample.schema, sample.to_batches())
    smaller = make_table(2, offset=100)

    adapter.write_table("customers", smaller.schema, smaller.to_batches())

    assert read_all(adapter, "customers").column("id").to_pylist() == [100, 101]


def test_empty_iterator_writes_an_empty_table_with_the_schema(adapter, sample):
    assert adapter.write_table("empty", sample.schema, []) == 0
    assert adapter.query(f"SELECT * FROM {adapter.relation('empty')}").schema == sample.schema


def test_failure_half_way_keeps_the_previous_table(adapter, sample, make_table, failing, tmp_path):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    with pytest.raises(RuntimeError, match="half-way"):
        adapter.write_table("customers", sample.schema, failing(make_table(4, offset=50), after=2))

    assert read_all(adapter, "customers").equals(sample)
    adapter.close()
    assert table_names(tmp_path / "out/db/synthetic.duckdb") == {"customers"}


def test_failure_on_first_write_leaves_no_table(adapter, sample, failing):
    with pytest.raises(RuntimeError):
        adapter.write_table("orders", sample.schema, failing(sample, after=3))

    assert not adapter.table_exists("orders")
    assert adapter.list_tables() == []
    staging = adapter.query("SELECT table_name FROM information_schema.tables")
    assert staging.num_rows == 0


def test_batches_are_conformed_to_the_declared_schema(adapter, sample):
    reordered = sample.select(
        ["segment", "id", "n_items", "score", "amount", "day", "seen_at", "active"]
    )
    widened = reordered.cast(reordered.schema.set(2, pa.field("n_items", pa.int64())))

    adapter.write_table("customers", sample.schema, widened.to_batches())

    assert read_all(adapter, "customers").equals(sample)


def test_a_batch_missing_a_column_fails_and_keeps_the_table(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    with pytest.raises(TargetError, match="missing: \\['segment'\\]"):
        adapter.write_table(
            "customers", sample.schema, sample.drop_columns(["segment"]).to_batches()
        )

    assert read_all(adapter, "customers").equals(sample)


def test_read_selected_columns_in_bounded_batches(adapter, make_table):
    table = make_table(10)
    adapter.write_table("customers", table.schema, table.to_batches())

    batches = list(adapter.read_table("customers", columns=["segment", "id"], batch_size=4))

    assert [b.num_rows for b in batches] == [4, 4, 2]
    assert batches[0].schema.names == ["segment", "id"]


def test_reading_one_table_while_writing_another(adapter, make_table):
    parent = make_table(9)
    adapter.write_table("parents", parent.schema, parent.to_batches())

    def children():
        for batch in adapter.read_table("parents", columns=["id"], batch_size=3):
            yield pa.RecordBatch.from_pydict({"parent_id": batch.column(0)})

    written = adapter.write_table("children", pa.schema([("parent_id", pa.int64())]), children())

    assert written == 9
    assert adapter.query(
        f"SELECT sum(parent_id) AS s FROM {adapter.relation('children')}"
    ).to_pylist() == [{"s": 36}]


def test_unknown_table_and_column_are_named_with_a_suggestion(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    with pytest.raises(TargetError, match="does not exist") as missing:
        adapter.read_table("customer")
    assert "customers" in str(missing.value)
    with pytest.raises(TargetError, match="no column 'segmnt'") as column:
        adapter.read_table("customers", columns=["segmnt"])
    assert "segment" in str(column.value)


def test_injection_as_table_name_is_refused_and_canary_survives(adapter, sample):
    adapter.write_table("canary", sample.schema, sample.to_batches())

    for call in (
        lambda: adapter.write_table(INJECTION, sample.schema, sample.to_batches()),
        lambda: adapter.read_table(INJECTION),
        lambda: adapter.drop_table(INJECTION),
        lambda: adapter.table_exists(INJECTION),
        lambda: adapter.create_table_as(INJECTION, "SELECT 1"),
        lambda: adapter.relation(INJECTION),
    ):
        with pytest.raises(TargetError, match="not a plain name"):
            call()

    assert read_all(adapter, "canary").num_rows == 5


def test_injection_as_schema_name_is_refused_before_connecting(tmp_path, sample):
    with DuckDBAdapter(DuckDBTarget(path="db.duckdb", schema="synth"), tmp_path) as target:
        target.write_table("canary", sample.schema, sample.to_batches())

    with pytest.raises(TargetError, match="schema"):
        DuckDBAdapter(DuckDBTarget(path="db.duckdb", schema=INJECTION), tmp_path)

    with DuckDBAdapter(DuckDBTarget(path="db.duckdb", schema="synth"), tmp_path) as target:
        assert target.table_exists("canary")


def test_quote_doubles_embedded_quotes(adapter):
    assert adapter.quote('we"ird') == '"we""ird"'
    assert adapter.relation("orders") == '"synth"."orders"'


def test_memory_database_needs_no_file(tmp_path, sample):
    with DuckDBAdapter(DuckDBTarget(path=":memory:"), tmp_path) as target:
        target.write_table("t", sample.schema, sample.to_batches())
        assert target.query(f"SELECT count(*) AS n FROM {target.relation('t')}").to_pylist() == [
            {"n": 5}
        ]
    assert list(tmp_path.iterdir()) == []


def test_generic_config_is_validated_as_duckdb_settings(tmp_path):
    with pytest.raises(TargetError, match="invalid settings for target type 'duckdb'.*colour"):
        DuckDBAdapter(GenericTarget(type="duckdb", colour="red"), tmp_path)


def test_derived_view_follows_its_table_across_rewrites(adapter, sample, make_table):
    adapter.write_table("customers", sample.schema, sample.to_batches())
    adapter.create_view(
        "big_spenders", f"SELECT id FROM {adapter.relation('customers')} WHERE amount > 2"
    )

    bigger = make_table(8)
    adapter.write_table("customers", bigger.schema, bigger.to_batches())

    rows = adapter.query(
        f"SELECT count(*) AS n FROM {adapter.relation('big_spenders')}"
    ).to_pylist()
    assert rows == [{"n": 4}]  # ids 3, 4, 6, 7: amount > 2 and not null


def test_table_as_replaces_a_view_and_a_view_replaces_a_table(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())
    source = f"SELECT id FROM {adapter.relation('customers')}"
    adapter.create_view("derived", source)

    assert adapter.create_table_as("derived", source + " WHERE id < 3") == 3
    assert adapter.table_exists("derived")
    adapter.create_view("derived", source)
    assert adapter.query(
        f"SELECT count(*) AS n FROM {adapter.relation('derived')}"
    ).to_pylist() == [{"n": 5}]
    adapter.drop_table("derived")
    assert adapter.list_tables() == ["customers"]


def test_failed_create_table_as_keeps_the_previous_table(adapter, sample):
    adapter.write_table("customers", sample.schema, sample.to_batches())

    with pytest.raises(TargetError, match="create table failed"):
        adapter.create_table_as("customers", "SELECT no_such_column FROM range(3)")

    assert read_all(adapter, "customers").equals(sample)


def test_bad_sql_is_a_target_error(adapter):
    with pytest.raises(TargetError, match="query failed"):
        adapter.query("SELEC 1")


def test_memory_limit_caps_duckdb_and_only_a_size_is_accepted(tmp_path):
    import pydantic

    def limit(config: DuckDBTarget) -> str:
        with DuckDBAdapter(config, tmp_path) as target:
            return target.query("SELECT current_setting('memory_limit')").column(0)[0].as_py()

    assert limit(DuckDBTarget(path="a.duckdb")) == limit(DuckDBTarget(path="b.duckdb", memory_limit="1GB"))
    small = limit(DuckDBTarget(path="c.duckdb", memory_limit="256MB"))
    unbounded = limit(DuckDBTarget(path="d.duckdb", memory_limit=None))
    assert small != unbounded and small.endswith("MiB")
    with pytest.raises(pydantic.ValidationError):
        DuckDBTarget(memory_limit="1GB'; DROP TABLE canary; --")


def test_a_process_killed_mid_write_leaves_the_previous_table(tmp_path):
    """SIGKILL half-way through a write: the old table is intact, the staging table is
    hidden, and the next write of that table replaces it."""
    import os
    import subprocess
    import sys
    import textwrap

    database = tmp_path / "killed.duckdb"
    with DuckDBAdapter(DuckDBTarget(path=str(database)), tmp_path) as target:
        old = pa.table({"id": [1, 2, 3]})
        target.write_table("t", old.schema, old.to_batches())
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        import pyarrow as pa
        from synthohive_dbt.targets.config import DuckDBTarget
        from synthohive_dbt.targets.duckdb import DuckDBAdapter

        def batches():
            for i in range(5):
                yield pa.RecordBatch.from_pydict({{"id": list(range(i * 100, i * 100 + 100))}})
                if i == 2:
                    os.kill(os.getpid(), signal.SIGKILL)

        target = DuckDBAdapter(DuckDBTarget(path={str(database)!r}), Path({str(tmp_path)!r}))
        target.connect()
        target.write_table("t", pa.schema([("id", pa.int64())]), batches())
    """)
    done = subprocess.run([sys.executable, "-c", script], env=dict(os.environ), check=False, timeout=120)
    assert done.returncode == -9
    assert any(name.startswith("__shive_tmp_") for name in table_names(database))  # killed mid-write
    with DuckDBAdapter(DuckDBTarget(path=str(database)), tmp_path) as target:
        assert target.query(f"SELECT id FROM {target.relation('t')} ORDER BY id").column(0).to_pylist() == [1, 2, 3]
        assert target.list_tables() == ["t"]
        new = pa.table({"id": [7]})
        assert target.write_table("t", new.schema, new.to_batches()) == 1
    assert table_names(database) == {"t"}
