"""The Spark target: synthetic tables in a Spark (Hive) catalog, as Parquet/ORC/Delta.

A write saves the batches as a staging table ``__shive_tmp_<name>_<id>`` and then
swaps it in (drop the old table, ``ALTER TABLE ... RENAME TO``). A failure while the
staging table is written leaves the previous table untouched and drops the staging
table; only the two catalog statements of the swap are not one transaction, so a
crash exactly between them leaves no table (never half of one).

Inside a generation (:mod:`.generation`) a table is written, by the same staging and
swap, as ``__shive_gen_<id>_<name>`` and read back under that name. The generation's
swap first marks every staged table (table properties ``shive.generation_id``,
``shive.committing``), then renames them over their final tables one by one: a Hive
catalog has no transaction over several tables, so a process killed during the renames
leaves some tables swapped; the next generation finds the marked staged tables and
finishes their renames (rolls forward) before it starts, and drops unmarked ones.
Every swapped table keeps ``shive.generation_id`` in its properties.

With ``location:`` set, each write goes to a fresh folder
``<location>/<table>/<write id>`` and the folder of the replaced table is deleted
after the swap: overwriting ``<location>/<table>`` in place would destroy the
previous data before the new data is complete.

pyspark is imported lazily (see :mod:`synthohive_dbt.spark.cluster`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa

from ..errors import TargetError, known_names_hint
from ..faults import fault_point
from ..spark.arrow import arrow_chunks, partition_stream, to_arrow, to_dataframe
from ..spark.cluster import (
    build_session,
    import_pyspark,
    resolve_location,
    session_running,
    spark_error_types,
    spark_errors,
)
from ..spark.config import SparkTarget
from .base import TargetAdapter, validate_identifier
from .batches import TEMP_PREFIX, conform_batches, rebatch, temp_name
from .generation import (
    HIDDEN_PREFIX,
    Generation,
    TableGeneration,
    parse_stage_name,
    stage_name,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from .config import TargetConfig

log = logging.getLogger(__name__)

#: table properties a generation's swap sets on the tables it stages
GENERATION_PROPERTY = "shive.generation_id"
ROWS_PROPERTY = "shive.rows"
COMMITTING_PROPERTY = "shive.committing"


class SparkAdapter(TargetAdapter):
    """Writes tables into one database of a Spark catalog."""

    type: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    SUPPORTS_ATOMIC_WRITE: ClassVar[bool] = True
    #: staged, then renamed one by one; a kill during the renames is rolled forward
    SUPPORTS_ATOMIC_RUN: ClassVar[bool] = True
    SUPPORTS_STORE_FAILURES: ClassVar[bool] = True
    #: learned tables are generated on the executors (the plug-in's generator; docs/spark.md)
    SUPPORTS_DISTRIBUTED_GENERATION: ClassVar[bool] = True
    #: views persist in a Hive metastore (with hive_support: false, for the session only)
    SUPPORTS_PERSISTENT_VIEWS: ClassVar[bool] = True
    #: rows per Spark DataFrame a write sends from the driver (bounds driver memory)
    WRITE_CHUNK_ROWS: ClassVar[int] = 500_000

    config_class: ClassVar[type[TargetConfig]] = SparkTarget
    config: SparkTarget

    def __init__(
        self, config: TargetConfig, project_dir: Path, session: SparkSession | None = None
    ) -> None:
        """``session``: an already running SparkSession to use (and not stop on close)."""
        super().__init__(config, project_dir)
        self.database = validate_identifier(self.config.database, "database")
        for table in self.config.partition_by:
            validate_identifier(table, "table name in partition_by")
        self.write_chunk_rows = self.WRITE_CHUNK_ROWS
        self._session = session
        self._owns_session = False
        self._database_ready = False

    # ---- lifecycle -------------------------------------------------------------------
    def connect(self) -> None:
        """Start or join the SparkSession and create the database if it is missing."""
        import_pyspark()
        if self._session is None:
            self._owns_session = self.config.method == "session" and not session_running()
            self._session = build_session(self.config, self.project_dir)
        if not self._database_ready:
            with spark_errors("creating the database"):
                self._session.sql(f"CREATE DATABASE IF NOT EXISTS {self.quote(self.database)}")
            self._database_ready = True

    def close(self) -> None:
        """Stop the session if this adapter started it; a session passed in stays up."""
        if self._session is not None and self._owns_session:
            self._session.stop()
        self._session = None
        self._owns_session = False
        self._database_ready = False

    @property
    def spark(self) -> SparkSession:
        """The SparkSession (connecting on first use), for distributed work on this target."""
        if self._session is None or not self._database_ready:
            self.connect()
        return self._session  # type: ignore[return-value]

    def describe(self) -> str:
        where = self.config.connect_url if self.config.method == "connect" else self.config.master
        return f"spark target {where} (database {self.database}, {self.config.file_format})"

    # ---- SQL -------------------------------------------------------------------------
    def relation(self, name: str) -> str:
        """```db`.`name``, or the table staged for ``name`` in the open generation."""
        validate_identifier(name, "table name")
        return self._qualified(self._physical(name))

    def _physical(self, name: str) -> str:
        return self.staged(name) or name

    def _qualified(self, physical: str) -> str:
        return f"{self.quote(self.database)}.{self.quote(physical)}"

    def query(self, sql: str) -> pa.Table:
        """Run Spark SQL and collect the result to the driver as Arrow."""
        with spark_errors("query"):
            return to_arrow(self.spark.sql(sql))

    def execute(self, sql: str) -> None:
        """Run a statement (DDL runs at once; a bare SELECT is only planned)."""
        with spark_errors("statement"):
            self.spark.sql(sql)

    # ---- catalog ---------------------------------------------------------------------
    def _table_type(self, name: str) -> str | None:
        """'MANAGED', 'EXTERNAL', 'VIEW', ... or None when table ``name`` (staged, in a
        generation) does not exist."""
        return self._catalog_type(self._physical(name))

    def _catalog_type(self, physical: str) -> str | None:
        """The type of catalog entry ``physical``, or None when there is none."""
        name = physical
        qualified = f"{self.database}.{physical}"
        with spark_errors("catalog lookup", table=name):
            if not self.spark.catalog.tableExists(qualified):
                return None
            return self.spark.catalog.getTable(qualified).tableType

    def table_exists(self, name: str) -> bool:
        validate_identifier(name, "table name")
        return self._table_type(name) is not None

    def _catalog_names(self) -> list[str]:
        with spark_errors("listing tables"):
            tables = self.spark.catalog.listTables(self.database)
        return [t.name for t in tables if not t.isTemporary]

    def list_tables(self) -> list[str]:
        """Tables and views in the database (Spark lowercases names), and those the open
        generation staged; staging tables left out."""
        names = {n for n in self._catalog_names() if not n.startswith(HIDDEN_PREFIX)}
        if self.current_generation is not None:
            names.update(self.current_generation.staged)
        return sorted(names)

    def drop_table(self, name: str) -> None:
        """Drop table or view ``name``; data this target wrote under ``location`` goes too."""
        validate_identifier(name, "table name")
        physical = self._physical(name)
        location = self._owned_location(name, physical)
        self._drop_relation(physical)
        if location:
            self._delete_path(location)
        if self.current_generation is not None:
            self.current_generation.staged.pop(name, None)

    def _drop_relation(self, physical: str) -> None:
        kind = self._catalog_type(physical)
        if kind is None:
            return
        keyword = "VIEW" if kind == "VIEW" else "TABLE"
        with spark_errors("drop", table=physical):
            self.spark.sql(f"DROP {keyword} IF EXISTS {self._qualified(physical)}")

    # ---- writing ---------------------------------------------------------------------
    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Send ``batches`` to Spark in chunks of :attr:`write_chunk_rows`, then swap."""
        validate_identifier(name, "table name")
        self._check_partitions(name, schema.names)
        chunks = arrow_chunks(conform_batches(name, schema, batches), schema, self.write_chunk_rows)
        return self._write_staged(name, (to_dataframe(self.spark, c) for c in chunks))

    def write_dataframe(self, name: str, df: DataFrame) -> int:
        """Write a Spark DataFrame as table ``name``, atomically as :meth:`write_table`.

        For data that is already in Spark (derived models, distributed generation):
        nothing is collected to the driver.
        """
        validate_identifier(name, "table name")
        self._check_partitions(name, df.columns)
        return self._write_staged(name, iter([df]))

    def _write_staged(self, name: str, frames: Iterator[DataFrame]) -> int:
        staging = temp_name(name[:100], "_" + uuid.uuid4().hex[:8])
        gen = self.current_generation
        physical = stage_name(gen.id, name) if gen is not None else name
        path = self._write_path(name)
        done = False
        try:
            for index, df in enumerate(frames):
                self._save(df, name, staging, path, append=index > 0)
            with spark_errors("counting rows", table=name):
                rows = self.spark.table(self._qualified(staging)).count()
            self._swap(name, staging, physical)
            done = True
        finally:
            if not done:
                self._discard(staging, path)
        self._staged_write(name, physical, rows)
        log.debug("wrote %d rows to %s", rows, self._qualified(physical))
        return rows

    def _save(self, df: DataFrame, name: str, staging: str, path: str | None, append: bool) -> None:
        """Save ``df`` as (or append it to) the staging table of ``name``."""
        writer = df.write.format(self.config.file_format).mode("append" if append else "overwrite")
        partitions = self.config.partition_by.get(name, [])
        if partitions:
            writer = writer.partitionBy(*partitions)
        if path and not append:
            writer = writer.option("path", path)
        with spark_errors("write", table=name):
            writer.saveAsTable(self._qualified(staging))

    def _swap(self, name: str, staging: str, physical: str | None = None) -> None:
        """Replace table ``physical`` (default ``name``) by catalog entry ``staging``, then
        delete the replaced table's folder."""
        physical = physical or name
        replaced = self._owned_location(name, physical)
        self._drop_relation(physical)
        with spark_errors("rename", table=name):
            self.spark.sql(
                f"ALTER TABLE {self._qualified(staging)} RENAME TO {self._qualified(physical)}"
            )
        if replaced:
            try:
                self._delete_path(replaced)
            except TargetError as exc:  # the new table is in place; old files are only litter
                log.warning("could not delete %s of the replaced table: %s", replaced, exc)

    def _discard(self, staging: str, path: str | None) -> None:
        """Remove what a failed write left; report (never raise over) the original error."""
        try:
            self.spark.sql(f"DROP TABLE IF EXISTS {self._qualified(staging)}")
            if path:
                self._delete_path(path)
        except spark_error_types() as exc:
            log.warning("could not remove staging table %s after a failed write: %s", staging, exc)

    def _check_partitions(self, name: str, columns: list[str]) -> None:
        for column in self.config.partition_by.get(name, []):
            if column not in columns:
                raise TargetError(
                    f"partition_by names column {column!r}, which table {name!r} does not have",
                    hint=known_names_hint(column, columns, "column"),
                    table=name,
                    column=column,
                )

    # ---- external locations ----------------------------------------------------------
    def _location_root(self, name: str) -> str | None:
        if not self.config.location:
            return None
        root = resolve_location(self.config.location, self.project_dir)
        return root.rstrip("/") + "/" + name

    def _write_path(self, name: str) -> str | None:
        root = self._location_root(name)
        return f"{root}/w{uuid.uuid4().hex[:12]}" if root else None

    def _owned_location(self, name: str, physical: str | None = None) -> str | None:
        """The folder of table ``name`` (in catalog entry ``physical``, default ``name``)
        if this target wrote it under ``location``."""
        root = self._location_root(name)
        physical = physical or name
        if root is None or self._catalog_type(physical) != "EXTERNAL":
            return None
        with spark_errors("describe", table=name):
            rows = self.spark.sql(
                f"DESCRIBE TABLE EXTENDED {self._qualified(physical)}"
            ).collect()
        location = next((r.data_type for r in rows if r.col_name == "Location"), None)
        if location and _strip_file_scheme(location).startswith(_strip_file_scheme(root) + "/"):
            return location
        return None

    def _delete_path(self, location: str) -> None:
        """Delete a folder through Hadoop's FileSystem (classic sessions only)."""
        jvm = getattr(self.spark, "_jvm", None)
        if jvm is None:
            log.warning("Spark Connect cannot delete files: %s is left behind", location)
            return
        with spark_errors("deleting old files"):
            path = jvm.org.apache.hadoop.fs.Path(location)
            conf = self.spark.sparkContext._jsc.hadoopConfiguration()
            path.getFileSystem(conf).delete(path, True)

    # ---- generations -----------------------------------------------------------------
    def _begin_generation(self, gen: Generation) -> None:
        """Finish the swap of a generation killed during its renames; drop what other
        killed runs staged (the project lock keeps other runs out meanwhile)."""
        names = self._catalog_names()
        staged: dict[str, list[tuple[str, str]]] = {}
        for physical in names:
            parsed = parse_stage_name(physical)
            if parsed is not None:
                staged.setdefault(parsed[0], []).append((parsed[1], physical))
            elif physical.startswith(TEMP_PREFIX):
                log.info("dropping %s, left by a write that did not finish", physical)
                self._drop_relation(physical)
        for generation_id, tables in sorted(staged.items()):
            if any(self._property(p, COMMITTING_PROPERTY) == "true" for _, p in tables):
                log.warning("finishing the swap of generation %s, which was killed during it",
                            generation_id)  # fmt: skip
                for name, physical in tables:
                    self._swap_in(name, physical)
            else:
                for name, physical in tables:
                    log.info("dropping %s, left by a run that did not finish", physical)
                    location = self._owned_location(name, physical)
                    self._drop_relation(physical)
                    if location:
                        self._delete_path(location)

    def _commit_generation(self, gen: Generation) -> None:
        """Mark every staged table, then rename each over its final table."""
        for name, physical in gen.staged.items():
            props = {GENERATION_PROPERTY: gen.id, ROWS_PROPERTY: str(gen.rows.get(name, 0)),
                     COMMITTING_PROPERTY: "true"}  # fmt: skip
            self._set_properties(physical, props)
        for name, physical in gen.staged.items():
            self._swap_in(name, physical)
            fault_point("generate.commit")

    def _swap_in(self, name: str, physical: str) -> None:
        """Rename staged table ``physical`` over ``name`` and clear its committing mark."""
        self._swap(name, physical)
        with spark_errors("clearing the committing mark", table=name):
            self.spark.sql(
                f"ALTER TABLE {self._qualified(name)} UNSET TBLPROPERTIES IF EXISTS "
                f"('{COMMITTING_PROPERTY}')"
            )

    def _abort_generation(self, gen: Generation) -> None:
        for name, physical in gen.staged.items():
            try:
                location = self._owned_location(name, physical)
                self._drop_relation(physical)
                if location:
                    self._delete_path(location)
            except TargetError as exc:  # the next generation drops it; the error raised wins
                log.warning("could not drop staged table %s: %s", physical, exc)

    def _set_properties(self, physical: str, props: dict[str, str]) -> None:
        # keys and values are ours (fixed keys, a generation id, a number): no user text
        pairs = ", ".join(f"'{k}' = '{v}'" for k, v in props.items())
        with spark_errors("marking a staged table", table=physical):
            self.spark.sql(f"ALTER TABLE {self._qualified(physical)} SET TBLPROPERTIES ({pairs})")

    def _properties(self, physical: str) -> dict[str, str]:
        with spark_errors("reading table properties", table=physical):
            rows = self.spark.sql(f"SHOW TBLPROPERTIES {self._qualified(physical)}").collect()
        return {row[0]: row[1] for row in rows}

    def _property(self, physical: str, key: str) -> str | None:
        return self._properties(physical).get(key)

    def table_generations(self) -> dict[str, TableGeneration]:
        """From each table's ``shive.generation_id`` and ``shive.rows`` properties."""
        found: dict[str, TableGeneration] = {}
        for name in self.list_tables():
            if self._table_type(name) == "VIEW":
                continue
            props = self._properties(name)
            if GENERATION_PROPERTY in props:
                rows = int(props.get(ROWS_PROPERTY, "0"))
                found[name] = TableGeneration(name, props[GENERATION_PROPERTY], rows)
        return found

    # ---- reading ---------------------------------------------------------------------
    def read_table(
        self, name: str, columns: list[str] | None = None, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Stream table ``name`` to the driver one partition at a time."""
        validate_identifier(name, "table name")
        if not self.table_exists(name):
            raise self._missing_table(name, lookup=name.lower())
        with spark_errors("read", table=name):
            df = self.spark.table(self.relation(name))
        self._check_columns(name, columns, df.columns)
        if columns is not None:
            df = df.select(*[self.quote(c) for c in columns])
        return rebatch(partition_stream(df), batch_size)

    # ---- derived models --------------------------------------------------------------
    def create_view(self, name: str, sql: str) -> None:
        """Create or replace view ``name``, replacing a table of that name."""
        if self._table_type(name) not in (None, "VIEW"):
            self.drop_table(name)
        with spark_errors("create view", table=name):
            self.spark.sql(f"CREATE OR REPLACE VIEW {self.relation(name)} AS {sql}")

    def create_table_as(self, name: str, sql: str) -> int:
        """Materialise ``sql`` as table ``name`` on the cluster (nothing on the driver)."""
        with spark_errors("create table", table=name):
            df = self.spark.sql(sql)
        return self.write_dataframe(name, df)


def _strip_file_scheme(location: str) -> str:
    for scheme in ("file://", "file:"):
        if location.startswith(scheme):
            return location[len(scheme) :]
    return location
