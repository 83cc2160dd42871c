"""``shive debug``: versions, the project and profile in use, and a target connection test.

Each check logs one line and carries on, so one run shows every problem; the exit code
is the highest of the failed checks' codes (0 when all pass).
"""

from __future__ import annotations

import logging
import platform
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import ShiveError
from ..log import event
from ..project.files import read_project_config
from ..project.profiles import create_target_adapter, resolve_target

#: distributions whose versions ``shive debug`` reports
VERSIONS = (
    "synthohive_dbt",
    "duckdb",
    "torch",
    "sqlglot",
    "pyarrow",
    "pandas",
    "pydantic",
    "click",
)
#: extras that are for working on shive, not for using it
_DEVELOPER_EXTRAS = ("dev", "bench")


def extra_distributions() -> tuple[str, ...]:
    """The distributions of shive's user-facing extras (e.g. a plug-in's engine), read
    from the package metadata: ``shive debug`` reports them whether installed or not."""
    try:
        requires = metadata.requires("synthohive_dbt") or []
    except metadata.PackageNotFoundError:
        return ()
    found: list[str] = []
    for requirement in requires:
        spec, _, marker = requirement.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if extra is None or extra.group(1) in _DEVELOPER_EXTRAS:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", spec.strip())
        if name and name.group(0) not in found:
            found.append(name.group(0))
    return tuple(found)


def package_versions() -> dict[str, str]:
    """Installed versions of shive's main dependencies ("not installed" when absent)."""
    found = {"python": platform.python_version()}
    for name in (*VERSIONS, *extra_distributions()):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def run_debug(
    project_dir: Path, *, profiles_dir: str | Path | None = None, target: str | None = None
) -> int:
    """Log the debug report; return 0 when every check passed, else the worst exit code."""
    for name, version in package_versions().items():
        event(f"{name}: {version}", event="version", package=name, version=version)
    root = Path(project_dir).resolve()
    event(f"project dir: {root}", event="debug", project_dir=str(root))
    state: dict[str, Any] = {}
    codes = [
        _check("shive_project.yml", lambda: _project(root, state)),
        _check("profiles.yml", lambda: _profile(root, state, profiles_dir, target)),
        _check("connection", lambda: _connect(root, state)),
    ]
    worst = max(codes)
    if worst == 0:
        event("All checks passed!")
    else:
        event("Some checks failed; see the errors above.", level=logging.ERROR)
    return worst


def _check(label: str, run: Callable[[], str]) -> int:
    try:
        detail = run()
    except ShiveError as exc:
        event(
            f"{label}: [ERROR] {exc}",
            level=logging.ERROR,
            event="check",
            check=label,
            status="error",
        )
        return exc.exit_code
    event(f"{label}: [OK {detail}]", event="check", check=label, status="pass")
    return 0


def _project(root: Path, state: dict[str, Any]) -> str:
    config, path = read_project_config(root)
    state["config"] = config
    return f"found and valid: {path} (project {config.name})"


def _profile(
    root: Path, state: dict[str, Any], profiles_dir: str | Path | None, target: str | None
) -> str:
    config = state.get("config")
    if config is None:
        raise ShiveError(
            "skipped: shive_project.yml must be valid first", hint="fix the error above"
        )
    resolved = resolve_target(root, config.profile_name, profiles_dir=profiles_dir, target=target)
    state["target"] = resolved
    where = resolved.profiles_path or "embedded default (no profiles.yml found)"
    event(
        f"  profile: {resolved.profile_name}  target: {resolved.target_name}  type: {resolved.type}"
    )
    return f"found and valid: {where}"


def _connect(root: Path, state: dict[str, Any]) -> str:
    resolved = state.get("target")
    if resolved is None:
        raise ShiveError("skipped: profiles.yml must be valid first", hint="fix the error above")
    adapter = create_target_adapter(resolved, root)
    adapter.connect()
    try:
        description = adapter.describe()
    finally:
        adapter.close()
    return f"connected: {description}"
