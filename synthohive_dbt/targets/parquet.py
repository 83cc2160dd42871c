"""The Parquet target: one ``<path>/<table>.parquet`` file per synthetic table.

A write goes to a hidden temporary file in the same folder and is renamed over the
table's file with :func:`os.replace`, which is atomic on one filesystem: readers see
the old file or the new one, never a partial file, and a failed write deletes its
temporary file. SQL (emitted tests, derived models) runs in an in-memory DuckDB
where each table file is a view of the same name, so the tests that run on the
DuckDB target run unchanged on Parquet output.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import TargetError
from .base import PLAIN_NAME, TargetAdapter, validate_identifier
from .batches import conform_batches, rebatch
from .config import ParquetTarget
from .duckdb_session import DuckDBSession, quote_identifier, quote_literal

if TYPE_CHECKING:
    from .config import TargetConfig

log = logging.getLogger(__name__)

SUFFIX = ".parquet"


class ParquetAdapter(TargetAdapter):
    """Writes tables as Parquet files in one folder and queries them through DuckDB."""

    type: ClassVar[str] = "parquet"
    dialect: ClassVar[str] = "duckdb"
    SUPPORTS_ATOMIC_WRITE: ClassVar[bool] = True
    SUPPORTS_STORE_FAILURES: ClassVar[bool] = True
    SUPPORTS_DISTRIBUTED_GENERATION: ClassVar[bool] = False
    #: a view lives only in this adapter's in-memory DuckDB; derived models become files
    SUPPORTS_PERSISTENT_VIEWS: ClassVar[bool] = False

    config_class: ClassVar[type[TargetConfig]] = ParquetTarget
    config: ParquetTarget

    def __init__(self, config: TargetConfig, project_dir: Path) -> None:
        super().__init__(config, project_dir)
        self._session: DuckDBSession | None = None
        self._views: set[str] = set()

    # ---- lifecycle -------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        """The folder the table files live in (absolute)."""
        path = Path(self.config.path).expanduser()
        return path if path.is_absolute() else self.project_dir / path

    def connect(self) -> None:
        """Create the folder and the in-memory DuckDB that queries the files."""
        if self._session is None:
            self._session = self._open()

    def _open(self) -> DuckDBSession:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TargetError(
                f"cannot create the parquet folder: {exc}",
                hint="set path: in profiles.yml to a folder you can write",
                path=self.folder,
            ) from exc
        self._views = set()
        return DuckDBSession(":memory:", f"parquet target {self.folder}")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    @property
    def session(self) -> DuckDBSession:
        """The in-memory DuckDB session (opened on first use), views in sync with the folder."""
        if self._session is None:
            self._session = self._open()
        return self._session

    def describe(self) -> str:
        return f"parquet target {self.folder}"

    def file(self, name: str) -> Path:
        """The Parquet file of table ``name``."""
        return self.folder / (validate_identifier(name, "table name") + SUFFIX)

    # ---- SQL -------------------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        return quote_identifier(identifier)

    def relation(self, name: str) -> str:
        """The DuckDB view over ``<path>/<name>.parquet``, as SQL."""
        return self.quote(validate_identifier(name, "table name"))

    def query(self, sql: str) -> pa.Table:
        """Run DuckDB SQL in which every table file is a view."""
        self._sync_views()
        with self.session.errors("query"):
            return self.session.arrow(sql)

    def execute(self, sql: str) -> None:
        self._sync_views()
        with self.session.errors("statement"):
            self.session.run(sql)

    def _sync_views(self) -> None:
        """Make the views match the files now in the folder (another process may write)."""
        present = set(self.list_tables())
        with self.session.errors("refreshing views"):
            for name in sorted(present - self._views):
                self._create_file_view(name)
            for name in sorted(self._views - present):
                self.session.run(f"DROP VIEW IF EXISTS {self.relation(name)}")
        self._views = present

    def _create_file_view(self, name: str) -> None:
        # The file path is a literal, quoted, never an identifier: names are plain already.
        self.session.run(
            f"CREATE OR REPLACE VIEW {self.relation(name)} AS "
            f"SELECT * FROM read_parquet({quote_literal(str(self.file(name)))})"
        )
        self._views.add(name)

    # ---- catalog ---------------------------------------------------------------------
    def list_tables(self) -> list[str]:
        """Tables with a file in the folder (files whose stem is not a plain name are skipped)."""
        if not self.folder.is_dir():
            return []
        names = (p.name[: -len(SUFFIX)] for p in self.folder.glob("*" + SUFFIX) if p.is_file())
        return sorted(n for n in names if PLAIN_NAME.match(n))

    def table_exists(self, name: str) -> bool:
        return self.file(name).is_file()

    def drop_table(self, name: str) -> None:
        """Delete ``<name>.parquet`` if it exists, and its view."""
        self.file(name).unlink(missing_ok=True)
        if self._session is not None and name in self._views:
            with self.session.errors("drop", table=name):
                self.session.run(f"DROP VIEW IF EXISTS {self.relation(name)}")
            self._views.discard(name)

    # ---- data ------------------------------------------------------------------------
    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Write ``batches`` to a temporary file, then rename it over ``<name>.parquet``."""
        final = self.file(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{name}{SUFFIX}.{uuid.uuid4().hex[:12]}.tmp"
        done = False
        try:
            rows = self._write_file(temporary, name, schema, batches)
            os.replace(temporary, final)
            done = True
        except OSError as exc:
            raise TargetError(
                f"cannot write {final}: {exc}",
                hint="check free space and permissions",
                path=final,
                table=name,
            ) from exc
        finally:
            if not done:
                temporary.unlink(missing_ok=True)
        if self._session is not None:
            with self.session.errors("refreshing views"):
                self._create_file_view(name)
        log.debug("wrote %d rows to %s", rows, final)
        return rows

    def _write_file(
        self, path: Path, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
    ) -> int:
        """Write row groups of exactly ``row_group_size`` rows (the last one shorter).

        Memory holds at most one row group plus one incoming batch.
        """
        compression = None if self.config.compression == "none" else self.config.compression
        group_size = self.config.row_group_size
        pending = schema.empty_table()
        rows = 0
        with pq.ParquetWriter(path, schema, compression=compression) as writer:
            for batch in conform_batches(name, schema, batches):
                rows += batch.num_rows
                pending = pa.concat_tables([pending, pa.Table.from_batches([batch], schema)])
                while pending.num_rows >= group_size:
                    writer.write_table(pending.slice(0, group_size), group_size)
                    pending = pending.slice(group_size)
            if pending.num_rows:
                writer.write_table(pending, group_size)
        return rows

    def read_table(
        self, name: str, columns: list[str] | None = None, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Stream ``<name>.parquet`` with pyarrow, one batch at a time."""
        path = self.file(name)
        if not path.is_file():
            raise self._missing_table(name, path=path)
        parquet = pq.ParquetFile(path)
        self._check_columns(name, columns, parquet.schema_arrow.names)
        return rebatch(parquet.iter_batches(batch_size=batch_size, columns=columns), batch_size)

    # ---- derived models --------------------------------------------------------------
    def create_table_as(self, name: str, sql: str) -> int:
        """Stream the result of ``sql`` into ``<name>.parquet`` (atomically, as any write)."""
        self._sync_views()
        with self.session.errors("create table", table=name):
            reader = self.session.reader(sql, 65_536)
            return self.write_table(name, reader.schema, reader)

    def create_view(self, name: str, sql: str) -> None:
        """Materialise ``sql`` as a file: a view would vanish with this process."""
        log.debug("parquet target: view %s materialised as a file", name)
        self.create_table_as(name, sql)
