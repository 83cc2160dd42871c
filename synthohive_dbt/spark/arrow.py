"""Moving rows between Arrow and Spark for the spark target, with bounded driver memory.

Writes send Arrow tables of at most a chunk of rows to Spark; reads bring a table back
one partition at a time. Naive Arrow timestamps become Spark ``TIMESTAMP_NTZ`` so they
come back as they went in, whatever the session's time zone.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..errors import TargetError
from .cluster import import_pyspark, spark_error_types, spark_errors

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def pyspark_major() -> int:
    """The installed pyspark's major version (4 reads Arrow tables directly)."""
    return int(import_pyspark().__version__.split(".")[0])


def spark_schema(schema: pa.Schema) -> Any:
    """Spark types for an Arrow schema; naive timestamps stay naive (TIMESTAMP_NTZ)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    # pyspark 3.5 has no prefer_timestamp_ntz (and maps naive timestamps to TIMESTAMP)
    ntz = "prefer_timestamp_ntz" in inspect.signature(from_arrow_schema).parameters
    try:
        return from_arrow_schema(schema, **({"prefer_timestamp_ntz": True} if ntz else {}))
    except (TypeError, *spark_error_types()) as exc:
        raise TargetError(
            f"an Arrow type has no Spark equivalent: {exc}",
            hint="cast the column to a standard type (int, float, decimal, date, timestamp, string)",
        ) from exc


def to_dataframe(spark: SparkSession, table: pa.Table) -> DataFrame:
    """A Spark DataFrame of ``table`` with the Spark types of its Arrow types."""
    schema = spark_schema(table.schema)
    with spark_errors("converting Arrow to Spark"):
        if pyspark_major() >= 4:
            return spark.createDataFrame(table, schema=schema)
        frame = table.to_pandas(integer_object_nulls=True, date_as_object=True)
        return spark.createDataFrame(frame, schema=schema)


def arrow_chunks(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, max_rows: int
) -> Iterator[pa.Table]:
    """Group batches into tables of about ``max_rows``; always at least one (maybe empty)."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    emitted = False
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= max_rows:
            yield pa.Table.from_batches(pending, schema)
            pending, rows, emitted = [], 0, True
    if pending or not emitted:
        yield pa.Table.from_batches(pending, schema)


def to_arrow(df: DataFrame) -> pa.Table:
    """Collect ``df`` to the driver as one Arrow table (for query results)."""
    if hasattr(df, "toArrow"):
        return df.toArrow()
    return pa.Table.from_pandas(df.toPandas(), preserve_index=False)


def partition_stream(df: DataFrame) -> Iterator[pa.RecordBatch]:
    """Yield the record batches of ``df`` one partition at a time (bounded driver memory).

    Each partition's batches are serialised to Arrow IPC on the executors and fetched
    one row per batch with ``toLocalIterator``. The function shipped to the executors
    is nested, so it is pickled by value and needs no synthohive_dbt on the workers.
    """
    from pyspark.sql.types import BinaryType, StructField, StructType

    def to_ipc(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            yield pa.record_batch([pa.array([sink.getvalue().to_pybytes()])], names=["ipc"])

    encoded = df.mapInArrow(to_ipc, StructType([StructField("ipc", BinaryType(), False)]))
    with spark_errors("read"):
        for row in encoded.toLocalIterator():
            with pa.ipc.open_stream(row.ipc) as reader:
                yield from reader
