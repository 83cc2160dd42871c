"""Generate a project's synthetic tables into a target: :func:`generate_project`.

Tables go in graph order (parents first). Each is one atomic
``adapter.write_table(name, schema, batches)`` fed by a lazy stream of chunks, so a
failure half-way leaves the previous table (or none), and memory holds one chunk plus
the compact key arrays of secondary parents. After each table is written, its declared
constraints and foreign keys are verified by SQL on the target.

All tables of one call are one generation (:meth:`TargetAdapter.generation`): they are
staged, children read their staged parents, and they are swapped in together once
every table is written and verified. A table that fails (or a process that is killed)
leaves the previous complete set in place; a caller that builds more in the same run
(``generate_step``: the derived models) opens the generation around both.

Row counts: a root table gets ``rows[name]`` if given, else its configured size
(``synth.rows``, ``synth.scale`` x real rows, or the real row count) times ``scale``;
a child table's size follows from its primary parent and the child-count model; a
copy table keeps its real rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import duckdb
import pyarrow as pa

from ..errors import GenerationError, ShiveError
from ..faults import fault_point
from ..project.hierarchies import parent_sized, root_table
from ..project.model import Manifest, Table
from ..relations.copying import copy_batches, snapshot_batches
from ..relations.frames import ChunkCaster
from ..table_loop import failed_names, run_tables
from ..training.artifacts import TableArtifacts
from .chunks import TableStream
from .constraints import verify_table
from .distributed import distributed_generator
from .trained import TrainedTable, load_trained

if TYPE_CHECKING:
    from ..targets.base import TargetAdapter

logger = logging.getLogger(__name__)

GenStatus = Literal["generated", "copied", "derived", "skipped", "error"]
DEFAULT_CHUNK_SIZE = 100_000


@dataclass
class TableGenResult:
    """What generation did with one table."""

    name: str
    status: GenStatus
    rows: int = 0
    seconds: float = 0.0
    chunks: int = 0
    message: str = ""
    error: ShiveError | None = field(default=None, repr=False)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Options:
    rows: Mapping[str, int]
    scale: float | None
    chunk_size: int
    seed: int
    check: bool


def generate_project(
    manifest: Manifest,
    adapter: TargetAdapter,
    *,
    rows: Mapping[str, int] | None = None,
    scale: float | None = None,
    tables: Iterable[str] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    seed: int,
    progress: bool = True,
    fail_fast: bool = True,
    check: bool = True,
    real_con: duckdb.DuckDBPyConnection | None = None,
    on_start: Callable[[str, int, int], None] | None = None,
    on_table: Callable[[TableGenResult], None] | None = None,
) -> list[TableGenResult]:
    """Generate the synth tables of ``manifest`` (those in ``tables``, or all) into ``adapter``.

    ``seed`` fixes every draw: the same seed, artifacts and options give the same rows.
    ``real_con`` is the real-data connection copy tables are read from (opened on
    demand when None). ``check`` verifies constraints after each table. Derived models
    are built separately by :func:`~synthohive_dbt.generate.derived.build_derived`.
    ``progress`` shows a progress line per table on the terminal (logging at DEBUG
    per chunk either way).
    """
    if scale is not None and scale <= 0:
        raise GenerationError(f"scale must be positive, got {scale}", hint="pass e.g. --scale 2")
    options = _Options(dict(rows or {}), scale, max(1, int(chunk_size)), int(seed), check)
    wanted = set(tables) if tables is not None else None
    selected = [t for t in manifest.synth_tables() if wanted is None or t.name in wanted]
    _warn_child_rows(manifest, selected, options.rows)
    con = real_con

    def step(name: str) -> TableGenResult:
        nonlocal con
        table = manifest.tables[name]
        if table.synth.mode == "copy" and con is None and not _has_snapshot(manifest, table):
            con = _open_real(manifest)  # trained before copy rows were stored
        began = time.perf_counter()
        result = _generate_table(manifest, adapter, table, options, con, progress=progress)
        logger.info("%s: %d rows in %.1fs", name, result.rows, time.perf_counter() - began)
        return result

    try:
        with adapter.generation() as generation:
            results = run_tables(
                [t.name for t in selected],
                step,
                TableGenResult,
                parents=manifest.parents,
                fail_fast=fail_fast,
                fault="generate.table",
                on_start=on_start,
                on_table=on_table,
            )
            failed = failed_names(results)
            if failed:
                generation.discard(f"{len(failed)} table(s) failed: " + ", ".join(failed))
                logger.error(
                    "generation %s is not swapped in: the target keeps its previous tables",
                    generation.id,
                )
    finally:
        if con is not None and real_con is None:
            con.close()
    return results


def _generate_table(
    manifest: Manifest,
    adapter: TargetAdapter,
    table: Table,
    options: _Options,
    con: duckdb.DuckDBPyConnection | None,
    *,
    progress: bool = False,
) -> TableGenResult:
    """Write one table (learned or copied) and verify it."""
    trained = load_trained(manifest, table)
    seed = _table_seed(options.seed, table)
    snapshot = TableArtifacts(manifest.target_path, table.name).rows_path
    if trained.plan.mode == "copy" and snapshot.is_file():
        schema, batches = snapshot_batches(table, snapshot, chunk_size=options.chunk_size)
        written = adapter.write_table(table.name, schema, _report(batches, table.name, progress))
        result = TableGenResult(table.name, "copied", rows=written)
    elif trained.plan.mode == "copy":
        if con is None:
            raise GenerationError(
                f"copy table {table.name} needs the real data",
                table=table.name,
                hint="pass real_con",
            )
        caster = ChunkCaster(table)
        try:
            batches = copy_batches(con, table, caster, chunk_size=options.chunk_size, seed=seed)
            written = adapter.write_table(
                table.name, caster.schema, _report(batches, table.name, progress)
            )
        finally:
            caster.close()
        result = TableGenResult(table.name, "copied", rows=written)
    else:
        chunk = int(table.synth.chunk_rows or options.chunk_size)
        result = _generate_learned(manifest, adapter, trained, options, chunk, seed, progress)
    if options.check:
        verify_table(adapter, manifest, table)
    return result


def _generate_learned(
    manifest: Manifest,
    adapter: TargetAdapter,
    trained: TrainedTable,
    options: _Options,
    chunk: int,
    seed: int,
    progress: bool,
) -> TableGenResult:
    """Write a learned table: distributed by the target when it can, else streamed here."""
    table, rows = trained.table, _root_rows(trained, options)
    generator = distributed_generator(adapter)
    if generator is not None:
        # the target runs the same TableStream in parallel partitions itself, or
        # returns None when it cannot here (it logs why): then the local path runs
        written = generator(adapter, manifest, table, rows=rows, seed=seed, chunk_size=chunk)
        if written is not None:
            return TableGenResult(table.name, "generated", rows=written)
    stream = TableStream(trained, adapter, rows=rows, chunk_size=chunk, seed=seed)
    try:
        batches = _report(stream.batches(), table.name, progress)
        written = adapter.write_table(table.name, stream.schema, batches)
    finally:
        stream.close()
    return TableGenResult(table.name, "generated", rows=written, chunks=stream.chunks)


def _root_rows(trained: TrainedTable, options: _Options) -> int | None:
    """Rows of a root table (None for a child: its parent decides)."""
    table = trained.table
    if not root_table(table):
        return None
    if table.name in options.rows:
        return int(options.rows[table.name])
    if table.synth.rows is not None:
        base = float(table.synth.rows)
    elif table.synth.scale is not None:
        base = table.synth.scale * trained.source_rows
    else:
        base = float(trained.source_rows)
    return int(round(base * (options.scale if options.scale is not None else 1.0)))


def _table_seed(seed: int, table: Table) -> int:
    from ..training.trainer import table_seed

    return table_seed(seed, table)


def _warn_child_rows(manifest: Manifest, selected: list[Table], rows: Mapping[str, int]) -> None:
    for name in rows:
        if name not in manifest.tables:
            raise GenerationError(
                f"--rows names unknown table {name!r}",
                hint="known tables: " + ", ".join(sorted(manifest.tables)),
            )
    for table in selected:
        if table.name in rows and parent_sized(table):
            logger.warning(
                "%s: rows=%s ignored; a child table's size follows its parent "
                "and the child-count model",
                table.name,
                rows[table.name],
            )


def _has_snapshot(manifest: Manifest, table: Table) -> bool:
    return TableArtifacts(manifest.target_path, table.name).rows_path.is_file()


def _open_real(manifest: Manifest) -> duckdb.DuckDBPyConnection:
    from ..project.sources import open_real_connection

    return open_real_connection(manifest)


def _report(
    batches: Iterable[pa.RecordBatch], name: str, progress: bool
) -> Iterator[pa.RecordBatch]:
    """Pass batches through, showing a running row count when ``progress``."""
    if not progress:
        for batch in batches:
            yield batch
            fault_point("generate.chunk")
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(f"generating {name}", total=None)
        for batch in batches:
            bar.update(task, advance=batch.num_rows)
            yield batch
            fault_point("generate.chunk")
