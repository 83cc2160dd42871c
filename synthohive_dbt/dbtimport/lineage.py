"""Trace a column of a dbt model back to the raw column it comes from, with sqlglot.

Every raw table and model becomes a DuckDB view named by its placeholder (models in
dependency order, so a model that does not run on the real data is found here, with
DuckDB's reason). DuckDB then says what columns each view has, which is the schema
sqlglot's ``lineage`` needs to expand ``select *`` and follow a column through CTEs,
subqueries, renames and joins.

A column is traced only while each step passes it on unchanged: a plain column
reference, possibly renamed or cast. A computed column (``amount_cents / 100.0``,
``coalesce(...)``, an aggregate) or one fed by several columns (a union) stops the
trace, with that expression as the reason: a test on it says nothing certain about a
raw column. When a step reads another model, the trace goes on inside that model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.lineage import Node, lineage

from ..errors import ProjectError
from ..project.sources import check_single_select
from .nodes import NodeRef
from .raw import RawTable
from .render import Placeholders, RenderedModel

log = logging.getLogger(__name__)

_MAX_DEPTH = 64


@dataclass
class Trace:
    """Where a column comes from: a raw column, or the reason it cannot be told."""

    origin: tuple[NodeRef, str] | None
    reason: str = ""
    path: list[str] = field(default_factory=list)  # model.column steps, outermost first


class Tracer:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        rendered: dict[str, RenderedModel],
        places: Placeholders,
        raw: dict[NodeRef, RawTable],
    ) -> None:
        self.con, self.rendered, self.places, self.raw = con, rendered, places, raw
        self.columns: dict[NodeRef, list[str]] = {}
        self.broken: dict[str, str] = {}
        for node, table in raw.items():
            con.execute(f"CREATE VIEW {places.relation(node)} AS {table.select()}")
            self.columns[node] = [name for name, _ in table.columns]
        for name in self._model_order():
            self._register(name)
        self.schema = {
            places.by_node[node]: {c: "TEXT" for c in cols} for node, cols in self.columns.items()
        }

    # ---- views ---------------------------------------------------------------------------
    def _model_order(self) -> list[str]:
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order or name in visiting or name not in self.rendered:
                return
            visiting.add(name)
            for dep in self.rendered[name].depends_on:
                if dep.kind == "model":
                    visit(dep.name)
            visiting.discard(name)
            order.append(name)

        for name in sorted(self.rendered):
            visit(name)
        return order

    def _register(self, name: str) -> None:
        model = self.rendered[name]
        if model.sql is None:
            self.broken[name] = model.reason
            return
        for dep in model.depends_on:
            if dep.kind == "model" and dep.name in self.broken:
                self.broken[name] = f"it reads model {dep.name}, which is not traced"
                return
            if dep.kind != "model" and dep not in self.raw:
                self.broken[name] = f"it reads {dep}, which is not imported"
                return
        node = NodeRef("model", name)
        try:
            sql = check_single_select(model.sql, path=model.name, model=model.name)
        except ProjectError as exc:
            self.broken[name] = exc.message
            return
        try:
            self.con.execute(f"CREATE VIEW {self.places.relation(node)} AS {sql}")
            described = self.con.execute(f"DESCRIBE SELECT * FROM {self.places.relation(node)}")
            self.columns[node] = [str(r[0]) for r in described.fetchall()]
        except duckdb.Error as exc:
            self.broken[name] = f"its SQL does not run on the real data in DuckDB: {_first_line(exc)}"

    # ---- tracing ---------------------------------------------------------------------------
    def column_of(self, node: NodeRef, column: str) -> str | None:
        """``column`` as the node spells it (DuckDB names are case-insensitive)."""
        for name in self.columns.get(node, []):
            if name.lower() == column.strip('"').lower():
                return name
        return None

    def trace(self, node: NodeRef, column: str) -> Trace:
        """The raw column that ``node.column`` passes on unchanged."""
        path: list[str] = []
        for _ in range(_MAX_DEPTH):
            if node.kind != "model":
                if node not in self.raw:
                    return Trace(None, f"{node} is not imported", path)
                found = self.column_of(node, column)
                if found is None:
                    return Trace(None, f"{node} has no column {column!r}", path)
                return Trace((node, found), "", path)
            if node.name in self.broken or node not in self.columns:
                reason = self.broken.get(node.name, "it is not a model of the project")
                return Trace(None, f"model {node.name} is not traced: {reason}", path)
            found = self.column_of(node, column)
            if found is None:
                return Trace(None, f"model {node.name} has no column {column!r}", path)
            path.append(f"{node.name}.{found}")
            step = self._step(node.name, found)
            if isinstance(step, str):
                return Trace(None, step, path)
            node, column = step
        return Trace(None, "the models nest deeper than the import follows", path)

    def _step(self, model: str, column: str) -> tuple[NodeRef, str] | str:
        """The node and column that ``model.column`` reads, or why it is not a plain pass-on."""
        try:
            root = lineage(
                exp.to_identifier(column, quoted=True),
                self.rendered[model].sql or "",
                schema=self.schema,
                dialect="duckdb",
            )
        except (sqlglot.errors.SqlglotError, KeyError, ValueError) as exc:
            return f"sqlglot cannot trace {model}.{column}: {_first_line(exc)}"
        node: Node = root
        while node.downstream:
            computed = _computed(node.expression)
            if computed is not None:
                return f"{model}.{column} is computed as {computed}"
            if len(node.downstream) != 1:
                return f"{model}.{column} comes from several columns ({len(node.downstream)})"
            node = node.downstream[0]
        if not isinstance(node.source, exp.Table):
            return f"{model}.{column} comes from no table column ({node.expression.sql('duckdb')})"
        upstream = self.places.node(node.source.name)
        if upstream is None:
            return f"{model}.{column} comes from {node.source.sql('duckdb')}, not a dbt node"
        return upstream, node.name.split(".")[-1]


def _computed(expression: exp.Expression) -> str | None:
    """None for a column passed on (renamed or cast), else the expression's SQL."""
    inner = expression.unalias() if isinstance(expression, exp.Alias) else expression
    while isinstance(inner, (exp.Cast, exp.TryCast, exp.Paren)):
        inner = inner.this
    if isinstance(inner, exp.Column):
        return None
    return inner.sql(dialect="duckdb")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
