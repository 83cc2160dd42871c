"""Fixtures: the toy shop's real profile, a good synthetic copy, and broken copies of it."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synthohive_dbt.project.model import Manifest
from synthohive_dbt.targets.duckdb import DuckDBAdapter


def _load_toyshop() -> Any:
    """toyshop.py by path, so any pytest import mode finds it (tests import it by name)."""
    if "toyshop" not in sys.modules:
        spec = importlib.util.spec_from_file_location("toyshop", Path(__file__).with_name("toyshop.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["toyshop"] = module
        spec.loader.exec_module(module)
    return sys.modules["toyshop"]


toyshop = _load_toyshop()


@pytest.fixture(scope="session")
def real_data() -> dict[str, pd.DataFrame]:
    return toyshop.make_data(seed=1)


@pytest.fixture(scope="session")
def good_data() -> dict[str, pd.DataFrame]:
    return toyshop.make_data(seed=2)


@pytest.fixture(scope="session")
def profile(real_data: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return toyshop.make_profile(toyshop.make_manifest(tmp_path_factory.mktemp("p")), real_data)


@pytest.fixture
def manifest(tmp_path: Path) -> Manifest:
    return toyshop.make_manifest(tmp_path)


@pytest.fixture(scope="session")
def good_db(good_data: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good synthetic copy as a DuckDB file (treat as read-only; copy to change it)."""
    path = tmp_path_factory.mktemp("good") / "synthetic.duckdb"
    toyshop.write_duckdb(path, good_data)
    return path


@pytest.fixture
def open_adapter(tmp_path: Path) -> Iterator[Callable[[Path], DuckDBAdapter]]:
    """Open a DuckDBAdapter on a database file; every adapter opened is closed afterwards."""
    opened: list[DuckDBAdapter] = []

    def open_(path: Path) -> DuckDBAdapter:
        adapter = DuckDBAdapter(toyshop.DuckDBTarget(path=str(path), schema="main"), tmp_path)
        adapter.connect()
        opened.append(adapter)
        return adapter

    yield open_
    for adapter in opened:
        adapter.close()


@pytest.fixture
def broken_db(good_db: Path, tmp_path: Path) -> Callable[[str], Path]:
    """A copy of the good output with one named defect from toyshop.BREAKAGES."""

    def make(name: str) -> Path:
        path = tmp_path / f"{name}.duckdb"
        shutil.copy(good_db, path)
        toyshop.break_duckdb(path, toyshop.BREAKAGES[name])
        return path

    return make
