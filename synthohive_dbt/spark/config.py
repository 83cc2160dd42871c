"""The settings of a ``type: spark`` output in ``profiles.yml`` (docs/targets.md).

Registered with the target registry by the Spark plug-in (``spark/plugin.py``), so a
profiles.yml error in a Spark output is reported with its file and line like a built-in's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..targets.config import TargetConfig


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
