"""Read a dbt project: ``dbt_project.yml``, then ``target/manifest.json`` when ``dbt parse``
(or any dbt command) wrote one, else the yml property files and SQL files themselves.

From the files, a source's schema defaults to its name and its identifier to the table
name, a seed lands in the profile's schema under its file name, as dbt resolves them
without custom schema macros; the manifest carries what dbt actually resolved.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from ..project.yamlio import load_yaml
from .dbt_manifest import read_manifest
from .nodes import DbtCheck, DbtModel, DbtProject, DbtSeed, DbtSource, NodeKind, NodeRef

log = logging.getLogger(__name__)

PROJECT_FILE = "dbt_project.yml"
#: dbt's generic tests and constraints the importer turns into shive declarations
_TEST_ARGUMENT_KEYS = ("values", "quote", "to", "field", "combination_of_columns")


def read_dbt_project(dbt_dir: Path, *, default_schema: str = "main") -> DbtProject:
    """The dbt project in ``dbt_dir``; ``default_schema`` is where its seeds land."""
    config = read_project_file(dbt_dir)
    manifest = dbt_dir / str(config.get("target-path") or "target") / "manifest.json"
    name, profile = str(config["name"]), str(config.get("profile") or config["name"])
    variables = _vars(config, name)
    if manifest.is_file():
        log.info("reading %s", manifest)
        return read_manifest(manifest, dbt_dir, name=name, profile=profile, vars=variables)
    log.info("no %s: reading the dbt project's yml and SQL files", manifest)
    project = DbtProject(name, profile, dbt_dir, variables, {}, {}, {}, [])
    for folder in _paths(config, "model-paths", "models", dbt_dir):
        _read_models(project, folder)
    for folder in _paths(config, "seed-paths", "seeds", dbt_dir):
        for csv in sorted(folder.rglob("*.csv")):
            project.seeds[csv.stem] = DbtSeed(csv.stem, csv, None, default_schema, csv.stem)
        for yml in sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]):
            _read_properties(project, yml)
    return project


def read_project_file(dbt_dir: Path) -> dict[str, Any]:
    path = dbt_dir / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(
            f"no {PROJECT_FILE} in {dbt_dir}",
            path=dbt_dir,
            hint="--from-dbt takes the folder of a dbt project (the one holding dbt_project.yml)",
        )
    data, _ = load_yaml(path)
    if not isinstance(data, dict) or not data.get("name"):
        raise ProjectError(f"{path} has no project name", path=path, hint="add 'name: ...'")
    return data


def _vars(config: dict[str, Any], name: str) -> dict[str, Any]:
    raw = config.get("vars") or {}
    flat = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    flat.update(raw.get(name) or {})
    return flat


def _paths(config: dict[str, Any], key: str, default: str, dbt_dir: Path) -> list[Path]:
    return [dbt_dir / p for p in (config.get(key) or [default]) if (dbt_dir / p).is_dir()]


def _read_models(project: DbtProject, folder: Path) -> None:
    for path in sorted([*folder.rglob("*.sql"), *folder.rglob("*.py")]):
        rel = path.relative_to(project.root).as_posix()
        language = "python" if path.suffix == ".py" else "sql"
        project.models[path.stem] = DbtModel(path.stem, rel, path.read_text("utf-8"), language)
    for path in sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]):
        _read_properties(project, path)


# ---- property (schema) yml files ---------------------------------------------------------
def _read_properties(project: DbtProject, path: Path) -> None:
    data, _ = load_yaml(path)
    if not isinstance(data, dict):
        return
    origin = path.relative_to(project.root).as_posix()
    for source in data.get("sources") or []:
        _read_source(project, source, origin)
    for kind, key in (("model", "models"), ("seed", "seeds")):
        for entry in data.get(key) or []:
            if isinstance(entry, dict) and entry.get("name"):
                _read_checks(project, NodeRef(kind, str(entry["name"])), entry, origin)  # type: ignore[arg-type]


def _read_source(project: DbtProject, source: dict[str, Any], origin: str) -> None:
    name = str(source.get("name"))
    config = source.get("config") or {}
    if config.get("enabled") is False:
        return
    location = config.get("external_location") or (source.get("meta") or {}).get("external_location")
    for table in source.get("tables") or []:
        if not isinstance(table, dict) or (table.get("config") or {}).get("enabled") is False:
            continue
        tname = str(table["name"])
        tconfig = table.get("config") or {}
        entry = DbtSource(
            source_name=name,
            name=tname,
            database=source.get("database"),
            schema=str(source.get("schema") or name),
            identifier=str(table.get("identifier") or tname),
            external_location=tconfig.get("external_location")
            or (table.get("meta") or {}).get("external_location")
            or location,
        )
        project.sources[entry.key] = entry
        _read_checks(project, NodeRef("source", entry.key), table, origin)


def _read_checks(project: DbtProject, node: NodeRef, entry: dict[str, Any], origin: str) -> None:
    for column in entry.get("columns") or []:
        if not isinstance(column, dict) or not column.get("name"):
            continue
        cname = str(column["name"])
        for raw in [*(column.get("data_tests") or []), *(column.get("tests") or [])]:
            project.checks.append(_test(raw, node, cname, origin))
        for raw in column.get("constraints") or []:
            project.checks.append(_constraint(raw, node, cname, origin))
    for raw in [*(entry.get("data_tests") or []), *(entry.get("tests") or [])]:
        check = _test(raw, node, None, origin)
        check.column = check.kwargs.pop("column_name", None)
        project.checks.append(check)
    for raw in entry.get("constraints") or []:
        project.checks.append(_constraint(raw, node, None, origin))


def _test(raw: Any, node: NodeRef, column: str | None, origin: str) -> DbtCheck:
    """One entry of ``data_tests:`` as written: a name, or ``{name: {arguments}}``."""
    if isinstance(raw, str):
        return DbtCheck(raw, node, column, origin=origin)
    if not isinstance(raw, dict) or not raw:
        return DbtCheck(repr(raw), node, column, origin=origin)
    if "test_name" in raw:  # the long form: {test_name: unique, name: custom_name}
        name, body = str(raw["test_name"]), raw
    else:
        name, body = next(iter(raw.items()))
        body = body if isinstance(body, dict) else {}
    kwargs = {**(body.get("arguments") or {}), **body}
    config = {**(body.get("config") or {}), **kwargs}
    args = {k: kwargs[k] for k in (*_TEST_ARGUMENT_KEYS, "column_name") if k in kwargs}
    return DbtCheck(str(name), node, column, kwargs=args, where=config.get("where"), origin=origin)


def _constraint(raw: Any, node: NodeRef, column: str | None, origin: str) -> DbtCheck:
    raw = raw if isinstance(raw, dict) else {}
    kwargs = {k: raw[k] for k in ("to", "to_columns", "columns", "expression") if k in raw}
    check = DbtCheck(str(raw.get("type")), node, column, via="constraint", kwargs=kwargs, origin=origin)
    if column is None and isinstance(raw.get("columns"), list) and len(raw["columns"]) == 1:
        check.column = str(raw["columns"][0])
    return check


# ---- relationships / foreign keys: the parent node -------------------------------------------
_REF = re.compile(r"""^\s*(?:\{\{\s*)?ref\(\s*['"]([^'"]+)['"](?:\s*,\s*['"]([^'"]+)['"])?\s*\)""")
_SOURCE = re.compile(
    r"""^\s*(?:\{\{\s*)?source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)"""
)


def parent_node(to: Any, project: DbtProject) -> NodeRef | None:
    """The node ``to: ref('x')`` / ``source('s', 't')`` of a relationships test names."""
    text = str(to or "")
    match = _SOURCE.match(text)
    if match:
        return NodeRef("source", f"{match[1]}.{match[2]}")
    match = _REF.match(text)
    if match:
        name = match[2] or match[1]
        kind: NodeKind = "seed" if name in project.seeds and name not in project.models else "model"
        return NodeRef(kind, name)
    return None
