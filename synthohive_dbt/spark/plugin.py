"""The Spark plug-in: ``format: spark`` sources, the ``type: spark`` target, and the
generator that runs a learned table on the cluster.

Registered by :func:`register` (the built-in plug-in of this package, also declared as
the entry point ``spark`` of the group ``synthohive_dbt.plugins``). Registering imports
no pyspark; reading a Spark source does, with the install command in the error when it
is missing (``pip install 'synthohive_dbt[spark]'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ProjectError, SourceUnavailable
from ..generate.distributed import register_distributed_generator
from ..project.formats import ResidentProfiler, SourceFormat, register_source_format
from ..project.model import Manifest, SourceTable
from ..quoting import quote_literal
from ..targets.registry import register_target
from .config import SparkTarget
from .session import SPARK_TARGET_SETTING, ensure_schema_cache, spark_session_for
from .sources import SPARK_FORMAT, refresh_spark_samples, spark_source_table

if TYPE_CHECKING:
    from ..project.declared import Declared
    from ..project.profiles import ResolvedTarget
    from ..project.schema import SourceConfigSpec, SourceSpec, SourceTableSpec


class SparkSourceFormat(SourceFormat):
    """A Spark (Hive) table: ``schema:`` is the Spark database; DuckDB reads a sample of
    its rows cached in the project's private ``.shive-samples/`` (docs/spark.md)."""

    name = SPARK_FORMAT
    file_location_error = (
        "a format: spark source reads a Spark table (schema: and identifier:); "
        "remove external_location / database_file"
    )
    config_keys = {
        SPARK_TARGET_SETTING: "format: spark, the profiles.yml output whose Spark session "
        "reads the source (default: the selected target, when it is a spark target)",
    }

    def source_table(
        self,
        spec: SourceSpec,
        table: SourceTableSpec,
        decl: Declared,
        j: int,
        identifier: str,
        project_dir: Path,
    ) -> SourceTable:
        located = (
            spec.config.external_location,
            spec.config.database_file,
            table.config.external_location,
            table.config.database_file,
        )
        if any(located):
            raise decl.error(
                f"source table {spec.name}.{table.name} is format: spark, but has a file location",
                "tables",
                j,
                hint="a Spark source reads the Spark table named by schema: and identifier:; "
                "remove external_location / database_file",
            )
        return spark_source_table(
            spec.name,
            table.name,
            identifier=identifier,
            database=spec.schema_,
            project_dir=project_dir,
        )

    def run_settings(
        self, declared: Mapping[str, Declared], used: Mapping[str, SourceTable]
    ) -> dict[str, Any]:
        """``spark_target``: the output the used Spark sources name (table config over
        source config). One process runs one Spark session, so two names are an error."""
        names: dict[str, str] = {}
        for key, st in used.items():
            if st.source not in declared:
                continue
            spec: SourceSpec = declared[st.source].spec
            table = next((t for t in spec.tables if t.name == st.name), None)
            name = _spark_target(table.config if table else None) or _spark_target(spec.config)
            if name:
                names[key] = name
        if len(set(names.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in sorted(names.items()))
            raise ProjectError(
                f"the spark sources name different spark_target outputs ({listed})",
                hint="one shive run uses one Spark session; give every spark source the same "
                "spark_target",
            )
        spark_target = next(iter(names.values()), None)
        return {SPARK_TARGET_SETTING: spark_target} if spark_target else {}

    def prepare(
        self,
        project_dir: Path,
        selected: ResolvedTarget,
        settings: Mapping[str, Any],
        sources: list[SourceTable],
    ) -> None:
        """The typed empty cache of every Spark source without one (Spark starts only then)."""
        ensure_schema_cache(project_dir, selected, settings.get(SPARK_TARGET_SETTING), sources)

    def select_sql(self, st: SourceTable) -> str:
        """The cached sample; it must be there."""
        location = st.location or ""
        if not Path(location).is_file():
            raise _missing_sample(st, location)
        return f"SELECT * FROM read_parquet({quote_literal(location)})"

    def refresh(self, manifest: Manifest) -> None:
        refresh_spark_samples(manifest)  # re-sample the tables that changed

    def resident_profiler(self, manifest: Manifest) -> ResidentProfiler:
        """Cache the samples (which the DuckDB views read), then profile every
        Spark-resident model on Spark over all its rows."""
        from .profiling import profile_spark_tables, spark_resident_tables
        from .sources import cache_spark_sources

        spark = spark_session_for(manifest)
        cache_spark_sources(manifest, spark, seed=manifest.seed)

        def profile(name: str, known: Mapping[str, Any]) -> dict[str, Any]:
            return profile_spark_tables(manifest, spark, tables=[name], known=known)

        return ResidentProfiler(frozenset(spark_resident_tables(manifest)), profile)


def _spark_target(config: SourceConfigSpec | None) -> str | None:
    """``spark_target`` of a source or table config (None when unset)."""
    if config is None:
        return None
    value = config.format_options.get(SPARK_TARGET_SETTING)
    if value is not None and not isinstance(value, str):
        raise ProjectError(
            f"spark_target must be the name of a profiles.yml output, not {value!r}",
            hint="config: {format: spark, spark_target: <spark output>}",
        )
    return value


def _missing_sample(st: SourceTable, location: str) -> SourceUnavailable:
    return SourceUnavailable(
        f"source {st.source}.{st.name}: the sample of Spark table "
        f"{st.schema or 'default'}.{st.identifier or st.name} is not cached: {location}",
        path=location,
        table=f"{st.source}.{st.name}",
        hint="run `shive profile`: it caches a sample of Spark sources in .shive-samples/",
    )


def register() -> None:
    """Register ``format: spark`` sources, the ``type: spark`` target and its generator
    (called once by :func:`synthohive_dbt.plugins.load_plugins`)."""
    target_type = SparkTarget.model_fields["type"].default
    register_source_format(SparkSourceFormat())
    register_target(target_type, "synthohive_dbt.targets.spark:SparkAdapter", SparkTarget)
    register_distributed_generator(target_type, generate_on_cluster)


def generate_on_cluster(
    adapter: Any, manifest: Manifest, table: Any, *, rows: int | None, seed: int, chunk_size: int
) -> int | None:
    """Generate ``table`` in parallel partitions on the target's cluster (docs/spark.md);
    the rows written, or None when it cannot run there (Spark Connect with a model too
    large for one plan): the orchestrator then generates locally and writes through
    the adapter. The choice is logged."""
    from .distributed import run_distributed

    run = run_distributed(adapter, manifest, table, rows=rows, seed=seed,
                          chunk_size=chunk_size, local_fallback=True)  # fmt: skip
    return None if run is None else run.rows
