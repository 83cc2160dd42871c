"""Generate one learned table on the cluster: :func:`generate_table_distributed`.

The driver plans the parts (:mod:`.partition`), ships the trained model and the
secondary parents' keys once (a broadcast; over Spark Connect, inline in the tasks'
function, see :mod:`.connect`), and lets Spark run two narrow stages:

1. ``mapInArrow(generate_parts)`` over one row per part (a root table) or over the
   primary parent's key and context columns, partitioned by a seeded hash of the key
   and sorted within each part (a child table): each part runs the local generator;
   the result is persisted;
2. the row count of each part gives each part's global row offset;
   ``mapInArrow(globalize)`` re-makes sequence keys and PII columns from global row
   numbers, so keys are unique across parts and dense (``1..N``).

The result is written with ``SparkAdapter.write_dataframe``: staged, then swapped in,
so a failure leaves the previous table. Nothing but counts reaches the driver.
Foreign keys stay valid because a child row is made in the part of its parent row and
takes that row's key; secondary keys are drawn from the whole secondary parent.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .. import errors
from ..errors import GenerationError, TargetError
from ..generate.parents import require_table
from ..generate.trained import TrainedTable, load_trained
from ..project.model import Manifest, Table
from ..relations.frames import ChunkCaster
from ..training.plan import foreign_key
from .connect import Shipping, choose_shipping, default_parallelism, is_connect, ship
from .globalize import global_columns, globalize
from .partition import PART, ROW, PartitionJob, generate_parts, spark_safe_schema, stage1_schema
from .runtime import first_line, require_pyspark
from .shipping import Shipment, ShippedModel
from .sql import quote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from ..targets.spark import SparkAdapter

log = logging.getLogger(__name__)

#: rows one part generates at most, unless ``partitions`` is given
ROWS_PER_PART = 250_000
#: rows per chunk inside a part (as the local path's ``chunk_size``)
DEFAULT_CHUNK_ROWS = 100_000


@dataclass
class DistributedRun:
    """What one distributed generation did (logged; returned by :func:`run_distributed`)."""

    table: str
    parts: int
    rows: int
    seconds: float
    route: str = "broadcast"  # how the model reached the executors (see .connect)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def generate_table_distributed(
    adapter: SparkAdapter,
    manifest: Manifest,
    table: Table,
    *,
    rows: int | None,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK_ROWS,
    partitions: int | None = None,
) -> int:
    """Generate learned table ``table`` into ``adapter`` on its Spark cluster; rows written.

    ``rows``: the size of a root table (None for a child: its parent decides);
    ``seed``: the table's seed (as the local path's ``table_seed``); ``partitions``:
    the number of parts (default: ``synth.partitions``, else enough parts of at most
    :data:`ROWS_PER_PART` rows and at least one per core).
    """
    run = run_distributed(adapter, manifest, table, rows=rows, seed=seed,
                          chunk_size=chunk_size, partitions=partitions)  # fmt: skip
    return run.rows  # type: ignore[union-attr]  # never None without local_fallback


def run_distributed(
    adapter: SparkAdapter,
    manifest: Manifest,
    table: Table,
    *,
    rows: int | None,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK_ROWS,
    partitions: int | None = None,
    local_fallback: bool = False,
) -> DistributedRun | None:
    """:func:`generate_table_distributed`, returning what it did.

    When the shipment cannot reach the executors (Spark Connect, too large for one
    plan; see :func:`~.connect.choose_shipping`), nothing is written and the result is
    None with ``local_fallback`` (the caller generates locally), else a GenerationError.
    The route taken is logged either way.
    """
    require_pyspark("generating on a spark target", GenerationError)
    started = time.perf_counter()
    trained = _learned(manifest, table)
    if trained.hierarchy is not None:
        # a forest is grown whole, level by level: it does not split into parts
        if local_fallback:
            log.info("%s: a hierarchy is generated on the driver, not in parts", table.name)
            return None
        raise GenerationError(
            f"cannot generate hierarchy {table.name} in parts on Spark",
            table=table.name,
            hint="generate it with the local path (generate_project falls back by itself)",
        )
    spark = adapter.spark
    for fk in table.foreign_keys:
        require_table(adapter, fk.parent, table.name)
    shipment = Shipment(ShippedModel.of(manifest, table.name), _secondary_tables(adapter, trained))
    shipping = choose_shipping(is_connect(spark), shipment.nbytes)
    log.info("%s", shipping.describe(table.name))
    if not shipping.distributed:
        if local_fallback:
            return None
        raise GenerationError(
            f"cannot generate {table.name} on Spark: {shipping.reason}",
            table=table.name,
            hint="generate it with the local path (generate_project falls back by itself), "
            "or use a classic Spark session (method: session)",
        )
    caster = ChunkCaster(table)
    schema = spark_safe_schema(caster.schema)
    caster.close()
    job, inputs = _plan(adapter, trained, seed, chunk_size, partitions, schema, rows)
    written = _run(adapter, spark, trained, job, inputs, shipment, shipping)
    run = DistributedRun(table.name, job.parts, written, time.perf_counter() - started,
                         shipping.route)  # fmt: skip
    log.info(
        "%s: %d rows in %d parts on Spark in %.1fs", table.name, written, job.parts, run.seconds
    )
    return run


def _learned(manifest: Manifest, table: Table) -> TrainedTable:
    trained = load_trained(manifest, table)
    if trained.plan.mode != "learn":
        raise GenerationError(
            f"{table.name} is a copy table; it is copied, not generated",
            table=table.name,
            hint="generate copy tables with the local path (generate_project does)",
        )
    return trained


# ---- planning ------------------------------------------------------------------------------
def _plan(
    adapter: SparkAdapter,
    trained: TrainedTable,
    seed: int,
    chunk_size: int,
    partitions: int | None,
    schema: pa.Schema,
    rows: int | None,
) -> tuple[PartitionJob, DataFrame]:
    spark = adapter.spark
    threads = int(spark.conf.get("spark.task.cpus", "1") or 1)
    base = {"table": trained.table.name, "table_seed": int(seed), "chunk_size": max(1, int(chunk_size)),
            "threads": threads, "schema": schema}  # fmt: skip
    if trained.primary is None:
        total = int(rows or 0)
        parts = _parts(spark, trained.table, total, partitions)
        job = PartitionJob(parts=parts, root_rows=tuple(_split(total, parts)), **base)
        inputs = spark.range(0, parts, 1, numPartitions=parts).selectExpr(
            f"CAST(id AS INT) AS {PART}"
        )
        return job, inputs
    return _child_plan(adapter, trained, partitions, base)


def _child_plan(
    adapter: SparkAdapter, trained: TrainedTable, partitions: int | None, base: dict[str, Any]
) -> tuple[PartitionJob, DataFrame]:
    """Parts of a child table: its primary parent's rows, hashed on the key into parts.

    Columns are named by SQL text, not ``pyspark.sql.functions``: the same code then
    builds classic and Spark Connect plans, whichever session the target holds."""
    spark = adapter.spark
    primary = trained.primary
    fk = foreign_key(trained.table, primary.fk)  # type: ignore[union-attr]
    columns = trained.primary_columns()
    parents = spark.table(adapter.relation(fk.parent)).selectExpr(*[quote(c) for c in columns])
    total = parents.count()
    expected = primary.expected_rows(total)  # type: ignore[union-attr]
    parts = _parts(spark, trained.table, expected, partitions)
    keys = ", ".join(quote(c) for c in fk.parent_columns)
    hashed = (
        f"CAST(pmod(xxhash64(CAST({int(base['table_seed'])} AS BIGINT), {keys}), {parts}) AS INT)"
    )
    tagged = parents.selectExpr("*", f"{hashed} AS {quote(PART)}")
    per_part = dict(tagged.groupBy(PART).count().collect())
    weights = tuple(per_part.get(p, 0) / total if total else 1.0 / parts for p in range(parts))
    inputs = tagged.repartitionByRange(parts, PART).sortWithinPartitions(PART, *fk.parent_columns)
    job = PartitionJob(parts=parts, parent=fk.parent, parent_key=tuple(fk.parent_columns),
                       expected_rows=expected, part_weights=weights, **base)  # fmt: skip
    return job, inputs


def _parts(spark: SparkSession, table: Table, expected: float, partitions: int | None) -> int:
    wanted = partitions or table.synth.partitions
    if wanted:
        if int(wanted) < 1:
            raise GenerationError(f"partitions must be at least 1, got {wanted}", table=table.name,
                                  hint="set synth: {partitions: 8} or leave it out")  # fmt: skip
        return int(wanted)
    return max(default_parallelism(spark), math.ceil(expected / ROWS_PER_PART))


def _split(total: int, parts: int) -> list[int]:
    """``total`` rows over ``parts`` parts, the first ``total % parts`` one larger."""
    return [total // parts + (1 if p < total % parts else 0) for p in range(parts)]


def _secondary_tables(adapter: SparkAdapter, trained: TrainedTable) -> dict[str, pa.Table]:
    """Each secondary parent's key and attribute columns, read once on the driver (as
    the local path reads them into memory)."""
    wanted: dict[str, list[str]] = {}
    key_of: dict[str, list[str]] = {}
    for name in trained.secondary:
        fk = foreign_key(trained.table, name)
        wanted.setdefault(fk.parent, [])
        key_of[fk.parent] = list(fk.parent_columns)
        wanted[fk.parent] = list(dict.fromkeys([*wanted[fk.parent], *fk.parent_columns,
                                                *trained.secondary_columns(name)]))  # fmt: skip
    out = {}
    for parent, columns in wanted.items():
        batches = list(adapter.read_table(parent, columns=columns))
        read = pa.Table.from_batches(batches) if batches else _empty(adapter, parent, columns)
        # Spark returns a table's rows in no fixed order (files, splits): sorted by key,
        # the capacities drawn per row and the keys they go to are the same on every read
        out[parent] = read.sort_by([(c, "ascending") for c in key_of[parent]])
    return out


def _empty(adapter: SparkAdapter, parent: str, columns: list[str]) -> pa.Table:
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = (
        adapter.spark.table(adapter.relation(parent)).select(*[quote(c) for c in columns]).schema
    )
    return to_arrow_schema(schema).empty_table()


# ---- running -------------------------------------------------------------------------------
def _run(
    adapter: SparkAdapter,
    spark: SparkSession,
    trained: TrainedTable,
    job: PartitionJob,
    inputs: DataFrame,
    shipment: Shipment,
    shipping: Shipping,
) -> int:
    from pyspark import StorageLevel

    from .arrow import spark_schema

    carrier, release = ship(spark, shipment, shipping.route)
    stage1 = inputs.mapInArrow(
        _stage(generate_parts, carrier, job), spark_schema(stage1_schema(job.schema))
    )
    stage1 = stage1.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        with _executor_errors(trained.table.name):
            counts = dict(stage1.groupBy(PART).count().collect())
        offsets = _offsets(counts, job.parts)
        if global_columns(trained):
            final = replace(job, offsets=offsets)
            output = stage1.mapInArrow(_stage(globalize, carrier, final), spark_schema(job.schema))
        else:
            output = stage1.drop(PART, ROW)
        with _executor_errors(trained.table.name):
            return adapter.write_dataframe(trained.table.name, output)
    finally:
        stage1.unpersist()
        release()


def _stage(
    function: Callable[
        [Iterator[pa.RecordBatch], Shipment, PartitionJob], Iterator[pa.RecordBatch]
    ],
    carrier: Any,
    job: PartitionJob,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function Spark runs per partition; the shipment is read on the executor
    (from the broadcast, or from the function itself over Spark Connect)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return function(batches, carrier.value, job)

    return run


def _offsets(counts: dict[int, int], parts: int) -> dict[int, int]:
    """Global row number (0-based) of each part's first row: parts in order."""
    offsets, total = {}, 0
    for part in range(parts):
        offsets[part] = total
        total += int(counts.get(part, 0))
    return offsets


@contextlib.contextmanager
def _executor_errors(table: str) -> Iterator[None]:
    """Turn a failure inside a Spark task into the error the task raised.

    A task's exception reaches the driver as Spark's PythonException, with the task's
    traceback as text; a ShiveError raised there (a ConstraintViolation, say) is raised
    again here with its own class, message and hint. Other Spark failures become a
    GenerationError.
    """
    from .cluster import spark_error_types

    try:
        yield
    except TargetError as exc:  # the adapter's write: look at the Spark error inside
        raised = _task_error(exc.__cause__, table) if exc.__cause__ is not None else None
        if raised is None:
            raise
        raise raised from exc
    except spark_error_types() as exc:
        raise _task_error(exc, table) or GenerationError(
            f"generating {table} on Spark failed: {first_line(exc)}",
            table=table,
            hint="the driver and executor logs above have the details",
        ) from exc


#: ``synthohive_dbt.errors.ConstraintViolation: <message> [<where>]`` in a task's traceback
_TASK_ERROR = re.compile(r"^synthohive_dbt\.errors\.(\w+): (.*?)(?: \[[^\]]*\])?$")


def _task_error(exc: BaseException, table: str) -> GenerationError | None:
    """The GenerationError (or subclass) a Python task raised, rebuilt from the last
    such line of its traceback and the ``hint:`` line after it; None when there is none."""
    lines = [line.strip() for line in str(exc).splitlines()]
    found = [i for i, line in enumerate(lines) if _TASK_ERROR.match(line)]
    if not found:
        return None
    name, message = _TASK_ERROR.match(lines[found[-1]]).groups()  # type: ignore[union-attr]
    after = lines[found[-1] + 1] if found[-1] + 1 < len(lines) else ""
    hint = after[len("hint: ") :] if after.startswith("hint: ") else None
    kind = getattr(errors, name, None)
    if not (isinstance(kind, type) and issubclass(kind, GenerationError)):
        message, kind = f"{name}: {message}", GenerationError
    return kind(f"{message} (in a Spark task)", table=table, hint=hint)
