"""Fixtures of the profiling tests (builders live in profiling_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from profiling_helpers import SHOP_DATA, SHOP_ORDER, register_parquet_views, shop_manifest

from synthohive_dbt.project.model import Manifest


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def shop(con: duckdb.DuckDBPyConnection) -> tuple[Manifest, duckdb.DuckDBPyConnection]:
    """The shop example's real data as model views, with its manifest."""
    register_parquet_views(con, {name: SHOP_DATA / f"{name}.parquet" for name in SHOP_ORDER})
    return shop_manifest(), con
