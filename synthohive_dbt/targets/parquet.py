"""The Parquet target: one ``<path>/<table>.parquet`` file per synthetic table.

A write goes to a hidden temporary file in the same folder and is renamed over the
table's file with :func:`os.replace`, which is atomic on one filesystem: readers see
the old file or the new one, never a partial file, and a failed write deletes its
temporary file. SQL (emitted tests, derived models) runs in an in-memory DuckDB
where each table file is a view of the same name, so the tests that run on the
DuckDB target run unchanged on Parquet output.

A generation (a run's set of tables, :mod:`.generation`) is written beside the current
set, into ``<parent>/.<folder>.generations/<id>/``, and switched in by one rename:
``<path>`` is a symbolic link to the current generation's folder, and the switch
replaces that link (:func:`os.replace` of a new link over it, atomic on POSIX). A reader
that opens ``<path>/<table>.parquet`` gets a file of the current set; a reader that
wants several tables of one set resolves the link once (``os.path.realpath``) and reads
them from the folder it names. Tables the generation did not write are carried over
into its folder as hard links (the files are never changed in place, only replaced),
so a ``--select`` run keeps the others. Each file written in a generation carries its
id in the Parquet key-value metadata (``shive.generation_id``); the folder holds
``.shive_generation.json``. A generation killed before the switch leaves the old link
(or, the first time, no ``<path>`` at all) and a folder the next generation deletes.
A ``<path>`` that is still a plain folder (written before generations, or by writes
outside one) is moved to ``.<folder>.generations/legacy`` at the first switch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from .. import locking
from ..atomic import atomic_path, write_json_atomic
from ..errors import TargetError
from ..faults import fault_point
from ..quoting import quote_literal
from .base import PLAIN_NAME, TargetAdapter, validate_identifier
from .batches import conform_batches, rebatch
from .config import ParquetTarget
from .duckdb_session import DuckDBSession
from .generation import Generation, TableGeneration

if TYPE_CHECKING:
    from .config import TargetConfig

log = logging.getLogger(__name__)

SUFFIX = ".parquet"
#: key of the generation id in a file's Parquet key-value metadata
GENERATION_KEY = b"shive.generation_id"
#: the record of a generation, in its folder
GENERATION_FILE = ".shive_generation.json"
#: the folder a plain (pre-generation) ``<path>`` is moved to at the first switch
LEGACY = "legacy"


class ParquetAdapter(TargetAdapter):
    """Writes tables as Parquet files in one folder and queries them through DuckDB."""

    type: ClassVar[str] = "parquet"
    dialect: ClassVar[str] = "duckdb"
    SUPPORTS_SEEDED_SAMPLE: ClassVar[bool] = True
    SUPPORTS_ATOMIC_RUN: ClassVar[bool] = True
    #: a view lives only in this adapter's in-memory DuckDB; derived models become files
    SUPPORTS_PERSISTENT_VIEWS: ClassVar[bool] = False

    config_class: ClassVar[type[TargetConfig]] = ParquetTarget
    config: ParquetTarget

    def __init__(self, config: TargetConfig, project_dir: Path) -> None:
        super().__init__(config, project_dir)
        self._session: DuckDBSession | None = None
        self._views: set[str] = set()
        self._lock: contextlib.ExitStack | None = None

    # ---- lifecycle -------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        """The folder the table files live in (absolute)."""
        path = Path(self.config.path).expanduser()
        return path if path.is_absolute() else self.project_dir / path

    @property
    def generations_root(self) -> Path:
        """Where the generations' folders live: ``<parent>/.<folder>.generations``."""
        return self.folder.parent / f".{self.folder.name}.generations"

    def connect(self) -> None:
        """Create the folder's parent and the in-memory DuckDB that queries the files.

        ``<path>`` itself appears with the first table (or generation) written."""
        if self._session is None:
            self._session = self._open()

    def _open(self) -> DuckDBSession:
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
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
        """The Parquet file of table ``name`` (the staged one, in an open generation)."""
        staged = self.staged(validate_identifier(name, "table name"))
        return Path(staged) if staged else self.folder / (name + SUFFIX)

    def _destination(self, name: str) -> Path:
        """Where a write of ``name`` goes: the open generation's folder, else ``<path>``."""
        gen = self.current_generation
        folder = self.generations_root / gen.id if gen is not None else self.folder
        return folder / (validate_identifier(name, "table name") + SUFFIX)

    # ---- SQL -------------------------------------------------------------------------
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
        """Tables with a file in the folder, and those the open generation staged (files
        whose stem is not a plain name are skipped)."""
        return sorted(set(self._folder_tables()) | set(self._staged_tables()))

    def _folder_tables(self) -> list[str]:
        """Tables with a file in ``<path>`` (the current set)."""
        if not self.folder.is_dir():
            return []
        names = (p.name[: -len(SUFFIX)] for p in self.folder.glob("*" + SUFFIX) if p.is_file())
        return [n for n in names if PLAIN_NAME.match(n)]

    def _staged_tables(self) -> list[str]:
        gen = self.current_generation
        return list(gen.staged) if gen is not None else []

    def table_exists(self, name: str) -> bool:
        return self.file(name).is_file()

    def drop_table(self, name: str) -> None:
        """Delete ``<name>.parquet`` (the staged one, in a generation) and its view."""
        self.file(name).unlink(missing_ok=True)
        if self.current_generation is not None:
            self.current_generation.staged.pop(name, None)
        if self._session is not None and name in self._views:
            with self.session.errors("drop", table=name):
                self.session.run(f"DROP VIEW IF EXISTS {self.relation(name)}")
            self._views.discard(name)

    # ---- data ------------------------------------------------------------------------
    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Write ``batches`` to a temporary file, then rename it over ``<name>.parquet``."""
        final = self._destination(name)
        try:
            with atomic_path(final, private=False) as temporary:
                rows = self._write_file(temporary, name, schema, batches)
            self._staged_write(name, str(final), rows)
        except OSError as exc:
            raise TargetError(
                f"cannot write {final}: {exc}",
                hint="check free space and permissions",
                path=final,
                table=name,
            ) from exc
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
        file_schema = schema
        if self.current_generation is not None:
            tag = {GENERATION_KEY: self.current_generation.id.encode()}
            file_schema = schema.with_metadata({**(schema.metadata or {}), **tag})
        with pq.ParquetWriter(path, file_schema, compression=compression) as writer:
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

    # ---- generations -----------------------------------------------------------------
    def _lock_path(self) -> Path:
        return self.folder.parent / f".{self.folder.name}.lock"

    def _begin_generation(self, gen: Generation) -> None:
        """Lock the output, restore an interrupted first switch, delete what killed
        generations left, and create the new generation's folder."""
        stack = contextlib.ExitStack()
        stack.enter_context(
            locking.exclusive(self._lock_path(), "generate", what=f"parquet output {self.folder}")
        )
        self._lock = stack
        try:
            self._restore_legacy()
            self._remove_stale(keep=self._current_dir())
            (self.generations_root / gen.id).mkdir(parents=True)
        except OSError as exc:
            self._release_lock()
            raise TargetError(
                f"cannot prepare a generation in {self.generations_root}: {exc}",
                hint="check free space and permissions",
                path=self.generations_root,
            ) from exc

    def _current_dir(self) -> Path | None:
        """The folder ``<path>`` links to, or None when it is absent or a plain folder."""
        if not self.folder.is_symlink():
            return None
        return Path(os.path.realpath(self.folder))

    def _restore_legacy(self) -> None:
        """A switch killed between moving a plain ``<path>`` aside and linking the new set
        leaves no ``<path>``: put the old folder back."""
        legacy = self.generations_root / LEGACY
        if legacy.is_dir() and not os.path.lexists(self.folder):
            log.info("restoring %s from %s (a switch was interrupted)", self.folder, legacy)
            os.rename(legacy, self.folder)

    def _remove_stale(self, keep: Path | None) -> None:
        """Delete generation folders and half-made links other than ``keep``."""
        if self.generations_root.is_dir():
            for entry in self.generations_root.iterdir():
                if keep is not None and entry.resolve() == keep:
                    continue
                log.info("removing %s, left by a run that did not finish", entry)
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        for link in self.folder.parent.glob(f".{self.folder.name}.link-*"):
            link.unlink()

    def _commit_generation(self, gen: Generation) -> None:
        """Carry the tables this generation did not write into its folder, record it, and
        switch ``<path>`` to it with one rename."""
        new = self.generations_root / gen.id
        try:
            self._carry_over(gen, new)
            write_json_atomic(new / GENERATION_FILE,
                              {"generation_id": gen.id, "tables": dict(gen.rows)})  # fmt: skip
            fault_point("generate.commit")
            old = self._current_dir()
            self._switch(gen, new)
        except OSError as exc:
            raise TargetError(
                f"cannot switch {self.folder} to generation {gen.id}: {exc}",
                hint="check free space and permissions; the previous tables are still in place",
                path=self.folder,
            ) from exc
        self._forget_views()
        for stale in (old, self.generations_root / LEGACY):
            if stale is not None and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)

    def _carry_over(self, gen: Generation, new: Path) -> None:
        """Hard-link (else copy) the current set's other files into the new folder."""
        for name in self._folder_tables():
            if name in gen.staged:
                continue
            source, dest = self.folder / (name + SUFFIX), new / (name + SUFFIX)
            try:
                os.link(source, dest)
            except OSError:  # another filesystem, or no hard links: copy instead
                shutil.copy2(source, dest)

    def _switch(self, gen: Generation, new: Path) -> None:
        """Point ``<path>`` at ``new`` by renaming a fresh link over it (atomic)."""
        link = self.folder.parent / f".{self.folder.name}.link-{gen.id}"
        os.symlink(os.path.relpath(new, self.folder.parent), link, target_is_directory=True)
        if self.folder.is_dir() and not self.folder.is_symlink():
            # a plain folder cannot be replaced by a rename: move it aside first (a kill
            # here is undone by _restore_legacy at the next generation)
            os.rename(self.folder, self.generations_root / LEGACY)
        os.replace(link, self.folder)

    def _forget_views(self) -> None:
        """Drop the views: they may point at staged files; the next query makes them anew."""
        if self._session is not None:
            with self.session.errors("refreshing views"):
                for name in sorted(self._views):
                    self.session.run(f"DROP VIEW IF EXISTS {self.relation(name)}")
        self._views = set()

    def _abort_generation(self, gen: Generation) -> None:
        new = self.generations_root / gen.id
        if new.is_dir() and self._current_dir() != new.resolve():
            shutil.rmtree(new, ignore_errors=True)
        self._forget_views()

    def _end_generation(self, gen: Generation) -> None:
        self._release_lock()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def table_generations(self) -> dict[str, TableGeneration]:
        """The generation id each table's file carries, and its rows."""
        found: dict[str, TableGeneration] = {}
        for name in self._folder_tables():
            path = self.folder / (name + SUFFIX)
            meta = pq.read_metadata(path)
            tag = (meta.metadata or {}).get(GENERATION_KEY)
            if tag is not None:
                found[name] = TableGeneration(name, tag.decode(), meta.num_rows)
        return found
