"""The DuckDB target: synthetic tables in a DuckDB database file (the embedded default).

A write streams record batches into a staging table ``__shive_tmp_<name>``, committing
batch by batch (so memory stays one batch, not the table), then swaps it in (drop the old
table, rename the staging one) inside one transaction; DuckDB's transactions cover DDL.
A write that fails at any point, including a batch iterator raising half-way, drops the
staging table and leaves the previous table, or none. A process killed mid-write can
leave a staging table behind: it is hidden from listings and replaced by the next write
of that table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import duckdb

from .base import TargetAdapter, validate_identifier
from .batches import TEMP_PREFIX, conform_batches, rebatch, temp_name
from .config import DuckDBTarget
from .duckdb_session import DuckDBSession, quote_identifier

if TYPE_CHECKING:
    import pyarrow as pa

    from .config import TargetConfig

log = logging.getLogger(__name__)

MEMORY = ":memory:"


class DuckDBAdapter(TargetAdapter):
    """Writes and reads tables in one schema of a DuckDB database."""

    type: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    SUPPORTS_ATOMIC_WRITE: ClassVar[bool] = True
    SUPPORTS_STORE_FAILURES: ClassVar[bool] = True
    SUPPORTS_DISTRIBUTED_GENERATION: ClassVar[bool] = False
    SUPPORTS_PERSISTENT_VIEWS: ClassVar[bool] = True

    config_class: ClassVar[type[TargetConfig]] = DuckDBTarget
    config: DuckDBTarget

    def __init__(self, config: TargetConfig, project_dir: Path) -> None:
        super().__init__(config, project_dir)
        self.schema = validate_identifier(self.config.schema_, "schema")
        self._session: DuckDBSession | None = None

    # ---- lifecycle -------------------------------------------------------------------
    @property
    def database(self) -> str:
        """The database file (absolute), or ``:memory:``."""
        if self.config.path == MEMORY:
            return MEMORY
        path = Path(self.config.path).expanduser()
        return str(path if path.is_absolute() else self.project_dir / path)

    def connect(self) -> None:
        """Open the database (creating its folder) and create the schema if missing."""
        if self._session is None:
            self._session = self._open()
            log.debug("connected to %s", self.describe())

    def _open(self) -> DuckDBSession:
        if self.database != MEMORY:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        session = DuckDBSession(self.database, f"duckdb target {self.database}")
        if self.config.memory_limit:
            with session.errors("setting memory_limit"):
                session.run(f"SET memory_limit = '{self.config.memory_limit.strip()}'")
        with session.errors("creating the schema"):
            session.run(f"CREATE SCHEMA IF NOT EXISTS {self.quote(self.schema)}")
        return session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    @property
    def session(self) -> DuckDBSession:
        """The open session (connecting on first use)."""
        if self._session is None:
            self._session = self._open()
        return self._session

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw ``duckdb`` connection, for callers that need DuckDB itself."""
        return self.session.con

    def describe(self) -> str:
        return f"duckdb target {self.database} (schema {self.schema})"

    # ---- SQL -------------------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        return quote_identifier(identifier)

    def relation(self, name: str) -> str:
        validate_identifier(name, "table name")
        return f"{self.quote(self.schema)}.{self.quote(name)}"

    def query(self, sql: str) -> pa.Table:
        with self.session.errors("query"):
            return self.session.arrow(sql)

    def execute(self, sql: str) -> None:
        with self.session.errors("statement"):
            self.session.run(sql)

    # ---- catalog ---------------------------------------------------------------------
    def _kind(self, name: str) -> str | None:
        """'BASE TABLE', 'VIEW', or None when ``name`` does not exist in the schema."""
        rows = self.session.run(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_schema = ? AND lower(table_name) = lower(?)",
            [self.schema, name],
        )
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        """True when a table or view ``name`` exists in the target's schema."""
        validate_identifier(name, "table name")
        return self._kind(name) is not None

    def list_tables(self) -> list[str]:
        """Tables and views in the target's schema, staging tables left out."""
        rows = self.session.run(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "ORDER BY table_name",
            [self.schema],
        )
        return [row[0] for row in rows if not row[0].startswith(TEMP_PREFIX)]

    def _drop_statement(self, name: str) -> str | None:
        kind = self._kind(name)
        if kind is None:
            return None
        keyword = "VIEW" if kind == "VIEW" else "TABLE"
        return f"DROP {keyword} {self.relation(name)}"

    def drop_table(self, name: str) -> None:
        """Drop table (or view) ``name`` if it exists."""
        validate_identifier(name, "table name")
        with self.session.errors("drop", table=name):
            statement = self._drop_statement(name)
            if statement:
                self.session.run(statement)

    # ---- data ------------------------------------------------------------------------
    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Stream ``batches`` into a staging table, then swap it in with one transaction.

        Each batch is committed to the staging table on its own: a transaction that held
        every batch would keep all of them in memory until its commit (DuckDB cannot
        evict uncommitted blocks), so memory would grow with the table. The swap is the
        only step that touches ``name``; a failure before it drops the staging table and
        leaves ``name`` as it was.
        """
        final = self.relation(name)
        staging = self.relation(temp_name(name))
        rows = 0
        session = self.session
        swapped = False
        with session.errors("write", table=name):
            try:
                session.run(f"DROP TABLE IF EXISTS {staging}")
                session.create_from_schema(staging, schema)
                for batch in conform_batches(name, schema, batches):
                    if batch.num_rows:
                        session.insert_batch(staging, batch)
                        rows += batch.num_rows
                with session.transaction():
                    self._swap(name, staging)
                swapped = True
            finally:
                if not swapped:
                    self._drop_staging(staging)
        log.debug("wrote %d rows to %s", rows, final)
        return rows

    def _drop_staging(self, staging: str) -> None:
        """Remove a failed write's staging table; the error being raised is what matters."""
        try:
            self.session.run(f"DROP TABLE IF EXISTS {staging}")
        except duckdb.Error as exc:
            log.warning("could not drop the staging table %s: %s", staging, exc)

    def _swap(self, name: str, staging: str) -> None:
        """Replace ``name`` by the staging table (inside the caller's transaction)."""
        statement = self._drop_statement(name)
        if statement:
            self.session.run(statement)
        self.session.run(f"ALTER TABLE {staging} RENAME TO {self.quote(name)}")

    def read_table(
        self, name: str, columns: list[str] | None = None, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Stream ``name`` in batches, on a cursor of its own.

        The cursor lets a caller write one table while it reads another (a parent's keys
        while generating its children) without the two results interfering. Names are
        checked here, before the first batch is asked for.
        """
        select = self._select_list(name, columns)
        return self._stream(name, f"SELECT {select} FROM {self.relation(name)}", batch_size)

    def _stream(self, name: str, sql: str, batch_size: int) -> Iterator[pa.RecordBatch]:
        cursor = self.session.cursor()
        try:
            with cursor.errors("read", table=name):
                yield from rebatch(cursor.reader(sql, batch_size), batch_size)
        finally:
            cursor.close()

    def _select_list(self, name: str, columns: list[str] | None) -> str:
        if not self.table_exists(name):
            raise self._missing_table(name)
        if columns is None:
            return "*"
        known = [row[0] for row in self.session.run(f"DESCRIBE SELECT * FROM {self.relation(name)}")]
        self._check_columns(name, columns, known)
        return ", ".join(self.quote(c) for c in columns)

    # ---- derived models --------------------------------------------------------------
    def create_view(self, name: str, sql: str) -> None:
        """Create or replace view ``name`` as ``sql``, replacing a table of that name."""
        with self.session.errors("create view", table=name), self.session.transaction():
            if self._kind(name) == "BASE TABLE":
                self.session.run(f"DROP TABLE {self.relation(name)}")
            self.session.run(f"CREATE OR REPLACE VIEW {self.relation(name)} AS {sql}")

    def create_table_as(self, name: str, sql: str) -> int:
        """Materialise ``sql`` as table ``name`` in one transaction; return its row count."""
        staging = self.relation(temp_name(name))
        session = self.session
        with session.errors("create table", table=name), session.transaction():
            session.run(f"DROP TABLE IF EXISTS {staging}")
            session.run(f"CREATE TABLE {staging} AS {sql}")
            rows = session.run(f"SELECT count(*) FROM {staging}")[0][0]
            self._swap(name, staging)
        return int(rows)
