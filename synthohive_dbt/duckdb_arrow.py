"""DuckDB results as Arrow under DuckDB 1.x and 2.x: the one version shim.

DuckDB 1.x names the methods ``arrow`` / ``fetch_arrow_reader``, 2.x ``to_arrow_table`` /
``to_arrow_reader``; every stage that reads a DuckDB result as Arrow goes through here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import duckdb


def query_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The whole result of ``sql`` as an Arrow table; an empty one for a statement
    without a result (DDL, SET, ...)."""
    relation = con.sql(sql)
    if relation is None:
        return pa.table({})
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    return fetch()


def query_reader(
    con: duckdb.DuckDBPyConnection, sql: str, batch_size: int
) -> pa.RecordBatchReader | None:
    """The result of ``sql`` as a stream of record batches; None for a statement
    without a result."""
    relation = con.sql(sql)
    if relation is None:
        return None
    fetch = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return fetch(batch_size)
