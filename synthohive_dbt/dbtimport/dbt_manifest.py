"""Read ``target/manifest.json`` (written by ``dbt parse``, ``compile``, ``build``, ...).

The manifest holds what dbt resolved: each source's database/schema/identifier, each
seed's schema and alias, each test's arguments and the node it is attached to, and
after ``compile`` or ``build`` each model's compiled SQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from .nodes import DbtCheck, DbtModel, DbtProject, DbtSeed, DbtSource, NodeRef

_CONSTRAINT_KEYS = ("to", "to_columns", "columns", "expression")


def read_manifest(
    path: Path, dbt_dir: Path, *, name: str, profile: str, vars: dict[str, Any]
) -> DbtProject:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProjectError(
            f"cannot read the dbt manifest {path}: {exc}",
            path=path,
            hint="run `dbt parse` again, or delete it to import from the project's files",
        ) from exc
    project = DbtProject(name, profile, dbt_dir, vars, {}, {}, {}, [], from_manifest=True)
    refs: dict[str, NodeRef] = {}
    for uid, node in (data.get("sources") or {}).items():
        source = _source(node)
        project.sources[source.key] = source
        refs[uid] = NodeRef("source", source.key)
    for uid, node in (data.get("nodes") or {}).items():
        kind = node.get("resource_type")
        if kind == "model":
            project.models[node["name"]] = DbtModel(
                name=node["name"],
                path=str(node.get("original_file_path") or ""),
                raw_sql=str(node.get("raw_code") or node.get("raw_sql") or ""),
                language=str(node.get("language") or "sql"),
                compiled_sql=node.get("compiled_code"),
                relation=(
                    str(node.get("database") or ""),
                    str(node.get("schema") or ""),
                    str(node.get("alias") or node["name"]),
                ),
            )
            refs[uid] = NodeRef("model", node["name"])
        elif kind == "seed":
            project.seeds[node["name"]] = DbtSeed(
                name=node["name"],
                path=dbt_dir / str(node.get("original_file_path") or ""),
                database=node.get("database"),
                schema=str(node.get("schema") or "main"),
                alias=str(node.get("alias") or node["name"]),
            )
            refs[uid] = NodeRef("seed", node["name"])
    for node in (data.get("nodes") or {}).values():
        if node.get("resource_type") == "model":
            project.checks.extend(_constraints(node, refs[node["unique_id"]]))
    for node in (data.get("nodes") or {}).values():
        if node.get("resource_type") == "test":
            check = _test(node, refs)
            if check is not None:
                project.checks.append(check)
    return project


def _source(node: dict[str, Any]) -> DbtSource:
    meta = {**(node.get("source_meta") or {}), **(node.get("meta") or {})}
    config = node.get("config") or {}
    return DbtSource(
        source_name=str(node["source_name"]),
        name=str(node["name"]),
        database=node.get("database"),
        schema=str(node.get("schema") or node["source_name"]),
        identifier=str(node.get("identifier") or node["name"]),
        external_location=config.get("external_location") or meta.get("external_location"),
    )


def _constraints(node: dict[str, Any], ref: NodeRef) -> list[DbtCheck]:
    origin = str(node.get("patch_path") or node.get("original_file_path") or "").split("://")[-1]
    found = []
    for column in (node.get("columns") or {}).values():
        for raw in column.get("constraints") or []:
            kwargs = {k: raw[k] for k in _CONSTRAINT_KEYS if raw.get(k)}
            found.append(DbtCheck(str(raw.get("type")), ref, str(column["name"]), "constraint",
                                  kwargs, origin=origin))  # fmt: skip
    for raw in node.get("constraints") or []:
        kwargs = {k: raw[k] for k in _CONSTRAINT_KEYS if raw.get(k)}
        columns = raw.get("columns") or []
        column = str(columns[0]) if len(columns) == 1 else None
        found.append(DbtCheck(str(raw.get("type")), ref, column, "constraint", kwargs, origin=origin))
    return found


def _test(node: dict[str, Any], refs: dict[str, NodeRef]) -> DbtCheck | None:
    attached = node.get("attached_node")
    if attached is None:
        depends = (node.get("depends_on") or {}).get("nodes") or []
        attached = depends[0] if depends else None
    if attached not in refs:
        return None
    origin = str(node.get("original_file_path") or "")
    meta = node.get("test_metadata")
    if not meta:  # a singular test: its SQL, not a column property
        return DbtCheck(f"singular test {node.get('name')}", refs[attached], None, origin=origin)
    name = str(meta.get("name"))
    if meta.get("namespace"):
        name = f"{meta['namespace']}.{name}"
    kwargs = dict(meta.get("kwargs") or {})
    column = node.get("column_name") or kwargs.pop("column_name", None)
    kwargs.pop("model", None)
    where = (node.get("config") or {}).get("where")
    return DbtCheck(name, refs[attached], column, kwargs=kwargs, where=where, origin=origin)
