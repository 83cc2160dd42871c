"""Validated target settings: one pydantic model per ``type:`` in ``profiles.yml``.

A ``profiles.yml`` looks like dbt's::

    shop:                     # profile name, named by shive_project.yml
      target: dev             # default target
      outputs:
        dev:     {type: duckdb, path: target/synthetic.duckdb, schema: main}
        files:   {type: parquet, path: target/parquet}
        cluster: {type: spark, method: session, master: "local[2]", database: synth}

A plug-in registers its target's model together with the adapter (the Spark one's is
``synthohive_dbt.spark.config.SparkTarget``); an entry-point adapter declares its
``config_class`` (see :mod:`synthohive_dbt.targets.registry`), and its outputs are parsed
as :class:`GenericTarget` and re-validated by that adapter.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..plugins import load_plugins


class TargetConfig(BaseModel):
    """Settings every target has."""

    model_config = ConfigDict(extra="forbid")

    type: str
    threads: int = Field(1, ge=1, description="parallel table writes (reserved)")


class DuckDBTarget(TargetConfig):
    type: Literal["duckdb"] = "duckdb"
    path: str = Field(
        "target/synthetic.duckdb",
        description="database file, relative to the project; ':memory:' for none",
    )
    schema_: str = Field("main", alias="schema", description="schema the synthetic tables go to")
    memory_limit: str | None = Field(
        "1GB",
        pattern=r"^\s*\d+(\.\d+)?\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)\s*$",
        description="DuckDB's memory_limit for the target (e.g. 512MB, 4GB): joins and "
        "checks over large tables spill to disk rather than grow; null: DuckDB's default "
        "(80% of RAM)",
    )
    relations: dict[str, str] = Field(
        default_factory=dict,
        description="table -> 'schema.name' it is stored as, for tables that must sit where "
        "another tool looks for them (shive init --from-dbt writes these); other tables "
        "go to <schema>.<table>",
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ParquetTarget(TargetConfig):
    type: Literal["parquet"] = "parquet"
    path: str = Field(
        "target/parquet", description="folder; each table becomes <path>/<table>.parquet"
    )
    compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    row_group_size: int = Field(122_880, ge=1024)


class GenericTarget(TargetConfig):
    """A target of a third-party adapter: settings are the adapter's to check."""

    model_config = ConfigDict(extra="allow")


#: type -> its settings model: the built-ins, and those plug-ins add
#: (:func:`synthohive_dbt.targets.registry.register_target`)
TARGET_CONFIGS: dict[str, type[TargetConfig]] = {
    "duckdb": DuckDBTarget,
    "parquet": ParquetTarget,
}


def target_config_model(kind: object) -> type[TargetConfig]:
    """The model an output of ``type: kind`` is validated with: a built-in's or a plug-in's,
    else GenericTarget (an entry-point adapter re-validates it with its ``config_class``)."""
    if not isinstance(kind, str):
        return GenericTarget
    if kind not in TARGET_CONFIGS:
        load_plugins()
    return TARGET_CONFIGS.get(kind, GenericTarget)


def parse_target_config(raw: dict[str, Any]) -> TargetConfig:
    """Validate one ``outputs:`` entry by its ``type`` (raises pydantic.ValidationError)."""
    return target_config_model(raw.get("type")).model_validate(raw)
