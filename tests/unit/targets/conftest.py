"""Sample tables shared by the target adapter tests: every column type a target keeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal

import pyarrow as pa
import pytest

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("n_items", pa.int32()),  # nullable int
        ("score", pa.float64()),
        ("amount", pa.decimal128(12, 2)),
        ("day", pa.date32()),
        ("seen_at", pa.timestamp("us")),
        ("active", pa.bool_()),
        ("segment", pa.string()),
    ]
)


def sample_table(rows: int = 5, offset: int = 0) -> pa.Table:
    """``rows`` rows with a null in every nullable column of every third row."""
    ids = list(range(offset, offset + rows))

    def maybe(values: list) -> list:
        return [None if i % 3 == 2 else v for i, v in zip(ids, values)]

    return pa.table(
        {
            "id": ids,
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
            "segment": maybe([f"seg-{i}" for i in ids]),
        },
        schema=SCHEMA,
    )


def failing_batches(table: pa.Table, after: int = 1) -> Iterator[pa.RecordBatch]:
    """Yield ``after`` one-row batches of ``table``, then fail as a generator would."""
    yield from table.to_batches(max_chunksize=1)[:after]
    raise RuntimeError("generator failed half-way")


@pytest.fixture
def sample() -> pa.Table:
    """Five rows of every type, nulls included."""
    return sample_table()


@pytest.fixture
def make_table() -> Callable[..., pa.Table]:
    """``make_table(rows, offset)``: a sample table of another size."""
    return sample_table


@pytest.fixture
def failing() -> Callable[..., Iterator[pa.RecordBatch]]:
    """``failing(table, after)``: a batch iterator that raises RuntimeError half-way."""
    return failing_batches
