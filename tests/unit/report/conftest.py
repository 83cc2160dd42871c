"""Fixtures for the report: the toy shop from tests/unit/datatests, loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest


def _toyshop() -> Any:
    """tests/unit/datatests/toyshop.py, imported once under its own name."""
    if "toyshop" not in sys.modules:
        path = Path(__file__).parents[1] / "datatests" / "toyshop.py"
        spec = importlib.util.spec_from_file_location("toyshop", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["toyshop"] = module
        spec.loader.exec_module(module)
    return sys.modules["toyshop"]


@pytest.fixture(scope="session")
def toyshop() -> Any:
    return _toyshop()


@pytest.fixture(scope="session")
def shop(toyshop: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Real data, its profile, and a synthetic DuckDB file with one numeric shift and one duplicate key."""
    folder = tmp_path_factory.mktemp("shop")
    real = toyshop.make_data(seed=1)
    good = toyshop.make_data(seed=2)
    profile = toyshop.make_profile(toyshop.make_manifest(folder), real)
    db = folder / "synthetic.duckdb"
    toyshop.write_duckdb(db, good)
    for defect in ("numeric_shifted", "primary_key_duplicated"):
        toyshop.break_duckdb(db, toyshop.BREAKAGES[defect])
    return {"real": real, "good": good, "profile": profile, "db": db, "folder": folder}
