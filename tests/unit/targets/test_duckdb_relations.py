"""The DuckDB target's ``relations``: a table stored under another schema and name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from synthohive_dbt.errors import TargetError
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter


def _adapter(tmp_path: Path, relations: dict[str, str]) -> DuckDBAdapter:
    config = DuckDBTarget(path="db/synthetic.duckdb", schema="main", relations=relations)
    return DuckDBAdapter(config, tmp_path)


def _catalog(database: Path) -> set[tuple[str, str]]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("SELECT table_schema, table_name FROM information_schema.tables")
        return {(r[0], r[1]) for r in rows.fetchall()}


def test_a_mapped_table_is_written_read_and_replaced_under_its_schema_and_name(tmp_path):
    table = pa.table({"id": [1, 2, 3]})
    with _adapter(tmp_path, {"raw_customers": "raw.customers"}) as adapter:
        assert adapter.relation("raw_customers") == '"raw"."customers"'
        adapter.write_table("raw_customers", table.schema, table.to_batches())
        adapter.write_table("raw_customers", table.schema, table.slice(0, 2).to_batches())
        adapter.write_table("other", table.schema, table.to_batches())
        back = pa.Table.from_batches(list(adapter.read_table("raw_customers")))
        assert back.column("id").to_pylist() == [1, 2]
        assert adapter.table_exists("raw_customers")
        assert adapter.list_tables() == ["other", "raw_customers"]
        count = adapter.query('SELECT count(*) AS n FROM "raw"."customers"')
        assert count.column("n").to_pylist() == [2]
    # no staging table left behind, nothing under the model's own name
    assert _catalog(tmp_path / "db/synthetic.duckdb") == {("raw", "customers"), ("main", "other")}


def test_a_failed_write_of_a_mapped_table_keeps_the_previous_one(tmp_path):
    table = pa.table({"id": [1, 2, 3]})

    def broken():
        yield from table.to_batches()
        raise RuntimeError("generator died")

    with _adapter(tmp_path, {"c": "raw.customers"}) as adapter:
        adapter.write_table("c", table.schema, table.to_batches())
        with pytest.raises(RuntimeError):
            adapter.write_table("c", table.schema, broken())
        assert adapter.query('SELECT count(*) AS n FROM "raw"."customers"').column("n")[0].as_py() == 3
    assert _catalog(tmp_path / "db/synthetic.duckdb") == {("raw", "customers")}


@pytest.mark.parametrize("where", ["customers", "raw.cust omers", "x;y.customers"])
def test_a_relation_that_is_not_schema_dot_name_is_refused(tmp_path, where):
    with pytest.raises(TargetError, match="relations"):
        _adapter(tmp_path, {"c": where})
