"""What runs on a Spark executor: one learned table generated for a few partitions' parts.

The rows of a table are split into *parts* ``0 .. P-1``: a root table's rows evenly,
a child table's by a seeded hash of its primary parent's key, so every parent's
children are made in the same part as the parent row. A part is the unit of
determinism: its seed is derived from the table's seed and its number, and its input
rows (sorted by key) do not depend on how Spark placed them, so the same seed gives the
same rows on any cluster.

Stage 1 (:func:`generate_parts`) runs the local generator,
:class:`~synthohive_dbt.generate.chunks.TableStream`, on one part: the same sampling,
row rules, child counts, secondary-key assignment and casting as a local run, reading
the part's parent rows from :class:`PartitionParents`. Each row is tagged with its part
and its number within the part.

Stage 2 (:func:`globalize`) runs once every part's row count is known: sequence keys
and PII columns, which must be unique (or follow one seeded stream) across the whole
table, are re-made from their *global* row numbers with the same
:class:`~synthohive_dbt.generate.keys.KeySequence` and
:func:`~synthohive_dbt.privacy.fill_generated_pii` as a local run, so keys are
``1..N`` with no gaps and fakes are what a local run would give those rows.

The model is shipped once per job as the bytes of its artifact folder
(:class:`ShippedModel`, a Spark broadcast) and loaded once per Python worker with the
ordinary :func:`~synthohive_dbt.generate.trained.load_trained`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import GenerationError, TargetError
from ..generate.assignment import SecondaryAssigner
from ..generate.chunks import TableStream, chunk_rng
from ..generate.frames import ChunkCaster
from ..generate.keys import KeySequence, KeySpec
from ..generate.parents import load_keys
from ..generate.trained import TrainedTable, load_trained
from ..project.model import Manifest
from ..targets.base import TargetAdapter, validate_identifier
from ..targets.config import TargetConfig
from ..training.artifacts import TableArtifacts
from ..training.plan import foreign_key

log = logging.getLogger(__name__)

#: hidden columns of stage 1: the part a row belongs to, its number within the part
PART = "__shive_part"
ROW = "__shive_row"


# ---- the shipped model -------------------------------------------------------------------
@dataclass(frozen=True)
class ShippedModel:
    """A table's trained artifacts as bytes, with the manifest to load them against."""

    manifest: dict[str, Any]
    table: str
    files: dict[str, bytes]
    digest: str

    @classmethod
    def of(cls, manifest: Manifest, table: str) -> ShippedModel:
        folder = TableArtifacts(manifest.target_path, table).dir
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if _is_artifact(p)}
        digest = hashlib.sha256()
        for name, data in files.items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return cls(manifest.to_dict(), table, files, digest.hexdigest())


def _is_artifact(path: Path) -> bool:
    """Files generation reads: not checkpoints, not temporary files."""
    return path.is_file() and not path.name.startswith((".", "checkpoint"))


#: models loaded in this Python worker, by digest: a reused worker loads a model once
_LOADED: dict[str, TrainedTable] = {}


def load_shipped(shipped: ShippedModel, threads: int) -> TrainedTable:
    """The TrainedTable of ``shipped``, loaded on first use in this worker process."""
    if shipped.digest not in _LOADED:
        with tempfile.TemporaryDirectory(prefix="shive-model-") as root:
            folder = TableArtifacts(root, shipped.table).dir
            folder.mkdir(parents=True)
            for name, data in shipped.files.items():
                (folder / name).write_bytes(data)
            manifest = Manifest.from_dict({**shipped.manifest, "target_path": root})
            trained = load_trained(manifest, manifest.tables[shipped.table])
        if trained.synth is not None and trained.synth.settings.threads is None:
            # one Spark task per core: torch must not spread over all of them
            trained.synth.settings = trained.synth.settings.model_copy(update={"threads": threads})
        _LOADED.clear()  # keep one model per worker: a job generates one table
        _LOADED[shipped.digest] = trained
    return _LOADED[shipped.digest]


# ---- what every part needs ----------------------------------------------------------------
@dataclass(frozen=True)
class PartitionJob:
    """The plan of one table's distributed generation (plain data, shipped with the tasks)."""

    table: str
    table_seed: int
    parts: int
    chunk_size: int
    threads: int
    schema: pa.Schema  # the table's declared schema (ChunkCaster.schema)
    root_rows: tuple[int, ...] = ()  # rows per part of a root table
    parent: str | None = None  # the primary parent (child tables)
    parent_key: tuple[str, ...] = ()  # its key columns, the parts' sort order
    expected_rows: float = 0.0  # child rows expected over all parts (secondary capacities)
    part_weights: tuple[float, ...] = ()  # each part's share of the parent rows
    offsets: dict[int, int] = field(default_factory=dict)  # stage 2: rows before each part


@dataclass(frozen=True)
class Shipment:
    """What every task reads once per executor (a Spark broadcast): the model, and the
    keys and attributes of the secondary parents, which any part may link to."""

    model: ShippedModel
    secondary: dict[str, pa.Table] = field(default_factory=dict)


def part_seed(table_seed: int, part: int) -> int:
    """The seed of one part: independent streams per part, fixed by the table's seed."""
    return int(np.random.SeedSequence([int(table_seed), int(part)]).generate_state(1)[0])


def stage1_schema(schema: pa.Schema) -> pa.Schema:
    return schema.append(pa.field(PART, pa.int32(), False)).append(pa.field(ROW, pa.int64(), False))


def spark_safe_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with the Arrow types Spark reads back from Python: microsecond
    timestamps (DuckDB may declare nanoseconds), everything else as it is."""
    fields = []
    for f in schema:
        if pa.types.is_timestamp(f.type) and f.type.unit != "us":
            f = f.with_type(pa.timestamp("us", tz=f.type.tz))
        fields.append(f)
    return pa.schema(fields)


# ---- stage 1 -------------------------------------------------------------------------------
def generate_parts(
    batches: Iterable[pa.RecordBatch], shipment: Shipment, job: PartitionJob
) -> Iterator[pa.RecordBatch]:
    """Generate every part whose input rows are in ``batches`` (one Spark partition)."""
    trained = load_shipped(shipment.model, job.threads)
    if job.parent is None:
        for batch in batches:
            for part in batch.column(PART).to_pylist():
                yield from _tagged(_root_stream(trained, job, part), part, job.schema)
        return
    received = list(batches)
    if not received:
        return
    rows = pa.Table.from_batches(received)
    for part in sorted(set(rows.column(PART).to_pylist())):
        parents = rows.filter(pc.equal(rows.column(PART), part)).drop_columns([PART])
        stream = _child_stream(trained, job, part, parents, shipment.secondary)
        yield from _tagged(stream, part, job.schema)


def _generation_view(trained: TrainedTable) -> TrainedTable:
    """The table without its PII re-creation: stage 2 fills PII from global row numbers."""
    return dataclasses.replace(trained, pii_plan=None)


def _root_stream(trained: TrainedTable, job: PartitionJob, part: int) -> TableStream:
    adapter = PartitionParents({})
    return TableStream(_generation_view(trained), adapter, rows=job.root_rows[part],
                       chunk_size=job.chunk_size, seed=part_seed(job.table_seed, part))  # fmt: skip


def _child_stream(
    trained: TrainedTable,
    job: PartitionJob,
    part: int,
    parents: pa.Table,
    secondary: Mapping[str, pa.Table],
) -> TableStream:
    parents = parents.sort_by([(c, "ascending") for c in job.parent_key])
    # secondary parents are read whole in _prepare_secondaries; listed here too so that
    # the stream's "is every parent generated?" check sees them
    adapter = PartitionParents({**secondary, job.parent: parents})
    return PartitionStream(
        _generation_view(trained), adapter, rows=None, chunk_size=job.chunk_size,
        seed=part_seed(job.table_seed, part), job=job, part=part, secondary=secondary,
    )  # fmt: skip


def _tagged(stream: TableStream, part: int, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The stream's batches in ``schema`` with the part and each row's number in the part."""
    numbered = 0
    tagged = stage1_schema(schema)
    try:
        for batch in stream.batches():
            n = batch.num_rows
            values = pa.Table.from_batches([batch]).cast(schema).combine_chunks()
            part_col = pa.array(np.full(n, part, dtype=np.int32))
            row_col = pa.array(np.arange(numbered, numbered + n, dtype=np.int64))
            numbered += n
            columns = [c.combine_chunks() for c in values.columns]
            yield pa.RecordBatch.from_arrays([*columns, part_col, row_col], schema=tagged)
    finally:
        stream.close()


class PartitionStream(TableStream):
    """TableStream of one part of a child table.

    Secondary parents are read whole (every part may link to any of their rows); each
    one's capacities are drawn once from the *table's* seed and expected size, the same
    draw in every part, and then split across the parts by a seeded multinomial in
    proportion to each part's parent rows. So the degree each secondary parent gets over
    the whole table follows the degree model exactly as in a local run, instead of
    being the sum of independent per-part draws.
    """

    def __init__(
        self,
        *args: Any,
        job: PartitionJob,
        part: int,
        secondary: Mapping[str, pa.Table],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        self.part = part
        self.secondary_parents = PartitionParents(secondary)

    def _prepare_secondaries(self) -> None:
        shipped = self.secondary_parents
        for name, model in self.trained.secondary.items():
            fk = foreign_key(self.table, name)
            keys = load_keys(shipped, fk.parent, fk.parent_columns, model.parent_columns)
            rng = chunk_rng(self.job.table_seed, f"{self.table.name}/{name}", 0)
            assigner = SharedCapacityAssigner(
                model, keys.attributes, rng, expected_children=self.job.expected_rows, fk_name=name,
                part=self.part, weights=self.job.part_weights,
                split_rng=chunk_rng(self.job.table_seed, f"{self.table.name}/{name}/split", 0),
            )  # fmt: skip
            self._secondary.append((name, assigner, keys))


class SharedCapacityAssigner(SecondaryAssigner):
    """A SecondaryAssigner holding only this part's share of every parent's capacity."""

    def __init__(
        self,
        *args: Any,
        part: int,
        weights: Sequence[float],
        split_rng: np.random.Generator,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._capacity = capacity_share(self._capacity, part, weights, split_rng)


def capacity_share(
    capacity: np.ndarray, part: int, weights: Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    """Part ``part``'s share of a multinomial split of each capacity by ``weights``.

    Drawn as a chain of binomials (part 0 from the whole, part 1 from the rest, ...)
    with ``rng`` seeded alike in every part, so the shares of all parts add up to
    ``capacity`` exactly; memory stays one vector whatever the number of parts.
    """
    remaining = np.asarray(capacity, dtype=np.int64).copy()
    left = 1.0
    for index in range(part + 1):
        weight = float(weights[index])
        last = index == len(weights) - 1
        p = 1.0 if last else (weight / left if left > 0 else 0.0)
        share = rng.binomial(remaining, min(max(p, 0.0), 1.0))
        if index == part:
            return share
        remaining -= share
        left -= weight
    return np.zeros_like(remaining)


# ---- stage 2 -------------------------------------------------------------------------------
def globalize(
    batches: Iterable[pa.RecordBatch], shipment: Shipment, job: PartitionJob
) -> Iterator[pa.RecordBatch]:
    """Re-make sequence keys and PII columns from global row numbers; drop the tags."""
    trained = load_shipped(shipment.model, job.threads)
    columns = global_columns(trained)
    caster = ChunkCaster(dataclasses.replace(trained.table, columns=[
        c for c in trained.table.columns if c.name in columns
    ])) if columns else None  # fmt: skip
    try:
        for batch in batches:
            yield _globalized(batch, trained, job, caster)
    finally:
        if caster is not None:
            caster.close()


def global_columns(trained: TrainedTable) -> list[str]:
    """Columns whose values depend on a row's global number."""
    names = [c for c in trained.plan.sequence_columns if _spec(trained, c).shape != "uuid"]
    if trained.pii_plan is not None:
        names += [step.column for step in trained.pii_plan.regenerated]
    return [c for c in trained.table.column_names if c in names]


def _spec(trained: TrainedTable, column: str) -> KeySpec:
    return KeySpec.from_dict(trained.key_specs.get(column, {"shape": "integer"}))


def _globalized(
    batch: pa.RecordBatch, trained: TrainedTable, job: PartitionJob, caster: ChunkCaster | None
) -> pa.RecordBatch:
    out = pa.Table.from_batches([batch])
    if caster is not None and batch.num_rows:
        order = pc.sort_indices(out, sort_keys=[(PART, "ascending"), (ROW, "ascending")])
        out = out.take(order)
        fresh = _fresh_values(out, trained, job)
        replaced = caster.to_batch(fresh)
        for name in replaced.schema.names:
            out = out.set_column(out.schema.get_field_index(name), name, replaced.column(name))
    out = out.drop_columns([PART, ROW]).cast(job.schema)
    batches = out.combine_chunks().to_batches()
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=job.schema)


def _fresh_values(rows: pa.Table, trained: TrainedTable, job: PartitionJob) -> pd.DataFrame:
    """Sequence and PII values of ``rows`` (sorted by part and row) from global numbers."""
    parts = rows.column(PART).to_numpy()
    numbers = rows.column(ROW).to_numpy()
    pieces = []
    for lo, hi in _runs(parts, numbers):
        start = job.offsets.get(int(parts[lo]), 0) + int(numbers[lo])  # global row, 0-based
        pieces.append(_run_values(trained, hi - lo, start, job.table_seed))
    return pd.concat(pieces, ignore_index=True)


def _runs(parts: np.ndarray, numbers: np.ndarray) -> Iterator[tuple[int, int]]:
    """Slices of consecutive row numbers within one part."""
    breaks = np.flatnonzero((parts[1:] != parts[:-1]) | (numbers[1:] != numbers[:-1] + 1)) + 1
    edges = [0, *breaks.tolist(), len(parts)]
    yield from zip(edges[:-1], edges[1:])


def _run_values(trained: TrainedTable, n: int, start: int, table_seed: int) -> pd.DataFrame:
    """Values of global rows ``start .. start + n - 1``, as a local run makes them."""
    from ..privacy import fill_generated_pii

    frame = pd.DataFrame(index=range(n))
    if trained.pii_plan is not None and trained.pii_plan.regenerated:
        frame = fill_generated_pii(frame, trained.pii_plan, trained.table, seed=table_seed,
                                   row_offset=start)  # fmt: skip
    unused = np.random.default_rng(0)  # counter shapes draw nothing
    for column in trained.plan.sequence_columns:
        spec = _spec(trained, column)
        if spec.shape != "uuid":
            frame[column] = KeySequence(spec, start=start + 1).take(n, unused)
    return frame


# ---- the parents a part reads --------------------------------------------------------------
class PartitionParents(TargetAdapter):
    """A read-only target over Arrow tables in memory: the parent rows one part reads.

    TableStream reads a child's primary parent and secondary parents from a target;
    inside a Spark task the parents are the part's rows and the shipped key tables.
    """

    type = "partition"

    def __init__(self, tables: Mapping[str, pa.Table]) -> None:
        super().__init__(TargetConfig(type=self.type), Path("."))
        self.tables = {name: table.combine_chunks() for name, table in tables.items()}

    def connect(self) -> None:
        """Nothing to open."""

    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        raise TargetError("the partition's parent rows are read-only", table=name)

    def read_table(
        self, name: str, columns: list[str] | None = None, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        table = self._table(name)
        if columns is not None:
            missing = [c for c in columns if c not in table.column_names]
            if missing:
                raise GenerationError(f"the rows shipped for {name} lack column {missing[0]!r}",
                                      table=name, column=missing[0])  # fmt: skip
            table = table.select(columns)
        return iter(table.to_batches(max_chunksize=max(1, int(batch_size))))

    def table_exists(self, name: str) -> bool:
        return validate_identifier(name, "table name") in self.tables

    def drop_table(self, name: str) -> None:
        raise TargetError("the partition's parent rows are read-only", table=name)

    def query(self, sql: str) -> pa.Table:
        raise TargetError("a partition answers no SQL", hint="report this as a bug")

    def relation(self, name: str) -> str:
        return self.quote(validate_identifier(name, "table name"))

    def _table(self, name: str) -> pa.Table:
        if not self.table_exists(name):
            raise GenerationError(f"no rows of {name} were shipped to this partition", table=name,
                                  hint="report this as a bug")  # fmt: skip
        return self.tables[name]
