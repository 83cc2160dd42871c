"""Re-cutting record batches: the cut follows the row count, never the storage's chunks."""

from __future__ import annotations

import pyarrow as pa
import pytest

from synthohive_dbt.targets.batches import rebatch


def _batches(sizes: list[int]) -> list[pa.RecordBatch]:
    out, start = [], 0
    for size in sizes:
        out.append(pa.RecordBatch.from_pydict({"id": list(range(start, start + size)), "x": ["v"] * size}))
        start += size
    return out


@pytest.mark.parametrize("sizes", [[3, 5, 1, 7], [16], [1] * 16, [0, 9, 0, 7], [4, 4, 4, 4]])
def test_batches_are_cut_to_exactly_the_size_whatever_the_input_chunks(sizes):
    out = list(rebatch(_batches(sizes), 4))
    assert [b.num_rows for b in out] == [4, 4, 4, 4]
    assert pa.Table.from_batches(out).column("id").to_pylist() == list(range(16))


def test_the_last_batch_holds_the_rest_and_empty_input_gives_nothing():
    assert [b.num_rows for b in rebatch(_batches([5, 5]), 4)] == [4, 4, 2]
    assert list(rebatch(_batches([0, 0]), 4)) == []
