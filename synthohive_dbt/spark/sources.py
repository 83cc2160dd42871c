"""Spark (Hive) tables as sources, and their private sample cache ``.shive-samples/``.

A Spark source is declared in a schema yml like any other source, with the Spark
database as dbt-spark spells it (``schema:``) and ``format: spark``::

    sources:
      - name: lake
        schema: sales                      # the Spark / Hive database
        config: {format: spark}
        tables: [{name: orders, identifier: orders_v2}]   # identifier: the Spark table

The model views, the training reads and everything else on the DuckDB side read a
*sample* of each Spark source, cached as one Parquet file
``<project>/.shive-samples/<source>/<table>.parquet`` (:func:`cache_spark_sources`).
Profiling instead runs on the whole table in Spark (:mod:`.profiling`).

The sample holds real rows, the undeclared PII that detection looks for and the raw
values of declared PII columns included: it is the training *input*, a local copy of the
source, and the model SQL, the PII scan and the rare-value counts all need it as it is.
So it is kept out of ``target/`` (whose every file is an output that may be shared, as
CI artifacts are) in a folder of the project that only its owner can open (0700, files
0600) and that git ignores (a ``.gitignore`` of ``*`` inside it). ``shive clean``
removes it with ``target/``.

The sample is bounded, seeded and *key-consistent*: a table with no parent keeps the
rows whose seeded hash of the primary key is smallest (at most ``max_rows``, the same
rows for the same seed and data); a child keeps every row whose primary parent's key
was sampled, so each sampled parent keeps all of its children and the children-per-
parent distribution the linkage model learns is not thinned. Rows whose key is null
are sampled at the parent's rate.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from ..atomic import atomic_path
from ..errors import ProfileError, ProjectError
from ..project.model import Manifest, SourceTable, Table
from ..project.sources import SAMPLES_DIR, source_relation
from ..targets.base import PLAIN_NAME
from .runtime import require_pyspark, sql_frame
from .sample import (
    ParentLink,
    cache_spark_sample,
    empty_arrow,
    link_record,
    read_sample_info,
    table_fingerprint,
)
from .sql import quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: the ``format:`` of a Spark source in a schema yml and in SourceTable.format
SPARK_FORMAT = "spark"
#: sampled rows kept per root source table unless told otherwise
DEFAULT_SAMPLE_ROWS = 100_000
_PRIVATE = 0o700


# ---- names -------------------------------------------------------------------------------
def spark_relation(database: str, table: str) -> str:
    """`` `database`.`table` `` for SQL; anything but two plain names is a ProjectError.

    This is the only way a Spark source's name reaches SQL, so a name such as
    ``x; DROP DATABASE y`` is refused here, before Spark is even started.
    """
    for what, name in (("Spark database", database), ("Spark table", table)):
        if not isinstance(name, str) or not PLAIN_NAME.match(name):
            raise ProjectError(
                f"{what} name {name!r} of a spark source is not a plain name",
                hint="use letters, digits and underscores only, starting with a letter or "
                "underscore (set schema: and identifier: on the source)",
            )
    return f"{quote(database)}.{quote(table)}"


def samples_dir(project_dir: str | Path) -> Path:
    """The project's private folder of Spark samples (:data:`SAMPLES_DIR`)."""
    return Path(project_dir) / SAMPLES_DIR


def sample_cache_path(project_dir: str | Path, source: str, table: str) -> Path:
    """Where the sample of source table ``source.table`` is cached."""
    return samples_dir(project_dir) / source / f"{table}.parquet"


def prepare_sample_folder(path: str | Path) -> None:
    """Make the folders of sample file ``path`` (``<samples>/<source>/<table>.parquet``)
    owner-only, and tell git to ignore the samples folder.

    Both are set every time, not only when a folder is made: a folder made by an older
    version, or opened up by hand, is closed again before real rows are written to it.
    """
    source_dir = Path(path).parent
    root = source_dir.parent
    for folder in (root, source_dir):
        folder.mkdir(mode=_PRIVATE, exist_ok=True)
        os.chmod(folder, _PRIVATE)  # mkdir's mode is cut by the umask; an old one is kept
    ignore = root / ".gitignore"
    if not ignore.is_file():
        ignore.write_text("# real rows sampled from Spark sources: never commit them\n*\n")


def spark_source_table(
    source: str,
    table: str,
    *,
    identifier: str | None,
    database: str | None,
    project_dir: str | Path,
) -> SourceTable:
    """The SourceTable the loader makes of a ``format: spark`` source table.

    ``location`` is the sample cache in the project's private samples folder (what the
    DuckDB view reads), ``schema`` the Spark database and ``identifier`` the Spark
    table; both are validated here.
    """
    database = database or "default"
    identifier = identifier or table
    spark_relation(database, identifier)
    return SourceTable(
        source=source,
        name=table,
        relation=source_relation(source, table),
        location=str(sample_cache_path(project_dir, source, table)),
        format=SPARK_FORMAT,  # type: ignore[arg-type]
        identifier=identifier,
        schema=database,
    )


def is_spark_source(source: SourceTable) -> bool:
    return source.format == SPARK_FORMAT


def source_spark_relation(source: SourceTable) -> str:
    """The quoted Spark relation of a Spark source table."""
    return spark_relation(source.schema or "default", source.identifier or source.name)


# ---- every Spark source of a project -----------------------------------------------------
def cache_spark_sources(
    manifest: Manifest,
    spark: SparkSession,
    *,
    max_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int | None = None,
    refresh: bool = False,
) -> dict[str, Path]:
    """Cache a key-consistent sample of every Spark source of ``manifest``, parents first.

    A sample is reused when its sidecar says it was taken from the same relation with
    the same seed, limit and parent link, and the table still has the row count and
    content hash it had then (one aggregate over the table; ``refresh`` retakes it
    regardless). Returns ``"source.table"`` -> cache file.
    """
    seed = manifest.seed if seed is None else int(seed)
    links = source_links(manifest)
    out: dict[str, Path] = {}
    for key in _source_order(manifest):
        st = manifest.sources[key]
        relation = source_spark_relation(st)
        path = Path(st.location or sample_cache_path(manifest.project_dir, st.source, st.name))
        link, keys = links.get(key, (None, []))
        if refresh or not _is_current(spark, path, relation, seed, max_rows, link):
            prepare_sample_folder(path)
            cache_spark_sample(
                spark, relation, path, max_rows=max_rows, seed=seed, key_columns=keys, parent=link
            )
        out[key] = path
    return out


def _is_current(
    spark: SparkSession,
    path: Path,
    relation: str,
    seed: int,
    max_rows: int,
    link: ParentLink | None,
) -> bool:
    info = read_sample_info(path)
    if info is None or not path.is_file():
        return False
    wanted = (relation, seed, max_rows, link_record(link))
    same = (info.relation, info.seed, info.max_rows, info.parent) == wanted
    return same and (info.total_rows, info.content) == table_fingerprint(spark, relation)


def refresh_spark_samples(manifest: Manifest, spark: SparkSession | None = None) -> list[str]:
    """Take the sample of every Spark source not sampled yet, and re-take it where its table
    changed since (as ``shive profile`` does); return the ``"source.table"`` keys sampled.

    ``shive validate`` (and so ``shive run``) calls this before it checks the real keys;
    ``shive train`` calls this first: the training rows are the samples, so a changed
    Spark table gives new training data, a new data fingerprint and a retrained model,
    as a changed file source does. Without Spark sources it does nothing (Spark is not
    started); ``spark`` defaults to the project's session (``spark_session_for``).
    """
    keys = [k for k, st in manifest.sources.items() if is_spark_source(st)]
    if not keys:
        return []
    if spark is None:
        from .session import spark_session_for

        spark = spark_session_for(manifest)
    before = {k: _sidecar(manifest.sources[k]) for k in keys}
    cache_spark_sources(manifest, spark, seed=manifest.seed)
    changed = [k for k in keys if _sidecar(manifest.sources[k]) != before[k]]
    for key in (k for k in changed if before[k] is not None):  # a first sample changed nothing
        log.warning(
            "spark source %s changed since it was sampled: re-sampled for training; "
            "run `shive profile` to refresh the profile the emitted tests compare against",
            key,
        )
    return changed


def _sidecar(source: SourceTable) -> dict[str, object] | None:
    info = read_sample_info(source.location or "")
    return info.to_dict() if info is not None else None


def cache_spark_schemas(spark: SparkSession, sources: Iterable[SourceTable]) -> list[Path]:
    """For each Spark source without a cache yet, an *empty* Parquet file with the Spark
    table's columns and types (read from the catalog, no Spark job).

    This is what the loader needs to describe the models (it reads no rows); the sample
    itself is taken by :func:`cache_spark_sources` before profiling or training, which
    replaces these files (they have no sidecar, so they never count as current).
    """
    require_pyspark("a spark source", ProfileError)
    written = []
    for st in spark_sources(sources):
        path = Path(st.location or "")
        if path.is_file():
            continue
        relation = source_spark_relation(st)
        frame = sql_frame(
            spark, f"SELECT * FROM {relation}", table=relation, what="read", error=ProfileError
        )
        prepare_sample_folder(path)
        with atomic_path(path) as tmp:
            pq.write_table(empty_arrow(frame), tmp)
        written.append(path)
    return written


def _source_order(manifest: Manifest) -> list[str]:
    """Spark sources in the order of the models that read them (parents first)."""
    ordered: list[str] = []
    for name in manifest.order:
        for pair in manifest.tables[name].sources:
            key = ".".join(pair)
            if (
                key in manifest.sources
                and is_spark_source(manifest.sources[key])
                and key not in ordered
            ):
                ordered.append(key)
    ordered += sorted(
        k for k, st in manifest.sources.items() if is_spark_source(st) and k not in ordered
    )
    return ordered


def source_links(manifest: Manifest) -> dict[str, tuple[ParentLink | None, list[str]]]:
    """Per Spark source: the link to its primary parent's source (if any) and its key
    columns, taken from the model that reads it.

    A link is made when the child model and its primary parent each read exactly one
    Spark source and pass the key columns through under their own names (the usual
    ``select * from {{ source(...) }}``); otherwise the source is sampled on its own.
    """
    from ..training.plan import choose_primary_fk

    out: dict[str, tuple[ParentLink | None, list[str]]] = {}
    for table in manifest.synth_tables():
        key = _single_spark_source(manifest, table)
        if key is None or key in out:
            continue
        fks = [fk for fk in table.foreign_keys if fk.parent != table.name]
        primary = choose_primary_fk(table, fks) if fks else None
        parent_key = (
            _single_spark_source(manifest, manifest.tables[primary.parent]) if primary else None
        )
        link = None
        if primary is not None and parent_key is not None:
            parent = manifest.sources[parent_key]
            cache = Path(
                parent.location
                or sample_cache_path(manifest.project_dir, parent.source, parent.name)
            )
            link = ParentLink(list(primary.columns), list(primary.parent_columns), cache)
        out[key] = (link, list(table.primary_key))
    return out


def _single_spark_source(manifest: Manifest, table: Table) -> str | None:
    keys = [".".join(pair) for pair in table.sources]
    if len(keys) != 1 or table.refs or keys[0] not in manifest.sources:
        return None
    return keys[0] if is_spark_source(manifest.sources[keys[0]]) else None


def spark_sources(sources: Iterable[SourceTable]) -> list[SourceTable]:
    """The Spark sources among ``sources``."""
    return [s for s in sources if is_spark_source(s)]
