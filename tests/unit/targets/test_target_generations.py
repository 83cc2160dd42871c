"""Generations: a run's tables are staged, read back while staged, and swapped in together.

Each test runs on the DuckDB and the Parquet target. "Another reader" is a second adapter
on the same output, which sees only what has been swapped in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthohive_dbt.targets.base import TargetAdapter
from synthohive_dbt.targets.config import DuckDBTarget, ParquetTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter
from synthohive_dbt.targets.generation import Generation, new_generation_id
from synthohive_dbt.targets.parquet import ParquetAdapter

Opener = Callable[[], TargetAdapter]


@pytest.fixture(params=["duckdb", "parquet"])
def open_adapter(request, tmp_path: Path) -> Opener:
    """``open_adapter()``: a connected adapter on one output shared by the test's calls."""
    opened: list[TargetAdapter] = []

    def make() -> TargetAdapter:
        if request.param == "duckdb":
            adapter: TargetAdapter = DuckDBAdapter(DuckDBTarget(path="out/synth.duckdb"), tmp_path)
        else:
            adapter = ParquetAdapter(ParquetTarget(path="out/parquet"), tmp_path)
        adapter.connect()
        opened.append(adapter)
        return adapter

    yield make
    for adapter in opened:
        adapter.close()


def _ids(n: int, start: int = 0) -> pa.Table:
    return pa.table({"id": pa.array(range(start, start + n), pa.int64())})


def _write(adapter: TargetAdapter, name: str, n: int, start: int = 0) -> None:
    table = _ids(n, start)
    adapter.write_table(name, table.schema, table.to_batches())


def _count(adapter: TargetAdapter, name: str) -> int:
    return adapter.query(f"SELECT count(*) AS n FROM {adapter.relation(name)}").column(0)[0].as_py()


def _generation_of(adapter: TargetAdapter) -> dict[str, tuple[str, int]]:
    return {n: (g.generation_id, g.rows) for n, g in adapter.table_generations().items()}


def test_staged_tables_are_read_back_by_the_run_and_hidden_from_others(open_adapter) -> None:
    writer, reader = open_adapter(), open_adapter()
    with writer.generation() as gen:
        _write(writer, "parents", 4)
        # the run reads its staged parent (as a child's generation does) ...
        assert writer.table_exists("parents") and _count(writer, "parents") == 4
        keys = pa.Table.from_batches(list(writer.read_table("parents", columns=["id"])))
        assert keys.column("id").to_pylist() == [0, 1, 2, 3]
        writer.create_table_as("derived", f"SELECT id * 2 AS id FROM {writer.relation('parents')}")
        assert writer.list_tables() == ["derived", "parents"]
        # ... another reader sees nothing yet
        assert reader.list_tables() == [] and not reader.table_exists("parents")
    assert reader.list_tables() == ["derived", "parents"]
    assert _count(reader, "derived") == 4
    assert _generation_of(reader) == {"parents": (gen.id, 4), "derived": (gen.id, 4)}


def test_a_failed_generation_keeps_the_previous_set_whole(open_adapter) -> None:
    adapter = open_adapter()
    with adapter.generation() as first:
        _write(adapter, "parents", 5)
        _write(adapter, "children", 8)
    with pytest.raises(RuntimeError, match="child failed"), adapter.generation():
        _write(adapter, "parents", 50)
        assert _count(adapter, "parents") == 50
        raise RuntimeError("child failed")
    with adapter.generation() as third:
        _write(adapter, "parents", 70)
        third.discard("a table failed")
    reader = open_adapter()
    assert (_count(reader, "parents"), _count(reader, "children")) == (5, 8)
    assert _generation_of(reader) == {"parents": (first.id, 5), "children": (first.id, 8)}


def test_tables_a_generation_does_not_write_stay_with_their_own(open_adapter) -> None:
    adapter = open_adapter()
    with adapter.generation() as first:
        _write(adapter, "parents", 5)
        _write(adapter, "children", 8)
    with adapter.generation() as second:
        _write(adapter, "parents", 6)
    assert _generation_of(open_adapter()) == {"parents": (second.id, 6), "children": (first.id, 8)}


def test_a_generation_inside_another_joins_it(open_adapter) -> None:
    adapter, reader = open_adapter(), open_adapter()
    with adapter.generation() as outer:
        with adapter.generation() as inner:
            _write(adapter, "parents", 3)
        assert inner is outer and reader.list_tables() == []
    assert reader.list_tables() == ["parents"]


def test_what_a_killed_generation_staged_is_removed_by_the_next(open_adapter) -> None:
    """A generation entered and never left is what SIGKILL leaves (the real kill is in
    tests/integration/test_fault_injection.py)."""
    adapter = open_adapter()
    with adapter.generation():
        _write(adapter, "parents", 5)
    killed = open_adapter()
    staged = Generation(new_generation_id())
    killed._begin_generation(staged)
    killed._generation = staged
    _write(killed, "parents", 9)
    _write(killed, "children", 9)
    # the process is gone: no swap, no abort; the OS releases its lock
    killed._generation = None
    killed._end_generation(staged)
    reader = open_adapter()
    assert reader.list_tables() == ["parents"] and _count(reader, "parents") == 5
    assert _leftovers(reader) == [staged.id]
    with reader.generation():
        assert staged.id not in _leftovers(reader)
        _write(reader, "parents", 2)
    assert _leftovers(reader) == []
    assert reader.list_tables() == ["parents"] and _count(reader, "parents") == 2


def _leftovers(adapter: TargetAdapter) -> list[str]:
    """Staged relations (DuckDB) or generation folders other than the current (Parquet)."""
    if isinstance(adapter, DuckDBAdapter):
        names = adapter._catalog_names()
        return sorted({n.split("_")[4] for n in names if n.startswith("__shive_gen_")})
    root = adapter.generations_root
    current = os.path.realpath(adapter.folder) if adapter.folder.is_symlink() else None
    return sorted(p.name for p in root.iterdir() if str(p.resolve()) != current)


# ---- Parquet: the layout readers rely on ---------------------------------------------------
def test_parquet_path_is_a_link_switched_in_one_rename(tmp_path: Path) -> None:
    with ParquetAdapter(ParquetTarget(path="out/parquet"), tmp_path) as adapter:
        folder = tmp_path / "out" / "parquet"
        with adapter.generation() as first:
            _write(adapter, "parents", 5)
            assert not os.path.lexists(folder)  # the first run: nothing that looks finished
        assert folder.is_symlink()
        first_dir = Path(os.path.realpath(folder))
        assert first_dir.name == first.id
        with adapter.generation() as second:
            _write(adapter, "parents", 6)
            assert Path(os.path.realpath(folder)) == first_dir  # the old set, unchanged
            assert pq.read_metadata(folder / "parents.parquet").num_rows == 5
        assert Path(os.path.realpath(folder)).name == second.id
        assert not first_dir.exists()
        file_meta = pq.read_metadata(folder / "parents.parquet").metadata
        assert file_meta[b"shive.generation_id"] == second.id.encode()
        assert sorted(p.name for p in folder.iterdir()) == [".shive_generation.json",
                                                            "parents.parquet"]  # fmt: skip
        # plain DuckDB, as a user or dbt reads the output, follows the link
        sql = f"SELECT count(*) FROM read_parquet('{folder}/parents.parquet')"
        assert duckdb.sql(sql).fetchall() == [(6,)]


def test_a_plain_parquet_folder_becomes_a_generation(tmp_path: Path) -> None:
    """Output written before generations (a plain folder) is carried into the first one."""
    with ParquetAdapter(ParquetTarget(path="out/parquet"), tmp_path) as adapter:
        _write(adapter, "old", 3)  # outside a generation: a plain folder, as before
        folder = tmp_path / "out" / "parquet"
        assert folder.is_dir() and not folder.is_symlink()
        with adapter.generation():
            _write(adapter, "parents", 4)
        assert folder.is_symlink()
        assert adapter.list_tables() == ["old", "parents"] and _count(adapter, "old") == 3
        assert not (adapter.generations_root / "legacy").exists()


def test_a_switch_killed_after_moving_the_plain_folder_is_undone(tmp_path: Path) -> None:
    with ParquetAdapter(ParquetTarget(path="out/parquet"), tmp_path) as adapter:
        _write(adapter, "old", 3)
        folder = tmp_path / "out" / "parquet"
        adapter.generations_root.mkdir(parents=True)
        os.rename(folder, adapter.generations_root / "legacy")  # killed right after this
        with adapter.generation():
            assert folder.is_dir() and adapter.list_tables() == ["old"]
            _write(adapter, "parents", 4)
        assert adapter.list_tables() == ["old", "parents"]
