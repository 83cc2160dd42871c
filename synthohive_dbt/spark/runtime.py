"""pyspark on demand, and Spark failures translated into the stage's own error.

Nothing here imports pyspark at import time. :func:`require_pyspark` imports it when
a function needs it and otherwise raises the calling stage's error with the install
command; :func:`collect` runs one Spark SQL query and turns a Spark failure into that
same error, naming what the query was for.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ..errors import ShiveError, TargetError
from .cluster import spark_error_types

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'synthohive_dbt[spark]'"


def require_pyspark(feature: str, error: type[ShiveError] = TargetError) -> Any:
    """The ``pyspark`` module, or ``error`` saying that ``feature`` needs it and how to get it."""
    try:
        return importlib.import_module("pyspark")
    except ImportError as exc:
        raise error(f"{feature} needs pyspark, which is not installed", hint=INSTALL_HINT) from exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def sql_frame(
    spark: SparkSession,
    sql: str,
    *,
    table: str | None,
    what: str,
    error: type[ShiveError],
) -> DataFrame:
    """``spark.sql(sql)`` (planned, not run), a Spark failure raised as ``error``."""
    log.debug("spark: %s (%s)\n%s", what, table or "-", sql)
    try:
        return spark.sql(sql)
    except spark_error_types() as exc:
        raise error(
            f"could not {what} on Spark: {first_line(exc)}",
            table=table,
            hint="check that the Spark table exists and the model's SQL runs on Spark "
            "(the driver log has the details)",
        ) from exc


def collect(
    spark: SparkSession,
    sql: str,
    *,
    table: str | None,
    what: str,
    error: type[ShiveError],
) -> list[tuple[Any, ...]]:
    """Run ``sql`` on Spark and return its rows as tuples (results are aggregates: small)."""
    frame = sql_frame(spark, sql, table=table, what=what, error=error)
    try:
        return [tuple(row) for row in frame.collect()]
    except spark_error_types() as exc:
        raise error(
            f"could not {what} on Spark: {first_line(exc)}",
            table=table,
            hint="the Spark driver log above has the details",
        ) from exc
