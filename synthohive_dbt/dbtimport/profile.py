"""The dbt profile of the project being imported: which DuckDB database its sources live in.

Search order, as dbt's: ``--profiles-dir``, then ``$DBT_PROFILES_DIR``, then the dbt
project folder, then ``~/.dbt/``. Only dbt-duckdb outputs that name a database file are
supported; a relative ``path`` is taken from the dbt project folder (where ``dbt`` is
usually run). The profile is kept as written, so ``env_var()`` calls in it stay calls
when it is copied into ``target/dbt/profiles.yml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProjectError, known_names_hint
from ..project.jinja import render_string
from ..project.yamlio import load_yaml

PROFILES_FILE = "profiles.yml"
PROFILES_DIR_ENV = "DBT_PROFILES_DIR"


@dataclass
class DbtConnection:
    """The chosen output of the dbt profile, resolved to a DuckDB database file."""

    profile_name: str
    target_name: str
    profiles_path: Path
    profile: dict[str, Any]  # the profile as written (target, outputs)
    database_file: Path  # absolute
    database: str  # the catalog name dbt-duckdb gives it (relations are database.schema.name)
    schema: str  # the output's schema: where dbt puts models and seeds


def find_profiles(dbt_dir: Path, profiles_dir: str | Path | None) -> Path:
    """The profiles.yml dbt would use for ``dbt_dir``."""
    if profiles_dir is not None:
        folders = [Path(profiles_dir).expanduser()]
    else:
        folders = [Path(p).expanduser() for p in [os.environ.get(PROFILES_DIR_ENV)] if p]
        folders += [dbt_dir, Path.home() / ".dbt"]
    for folder in folders:
        if (folder / PROFILES_FILE).is_file():
            return folder / PROFILES_FILE
    raise ProjectError(
        "no profiles.yml for the dbt project: looked in " + ", ".join(map(str, folders)),
        path=dbt_dir,
        hint="pass --profiles-dir with the folder dbt uses (dbt debug prints it)",
    )


def read_connection(
    dbt_dir: Path, profile_name: str, *, target: str | None, profiles_dir: str | Path | None
) -> DbtConnection:
    """The DuckDB database behind output ``target`` (or the default) of ``profile_name``."""
    path = find_profiles(dbt_dir, profiles_dir)
    data, _ = load_yaml(path)
    profiles = data if isinstance(data, dict) else {}
    profile = profiles.get(profile_name)
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        raise ProjectError(
            f"profile {profile_name!r} (named by dbt_project.yml) is not in {path} with outputs",
            path=path,
            hint=known_names_hint(profile_name, [k for k in profiles if k != "config"], "profile"),
        )
    outputs = profile["outputs"]
    name = target or _render(profile.get("target"), path)
    if name not in outputs:
        raise ProjectError(
            f"target {name!r} is not an output of dbt profile {profile_name!r}",
            path=path,
            hint=known_names_hint(str(name), map(str, outputs), "output") + " (--dbt-target)",
        )
    output = {k: _render(v, path) for k, v in outputs[name].items()}
    if output.get("type") != "duckdb":
        raise ProjectError(
            f"dbt output {name!r} is of type {output.get('type')!r}; shive imports DuckDB "
            "projects only (dbt-duckdb) for now",
            path=path,
            hint="pick a duckdb output with --dbt-target, or load the sources into a DuckDB file",
        )
    database_file = _database_file(output, dbt_dir, path, name)
    return DbtConnection(
        profile_name=profile_name,
        target_name=str(name),
        profiles_path=path.resolve(),
        profile=profile,
        database_file=database_file,
        database=str(output.get("database") or database_file.stem),
        schema=str(output.get("schema") or "main"),
    )


def _database_file(output: dict[str, Any], dbt_dir: Path, path: Path, name: str) -> Path:
    raw = str(output.get("path") or "")
    if not raw or raw == ":memory:" or raw.startswith("md:") or "://" in raw:
        raise ProjectError(
            f"dbt output {name!r} has path {raw or ':memory:'!r}, not a DuckDB database file",
            path=path,
            hint="shive reads the sources from a DuckDB file: point the output's path at one",
        )
    file = Path(raw).expanduser()
    file = file if file.is_absolute() else (dbt_dir / file)
    if not file.is_file():
        raise ProjectError(
            f"the DuckDB file {file} of dbt output {name!r} does not exist",
            path=path,
            hint="a relative path is taken from the dbt project folder; run dbt there once "
            "(dbt build) or fix the output's path",
        )
    return file.resolve()


def _render(value: Any, path: Path) -> Any:
    if isinstance(value, str) and "{{" in value:
        return render_string(value, path=path)
    return value
