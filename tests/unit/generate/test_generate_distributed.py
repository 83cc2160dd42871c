"""Targets that generate learned tables themselves: the generator registry and its dispatch.

A target declaring ``SUPPORTS_DISTRIBUTED_GENERATION`` has its learned tables handed to the
generator its plug-in registered; None from the generator sends the table down the local
path; a target claiming the capability without a registered generator is an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from synthohive_dbt.errors import GenerationError
from synthohive_dbt.generate import distributed, generate_project, orchestrator
from synthohive_dbt.generate.chunks import TableStream
from synthohive_dbt.generate.trained import load_trained
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter
from synthohive_dbt.training import train_project


class ClusterAdapter(DuckDBAdapter):
    """A DuckDB target that says it runs generation itself (under a type of its own)."""

    type = "test-cluster"
    SUPPORTS_DISTRIBUTED_GENERATION = True


@pytest.fixture
def registry(monkeypatch):
    """The registry, emptied for the test and restored after it; plug-ins load nothing."""
    monkeypatch.setattr(distributed, "_GENERATORS", {})
    monkeypatch.setattr(distributed, "load_plugins", lambda: None)
    return distributed._GENERATORS


@pytest.fixture
def cluster(tmp_path: Path):
    adapter = ClusterAdapter(DuckDBTarget(path=str(tmp_path / "cluster.duckdb")), tmp_path)
    adapter.connect()
    yield adapter
    adapter.close()


def _row_count(adapter, name: str) -> int | None:
    if name not in adapter.list_tables():
        return None
    return adapter.query(f"SELECT count(*) AS n FROM {adapter.relation(name)}").to_pylist()[0]["n"]


def test_a_target_without_the_capability_gets_no_generator(registry, tmp_path):
    registry[DuckDBAdapter.type] = lambda *a, **k: pytest.fail("must not be called")
    plain = DuckDBAdapter(DuckDBTarget(path=str(tmp_path / "p.duckdb")), tmp_path)
    assert distributed.distributed_generator(plain) is None


def test_the_capability_without_a_registered_generator_is_an_error(registry, cluster):
    with pytest.raises(GenerationError, match="test-cluster target generates tables itself"):
        distributed.distributed_generator(cluster)


def test_learned_tables_go_to_the_registered_generator(
    registry, cluster, standin, manifest, real_con, monkeypatch
):
    train_project(manifest, real_con, None, seed=1, progress=False)
    calls: list[tuple[str, int]] = []

    def on_cluster(adapter, manifest_, table, *, rows, seed, chunk_size):
        """Writes the table as a cluster would (the same stream, run by the target)."""
        assert adapter is cluster and manifest_ is manifest
        calls.append((table.name, seed))
        trained = load_trained(manifest_, table)
        stream = TableStream(trained, adapter, rows=rows, chunk_size=chunk_size, seed=seed)
        try:
            return adapter.write_table(table.name, stream.schema, stream.batches())
        finally:
            stream.close()

    def local_path(*args, **kwargs):
        raise AssertionError("the orchestrator streamed a table the target generates itself")

    distributed.register_distributed_generator("test-cluster", on_cluster)
    monkeypatch.setattr(orchestrator, "TableStream", local_path)
    results = generate_project(manifest, cluster, seed=5, progress=False, real_con=real_con)
    learned = {r.name: r for r in results if r.status == "generated"}
    assert learned and {name for name, _ in calls} == set(learned)
    assert len({seed for _, seed in calls}) == len(calls)  # each table its own seed
    for name, result in learned.items():
        assert result.rows > 0 and _row_count(cluster, name) == result.rows


def test_a_generator_that_cannot_run_here_falls_back_to_the_local_path(
    registry, cluster, standin, manifest, real_con
):
    train_project(manifest, real_con, None, seed=1, progress=False)
    declined: list[str] = []

    def cannot(adapter, manifest_, table, *, rows, seed, chunk_size):
        declined.append(table.name)
        return None

    distributed.register_distributed_generator("test-cluster", cannot)
    results = generate_project(manifest, cluster, seed=5, progress=False, real_con=real_con)
    learned = [r for r in results if r.status == "generated"]
    assert learned and sorted(declined) == sorted(r.name for r in learned)
    for result in learned:
        assert result.rows > 0 and _row_count(cluster, result.name) == result.rows
