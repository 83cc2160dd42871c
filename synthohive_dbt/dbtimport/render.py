"""A dbt model's SQL with every ``source()`` and ``ref()`` replaced by a placeholder table.

Each node gets one placeholder name (``__shive_n<i>``), so the SQL can be run in DuckDB
over views of those names and traced by sqlglot, and a traced column maps back to its
node. The jinja context is the part of dbt's that plain models use: ``source``, ``ref``,
``config``, ``var``, ``env_var``, ``is_incremental`` (false), ``target`` and ``this``.
A model that needs more (project macros, ``adapter``, packages) is rendered from its
compiled SQL in the manifest when ``dbt compile`` or ``dbt build`` wrote one; else it
is not traced, with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import jinja2
import sqlglot
from jinja2.sandbox import SandboxedEnvironment
from sqlglot import exp

from ..quoting import quote_identifier
from .nodes import DbtModel, DbtProject, NodeRef
from .profile import DbtConnection

PLACEHOLDER = "__shive_n{}"


@dataclass
class RenderedModel:
    name: str
    sql: str | None  # None: not renderable, see reason
    reason: str = ""
    depends_on: list[NodeRef] = field(default_factory=list)


class Placeholders:
    """One placeholder table name per node, both ways."""

    def __init__(self, project: DbtProject) -> None:
        nodes = [NodeRef("source", key) for key in project.sources]
        nodes += [NodeRef("seed", name) for name in project.seeds]
        nodes += [NodeRef("model", name) for name in project.models]
        self.by_node = {node: PLACEHOLDER.format(i) for i, node in enumerate(nodes)}
        self.by_name = {name: node for node, name in self.by_node.items()}

    def relation(self, node: NodeRef) -> str:
        return quote_identifier(self.by_node[node])

    def node(self, table_name: str) -> NodeRef | None:
        return self.by_name.get(table_name)


class _Unsupported(Exception):
    """A dbt feature a model uses that the import does not render."""


def render_models(
    project: DbtProject, connection: DbtConnection, places: Placeholders
) -> dict[str, RenderedModel]:
    return {
        name: _render_one(model, project, connection, places)
        for name, model in project.models.items()
    }


def _render_one(
    model: DbtModel, project: DbtProject, connection: DbtConnection, places: Placeholders
) -> RenderedModel:
    if model.language != "sql":
        return RenderedModel(model.name, None, f"{model.language} models are not traced")
    result = RenderedModel(model.name, None)
    try:
        result.sql = _jinja(model, project, connection, places, result.depends_on)
        return result
    except (_Unsupported, jinja2.TemplateError, TypeError, ValueError) as exc:
        reason = f"cannot render its jinja ({exc})"
    if model.compiled_sql:
        result.depends_on.clear()
        try:
            result.sql = _from_compiled(model.compiled_sql, project, connection, places, result.depends_on)
            return result
        except sqlglot.errors.SqlglotError as exc:
            reason += f"; its compiled SQL does not parse ({str(exc).splitlines()[0]})"
    else:
        reason += "; run `dbt compile` so target/manifest.json holds its compiled SQL"
    return RenderedModel(model.name, None, reason)


def _jinja(
    model: DbtModel,
    project: DbtProject,
    connection: DbtConnection,
    places: Placeholders,
    depends_on: list[NodeRef],
) -> str:
    def use(node: NodeRef) -> str:
        if node not in places.by_node:
            raise _Unsupported(f"{node} is not a node of the project")
        if node not in depends_on:
            depends_on.append(node)
        return places.relation(node)

    def source(source_name: str, table_name: str) -> str:
        return use(NodeRef("source", f"{source_name}.{table_name}"))

    def ref(*names: str, **_versions: Any) -> str:
        name = str(names[-1])
        return use(NodeRef("seed" if name in project.seeds and name not in project.models else "model", name))

    def var(name: str, default: Any = None) -> Any:
        if name in project.vars:
            return project.vars[name]
        if default is None:
            raise _Unsupported(f"var {name!r} has no value")
        return default

    def env_var(name: str, default: Any = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise _Unsupported(f"env_var {name!r} is not set")
        return str(value)

    target = {
        "name": connection.target_name, "type": "duckdb", "schema": connection.schema,
        "database": connection.database, "profile_name": connection.profile_name,
    }  # fmt: skip
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    template = env.from_string(model.raw_sql)
    return template.render(
        source=source, ref=ref, var=var, env_var=env_var, config=lambda *a, **k: "",
        is_incremental=lambda: False, target=target,
        this=places.relation(NodeRef("model", model.name)),
    )  # fmt: skip


def _from_compiled(
    sql: str,
    project: DbtProject,
    connection: DbtConnection,
    places: Placeholders,
    depends_on: list[NodeRef],
) -> str:
    """The compiled SQL with each relation of a node swapped for its placeholder."""
    relations: dict[tuple[str, str, str], NodeRef] = {}
    for key, source in project.sources.items():
        db = source.database or connection.database
        relations[(db, source.schema, source.identifier)] = NodeRef("source", key)
    for name, seed in project.seeds.items():
        relations[(seed.database or connection.database, seed.schema, seed.alias)] = NodeRef("seed", name)
    for name, model in project.models.items():
        if model.relation:
            relations[model.relation] = NodeRef("model", name)
    lowered = {tuple(p.lower() for p in k): v for k, v in relations.items()}
    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in list(tree.find_all(exp.Table)):
        key = (table.catalog or connection.database, table.db or connection.schema, table.name)
        node = lowered.get(tuple(p.lower() for p in key))
        if node is not None:
            if node not in depends_on:
                depends_on.append(node)
            alias = table.alias or table.name
            table.replace(exp.Table(this=exp.to_identifier(places.by_node[node], quoted=True),
                                    alias=exp.TableAlias(this=exp.to_identifier(alias))))  # fmt: skip
    return tree.sql(dialect="duckdb")
