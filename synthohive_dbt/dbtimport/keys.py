"""From dbt tests and constraints to shive keys on the raw tables, checked on the real data.

Each check is traced to the raw column it is about (:mod:`.lineage`) and then checked
on that raw column in the real database, because a test that holds on a model need not
hold on the raw table (the model may filter, deduplicate or group): only what the raw
data satisfies is declared, the rest is listed with the reason.

- ``unique`` + ``not_null`` (tests, or a ``primary_key`` constraint) -> primary key
  (one per table; further ones become ``unique`` + ``not_null`` constraints);
- ``relationships`` (or a ``foreign_key`` constraint) -> foreign key, when both ends
  trace to raw columns of the same type and the parent column is unique;
- ``accepted_values`` -> an ``accepted_values`` test; ``not_null`` -> ``not_null``;
- a model-level ``primary_key`` / ``unique`` constraint over several columns, or
  ``dbt_utils.unique_combination_of_columns``, whose columns all trace to one raw table
  -> a composite primary key (when no single column is one) or unique key.

Foreign keys no test declares are then suggested, not declared (:mod:`.suggest`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..quoting import quote_identifier
from .lineage import Trace, Tracer
from .nodes import DbtCheck, DbtProject, NodeRef
from .raw import RawTable
from .reader import parent_node
from .suggest import suggest_foreign_keys

_SUPPORTED = ("unique", "not_null", "accepted_values", "relationships", "primary_key", "foreign_key")
#: checks over several columns: name -> the argument listing them
_COMPOSITE = {"primary_key": "columns", "unique": "columns",
              "dbt_utils.unique_combination_of_columns": "combination_of_columns"}


@dataclass
class Finding:
    check: str  # what dbt declares, e.g. "test unique on stg_customers.customer_id"
    declared: str = ""  # what shive declares, e.g. "unique on customers.id"
    reason: str = ""  # why nothing is declared
    origin: str = ""

    def as_dict(self) -> dict[str, str]:
        out = {"check": self.check}
        if self.origin:
            out["declared_in"] = self.origin
        out.update({"declared": self.declared} if self.declared else {"reason": self.reason})
        return out


@dataclass
class ColumnPlan:
    unique: list[str] = field(default_factory=list)  # evidence: the dbt checks
    not_null: list[str] = field(default_factory=list)
    accepted_values: list[tuple[list[Any], bool, str]] = field(default_factory=list)


@dataclass
class ForeignKeyPlan:
    column: str
    parent: NodeRef
    parent_column: str
    evidence: list[str]
    orphans: int = 0


@dataclass
class CompositeKey:
    columns: list[str]
    not_null: bool  # a primary_key constraint: the columns are also not null
    evidence: list[str]


@dataclass
class TablePlan:
    raw: RawTable
    columns: dict[str, ColumnPlan] = field(default_factory=dict)
    foreign_keys: list[ForeignKeyPlan] = field(default_factory=list)
    composite_keys: list[CompositeKey] = field(default_factory=list)
    primary_key: str | None = None
    composite_primary_key: list[str] | None = None
    suggestions: dict[str, str] = field(default_factory=dict)  # column -> comment

    def column(self, name: str) -> ColumnPlan:
        return self.columns.setdefault(name, ColumnPlan())


def plan_keys(
    project: DbtProject, tracer: Tracer, raw: dict[NodeRef, RawTable], con: duckdb.DuckDBPyConnection
) -> tuple[dict[NodeRef, TablePlan], list[Finding]]:
    """A plan per raw table and one finding per dbt check."""
    plans = {node: TablePlan(table) for node, table in raw.items()}
    planner = _Planner(project, tracer, plans, con)
    findings = [planner.apply(check) for check in project.checks]
    _choose_primary_keys(plans)
    suggest_foreign_keys(plans, con, tracer)
    return plans, findings


class _Planner:
    def __init__(self, project: DbtProject, tracer: Tracer, plans: dict[NodeRef, TablePlan],
                 con: duckdb.DuckDBPyConnection) -> None:  # fmt: skip
        self.project, self.tracer, self.plans, self.con = project, tracer, plans, con

    def apply(self, check: DbtCheck) -> Finding:
        finding = Finding(check.describe(), origin=check.origin)
        if check.column is None and isinstance(check.kwargs.get(_COMPOSITE.get(check.name, "")), list):
            return self._composite(check, finding)
        finding.reason = self._unsupported(check)
        if finding.reason:
            return finding
        trace = self.tracer.trace(check.node, check.column or "")
        if trace.origin is None:
            finding.reason = trace.reason
            return finding
        if check.name == "accepted_values":
            return self._accepted_values(check, trace, finding)
        if check.name in ("relationships", "foreign_key"):
            return self._relationship(check, trace, finding)
        return self._uniqueness(check, trace, finding)

    def _uniqueness(self, check: DbtCheck, trace: Trace, finding: Finding) -> Finding:
        """unique, not_null, primary_key: checked on the raw column, then recorded."""
        node, column = trace.origin  # type: ignore[misc]
        where = f"{self.plans[node].raw.model}.{column}"
        unique = check.name in ("unique", "primary_key")
        not_null = check.name in ("not_null", "primary_key")
        problems = (self._duplicates(node, column) if unique else []) + (
            self._nulls(node, column) if not_null else [])  # fmt: skip
        if problems:
            finding.reason = f"{where} {' and '.join(problems)} in the raw data{_via(trace)}"
            return finding
        plan = self.plans[node].column(column)
        if unique:
            plan.unique.append(check.describe())
        if not_null:
            plan.not_null.append(check.describe())
        finding.declared = f"{'unique + not_null' if unique and not_null else check.name} on {where}"
        return finding

    def _accepted_values(self, check: DbtCheck, trace: Trace, finding: Finding) -> Finding:
        node, column = trace.origin  # type: ignore[misc]
        where = f"{self.plans[node].raw.model}.{column}"
        values = check.kwargs.get("values")
        if not isinstance(values, list) or not values:
            finding.reason = "accepted_values without a list of values"
            return finding
        outside = self._outside(node, column, values)
        if outside:
            finding.reason = f"{where} holds {outside} other value(s) in the raw data{_via(trace)}"
            return finding
        quote = check.kwargs.get("quote", True) is not False
        self.plans[node].column(column).accepted_values.append((values, quote, check.describe()))
        finding.declared = f"accepted_values on {where}"
        return finding

    def _unsupported(self, check: DbtCheck) -> str:
        if check.column is None:
            return "it names no single column (a singular test, or one over columns it does not list)"
        if check.name not in _SUPPORTED:
            return (f"{check.name!r} is not traced (only unique, not_null, accepted_values, "
                    "relationships and key constraints are)")  # fmt: skip
        if check.where:
            return f"it has a where filter ({check.where}): it holds on some rows only"
        return ""

    def _relationship(self, check: DbtCheck, trace: Trace, finding: Finding) -> Finding:
        node, column = trace.origin  # type: ignore[misc]
        to = check.kwargs.get("to")
        field_name = check.kwargs.get("field")
        if check.name == "foreign_key":
            columns = check.kwargs.get("to_columns") or []
            field_name = columns[0] if len(columns) == 1 else None
        parent = parent_node(to, self.project)
        if parent is None or not field_name:
            finding.reason = f"cannot tell the parent from to: {to!r}, field: {field_name!r}"
            return finding
        up = self.tracer.trace(parent, str(field_name))
        if up.origin is None:
            finding.reason = f"the parent column {parent}.{field_name} is not traced: {up.reason}"
            return finding
        pnode, pcolumn = up.origin
        child, upper = self.plans[node].raw, self.plans[pnode].raw
        ctype, ptype = dict(child.columns)[column], dict(upper.columns)[pcolumn]
        where = f"{child.model}.{column} -> {upper.model}.{pcolumn}"
        if ctype != ptype:
            finding.reason = f"{where}: the raw types differ ({ctype} and {ptype}); shive never casts a key"
            return finding
        if self._duplicates(pnode, pcolumn):
            finding.reason = f"{where}: the parent column is not unique in the raw data{_via(up)}"
            return finding
        plans = self.plans[node]
        for fk in plans.foreign_keys:
            if fk.column == column:
                if (fk.parent, fk.parent_column) == (pnode, pcolumn):
                    fk.evidence.append(check.describe())
                    finding.declared = f"foreign key {where}"
                else:
                    finding.reason = f"{child.model}.{column} already references {fk.parent}"
                return finding
        orphans = self._orphans(node, column, pnode, pcolumn)
        plans.foreign_keys.append(ForeignKeyPlan(column, pnode, pcolumn, [check.describe()], orphans))
        self.plans[pnode].column(pcolumn).unique.append(f"parent of {check.describe()}")
        finding.declared = f"foreign key {where}" + (f" ({orphans} orphan rows in the raw data)" if orphans else "")
        return finding

    def _composite(self, check: DbtCheck, finding: Finding) -> Finding:
        names = [str(c) for c in check.kwargs[_COMPOSITE[check.name]]]
        if check.where:
            finding.reason = f"it has a where filter ({check.where}): it holds on some rows only"
            return finding
        traces = [self.tracer.trace(check.node, name) for name in names]
        for name, trace in zip(names, traces):
            if trace.origin is None:
                finding.reason = f"column {name}: {trace.reason}"
                return finding
        nodes = {t.origin[0] for t in traces}  # type: ignore[index]
        if len(nodes) != 1:
            finding.reason = "its columns come from different raw tables: " + ", ".join(map(str, nodes))
            return finding
        node = nodes.pop()
        columns = [t.origin[1] for t in traces]  # type: ignore[index]
        plan = self.plans[node]
        where = f"{plan.raw.model}({', '.join(columns)})"
        not_null = check.name == "primary_key"
        problems = self._duplicate_rows(node, columns) + (
            [p for c in columns for p in self._nulls(node, c)] if not_null else [])
        if problems:
            finding.reason = f"{where} {' and '.join(problems)} in the raw data"
            return finding
        plan.composite_keys.append(CompositeKey(columns, not_null, [check.describe()]))
        finding.declared = f"{'primary key' if not_null else 'unique'} {where}"
        return finding

    # ---- the real data ------------------------------------------------------------------
    def _scalar(self, sql: str, params: list[Any] | None = None) -> int:
        return int(self.con.execute(sql, params).fetchone()[0] or 0)

    def _rel(self, node: NodeRef) -> str:
        return self.tracer.places.relation(node)

    def _duplicates(self, node: NodeRef, column: str) -> list[str]:
        c = quote_identifier(column)
        n = self._scalar(f"SELECT count({c}) - count(DISTINCT {c}) FROM {self._rel(node)}")
        return [f"has {n} duplicate value(s)"] if n else []

    def _duplicate_rows(self, node: NodeRef, columns: list[str]) -> list[str]:
        cols = ", ".join(quote_identifier(c) for c in columns)
        n = self._scalar(f"SELECT count(*) - count(DISTINCT ({cols})) FROM {self._rel(node)}")
        return [f"has {n} duplicate combination(s)"] if n else []

    def _nulls(self, node: NodeRef, column: str) -> list[str]:
        c = quote_identifier(column)
        n = self._scalar(f"SELECT count(*) - count({c}) FROM {self._rel(node)}")
        return [f"has {n} null(s)"] if n else []

    def _outside(self, node: NodeRef, column: str, values: list[Any]) -> int:
        c = quote_identifier(column)
        return self._scalar(
            f"SELECT count(*) FROM {self._rel(node)} WHERE {c} IS NOT NULL "
            f"AND CAST({c} AS VARCHAR) NOT IN (SELECT unnest(?::VARCHAR[]))",
            [[str(v) for v in values]],
        )

    def _orphans(self, node: NodeRef, column: str, pnode: NodeRef, pcolumn: str) -> int:
        c, p = quote_identifier(column), quote_identifier(pcolumn)
        return self._scalar(
            f"SELECT count(*) FROM {self._rel(node)} WHERE {c} IS NOT NULL AND {c} NOT IN "
            f"(SELECT {p} FROM {self._rel(pnode)} WHERE {p} IS NOT NULL)"
        )


def _via(trace: Trace) -> str:
    return f" (traced through {' <- '.join(trace.path)})" if trace.path else ""


def _choose_primary_keys(plans: dict[NodeRef, TablePlan]) -> None:
    """One primary key per table: a unique, not-null column, preferring one a child references."""
    referenced = {(fk.parent, fk.parent_column) for p in plans.values() for fk in p.foreign_keys}
    for node, plan in plans.items():
        order = [name for name, _ in plan.raw.columns]
        keys = [c for c in order if c in plan.columns and plan.columns[c].unique and plan.columns[c].not_null]
        keys.sort(key=lambda c: ((node, c) not in referenced, order.index(c)))
        plan.primary_key = keys[0] if keys else None
        if plan.primary_key is None:
            for key in plan.composite_keys:
                nulls_ok = key.not_null or all(
                    c in plan.columns and plan.columns[c].not_null for c in key.columns)
                if nulls_ok:
                    plan.composite_primary_key = key.columns
                    break
