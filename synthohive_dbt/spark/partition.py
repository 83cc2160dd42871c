"""Stage 1 of distributed generation: one learned table generated for some parts.

The rows of a table are split into *parts* ``0 .. P-1``: a root table's rows evenly,
a child table's by a seeded hash of its primary parent's key, so every parent's
children are made in the same part as the parent row. A part is the unit of
determinism: its seed is derived from the table's seed and its number, and its input
rows (sorted by key) do not depend on how Spark placed them, so the same seed gives the
same rows on any cluster.

:func:`generate_parts` runs the local generator,
:class:`~synthohive_dbt.generate.chunks.TableStream`, on each part of one Spark
partition: the same sampling, row rules, child counts, secondary-key assignment and
casting as a local run, reading the part's parent rows from
:class:`~.shipping.PartitionParents`. Each row is tagged with its part and its number
within the part, for stage 2 (:mod:`.globalize`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..generate.assignment import SecondaryAssigner
from ..generate.chunks import TableStream, chunk_rng
from ..generate.parents import load_keys
from ..generate.trained import TrainedTable
from ..training.plan import foreign_key
from .shipping import PartitionParents, Shipment, load_shipped

log = logging.getLogger(__name__)

#: hidden columns of stage 1: the part a row belongs to, its number within the part
PART = "__shive_part"
ROW = "__shive_row"


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
            keys = load_keys(shipped, fk.parent, fk.parent_columns, self.trained.secondary_columns(name))
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
