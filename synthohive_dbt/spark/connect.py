"""How distributed generation reaches the executors: broadcast, inline over Spark Connect, or not.

A classic SparkSession broadcasts the :class:`~.shipping.Shipment` (the trained model
and the secondary parents' keys) once per executor. Spark Connect has no broadcast
and no SparkContext, but it runs ``mapInArrow`` with a Python function pickled into
the plan: the shipment then travels *inline*, inside that function, once per job to
the server, and is loaded once per Python worker as with a broadcast (the worker caches
models by digest). A plan is one gRPC message, so a shipment larger than
:data:`CONNECT_INLINE_LIMIT` is not sent: the table is generated on the driver by the
local path and written through the target instead. :func:`choose_shipping` makes that
choice from two facts and says why; the caller logs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from .shipping import Shipment

log = logging.getLogger(__name__)

Route = Literal["broadcast", "inline", "local"]

#: the largest shipment sent inside a Spark Connect plan: half of the 128 MiB gRPC
#: message size that Spark Connect's client and server accept by default
CONNECT_INLINE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Shipping:
    """How one table's generation runs, and why (for the log)."""

    route: Route
    reason: str

    @property
    def distributed(self) -> bool:
        return self.route != "local"

    def describe(self, table: str) -> str:
        where = (
            "generating on Spark in parallel parts"
            if self.distributed
            else "generating on the driver (local path), writing through the Spark target"
        )
        return f"{table}: {where}: {self.reason}"


def is_connect(spark: Any) -> bool:
    """True for a Spark Connect session (``pyspark.sql.connect``), False for a classic one."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def choose_shipping(connect: bool, size: int, limit: int | None = None) -> Shipping:
    """The route of a shipment of ``size`` bytes on a classic (``connect`` False) or
    Spark Connect session; ``limit`` defaults to :data:`CONNECT_INLINE_LIMIT`."""
    limit = CONNECT_INLINE_LIMIT if limit is None else int(limit)
    weight = f"the model and secondary keys ({_size(size)})"
    if not connect:
        return Shipping("broadcast", f"{weight} are broadcast once per executor")
    if size <= limit:
        return Shipping("inline", f"Spark Connect has no broadcast; {weight} travel inside "
                                  "the plan's function and are loaded once per Python worker")  # fmt: skip
    return Shipping("local", f"{weight} exceed the {_size(limit)} one Spark Connect plan "
                             "may carry")  # fmt: skip


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


@dataclass(frozen=True)
class Inline:
    """A shipment carried by value in the task's function (Spark Connect): it reads like
    a broadcast (``.value``), so the tasks do not care which route was taken."""

    value: Shipment


def ship(spark: SparkSession, shipment: Shipment, route: Route) -> tuple[Any, Callable[[], None]]:
    """What the tasks read the shipment from (``.value``) and how to release it."""
    if route == "broadcast":
        carrier = spark.sparkContext.broadcast(shipment)
        return carrier, carrier.unpersist
    return Inline(shipment), _nothing


def _nothing() -> None:
    """Inline shipments go away with the plan."""


def default_parallelism(spark: SparkSession) -> int:
    """The cluster's default parallelism (its cores, on a local master).

    Spark Connect has no SparkContext to ask, so there it is the number of partitions
    ``spark.range`` makes by default (Spark sizes it by the same setting), counted by a
    tiny job.
    """
    if not is_connect(spark):
        return max(1, int(spark.sparkContext.defaultParallelism))
    probe = spark.range(0, 1 << 16).selectExpr("spark_partition_id() AS p").distinct()
    return max(1, int(probe.count()))
