"""Spark (Hive) tables as sources, and their sample cache under ``target/sources/``.

A Spark source is declared in a schema yml like any other source, with the Spark
database as dbt-spark spells it (``schema:``) and ``format: spark``::

    sources:
      - name: lake
        schema: sales                      # the Spark / Hive database
        config: {format: spark}
        tables: [{name: orders, identifier: orders_v2}]   # identifier: the Spark table

The model views, the training reads and everything else on the DuckDB side read a
*sample* of each Spark source, cached as one Parquet file
``target/sources/<source>/<table>.parquet`` (:func:`cache_spark_sources`). Profiling
instead runs on the whole table in Spark (:mod:`.profiling`).

The sample is bounded, seeded and *key-consistent*: a table with no parent keeps the
rows whose seeded hash of the primary key is smallest (at most ``max_rows``, the same
rows for the same seed and data); a child keeps every row whose primary parent's key
was sampled, so each sampled parent keeps all of its children and the children-per-
parent distribution the linkage model learns is not thinned. Rows whose key is null
are sampled at the parent's rate.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ProfileError, ProjectError
from ..project.model import Manifest, SourceTable, Table
from ..project.sources import source_relation
from ..targets.base import PLAIN_NAME
from .runtime import collect, require_pyspark, sql_frame
from .sql import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

#: the ``format:`` of a Spark source in a schema yml and in SourceTable.format
SPARK_FORMAT = "spark"
#: sampled rows kept per root source table unless told otherwise
DEFAULT_SAMPLE_ROWS = 100_000
#: the hash-bucket filter keeps this much more than needed, so the limit is reached
_OVERSAMPLE = 1.1
_BUCKETS = 1_000_003  # a prime: buckets of the 64-bit hash


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


def sample_cache_path(target_path: str | Path, source: str, table: str) -> Path:
    """Where the sample of source table ``source.table`` is cached."""
    return Path(target_path) / "sources" / source / f"{table}.parquet"


def spark_source_table(
    source: str, table: str, *, identifier: str | None, database: str | None, target_path: str | Path
) -> SourceTable:
    """The SourceTable the loader makes of a ``format: spark`` source table.

    ``location`` is the sample cache (what the DuckDB view reads), ``schema`` the Spark
    database and ``identifier`` the Spark table; both are validated here.
    """
    database = database or "default"
    identifier = identifier or table
    spark_relation(database, identifier)
    return SourceTable(
        source=source,
        name=table,
        relation=source_relation(source, table),
        location=str(sample_cache_path(target_path, source, table)),
        format=SPARK_FORMAT,  # type: ignore[arg-type]
        identifier=identifier,
        schema=database,
    )


def is_spark_source(source: SourceTable) -> bool:
    return source.format == SPARK_FORMAT


def source_spark_relation(source: SourceTable) -> str:
    """The quoted Spark relation of a Spark source table."""
    return spark_relation(source.schema or "default", source.identifier or source.name)


# ---- the sample of one table ------------------------------------------------------------
@dataclass(frozen=True)
class ParentLink:
    """A child source's key into its parent source, and where the parent's sample is."""

    columns: list[str]
    parent_columns: list[str]
    parent_cache: Path


@dataclass
class SampleInfo:
    """What was cached for one Spark source table (kept next to it as JSON)."""

    relation: str
    path: str
    seed: int
    max_rows: int
    total_rows: int
    sampled_rows: int
    fraction: float
    key_columns: list[str] = field(default_factory=list)
    parent: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cache_spark_sample(
    spark: SparkSession,
    relation: str,
    path: str | Path,
    *,
    max_rows: int,
    seed: int,
    key_columns: Sequence[str] = (),
    parent: ParentLink | None = None,
) -> Path:
    """Write a bounded, seeded sample of Spark ``relation`` to Parquet file ``path``.

    Without ``parent``: the ``max_rows`` rows with the smallest seeded hash of
    ``key_columns`` (all columns when empty). With ``parent``: the rows whose key is in
    the parent's cached sample, and rows with a null key at the parent's sampling rate.
    The file is replaced atomically; a JSON sidecar records counts and the fraction.
    """
    require_pyspark("a spark source", ProfileError)
    path = Path(path)
    if max_rows < 1:
        raise ProfileError(f"max_rows must be at least 1, got {max_rows}", hint="sample_rows: 100000")
    frame = sql_frame(spark, f"SELECT * FROM {relation}", table=relation, what="read", error=ProfileError)
    total = _count(spark, relation)
    hashed = _hash_expr(key_columns or frame.columns, seed)
    if parent is None:
        fraction = min(1.0, max_rows / total) if total else 1.0
        sample = _root_sample(frame, hashed, fraction, max_rows)
    else:
        fraction = _parent_fraction(parent)
        sample = _child_sample(spark, frame, hashed, parent, fraction)
    rows = _write_parquet(sample, path, relation)
    info = SampleInfo(
        relation, str(path), int(seed), int(max_rows), total, rows, fraction, list(key_columns),
        {"columns": parent.columns, "parent_columns": parent.parent_columns,
         "cache": str(parent.parent_cache)} if parent else None,
    )  # fmt: skip
    _write_text(_info_path(path), json.dumps(info.to_dict(), indent=2, sort_keys=True))
    log.info("cached %d of %d rows of %s in %s", rows, total, relation, path)
    return path


def read_sample_info(path: str | Path) -> SampleInfo | None:
    """The sidecar of a cached sample, or None when there is none (or it is unreadable)."""
    info = _info_path(Path(path))
    if not info.is_file():
        return None
    try:
        return SampleInfo(**json.loads(info.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        log.warning("ignoring unreadable %s: %s", info, exc)
        return None


def _count(spark: SparkSession, relation: str) -> int:
    ((rows,),) = collect(
        spark, f"SELECT count(*) FROM {relation}", table=relation, what="count the rows", error=ProfileError
    )
    return int(rows)


def _hash_expr(columns: Sequence[str], seed: int) -> str:
    """A seeded 64-bit hash of ``columns``: the same rows get the same value every run."""
    return f"xxhash64(CAST({int(seed)} AS BIGINT), {', '.join(quote(c) for c in columns)})"


def _bucket_filter(hashed: str, fraction: float) -> str:
    threshold = math.ceil(min(1.0, fraction) * _BUCKETS)
    return f"pmod({hashed}, {_BUCKETS}) < {threshold}"


def _root_sample(frame: DataFrame, hashed: str, fraction: float, max_rows: int) -> DataFrame:
    """The ``max_rows`` rows of smallest hash; a bucket filter first keeps the sort small."""
    if fraction >= 1.0:
        return frame
    from pyspark.sql import functions as F

    # enough buckets that the limit is reached but for a 3-sigma shortfall
    margin = fraction * (_OVERSAMPLE + 3.0 / math.sqrt(max(max_rows, 1)))
    kept = frame.where(F.expr(_bucket_filter(hashed, margin)))
    return kept.orderBy(F.expr(hashed)).limit(int(max_rows))


def _child_sample(
    spark: SparkSession, frame: DataFrame, hashed: str, parent: ParentLink, fraction: float
) -> DataFrame:
    """Rows whose key the parent's sample has (all of them), and null keys at ``fraction``."""
    from pyspark.sql import functions as F

    keys = _parent_keys(spark, parent)
    linked = frame.join(F.broadcast(keys), on=list(parent.columns), how="left_semi")
    null_key = " OR ".join(f"{quote(c)} IS NULL" for c in parent.columns)
    unlinked = frame.where(F.expr(f"({null_key}) AND {_bucket_filter(hashed, fraction)}"))
    return linked.unionByName(unlinked)


def _parent_keys(spark: SparkSession, parent: ParentLink) -> DataFrame:
    """The parent sample's distinct keys, named like the child's key columns."""
    from ..targets.spark_arrow import to_dataframe

    try:
        keys = pq.read_table(parent.parent_cache, columns=list(parent.parent_columns))
    except (OSError, pa.ArrowInvalid, KeyError) as exc:
        raise ProfileError(
            f"cannot read the cached parent sample {parent.parent_cache}: {exc}",
            hint="cache parents before their children (cache_spark_sources does)",
        ) from exc
    keys = keys.rename_columns(list(parent.columns))
    return to_dataframe(spark, keys).dropDuplicates()


def _parent_fraction(parent: ParentLink) -> float:
    info = read_sample_info(parent.parent_cache)
    return info.fraction if info is not None else 1.0


def _write_parquet(frame: DataFrame, path: Path, relation: str) -> int:
    """Stream ``frame`` into ``path`` one Spark partition at a time; atomic replace."""
    from ..errors import TargetError
    from ..targets.spark_arrow import partition_stream

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for batch in partition_stream(frame):
            if writer is None:
                writer = pq.ParquetWriter(tmp, batch.schema)
            writer.write_batch(batch)
            rows += batch.num_rows
        if writer is None:  # no rows at all: an empty file with the right columns
            pq.write_table(_empty_arrow(frame), tmp)
        else:
            writer.close()
            writer = None
        os.replace(tmp, path)
    except TargetError as exc:
        raise ProfileError(f"could not sample {relation}: {exc.message}", table=relation,
                           hint=exc.hint) from exc
    finally:
        if writer is not None:
            writer.close()
        Path(tmp).unlink(missing_ok=True)
    return rows


def _empty_arrow(frame: DataFrame) -> pa.Table:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(frame.schema).empty_table()


def _info_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


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
    the same seed, limit, parent link and total row count (``refresh`` retakes it).
    Returns ``"source.table"`` -> cache file.
    """
    seed = manifest.seed if seed is None else int(seed)
    links = source_links(manifest)
    out: dict[str, Path] = {}
    for key in _source_order(manifest):
        st = manifest.sources[key]
        relation = source_spark_relation(st)
        path = Path(st.location or sample_cache_path(manifest.target_path, st.source, st.name))
        link, keys = links.get(key, (None, []))
        if refresh or not _is_current(spark, path, relation, seed, max_rows, link):
            cache_spark_sample(spark, relation, path, max_rows=max_rows, seed=seed,
                               key_columns=keys, parent=link)
        out[key] = path
    return out


def _is_current(
    spark: SparkSession, path: Path, relation: str, seed: int, max_rows: int, link: ParentLink | None
) -> bool:
    info = read_sample_info(path)
    if info is None or not path.is_file():
        return False
    wanted_parent = (
        {"columns": link.columns, "parent_columns": link.parent_columns, "cache": str(link.parent_cache)}
        if link else None
    )  # fmt: skip
    same = (info.relation, info.seed, info.max_rows, info.parent) == (relation, seed, max_rows, wanted_parent)
    return same and info.total_rows == _count(spark, relation)


def _source_order(manifest: Manifest) -> list[str]:
    """Spark sources in the order of the models that read them (parents first)."""
    ordered: list[str] = []
    for name in manifest.order:
        for pair in manifest.tables[name].sources:
            key = ".".join(pair)
            if key in manifest.sources and is_spark_source(manifest.sources[key]) and key not in ordered:
                ordered.append(key)
    ordered += sorted(k for k, st in manifest.sources.items() if is_spark_source(st) and k not in ordered)
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
        parent_key = _single_spark_source(manifest, manifest.tables[primary.parent]) if primary else None
        link = None
        if primary is not None and parent_key is not None:
            parent = manifest.sources[parent_key]
            cache = Path(parent.location or sample_cache_path(manifest.target_path, parent.source, parent.name))
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
