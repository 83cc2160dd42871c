"""Validated target settings: one pydantic model per ``type:`` in ``profiles.yml``.

A ``profiles.yml`` looks like dbt's::

    shop:                     # profile name, named by shive_project.yml
      target: dev             # default target
      outputs:
        dev:     {type: duckdb, path: target/synthetic.duckdb, schema: main}
        files:   {type: parquet, path: target/parquet}
        cluster: {type: spark, method: session, master: "local[2]", database: synth}

Third-party adapters register their own config model together with the adapter
(see :mod:`synthohive_dbt.targets.registry`); a ``type`` with no built-in model is
validated by :class:`GenericTarget` and handed to that adapter as it is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class SparkTarget(TargetConfig):
    type: Literal["spark"] = "spark"
    method: Literal["session", "connect"] = "session"
    master: str = "local[2]"
    connect_url: str | None = Field(None, description="sc://host:port, for method: connect")
    app_name: str = "shive"
    hive_support: bool = True
    warehouse_dir: str | None = Field(
        None,
        description="spark.sql.warehouse.dir, relative to the project or a URI; "
        "local masters default to target/spark-warehouse",
    )
    metastore_dir: str | None = Field(
        None,
        description="Derby metastore folder for a local Hive catalog; "
        "local masters default to target/spark-metastore",
    )
    conf: dict[str, str] = Field(default_factory=dict)
    database: str = "default"
    file_format: Literal["parquet", "orc", "delta"] = "parquet"
    partition_by: dict[str, list[str]] = Field(
        default_factory=dict, description="table -> partition columns"
    )
    location: str | None = Field(
        None,
        description="external location root; each write of a table goes to a new folder "
        "<location>/<table>/<write id>, the replaced one is deleted",
    )


class GenericTarget(TargetConfig):
    """A target of a third-party adapter: settings are the adapter's to check."""

    model_config = ConfigDict(extra="allow")


BUILTIN_TARGET_CONFIGS: dict[str, type[TargetConfig]] = {
    "duckdb": DuckDBTarget,
    "parquet": ParquetTarget,
    "spark": SparkTarget,
}


def parse_target_config(raw: dict[str, Any]) -> TargetConfig:
    """Validate one ``outputs:`` entry by its ``type`` (raises pydantic.ValidationError)."""
    kind = raw.get("type")
    model = (
        BUILTIN_TARGET_CONFIGS.get(kind, GenericTarget) if isinstance(kind, str) else GenericTarget
    )
    return model.model_validate(raw)
