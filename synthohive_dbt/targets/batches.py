"""Arrow record batches on their way into a target: conformed to the declared schema.

Every adapter writes the batches it is given under the schema it is given. A batch
whose columns come in another order, or in a castable type (int64 for a declared
int32), is conformed here once, so adapters never guess; anything that cannot be
conformed is a TargetError naming the table and the columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa

from ..errors import TargetError

#: prefix of the staging relation (table or file) a write goes to before the swap
TEMP_PREFIX = "__shive_tmp_"


def temp_name(name: str, suffix: str = "") -> str:
    """The staging name of table ``name``: visibly ours, and still a plain SQL name."""
    return f"{TEMP_PREFIX}{name}{suffix}"


def conform_batch(table: str, batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` with exactly the columns, order and types of ``schema``."""
    if batch.schema.equals(schema):
        return batch
    names = list(schema.names)
    if batch.schema.names != names:
        missing = [n for n in names if n not in batch.schema.names]
        extra = [n for n in batch.schema.names if n not in names]
        if missing or extra:
            raise TargetError(
                f"a batch for {table!r} does not match its schema "
                f"(missing: {missing or 'none'}, unexpected: {extra or 'none'})",
                hint="the batches written must carry the columns of the declared schema",
                table=table,
            )
        batch = batch.select(names)
    try:
        # through a Table: RecordBatch.cast needs pyarrow 16
        cast = pa.Table.from_batches([batch]).cast(schema).combine_chunks().to_batches()
        return cast[0] if cast else pa.RecordBatch.from_pylist([], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        raise TargetError(
            f"a batch for {table!r} cannot be cast to its schema: {exc}",
            hint="generate the columns in the types declared for the table",
            table=table,
        ) from exc


def conform_batches(
    table: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Conform each batch lazily; the caller's iterator is consumed one batch at a time.

    A ``pa.Table`` (or anything with ``to_batches``) is accepted as well, for callers
    that already hold the rows.
    """
    source = batches.to_batches() if isinstance(batches, pa.Table) else batches
    for batch in source:
        yield conform_batch(table, batch, schema)


def rebatch(batches: Iterable[pa.RecordBatch], max_rows: int) -> Iterator[pa.RecordBatch]:
    """Re-cut ``batches`` into batches of exactly ``max_rows`` rows (the last one: the rest).

    The cut does not depend on how the storage happened to chunk the rows, so a reader
    sees the same batches whichever way (or on whichever target) the table was written,
    and what is drawn per batch stays the same for the same seed.
    """
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        while batch.num_rows:
            take = min(max_rows - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == max_rows:
                yield _joined(pending)
                pending, held = [], 0
    if held:
        yield _joined(pending)


def _joined(parts: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(parts) == 1:
        return parts[0]
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]
