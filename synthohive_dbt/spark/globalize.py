"""Stage 2 of distributed generation: values that depend on a row's *global* number.

Stage 1 numbers rows within their part. Once every part's row count is known, each
part's first global row number is fixed, and :func:`globalize` re-makes sequence keys
and PII columns from global row numbers with the same
:class:`~synthohive_dbt.relations.keys.KeySequence` and
:func:`~synthohive_dbt.privacy.fill_generated_pii` as a local run: keys are ``1..N``
with no gap or repeat across parts, and fakes are what a local run gives those rows
(unique fakes stay unique). UUID keys keep their per-part random values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..generate.trained import TrainedTable
from ..relations.frames import ChunkCaster
from ..relations.keys import KeySequence, KeySpec
from .partition import PART, ROW, PartitionJob
from .shipping import Shipment, load_shipped


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
