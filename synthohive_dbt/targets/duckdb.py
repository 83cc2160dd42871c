"""The DuckDB target: synthetic tables in a DuckDB database file (the embedded default).

A write streams record batches into a staging table ``__shive_tmp_<name>``, committing
batch by batch (so memory stays one batch, not the table), then swaps it in (drop the old
table, rename the staging one) inside one transaction; DuckDB's transactions cover DDL.
A write that fails at any point, including a batch iterator raising half-way, drops the
staging table and leaves the previous table, or none. A process killed mid-write can
leave a staging table behind: it is hidden from listings and replaced by the next write
of that table.

A table named in the target's ``relations`` is stored under that schema and name instead
(its staged and staging tables beside it, in that schema); every statement reaches a table
through :meth:`relation`.

Inside a generation (:mod:`.generation`) a write lands, by the same staging and swap,
in ``__shive_gen_<id>_<name>`` instead of ``name``; reads and checks of ``name`` see
that table. The generation's swap renames every staged table over its final one in
one transaction, together with the rows of ``__shive_generations`` that record which
generation each table comes from: a process killed before the commit leaves the
previous tables (DuckDB keeps only committed transactions), and the next generation
drops the staged tables it left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import duckdb

from ..errors import TargetError
from ..faults import fault_point
from .base import TargetAdapter, validate_identifier
from .batches import conform_batches, rebatch, temp_name
from .config import DuckDBTarget
from .duckdb_session import DuckDBSession
from .generation import HIDDEN_PREFIX, STAGE_PREFIX, Generation, TableGeneration, stage_name

if TYPE_CHECKING:
    import pyarrow as pa

    from .config import TargetConfig

log = logging.getLogger(__name__)

MEMORY = ":memory:"
#: the table recording which generation each table was swapped in by
GENERATIONS_TABLE = "__shive_generations"


class DuckDBAdapter(TargetAdapter):
    """Writes and reads tables in one schema of a DuckDB database."""

    type: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    SUPPORTS_SEEDED_SAMPLE: ClassVar[bool] = True
    SUPPORTS_ATOMIC_RUN: ClassVar[bool] = True

    config_class: ClassVar[type[TargetConfig]] = DuckDBTarget
    config: DuckDBTarget

    def __init__(self, config: TargetConfig, project_dir: Path) -> None:
        super().__init__(config, project_dir)
        self.schema = validate_identifier(self.config.schema_, "schema")
        self._places = _parse_relations(self.config.relations)
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
            for schema in self._schemas():
                session.run(f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}")
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
    def relation(self, name: str) -> str:
        """``"schema"."name"``, or the table staged for ``name`` in the open generation."""
        validate_identifier(name, "table name")
        schema, physical = self._physical(name)
        return self._qualified(physical, schema)

    def _home(self, name: str) -> tuple[str, str]:
        """(schema, table name) that table ``name`` is stored as once swapped in."""
        return self._places.get(name, (self.schema, name))

    def _schemas(self) -> list[str]:
        """The target's schema and every schema ``relations`` places a table in."""
        return list(dict.fromkeys([self.schema, *(s for s, _ in self._places.values())]))

    def _physical(self, name: str) -> tuple[str, str]:
        """(schema, catalog name) that holds table ``name`` now (staged, else its home)."""
        schema, final = self._home(name)
        return schema, self.staged(name) or final

    def _qualified(self, physical: str, schema: str | None = None) -> str:
        return f"{self.quote(schema or self.schema)}.{self.quote(physical)}"

    def query(self, sql: str) -> pa.Table:
        with self.session.errors("query"):
            return self.session.arrow(sql)

    def execute(self, sql: str) -> None:
        with self.session.errors("statement"):
            self.session.run(sql)

    # ---- catalog ---------------------------------------------------------------------
    def _kind(self, name: str) -> str | None:
        """'BASE TABLE', 'VIEW', or None when table ``name`` (staged or not) does not exist."""
        schema, physical = self._physical(name)
        return self._catalog_kind(physical, schema)

    def _catalog_kind(self, physical: str, schema: str | None = None) -> str | None:
        """'BASE TABLE', 'VIEW', or None when ``physical`` is not in the schema."""
        rows = self.session.run(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_schema = ? AND lower(table_name) = lower(?)",
            [schema or self.schema, physical],
        )
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        """True when a table or view ``name`` exists in the target's schema."""
        validate_identifier(name, "table name")
        return self._kind(name) is not None

    def _catalog_names(self, schema: str | None = None) -> list[str]:
        rows = self.session.run(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "ORDER BY table_name",
            [schema or self.schema],
        )
        return [row[0] for row in rows]

    def list_tables(self) -> list[str]:
        """Tables and views in the target's schema, those ``relations`` places elsewhere,
        and those the open generation staged; staging and bookkeeping tables left out."""
        placed_here = {t for s, t in self._places.values() if s == self.schema}
        names = {
            n for n in self._catalog_names()
            if not n.startswith(HIDDEN_PREFIX) and n not in placed_here
        }  # fmt: skip
        names.update(name for name in self._places if self._kind(name) is not None)
        if self.current_generation is not None:
            names.update(self.current_generation.staged)
        return sorted(names)

    def _drop_statement(self, physical: str, schema: str | None = None) -> str | None:
        kind = self._catalog_kind(physical, schema)
        if kind is None:
            return None
        keyword = "VIEW" if kind == "VIEW" else "TABLE"
        return f"DROP {keyword} {self._qualified(physical, schema)}"

    def drop_table(self, name: str) -> None:
        """Drop table (or view) ``name`` if it exists (its staged table, in a generation)."""
        validate_identifier(name, "table name")
        with self.session.errors("drop", table=name):
            schema, physical = self._physical(name)
            statement = self._drop_statement(physical, schema)
            if statement:
                self.session.run(statement)
        if self.current_generation is not None:
            self.current_generation.staged.pop(name, None)

    # ---- data ------------------------------------------------------------------------
    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Stream ``batches`` into a staging table, then swap it in with one transaction.

        Each batch is committed to the staging table on its own: a transaction that held
        every batch would keep all of them in memory until its commit (DuckDB cannot
        evict uncommitted blocks), so memory would grow with the table. The swap is the
        only step that touches ``name``; a failure before it drops the staging table and
        leaves ``name`` as it was.
        """
        where, physical = self._destination(name)
        staging = self._qualified(temp_name(physical), where)
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
                    self._swap(physical, staging, where)
                swapped = True
            finally:
                if not swapped:
                    self._drop_staging(staging)
        self._staged_write(name, physical, rows)
        log.debug("wrote %d rows to %s", rows, self._qualified(physical, where))
        return rows

    def _destination(self, name: str) -> tuple[str, str]:
        """(schema, catalog name) a write of ``name`` goes to: staged in a generation."""
        validate_identifier(name, "table name")
        schema, final = self._home(name)
        gen = self.current_generation
        return schema, stage_name(gen.id, name) if gen is not None else final

    def _drop_staging(self, staging: str) -> None:
        """Remove a failed write's staging table; the error being raised is what matters."""
        try:
            self.session.run(f"DROP TABLE IF EXISTS {staging}")
        except duckdb.Error as exc:
            log.warning("could not drop the staging table %s: %s", staging, exc)

    def _swap(self, physical: str, staging: str, schema: str | None = None) -> None:
        """Replace table ``physical`` of ``schema`` by the staging relation, which is in the
        same schema (in the caller's transaction)."""
        statement = self._drop_statement(physical, schema)
        if statement:
            self.session.run(statement)
        self.session.run(f"ALTER TABLE {staging} RENAME TO {self.quote(physical)}")

    # ---- generations -----------------------------------------------------------------
    def _begin_generation(self, gen: Generation) -> None:
        """Drop what killed writes and generations left staged (no other run is writing:
        the project lock, and DuckDB's own lock on the file, exclude one)."""
        with self.session.errors("removing staged tables of an earlier run"):
            for schema in self._schemas():
                for name in self._catalog_names(schema):
                    if name.startswith(STAGE_PREFIX) or name.startswith(temp_name("")):
                        log.info("dropping %s, left by a run that did not finish", name)
                        self.session.run(f"DROP TABLE IF EXISTS {self._qualified(name, schema)}")

    def _commit_generation(self, gen: Generation) -> None:
        """Rename every staged table over its final one, and record the generation, in one
        transaction: the target has the whole new set or (killed first) the old one."""
        session = self.session
        meta = self._qualified(GENERATIONS_TABLE)
        with session.errors(f"swapping in generation {gen.id}"), session.transaction():
            # no PRIMARY KEY: DuckDB before 1.2 refuses a delete and re-insert of one key
            # inside a transaction (over-eager index checks); the delete below keeps it unique
            session.run(
                f"CREATE TABLE IF NOT EXISTS {meta} (table_name VARCHAR NOT NULL, "
                "generation_id VARCHAR NOT NULL, rows BIGINT NOT NULL, swapped_at TIMESTAMP)"
            )
            for name, physical in gen.staged.items():
                schema, final = self._home(name)
                self._swap(final, self._qualified(physical, schema), schema)
                fault_point("generate.commit")
            for name in gen.staged:
                session.run(f"DELETE FROM {meta} WHERE table_name = ?", [name])
                session.run(
                    f"INSERT INTO {meta} VALUES (?, ?, ?, current_timestamp::TIMESTAMP)",
                    [name, gen.id, gen.rows.get(name, 0)],
                )

    def _abort_generation(self, gen: Generation) -> None:
        for name, physical in gen.staged.items():
            self._drop_staging(self._qualified(physical, self._home(name)[0]))

    def table_generations(self) -> dict[str, TableGeneration]:
        """From ``__shive_generations``: the generation of each table swapped in by one."""
        if self._catalog_kind(GENERATIONS_TABLE) is None:
            return {}
        present = set(self.list_tables())
        rows = self.session.run(
            f"SELECT table_name, generation_id, rows FROM {self._qualified(GENERATIONS_TABLE)}"
        )
        return {
            name: TableGeneration(name, generation, int(count))
            for name, generation, count in rows
            if name in present
        }

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
        where, physical = self._destination(name)
        staging = self._qualified(temp_name(physical), where)
        session = self.session
        with session.errors("create table", table=name), session.transaction():
            session.run(f"DROP TABLE IF EXISTS {staging}")
            session.run(f"CREATE TABLE {staging} AS {sql}")
            rows = session.run(f"SELECT count(*) FROM {staging}")[0][0]
            self._swap(physical, staging, where)
        self._staged_write(name, physical, int(rows))
        return int(rows)


def _parse_relations(relations: dict[str, str]) -> dict[str, tuple[str, str]]:
    """``{table: 'schema.name'}`` of the target's settings as checked (schema, name) pairs."""
    places: dict[str, tuple[str, str]] = {}
    for table, where in relations.items():
        validate_identifier(table, "table name in relations")
        schema, dot, name = where.partition(".")
        if not dot:
            raise TargetError(
                f"relations: {table}: {where!r} is not 'schema.name'",
                hint="write the schema and the table name, e.g. raw.customers",
                table=table,
            )
        places[table] = (
            validate_identifier(schema, f"schema of relations.{table}"),
            validate_identifier(name, f"table name of relations.{table}"),
        )
    return places
