"""``shive init``: copy the starter project shipped inside the package, and ``shive clean``.

The template lives in ``synthohive_dbt/project_template/`` and is read through
:mod:`importlib.resources`, so the same code finds it in a source checkout, an
editable install and an installed wheel.
"""

from __future__ import annotations

import logging
import shutil
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..errors import ProjectError
from ..locking import PROJECT_LOCK_FILE, exclusive
from ..project.files import read_project_config, require_plain_name
from ..project.settings import ProjectConfig
from ..project.sources import SAMPLES_DIR

log = logging.getLogger(__name__)

TEMPLATE_PACKAGE = "synthohive_dbt"
TEMPLATE_DIR = "project_template"
#: the template's project (and profile) name, replaced by the new project's
TEMPLATE_NAME = "shive_starter"
#: files in which TEMPLATE_NAME is replaced
RENAMED_IN = ("shive_project.yml", "profiles.yml", "README.md")
GITIGNORE = "target/\n.shive-samples/\n*.duckdb.wal\n"


def template_root() -> Traversable:
    """The packaged starter project."""
    root = resources.files(TEMPLATE_PACKAGE) / TEMPLATE_DIR
    if not root.is_dir():
        raise ProjectError(
            "the starter project is missing from this installation",
            hint="reinstall synthohive_dbt (the wheel ships synthohive_dbt/project_template/)",
        )
    return root


def new_project_folder(destination: str | Path) -> tuple[Path, str]:
    """``destination`` and its project name, checked: a plain name, a new or empty folder."""
    dest = Path(destination).expanduser()
    name = require_plain_name(dest.resolve().name, "project name")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ProjectError(
            f"{dest} already exists and is not an empty folder",
            path=dest,
            hint="choose a new name, or remove the folder first",
        )
    return dest, name


def init_project(destination: str | Path) -> Path:
    """Create a new project at ``destination`` (its folder name becomes the project name)."""
    dest, name = new_project_folder(destination)
    dest.mkdir(parents=True, exist_ok=True)
    _copy_tree(template_root(), dest, name)
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    log.debug("copied the starter project to %s", dest)
    return dest


def _copy_tree(source: Traversable, dest: Path, name: str) -> None:
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.name in ("__pycache__", "target") or item.name.endswith(".pyc"):
            continue
        if item.is_dir():
            (dest / item.name).mkdir(exist_ok=True)
            _copy_tree(item, dest / item.name, name)
        elif item.name in RENAMED_IN:
            text = item.read_text(encoding="utf-8").replace(TEMPLATE_NAME, name)
            (dest / item.name).write_text(text, encoding="utf-8")
        else:
            (dest / item.name).write_bytes(item.read_bytes())


def clean_project(project_dir: str | Path) -> list[Path]:
    """Delete the project's ``clean-targets`` (default: the target path) and its private
    samples of Spark sources (``.shive-samples/``); return what was removed.

    Only folders strictly inside the project are removed; anything resolving elsewhere
    (an absolute path, ``..``, a symlink out of the project) is refused.
    """
    root = Path(project_dir).resolve()
    config, path = read_project_config(root)
    target = root / config.target_path
    if not target.is_dir():
        return _clean(root, config, path)
    # not while another shive command works on the project (it would lose its target/)
    with exclusive(target / PROJECT_LOCK_FILE, "clean", what=f"project {config.name} ({root})"):
        return _clean(root, config, path)


def _clean(root: Path, config: ProjectConfig, path: Path) -> list[Path]:
    removed: list[Path] = []
    for entry in [*(config.clean_targets or [config.target_path]), SAMPLES_DIR]:
        candidate = root / entry
        resolved = candidate.resolve()
        if resolved == root or root not in resolved.parents:
            raise ProjectError(
                f"refusing to clean {entry!r}: it is not inside the project folder {root}",
                path=path,
                hint="clean-targets and target-path must name folders inside the project",
            )
        if candidate.is_symlink():
            candidate.unlink()
            removed.append(candidate)
        elif resolved.is_dir():
            shutil.rmtree(resolved)
            removed.append(resolved)
        elif resolved.exists():
            raise ProjectError(
                f"refusing to clean {entry!r}: it is a file, not a folder", path=path
            )
    return removed
