"""profiles.yml: search order, targets, validation of outputs, env_var."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthohive_dbt.errors import ProjectError
from synthohive_dbt.project import load_project
from synthohive_dbt.project.profiles import find_profiles_file, resolve_target

PROFILES = """
shop:
  target: dev
  outputs:
    dev: {type: duckdb, path: target/dev.duckdb}
    files: {type: parquet, path: "{{ env_var('OUT_DIR', 'target/pq') }}"}
"""


def _write(folder: Path, text: str = PROFILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = tmp_path / "proj"
    home = Path.home() / ".shive"
    assert find_profiles_file(project) is None
    home_file = _write(home)
    assert find_profiles_file(project) == home_file
    project_file = _write(project)
    assert find_profiles_file(project) == project_file
    env_file = _write(tmp_path / "env")
    monkeypatch.setenv("SHIVE_PROFILES_DIR", str(tmp_path / "env"))
    assert find_profiles_file(project) == env_file
    flag_file = _write(tmp_path / "flag")
    assert find_profiles_file(project, tmp_path / "flag") == flag_file


def test_explicit_profiles_dir_without_file_is_an_error(tmp_path: Path):
    with pytest.raises(ProjectError, match="no profiles.yml in --profiles-dir"):
        find_profiles_file(tmp_path, tmp_path / "empty")


def test_default_and_named_targets_with_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _write(tmp_path)
    dev = resolve_target(tmp_path, "shop")
    assert (dev.target_name, dev.type, dev.config.path) == ("dev", "duckdb", "target/dev.duckdb")
    assert resolve_target(tmp_path, "shop", target="files").config.path == "target/pq"
    monkeypatch.setenv("OUT_DIR", "/data/out")
    assert resolve_target(tmp_path, "shop", target="files").config.path == "/data/out"


def test_unknown_target_and_profile_suggest(tmp_path: Path):
    _write(tmp_path)
    with pytest.raises(ProjectError) as info:
        resolve_target(tmp_path, "shop", target="file")
    assert "target 'file' is not an output" in info.value.message
    assert "did you mean 'files'" in info.value.hint
    with pytest.raises(ProjectError) as info:
        resolve_target(tmp_path, "shp")
    assert "did you mean 'shop'" in info.value.hint


def test_invalid_output_key_names_path_and_line(tmp_path: Path):
    _write(
        tmp_path,
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      paht: x.duckdb\n",
    )
    with pytest.raises(ProjectError) as info:
        resolve_target(tmp_path, "shop")
    err = info.value
    assert "shop.outputs.dev.paht" in err.message and err.line == 6
    assert "did you mean 'path'" in err.hint


def test_bad_literal_in_output(tmp_path: Path):
    _write(tmp_path, "shop:\n  target: p\n  outputs:\n    p: {type: parquet, compression: zstdd}\n")
    with pytest.raises(ProjectError) as info:
        resolve_target(tmp_path, "shop")
    assert "did you mean 'zstd'" in info.value.hint and info.value.line == 4


def test_missing_default_target_and_type(tmp_path: Path):
    _write(tmp_path, "shop:\n  outputs:\n    dev: {type: duckdb}\n")
    with pytest.raises(ProjectError, match="names no default target"):
        resolve_target(tmp_path, "shop")
    _write(tmp_path, "shop:\n  target: dev\n  outputs:\n    dev: {path: x}\n")
    with pytest.raises(ProjectError, match="has no 'type'"):
        resolve_target(tmp_path, "shop")


def test_embedded_default_without_profiles(tmp_path: Path):
    resolved = resolve_target(tmp_path, "shop")
    assert resolved.profiles_path is None and resolved.type == "duckdb"
    with pytest.raises(ProjectError, match="no profiles.yml was found"):
        resolve_target(tmp_path, "shop", target="prod")


def test_manifest_records_profile_and_target(make_project):
    root = make_project()
    _write(root)
    manifest = load_project(root, target="files")
    assert (manifest.profile_name, manifest.target_name, manifest.target_type) == (
        "shop",
        "files",
        "parquet",
    )
    assert manifest.profiles_path.endswith("profiles.yml")
