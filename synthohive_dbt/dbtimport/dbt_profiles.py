"""After ``shive run`` / ``shive generate``: ``target/dbt/profiles.yml`` for the dbt project.

It holds the dbt project's profile as written (its other outputs untouched) plus an
output ``shive``: a copy of the imported output pointed at the synthetic DuckDB file,
made the default so a forgotten ``--target`` does not reach the real warehouse. Its
``attach`` entries are dropped (they name real databases) and ``external_root`` moves
under the synthetic folder, so nothing the dbt build writes lands outside it.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import ProjectError
from ..log import event
from ..project.profiles import target_for_manifest
from .writer import IMPORT_FILE

if TYPE_CHECKING:
    from ..project.model import Manifest

log = logging.getLogger(__name__)

OUTPUT = "shive"
FOLDER = "dbt"


def write_dbt_profiles(manifest: Manifest) -> Path | None:
    """Write ``target/dbt/profiles.yml`` when the project came from ``--from-dbt``; its path."""
    info_path = Path(manifest.project_dir) / IMPORT_FILE
    if not info_path.is_file():
        return None
    info = yaml.safe_load(info_path.read_text(encoding="utf-8")) or {}
    database = _synthetic_file(manifest, str(info.get("database")))
    if database is None:
        return None
    profiles_path = Path(str(info.get("profiles_path")))
    try:
        profiles = yaml.safe_load(profiles_path.read_text(encoding="utf-8")) or {}
        profile = copy.deepcopy(profiles[info["profile"]])
        output = copy.deepcopy(profile["outputs"][info["dbt_target"]])
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ProjectError(
            f"cannot read output {info.get('dbt_target')!r} of dbt profile "
            f"{info.get('profile')!r} from {profiles_path}: {exc}",
            path=info_path,
            hint=f"fix profiles_path / profile / dbt_target in {IMPORT_FILE}, or import again",
        ) from exc
    profile["outputs"][OUTPUT] = _shive_output(output, database)
    profile["target"] = OUTPUT
    folder = manifest.target_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    header = ("# Written by `shive run`: the dbt project's profile, plus output `shive` reading the\n"
              f"# synthetic tables in {database}.\n")  # fmt: skip
    path.write_text(header + yaml.safe_dump({info["profile"]: profile}, sort_keys=False), "utf-8")
    command = (f"dbt build --project-dir {info.get('dbt_project_dir')} "
               f"--profiles-dir {folder} --target {OUTPUT}")  # fmt: skip
    seeds = info.get("seeds_as_raw_data") or []
    if seeds:
        command += " --exclude resource_type:seed"
    event(f"Wrote {path}; run the dbt project on the synthetic data with: {command}",
          event="dbt_profiles", path=str(path))  # fmt: skip
    if seeds:
        event(f"Seeds {', '.join(seeds)} are raw data here: --exclude resource_type:seed keeps "
              "dbt from reloading their real CSVs over the synthetic tables", level=logging.WARNING)  # fmt: skip
    return path


def _synthetic_file(manifest: Manifest, database: str) -> Path | None:
    config = target_for_manifest(manifest).config
    if config.type != "duckdb":
        log.warning("target %s is not duckdb: no dbt profile written", manifest.target_name)
        return None
    raw = Path(str(config.path)).expanduser()  # type: ignore[attr-defined]
    path = (raw if raw.is_absolute() else Path(manifest.project_dir) / raw).resolve()
    if path.stem.lower() != database.lower():
        event(f"target {manifest.target_name} writes {path}, whose database name is not "
              f"{database!r} as the dbt project's: no dbt profile written (name the file "
              f"{database}.duckdb)", level=logging.WARNING)  # fmt: skip
        return None
    return path


def _shive_output(output: dict[str, Any], database: Path) -> dict[str, Any]:
    shive = {k: v for k, v in output.items() if k not in ("database", "attach")}
    if output.get("attach"):
        log.warning("the shive output leaves out the dbt output's attach: entries (real databases)")
    shive["path"] = str(database)
    if "external_root" in output:
        shive["external_root"] = str(database.parent / "external")
    return shive
