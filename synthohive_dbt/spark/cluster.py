"""Starting Spark for the spark target: a local or cluster session, or Spark Connect.

pyspark is imported inside these functions only, so nothing else in synthohive_dbt
needs it; without it the spark target fails with the ``pip install`` to run. Spark
allows one JVM context per Python process, so :func:`shared_local_session` hands the
same local session to every caller (tests start Spark once, not once per test).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TargetError
from .config import SparkTarget

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'synthohive_dbt[spark]'"
MISSING_PYSPARK = f"the spark target needs pyspark: {INSTALL_HINT}"

#: settings every session gets unless the profile's ``conf:`` says otherwise
DEFAULT_CONF: dict[str, str] = {
    # Arrow carries the batches between Python and the JVM without a row-by-row detour.
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Timestamps must not shift with the machine's time zone.
    "spark.sql.session.timeZone": "UTC",
}

_shared: SparkSession | None = None


def import_pyspark() -> Any:
    """The ``pyspark`` module, or a TargetError with the install command."""
    try:
        return importlib.import_module("pyspark")
    except ImportError as exc:
        raise TargetError(MISSING_PYSPARK, hint=INSTALL_HINT) from exc


def spark_error_types() -> tuple[type[BaseException], ...]:
    """The exceptions pyspark and py4j raise for a failed Spark operation."""
    types: list[type[BaseException]] = []
    for module, name in (("pyspark.errors", "PySparkException"), ("py4j.protocol", "Py4JError")):
        try:
            types.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError) as exc:
            log.debug("no %s.%s to translate: %s", module, name, exc)
    return tuple(types)


@contextlib.contextmanager
def spark_errors(action: str, table: str | None = None) -> Iterator[None]:
    """Translate a Spark failure inside the block into a TargetError."""
    try:
        yield
    except spark_error_types() as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TargetError(
            f"{action} failed on the spark target: {first_line}",
            hint="the Spark driver log above has the details",
            table=table,
        ) from exc


def resolve_location(path: str, project_dir: Path) -> str:
    """A path from profiles.yml: URIs (``s3a://``, ``hdfs://``, ``file:``) as they are,
    plain paths made absolute against the project folder."""
    if "://" in path or path.startswith("file:"):
        return path
    local = Path(path).expanduser()
    return str(local if local.is_absolute() else (project_dir / local).resolve())


def _use_interpreter() -> None:
    """Make Spark's Python workers run this interpreter unless told otherwise."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


def _local_conf(config: SparkTarget, project_dir: Path) -> dict[str, str]:
    """Warehouse and Derby metastore settings; local masters default them under target/."""
    conf: dict[str, str] = {}
    local = config.master.startswith("local")
    warehouse = config.warehouse_dir or ("target/spark-warehouse" if local else None)
    if warehouse:
        conf["spark.sql.warehouse.dir"] = resolve_location(warehouse, project_dir)
    metastore = config.metastore_dir or ("target/spark-metastore" if local else None)
    if config.hive_support and metastore:
        folder = Path(resolve_location(metastore, project_dir))
        folder.mkdir(parents=True, exist_ok=True)
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={folder}/metastore_db;create=true"
        )
        # Derby writes derby.log into its home folder; keep it out of the working directory.
        conf["spark.driver.extraJavaOptions"] = f"-Dderby.system.home={folder}"
    return conf


def _check_delta(config: SparkTarget) -> None:
    if config.file_format == "delta" and importlib.util.find_spec("delta") is None:
        raise TargetError(
            "file_format: delta needs the delta-spark package",
            hint="pip install delta-spark (matching your Spark version), or use file_format: parquet",
        )


def build_session(config: SparkTarget, project_dir: Path) -> SparkSession:
    """Start (or join) the SparkSession ``config`` describes."""
    import_pyspark()
    _check_delta(config)
    _use_interpreter()
    if config.method == "connect":
        return _connect_session(config)
    return _classic_session(config, project_dir)


def _classic_session(config: SparkTarget, project_dir: Path) -> SparkSession:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(config.master).appName(config.app_name)
    settings = {**DEFAULT_CONF, **_local_conf(config, project_dir), **config.conf}
    for key, value in settings.items():
        builder = builder.config(key, value)
    if config.hive_support:
        builder = builder.enableHiveSupport()
    if config.file_format == "delta":
        builder = _with_delta(builder)
    try:
        return builder.getOrCreate()
    except spark_error_types() as exc:
        raise TargetError(
            f"cannot start Spark ({config.master}): {str(exc).strip().splitlines()[0]}",
            hint="Spark needs Java 17 or later on PATH or JAVA_HOME; "
            "without Hive jars set hive_support: false",
        ) from exc


def _with_delta(builder: Any) -> Any:
    from delta import configure_spark_with_delta_pip

    builder = builder.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
    builder = builder.config(
        "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    )
    return configure_spark_with_delta_pip(builder)


def _connect_session(config: SparkTarget) -> SparkSession:
    from pyspark.sql import SparkSession

    if not config.connect_url:
        raise TargetError(
            "method: connect needs a connect_url",
            hint="set connect_url: sc://host:15002 in profiles.yml",
        )
    if not hasattr(SparkSession.builder, "remote"):
        raise TargetError(
            "this pyspark has no Spark Connect client",
            hint="pip install 'pyspark[connect]>=3.4', or use method: session",
        )
    try:
        builder = SparkSession.builder.remote(config.connect_url)
        for key, value in {**DEFAULT_CONF, **config.conf}.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()
    except ImportError as exc:
        raise TargetError(
            f"Spark Connect is not usable: {exc}",
            hint="pip install 'pyspark[connect]' (grpcio, pandas, pyarrow)",
        ) from exc
    except spark_error_types() as exc:
        raise TargetError(
            f"cannot reach Spark Connect at {config.connect_url}: {exc}",
            hint="check that the Spark Connect server runs and connect_url is sc://host:port",
        ) from exc


def session_running() -> bool:
    """True when this process already has a live local SparkContext."""
    if importlib.util.find_spec("pyspark") is None:
        return False
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


def shared_local_session(
    root: Path,
    *,
    master: str = "local[2]",
    hive_support: bool = True,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """One local SparkSession per process, warehouse and metastore under ``root``.

    The first call starts Spark; later calls return that session whatever their
    arguments, because Spark fixes the warehouse and metastore when it starts.
    Pass the session to ``SparkAdapter(config, project_dir, session=...)``.
    """
    global _shared
    if _shared is not None and session_running():
        return _shared
    config = SparkTarget(
        master=master,
        hive_support=hive_support,
        app_name="shive-shared",
        warehouse_dir=str(Path(root) / "warehouse"),
        metastore_dir=str(Path(root) / "metastore"),
        # Small local jobs: few shuffle partitions, no web UI port to claim.
        conf={"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false", **(conf or {})},
    )
    _shared = build_session(config, Path(root))
    return _shared


def stop_shared_local_session() -> None:
    """Stop the session :func:`shared_local_session` started, if any."""
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None
