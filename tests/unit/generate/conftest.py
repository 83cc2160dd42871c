"""Fixtures: the mini shop project on disk, its manifest, real data and a DuckDB target."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import genkit
import pytest

import synthohive_dbt.synth as synth_pkg
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.project.model import Manifest
from synthohive_dbt.synth.settings import SynthSettings
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter


@pytest.fixture(autouse=True)
def _isolated_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIVE_PROFILES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> type[genkit.BootstrapSynth]:
    """Replace the CTGAN engine by the fast bootstrap stand-in."""
    monkeypatch.setattr(synth_pkg, "TableSynthesizer", genkit.BootstrapSynth, raising=False)
    monkeypatch.setattr(synth_pkg, "SynthSettings", SynthSettings, raising=False)
    monkeypatch.setattr(genkit.BootstrapSynth, "interrupt_at", None)
    monkeypatch.setattr(genkit.BootstrapSynth, "fits", [])
    return genkit.BootstrapSynth


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    return genkit.write_project(tmp_path / "minishop")


@pytest.fixture
def manifest(shop_dir: Path) -> Manifest:
    return load_project(shop_dir)


@pytest.fixture
def real_con(manifest: Manifest) -> Iterator:
    con = open_real_connection(manifest)
    yield con
    con.close()


@pytest.fixture
def open_target(tmp_path: Path) -> Iterator[Callable[[str], DuckDBAdapter]]:
    """Open DuckDB targets under tmp_path by file name; all are closed afterwards."""
    opened: list[DuckDBAdapter] = []

    def open_(name: str = "synthetic.duckdb") -> DuckDBAdapter:
        adapter = DuckDBAdapter(DuckDBTarget(path=str(tmp_path / name)), tmp_path)
        adapter.connect()
        opened.append(adapter)
        return adapter

    yield open_
    for adapter in opened:
        adapter.close()
