"""``synth: {mode: copy}`` tables: reference rows copied from the real source.

Small lookup tables (currencies, airports, promotions) are copied, keys included, so
that children can reference them. Declared PII is still honoured: ``fake``, ``hash``
and ``mask`` columns are replaced in place and ``drop`` columns come out null.

Training stores the rows, PII already handled, in the table's artifacts
(:func:`write_snapshot`), so that generation works where the sources are not
reachable; generation reads them back with :func:`snapshot_batches`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_path
from ..duckdb_arrow import query_reader
from ..errors import ArtifactError, GenerationError
from ..project.sources import model_relation
from ..quoting import quote_identifier
from .frames import ChunkCaster, arrow_to_frame

if TYPE_CHECKING:
    from ..project.model import Table


def copy_batches(
    con: duckdb.DuckDBPyConnection, table: Table, caster: ChunkCaster, *, chunk_size: int, seed: int
) -> Iterator[pa.RecordBatch]:
    """The real rows of ``table`` in a stable order, PII handled, as batches."""
    columns = ", ".join(quote_identifier(c) for c in table.column_names)
    order = ", ".join(quote_identifier(c) for c in (table.primary_key or table.column_names))
    sql = f"SELECT {columns} FROM {model_relation(table.name)} ORDER BY {order}"
    try:
        reader = query_reader(con, sql, chunk_size)
    except duckdb.Error as exc:
        raise GenerationError(
            f"cannot read the rows of copy table {table.name}: {str(exc).splitlines()[0]}",
            table=table.name,
            hint="check its source (`shive validate`)",
        ) from exc
    has_pii = any(c.pii is not None and c.pii.action != "keep" for c in table.columns)
    for batch in reader:
        if not has_pii:
            yield batch
            continue
        yield caster.to_batch(_private(arrow_to_frame(batch), table, seed))


def write_snapshot(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, *, seed: int, chunk_size: int = 100_000
) -> int:
    """Store the copy rows of ``table`` (PII handled) as Parquet at ``path``, atomically."""
    caster = ChunkCaster(table)
    rows = 0
    try:
        with atomic_path(path) as tmp, pq.ParquetWriter(tmp, caster.schema) as writer:
            for batch in copy_batches(con, table, caster, chunk_size=chunk_size, seed=seed):
                writer.write_batch(batch)
                rows += batch.num_rows
    finally:
        caster.close()
    return rows


def snapshot_batches(table: Table, path: Path, *, chunk_size: int) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema and batches of the rows :func:`write_snapshot` stored."""
    try:
        source = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise ArtifactError(
            f"cannot read the stored rows of copy table {table.name}: {exc}",
            table=table.name,
            path=path,
            hint="retrain the table with `shive train --full-refresh`",
        ) from exc
    return source.schema_arrow, source.iter_batches(batch_size=chunk_size)


def _private(frame: pd.DataFrame, table: Table, seed: int) -> pd.DataFrame:
    from ..privacy import apply_pii

    replaced, _ = apply_pii(frame, table, seed=seed, fake_mode="replace")
    for column in table.column_names:
        if column not in replaced.columns:
            replaced[column] = None
    return replaced[table.column_names]
