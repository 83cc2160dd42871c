"""One local Spark session for the whole test run.

Spark allows one JVM context per process and takes seconds to start, and it fixes the
warehouse and the Hive (Derby) metastore folders when it starts. So every Spark test
module shares the session-scoped ``spark`` fixture (``local[2]``, warehouse and
metastore under ``spark_root``) and stays independent of the others by working in
databases of its own: each database is its own folder ``<spark_root>/warehouse/<db>.db``
(names in use: ``round_trip``, ``partitioned``, ``atomic``, ``canary_db``, ``derived``,
``lake_src``, ``dist_shop``, ``no_parents``, ``failing``, ``shop_lake``,
``shop_lake_train``, ``cli_shop``, ``cli_lake``, ``generations``, ``rollforward``). A
project driven through the CLI joins the running session (``getOrCreate``) and, not having started it, never stops it.

Any test that uses ``spark`` is marked ``spark`` here, so ``-m spark`` selects them all.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: the Python that Spark's workers run: this one, so they import the code under test
_WORKER_PYTHON = ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the shared session: ``warehouse/`` and ``metastore/`` inside."""
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="session")
def spark(spark_root: Path) -> Iterator[Any]:
    """The run's SparkSession, started on first use and stopped at the end of the run."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java on PATH")
    from synthohive_dbt.spark.cluster import (
        shared_local_session,
        stop_shared_local_session,
    )

    saved = {name: os.environ.get(name) for name in _WORKER_PYTHON}
    os.environ.update({name: sys.executable for name in _WORKER_PYTHON})
    # a Spark Connect server, if a test starts one on this session, takes a free port
    conf = {"spark.connect.grpc.binding.port": "0"}
    try:
        yield shared_local_session(spark_root, master="local[2]", conf=conf)
    finally:
        stop_shared_local_session()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def spark_connect(spark: Any) -> Iterator[tuple[Any, str]]:
    """(Spark Connect session, its ``sc://`` URL): a Connect server started inside the
    run's session (same JVM, same Hive catalog), so the real gRPC protocol is used
    without a second Spark.

    Skipped without the Connect client's packages (``pip install 'pyspark[connect]'``).
    """
    for module in ("grpc", "grpc_status", "google.rpc", "zstandard"):
        pytest.importorskip(module, reason="Spark Connect needs pip install 'pyspark[connect]'")
    # the Connect session class itself: pyspark's builder refuses a remote session in a
    # process that runs a classic one, which is what this test process does
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    service = spark._jvm.org.apache.spark.sql.connect.service
    service.SparkConnectService.start(spark.sparkContext._jsc.sc())
    port = getattr(service, "SparkConnectService$").__getattr__("MODULE$").localPort()
    url = f"sc://localhost:{port}"
    session = ConnectSession.builder.remote(url).getOrCreate()
    try:
        yield session, url
    finally:
        session.stop()
        none = spark._jvm.scala.Option.empty()
        service.SparkConnectService.stop(none, none)
