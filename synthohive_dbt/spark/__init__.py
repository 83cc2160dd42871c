"""Spark and Hive on both ends of the pipeline: sources to learn from, tables to generate.

* :mod:`.sources` and :mod:`.sample` - Spark (Hive) tables as sources: the names a
  source may have, and a bounded, seeded, key-consistent sample of each cached as
  Parquet in the project's private ``.shive-samples/`` so the DuckDB side (model views,
  training reads) runs unchanged;
* :mod:`.profiling` - the profile of a Spark-resident model (``docs/profile_json.md``)
  computed by Spark SQL aggregates over the *whole* table, not the sample;
* :mod:`.distributed` - a learned table generated on the cluster in parallel
  partitions, the trained model shipped to the executors once, keys intact;
* :mod:`.shipping`, :mod:`.partition`, :mod:`.globalize` - what the executors receive,
  and the two stages they run;
* :mod:`.connect` - how the model reaches the executors: a broadcast, inline in the
  tasks' function over Spark Connect, or (too large for a Connect plan) not at all.

pyspark is optional: importing this package (or any module of it) never imports
pyspark; a function that needs Spark raises an error with the install command
``pip install 'synthohive_dbt[spark]'`` when it is missing. See ``docs/spark.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .distributed import DistributedRun, generate_table_distributed, run_distributed
    from .profiling import profile_spark_table, profile_spark_tables, spark_resident_tables
    from .runtime import INSTALL_HINT, require_pyspark
    from .sample import cache_spark_sample
    from .sources import (
        cache_spark_schemas,
        cache_spark_sources,
        refresh_spark_samples,
        sample_cache_path,
        spark_relation,
        spark_source_table,
    )

_EXPORTS = {
    "INSTALL_HINT": ".runtime",
    "require_pyspark": ".runtime",
    "cache_spark_sample": ".sample",
    "cache_spark_schemas": ".sources",
    "cache_spark_sources": ".sources",
    "refresh_spark_samples": ".sources",
    "sample_cache_path": ".sources",
    "spark_relation": ".sources",
    "spark_source_table": ".sources",
    "profile_spark_table": ".profiling",
    "profile_spark_tables": ".profiling",
    "spark_resident_tables": ".profiling",
    "DistributedRun": ".distributed",
    "run_distributed": ".distributed",
    "generate_table_distributed": ".distributed",
}

__all__ = [
    "INSTALL_HINT",
    "DistributedRun",
    "cache_spark_sample",
    "cache_spark_schemas",
    "cache_spark_sources",
    "generate_table_distributed",
    "profile_spark_table",
    "profile_spark_tables",
    "refresh_spark_samples",
    "require_pyspark",
    "run_distributed",
    "sample_cache_path",
    "spark_relation",
    "spark_resident_tables",
    "spark_source_table",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
