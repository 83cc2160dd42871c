"""A bounded, seeded, key-consistent sample of one Spark table, cached as Parquet.

See :mod:`.sources` for what is sampled and why. A table without a parent keeps the
``max_rows`` rows of smallest seeded hash of its key (a bucket filter first keeps the
sort small); a child keeps every row whose key its parent's cached sample has (a
broadcast semi-join), and rows with a null key at the parent's rate. The sample is
streamed to the driver one Spark partition at a time and replaces the cache file
atomically; a JSON sidecar records what was taken, and the table's row count and
content hash (:func:`table_fingerprint`), so a sample is reused only while its table is
unchanged.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_path, write_text_atomic
from ..errors import ProfileError, ProjectError
from ..targets.base import PLAIN_NAME
from .runtime import collect, require_pyspark, sql_frame
from .sql import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

#: the hash-bucket filter keeps this much more than needed, so the limit is reached
_OVERSAMPLE = 1.1
_BUCKETS = 1_000_003  # a prime: buckets of the 64-bit hash


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
    content: str | None = None  # the table's content hash when sampled (table_fingerprint)

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
    _require_relation(relation)
    path = Path(path)
    if max_rows < 1:
        raise ProfileError(
            f"max_rows must be at least 1, got {max_rows}", hint="sample_rows: 100000"
        )
    frame = sql_frame(
        spark, f"SELECT * FROM {relation}", table=relation, what="read", error=ProfileError
    )
    total, content = table_fingerprint(spark, relation)
    hashed = _hash_expr(key_columns or frame.columns, seed)
    if parent is None:
        fraction = min(1.0, max_rows / total) if total else 1.0
        sample = _root_sample(frame, hashed, fraction, max_rows)
    else:
        fraction = _parent_fraction(parent)
        sample = _child_sample(spark, frame, hashed, parent, fraction)
    rows = _write_parquet(sample, path, relation)
    info = SampleInfo(relation, str(path), int(seed), int(max_rows), total, rows, fraction,
                      list(key_columns), link_record(parent), content)  # fmt: skip
    _write_text(_info_path(path), json.dumps(info.to_dict(), indent=2, sort_keys=True))
    log.info("cached %d of %d rows of %s in %s", rows, total, relation, path)
    return path


def _require_relation(relation: str) -> None:
    """Only a relation :func:`spark_relation` made may reach SQL here."""
    parts = relation.split(".") if isinstance(relation, str) else []
    plain = len(parts) == 2 and all(
        p.startswith("`") and p.endswith("`") and PLAIN_NAME.match(p[1:-1]) for p in parts
    )
    if not plain:
        raise ProjectError(
            f"Spark relation {relation!r} is not `database`.`table` of plain names",
            hint="build it with spark_relation(database, table)",
        )


def link_record(link: ParentLink | None) -> dict[str, Any] | None:
    """The parent link as the sidecar keeps it, with the parent sample it was taken against
    (a child sample is stale once its parent's sample changed)."""
    if link is None:
        return None
    parent = read_sample_info(link.parent_cache)
    return {
        "columns": list(link.columns),
        "parent_columns": list(link.parent_columns),
        "cache": str(link.parent_cache),
        "parent_sample": [parent.seed, parent.total_rows, parent.sampled_rows] if parent else None,
    }


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


def table_fingerprint(spark: SparkSession, relation: str) -> tuple[int, str]:
    """(rows, content hash) of Spark ``relation`` in one aggregate over all its rows.

    The hash is the sum of a 64-bit hash of every row (as a decimal, so it cannot
    overflow): it does not depend on row order or partitioning, and changes when a row
    is added, removed or changed in place, which a row count alone would miss.
    """
    _require_relation(relation)
    frame = sql_frame(
        spark, f"SELECT * FROM {relation}", table=relation, what="read", error=ProfileError
    )
    # maps cannot be hashed by Spark; their text form can
    columns = [
        f"CAST({quote(f.name)} AS STRING)" if f.dataType.typeName() == "map" else quote(f.name)
        for f in frame.schema.fields
    ]
    hashed = f"CAST(xxhash64({', '.join(columns)}) AS DECIMAL(38, 0))" if columns else "0"
    ((rows, content),) = collect(
        spark,
        f"SELECT count(*), CAST(coalesce(sum({hashed}), 0) AS STRING) FROM {relation}",
        table=relation,
        what="fingerprint the rows",
        error=ProfileError,
    )
    return int(rows), str(content)


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
    from .arrow import to_dataframe

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
    from .arrow import partition_stream

    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        with atomic_path(path) as tmp:
            try:
                for batch in partition_stream(frame):
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, batch.schema)
                    writer.write_batch(batch)
                    rows += batch.num_rows
                if writer is None:  # no rows at all: an empty file with the right columns
                    pq.write_table(empty_arrow(frame), tmp)
            finally:
                if writer is not None:
                    writer.close()
    except TargetError as exc:
        raise ProfileError(
            f"could not sample {relation}: {exc.message}", table=relation, hint=exc.hint
        ) from exc
    return rows


def empty_arrow(frame: DataFrame) -> pa.Table:
    from pyspark.sql.pandas.types import to_arrow_schema

    # pyspark 4 wants the session time zone for TIMESTAMP columns (the sample's own types)
    zone = frame.sparkSession.conf.get("spark.sql.session.timeZone")
    return to_arrow_schema(frame.schema, timezone=zone).empty_table()


def _info_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _write_text(path: Path, text: str) -> None:
    write_text_atomic(path, text + "\n")
