"""A DuckDB connection as the targets use it: Arrow in and out, errors translated.

Both the DuckDB target and the Parquet target (whose SQL runs in an in-memory DuckDB)
go through this class, so the translation of ``duckdb.Error`` into :class:`TargetError`
lives in one place (the differences between DuckDB releases live in ``duckdb_arrow``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from ..duckdb_arrow import query_arrow, query_reader
from ..errors import TargetError
from ..quoting import quote_identifier

log = logging.getLogger(__name__)

#: name under which one record batch is exposed to an INSERT; never a user's name
BATCH_VIEW = "__shive_batch"


class DuckDBSession:
    """One DuckDB connection plus the Arrow and error plumbing around it."""

    def __init__(self, database: str, what: str) -> None:
        """Open ``database`` (a file path or ``:memory:``); ``what`` names it in errors."""
        self.what = what
        try:
            self.con = duckdb.connect(database)
        except duckdb.Error as exc:
            raise TargetError(
                f"cannot open {what}: {exc}",
                hint="check that no other process holds the database file open for writing",
                path=None if database == ":memory:" else database,
            ) from exc

    @classmethod
    def _wrap(cls, con: duckdb.DuckDBPyConnection, what: str) -> DuckDBSession:
        session = cls.__new__(cls)
        session.con, session.what = con, what
        return session

    def cursor(self) -> DuckDBSession:
        """A second connection to the same database, with a result of its own."""
        return self._wrap(self.con.cursor(), self.what)

    def close(self) -> None:
        self.con.close()

    @contextlib.contextmanager
    def errors(self, action: str, table: str | None = None) -> Iterator[None]:
        """Translate a ``duckdb.Error`` raised inside the block into a TargetError."""
        try:
            yield
        except duckdb.Error as exc:
            raise TargetError(
                f"{action} failed on {self.what}: {exc}",
                hint="check the SQL and the names it uses",
                table=table,
            ) from exc

    # ---- statements ------------------------------------------------------------------
    def run(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and return its (small) result as rows."""
        self.con.execute(sql, list(params) if params is not None else None)
        return self.con.fetchall() if self.con.description else []

    def arrow(self, sql: str) -> pa.Table:
        """Run a query and return its whole result as an Arrow table."""
        return query_arrow(self.con, sql)

    def reader(self, sql: str, batch_size: int) -> pa.RecordBatchReader:
        """Run a query and return a reader that streams its result in batches."""
        reader = query_reader(self.con, sql, batch_size)
        if reader is None:
            raise TargetError(f"{sql!r} returns no rows to read", hint="pass a query")
        return reader

    # ---- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one transaction: committed when it ends, rolled back on any error.

        The rollback also runs for exceptions that are not DuckDB's (a batch iterator that
        raises half-way), which then propagate unchanged.
        """
        self.con.begin()
        committed = False
        try:
            yield
            self.con.commit()
            committed = True
        finally:
            if not committed:
                self._rollback()

    def _rollback(self) -> None:
        try:
            self.con.rollback()
        except duckdb.TransactionException as exc:  # already aborted by DuckDB itself
            log.debug("rollback after a failed transaction: %s", exc)

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        """Append one record batch to ``relation`` (a quoted, qualified name)."""
        self.con.register(BATCH_VIEW, batch)
        try:
            self.con.execute(f"INSERT INTO {relation} SELECT * FROM {quote_identifier(BATCH_VIEW)}")
        finally:
            self.con.unregister(BATCH_VIEW)

    def create_from_schema(self, relation: str, schema: pa.Schema) -> None:
        """Create an empty table ``relation`` whose columns have the DuckDB types of ``schema``."""
        self.con.register(BATCH_VIEW, schema.empty_table())
        try:
            self.con.execute(
                f"CREATE TABLE {relation} AS SELECT * FROM {quote_identifier(BATCH_VIEW)}"
            )
        finally:
            self.con.unregister(BATCH_VIEW)
