"""Declared row rules, read from a table's declarations.

:func:`row_predicate` combines the row-level rules a chunk can be tested against
(``check`` expressions, not-null columns, ``accepted_values``) into one SQL predicate
that DuckDB evaluates over a generated chunk; failing rows are resampled.
:func:`check_bounds` turns simple range checks (``age between 18 and 100``,
``price > 0``) into numeric bounds the synthesizer learns and clips to.

Check expressions are SQL the user wrote; they are parsed by sqlglot and must be a
single scalar expression (no query, no statement) before they reach any engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from ..errors import GenerationError
from ..quoting import quote_identifier

if TYPE_CHECKING:
    from ..project.model import CheckConstraint, Table

_FORBIDDEN = (exp.Select, exp.Subquery, exp.Query, exp.Command, exp.Create, exp.Drop, exp.Insert)


# ---- parsing ----------------------------------------------------------------------------
def parse_check(check: CheckConstraint, table: str) -> exp.Expression:
    """The check's expression as a sqlglot tree; a non-scalar expression is an error."""
    try:
        tree = sqlglot.parse_one(check.expression, dialect="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise GenerationError(
            f"check {check.expression!r} is not a SQL expression: {exc}",
            table=table,
            column=check.column,
            hint="write a boolean SQL expression over the table's columns",
        ) from exc
    if isinstance(tree, _FORBIDDEN) or any(tree.find_all(*_FORBIDDEN)):
        raise GenerationError(
            f"check {check.expression!r} must be a plain expression, not a query",
            table=table,
            column=check.column,
            hint="a check may only reference the row's own columns",
        )
    return tree


def referenced_columns(tree: exp.Expression) -> set[str]:
    return {c.name for c in tree.find_all(exp.Column)}


def accepted_values(table: Table) -> dict[str, list[Any]]:
    """Column -> its ``accepted_values`` (column- and table-level tests)."""
    out: dict[str, list[Any]] = {}
    located = [(t.column, t) for t in table.tests]
    located += [(t.column or c.name, t) for c in table.columns for t in c.tests]
    for column, test in located:
        if test.name == "accepted_values" and column and "values" in test.config:
            out[column] = list(test.config["values"])
    return out


def _literal(value: Any) -> str:
    return exp.convert(value).sql(dialect="duckdb")


# ---- while sampling ---------------------------------------------------------------------
def row_predicate(table: Table, available: Iterable[str]) -> str:
    """One DuckDB predicate of every row rule over ``available`` columns ('' if none).

    A row fails when the predicate is FALSE (NULL passes, as in SQL CHECK).
    """
    have = set(available)
    parts: list[str] = []
    for check in table.checks:
        tree = parse_check(check, table.name)
        if referenced_columns(tree) <= have:
            parts.append(f"({tree.sql(dialect='duckdb')})")
    for column in table.columns:
        if column.name in have and not column.nullable:
            parts.append(f"({quote_identifier(column.name)} IS NOT NULL)")
    for name, values in accepted_values(table).items():
        if name in have and values:
            # compared as text, as dbt's accepted_values quotes its values by default
            listed = ", ".join(_literal(str(v)) for v in values)
            parts.append(
                f"({quote_identifier(name)} IS NULL OR CAST({quote_identifier(name)} AS VARCHAR) IN ({listed}))"
            )
    return " AND ".join(parts)


def check_bounds(table: Table) -> dict[str, tuple[float | None, float | None]]:
    """Numeric bounds implied by simple checks: ``c between a and b``, ``c >= a``, ..."""
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for check in table.checks:
        tree = parse_check(check, table.name)
        for part in _conjuncts(tree):
            found = _bound(part)
            if found:
                name, low, high = found
                old_low, old_high = bounds.get(name, (None, None))
                bounds[name] = (_tighter(old_low, low, max), _tighter(old_high, high, min))
    return bounds


def _conjuncts(tree: exp.Expression) -> list[exp.Expression]:
    tree = tree.unnest()
    if isinstance(tree, exp.And):
        return _conjuncts(tree.left) + _conjuncts(tree.right)
    return [tree]


def _bound(node: exp.Expression) -> tuple[str, float | None, float | None] | None:
    if isinstance(node, exp.Between) and isinstance(node.this, exp.Column):
        low, high = _number(node.args.get("low")), _number(node.args.get("high"))
        if low is not None or high is not None:
            return node.this.name, low, high
        return None
    ops = {exp.GTE: "low", exp.GT: "low", exp.LTE: "high", exp.LT: "high"}
    for kind, side in ops.items():
        if isinstance(node, kind):
            left, right = node.left, node.right
            if isinstance(left, exp.Column) and _number(right) is not None:
                value = _number(right)
                return (left.name, value, None) if side == "low" else (left.name, None, value)
            if isinstance(right, exp.Column) and _number(left) is not None:
                value = _number(left)
                return (right.name, None, value) if side == "low" else (right.name, value, None)
    return None


def _number(node: exp.Expression | None) -> float | None:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        inner = _number(node.this)
        return -inner if inner is not None else None
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    return None


def _tighter(old: float | None, new: float | None, pick: Any) -> float | None:
    if old is None:
        return new
    if new is None:
        return old
    return pick(old, new)
