"""``profiles.yml``: find it, pick the profile and target, validate the target's settings.

Search order, as dbt does it: ``--profiles-dir``, then ``$SHIVE_PROFILES_DIR``, then
the project folder, then ``~/.shive/``. When none has a profiles.yml (and no folder
was named explicitly) the project gets the embedded default, a DuckDB ``dev`` target
at ``target/synthetic.duckdb``. String values may use ``{{ env_var('NAME', 'default') }}``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..errors import ProjectError, TargetError, known_names_hint
from ..targets.config import (
    DuckDBTarget,
    TargetConfig,
    parse_target_config,
    target_config_model,
)
from .diagnostics import validation_error
from .jinja import render_config
from .yamlio import LineIndex, load_yaml

if TYPE_CHECKING:
    from ..targets.base import TargetAdapter
    from .model import Manifest

log = logging.getLogger(__name__)

PROFILES_FILE = "profiles.yml"
PROFILES_DIR_ENV = "SHIVE_PROFILES_DIR"
DEFAULT_TARGET = "dev"


@dataclass
class ResolvedTarget:
    """The profile and target a command runs against."""

    profile_name: str
    target_name: str
    config: TargetConfig
    profiles_path: Path | None  # None: the embedded default

    @property
    def type(self) -> str:
        return self.config.type


def profiles_search_path(project_dir: Path, profiles_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for profiles.yml, first match wins."""
    if profiles_dir is not None:
        return [Path(profiles_dir).expanduser()]
    folders: list[Path] = []
    if os.environ.get(PROFILES_DIR_ENV):
        folders.append(Path(os.environ[PROFILES_DIR_ENV]).expanduser())
    folders.append(project_dir)
    folders.append(Path.home() / ".shive")
    return folders


def find_profiles_file(project_dir: Path, profiles_dir: str | Path | None = None) -> Path | None:
    """The profiles.yml to use, or None when no folder of the search path has one."""
    folders = profiles_search_path(project_dir, profiles_dir)
    for folder in folders:
        candidate = folder / PROFILES_FILE
        if candidate.is_file():
            return candidate
    if profiles_dir is not None:
        raise ProjectError(
            f"no {PROFILES_FILE} in --profiles-dir {folders[0]}",
            path=folders[0],
            hint=f"create {folders[0] / PROFILES_FILE} or drop --profiles-dir to use the project's",
        )
    return None


def resolve_target(
    project_dir: Path,
    profile_name: str,
    *,
    profiles_dir: str | Path | None = None,
    target: str | None = None,
) -> ResolvedTarget:
    """The validated target ``target`` (or the profile's default) of ``profile_name``."""
    path = find_profiles_file(project_dir, profiles_dir)
    if path is None:
        return _embedded_default(profile_name, target)
    data, index = load_yaml(path)
    profile, pindex = _profile(data, index, path, profile_name)
    target_name = target or profile.get("target")
    outputs = profile.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        raise ProjectError(
            f"profile {profile_name!r} has no outputs",
            path=path,
            line=pindex.line_for(()),
            hint="add 'outputs: {dev: {type: duckdb, path: target/synthetic.duckdb}}'",
        )
    if not target_name:
        raise ProjectError(
            f"profile {profile_name!r} names no default target",
            path=path,
            line=pindex.line_for(()),
            hint="add 'target: <output name>' to the profile or pass -t/--target; outputs: "
            + ", ".join(sorted(map(str, outputs))),
        )
    return ResolvedTarget(
        profile_name=profile_name,
        target_name=str(target_name),
        config=_output(outputs, str(target_name), path, index, profile_name),
        profiles_path=path,
    )


def _embedded_default(profile_name: str, target: str | None) -> ResolvedTarget:
    if target not in (None, DEFAULT_TARGET):
        raise ProjectError(
            f"target {target!r} is not defined: no {PROFILES_FILE} was found",
            hint=f"create {PROFILES_FILE} in the project (or ~/.shive/) with a {target!r} output",
        )
    log.debug("no %s found; using the embedded DuckDB dev target", PROFILES_FILE)
    return ResolvedTarget(profile_name, DEFAULT_TARGET, DuckDBTarget(), None)


def _profile(
    data: Any, index: LineIndex, path: Path, name: str
) -> tuple[dict[str, Any], LineIndex]:
    if not isinstance(data, dict):
        raise ProjectError(
            f"{PROFILES_FILE} must map profile names to profiles",
            path=path,
            hint=f"start the file with '{name}:' followed by 'target:' and 'outputs:'",
        )
    profiles = {k: v for k, v in data.items() if k != "config"}
    if name not in profiles:
        raise ProjectError(
            f"profile {name!r} is not in {path}",
            path=path,
            hint=known_names_hint(name, map(str, profiles), "profile")
            + "; shive_project.yml names the profile with 'profile:'",
        )
    profile = profiles[name]
    if not isinstance(profile, dict):
        raise ProjectError(
            f"profile {name!r} must be a mapping with 'target' and 'outputs'",
            path=path,
            line=index.line_for((name,)),
        )
    unknown = sorted(set(map(str, profile)) - {"target", "outputs"})
    if unknown:
        raise ProjectError(
            f"unknown key {unknown[0]!r} in profile {name!r}",
            path=path,
            line=index.line_for((name, unknown[0])),
            hint=known_names_hint(unknown[0], ["target", "outputs"], "key"),
        )
    return profile, index.sub((name,))


def _output(
    outputs: dict[str, Any], target_name: str, path: Path, index: LineIndex, profile_name: str
) -> TargetConfig:
    pindex = index.sub((profile_name,))
    if target_name not in outputs:
        raise ProjectError(
            f"target {target_name!r} is not an output of profile {profile_name!r}",
            path=path,
            line=pindex.line_for(("target",)),
            hint=known_names_hint(target_name, map(str, outputs), "target"),
        )
    raw = outputs[target_name]
    loc = ("outputs", target_name)
    if not isinstance(raw, dict):
        raise ProjectError(
            f"output {target_name!r} must be a mapping with 'type:'",
            path=path,
            line=pindex.line_for(loc),
        )
    if "type" not in raw:
        raise ProjectError(
            f"output {target_name!r} has no 'type'",
            path=path,
            line=pindex.line_for(loc),
            hint="add 'type: duckdb' (or parquet, spark)",
        )
    rendered = _render_env(raw, path, pindex.line_for(loc))
    try:
        return parse_target_config(rendered)
    except ValidationError as exc:
        model = target_config_model(rendered.get("type"))
        raise validation_error(
            exc,
            path=path,
            data=rendered,
            index=index,
            model=model,
            prefix=(profile_name, *loc),
            what=PROFILES_FILE,
        ) from exc


def _render_env(value: Any, path: Path, line: int | None) -> Any:
    """Render ``{{ env_var(...) }}`` in every string of an output."""
    return render_config(value, path=path, line_of=lambda _key: line)


def target_for_manifest(
    manifest: Manifest, *, profiles_dir: str | Path | None = None
) -> ResolvedTarget:
    """The target a loaded manifest was resolved against (profiles.yml is read again)."""
    where = profiles_dir
    if where is None and manifest.profiles_path:
        where = Path(manifest.profiles_path).parent
    return resolve_target(
        Path(manifest.project_dir),
        manifest.profile_name,
        profiles_dir=where,
        target=manifest.target_name,
    )


def create_target_adapter(resolved: ResolvedTarget, project_dir: Path) -> TargetAdapter:
    """The (unconnected) adapter of ``resolved``; a missing adapter module is a TargetError."""
    from ..targets.registry import create_adapter

    try:
        return create_adapter(resolved.config, project_dir)
    except ImportError as exc:
        raise TargetError(
            f"the adapter for target type {resolved.type!r} cannot be imported: {exc}",
            hint="install the extra it needs (e.g. pip install 'synthohive_dbt[spark]') "
            "or choose another target with -t/--target",
        ) from exc
