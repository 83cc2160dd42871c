"""The Spark session that reads a project's Spark (Hive) sources, for the loader and profiling.

A ``format: spark`` source is read by the Spark session of a spark output of
profiles.yml: the one its ``config: {spark_target: <output>}`` names, else the selected
target when it is a spark target. pyspark is imported only when a Spark source exists
(through :mod:`synthohive_dbt.targets.spark` and :mod:`synthohive_dbt.spark`).
The project stage reaches this through the source format the plug-in registers
(:class:`.sources.SparkSourceFormat`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ProjectError
from ..project.model import Manifest, SourceTable
from ..project.profiles import ResolvedTarget, resolve_target, target_for_manifest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: the key of Manifest.settings holding the ``spark_target`` the Spark sources name
SPARK_TARGET_SETTING = "spark_target"


def spark_sources_of(sources: Iterable[SourceTable]) -> list[SourceTable]:
    """The ``format: spark`` tables among ``sources``."""
    return [st for st in sources if st.format == "spark"]


def has_spark_sources(manifest: Manifest) -> bool:
    """True when some source of ``manifest`` is a Spark table."""
    return bool(spark_sources_of(manifest.sources.values()))


def spark_session_for(manifest: Manifest) -> SparkSession:
    """The SparkSession that reads ``manifest``'s Spark sources (started or joined)."""
    return spark_session(
        Path(manifest.project_dir),
        target_for_manifest(manifest),
        manifest.settings.get(SPARK_TARGET_SETTING),
    )


def spark_session(
    project_dir: Path, selected: ResolvedTarget, spark_target: str | None
) -> SparkSession:
    """The session of output ``spark_target`` of the selected profile, else of the
    selected target when it is a spark target; otherwise a ProjectError with the fix."""
    resolved = _spark_output(project_dir, selected, spark_target)
    from ..targets.spark import SparkAdapter

    log.debug("reading spark sources with target %s", resolved.target_name)
    return SparkAdapter(resolved.config, project_dir).spark


def _spark_output(
    project_dir: Path, selected: ResolvedTarget, spark_target: str | None
) -> ResolvedTarget:
    if spark_target and spark_target != selected.target_name:
        if selected.profiles_path is None:
            raise ProjectError(
                f"spark_target {spark_target!r} names an output, but no profiles.yml was found",
                hint=f"create profiles.yml with a 'type: spark' output named {spark_target!r}",
            )
        resolved = resolve_target(
            project_dir,
            selected.profile_name,
            profiles_dir=selected.profiles_path.parent,
            target=spark_target,
        )
    else:
        resolved = selected
    if resolved.type != "spark":
        where = f"output {resolved.target_name!r} of profile {resolved.profile_name!r}"
        raise ProjectError(
            f"spark sources need a Spark session, but {where} is type {resolved.type!r}",
            path=selected.profiles_path,
            hint="select a 'type: spark' target with -t/--target, or set "
            "config: {spark_target: <spark output>} on the spark sources",
        )
    return resolved


def ensure_schema_cache(
    project_dir: Path,
    selected: ResolvedTarget,
    spark_target: str | None,
    sources: Iterable[SourceTable],
) -> None:
    """Write the empty typed Parquet file of every Spark source without a cache yet.

    The Spark output is checked always; Spark itself starts only when a file is missing.
    """
    spark = spark_sources_of(sources)
    if not spark:
        return
    _spark_output(project_dir, selected, spark_target)
    missing = [st for st in spark if not Path(st.location or "").is_file()]
    if not missing:
        return
    from .sources import cache_spark_schemas

    session = spark_session(project_dir, selected, spark_target)
    written = cache_spark_schemas(session, missing)
    log.debug("cached the schema of %d spark source(s)", len(written))
