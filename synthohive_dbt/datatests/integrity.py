"""Integrity tests: what the manifest declares must hold in every synthetic row.

Primary keys (unique + not null, composite too), unique keys, foreign keys (children
with no parent), not-null columns, accepted values and check constraints. Each test is
a query over the synthetic tables returning the offending rows, dbt's convention.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..errors import DataTestError
from ..project.model import CheckConstraint, Column, DataTest, ForeignKey, Manifest, Severity, Table
from . import sqlgen
from .model import EmittedTest
from .naming import make_test_name

log = logging.getLogger(__name__)

_REF = re.compile(r"""^\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*$""")
_STRING_TYPES = ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "ENUM", "UUID")


def output_columns(table: Table) -> list[Column]:
    """Columns that exist in the synthetic table (a PII ``drop`` removes its column)."""
    return [c for c in table.columns if not (c.pii is not None and c.pii.action == "drop")]


def integrity_tests(table: Table, manifest: Manifest, severity: Severity) -> list[EmittedTest]:
    """Every integrity test of ``table``; ``severity`` is the project's integrity severity."""
    present = {c.name for c in output_columns(table)}
    seen: set[tuple[Any, ...]] = set()
    tests: list[EmittedTest] = []

    def add(test: EmittedTest, signature: tuple[Any, ...]) -> None:
        if signature not in seen:
            seen.add(signature)
            tests.append(test)

    for test, signature in _key_tests(table, severity):
        add(test, signature)
    for fk in table.foreign_keys:
        add(relationships_test(table.name, fk, severity), ("relationships", tuple(fk.columns), fk.parent, tuple(fk.parent_columns)))
    for col in table.columns:
        if col.name in present and not col.nullable:
            add(not_null_test(table.name, col.name, severity), ("not_null", col.name))
    for declared in _declared(table):
        built = _declared_test(table, declared, manifest, severity, present)
        if built is not None:
            add(*built)
    for index, check in enumerate(table.checks):
        add(check_test(table.name, check, index, severity), ("check", index))
    return tests


def _key_tests(table: Table, severity: Severity) -> Iterator[tuple[EmittedTest, tuple[Any, ...]]]:
    if table.primary_key:
        yield unique_test(table.name, table.primary_key, severity, "primary key"), ("unique", tuple(table.primary_key))
        for name in table.primary_key:
            yield not_null_test(table.name, name, severity, "primary key"), ("not_null", name)
    for key in table.unique_keys:
        yield unique_test(table.name, key, severity, "unique key"), ("unique", tuple(key))
    for col in table.columns:
        if col.unique:
            yield unique_test(table.name, [col.name], severity, "unique column"), ("unique", (col.name,))


# ---- the tests -----------------------------------------------------------------------
def unique_test(
    table: str, columns: Sequence[str], severity: Severity, origin: str = "unique", *, where: str | None = None
) -> EmittedTest:
    """Key values that occur more than once (rows with a null key part are not compared)."""
    keys = [sqlgen.column(c) for c in columns]
    query = (
        exp.select(*keys, exp.alias_(exp.Count(this=exp.Star()), "n_records"))
        .from_(_source(table, where))
        .where(sqlgen.all_of(k.copy().is_(exp.null()).not_() for k in keys))
        .group_by(*(k.copy() for k in keys))
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
    )
    return _integrity(
        "unique", table, list(columns), severity, query,
        f"{origin} ({', '.join(columns)}) of {table} is unique" + _where_note(where),
    )


def not_null_test(
    table: str, column: str, severity: Severity, origin: str = "not-null column", *, where: str | None = None
) -> EmittedTest:
    """Rows where ``column`` is null."""
    query = exp.select("*").from_(_source(table, where)).where(sqlgen.column(column).is_(exp.null()))
    return _integrity(
        "not_null", table, [column], severity, query,
        f"{origin} {table}.{column} is never null" + _where_note(where),
    )


def relationships_test(table: str, fk: ForeignKey, severity: Severity, *, where: str | None = None) -> EmittedTest:
    """Child rows whose (fully non-null) foreign key has no parent row (``where`` filters the child)."""
    child = [sqlgen.column(c, "child") for c in fk.columns]
    parent = [sqlgen.column(c, "parent") for c in fk.parent_columns]
    has_parent = exp.Exists(
        this=exp.select(exp.Literal.number(1))
        .from_(exp.alias_(sqlgen.relation(fk.parent), "parent", table=True))
        .where(sqlgen.all_of(exp.EQ(this=p, expression=c.copy()) for p, c in zip(parent, child)))
    )
    query = (
        exp.select(*(c.copy() for c in child))
        .from_(_source(table, where, "child"))
        .where(sqlgen.all_of([*(c.copy().is_(exp.null()).not_() for c in child), exp.not_(has_parent)]))
    )
    target = f"{fk.parent}({', '.join(fk.parent_columns)})"
    return _integrity(
        "relationships", table, list(fk.columns), severity, query,
        f"every {table}({', '.join(fk.columns)}) has a parent in {target}" + _where_note(where),
        name_parts=[*fk.columns, fk.parent],
    )


def accepted_values_test(
    table: Table, column: Column, values: Sequence[Any], severity: Severity, *, where: str | None = None
) -> EmittedTest:
    """Distinct non-null values of ``column`` outside ``values``, with their row counts."""
    if not values:
        raise DataTestError(
            "accepted_values needs a non-empty list of values",
            hint="write accepted_values: {values: [a, b, c]}",
            table=table.name,
            column=column.name,
        )
    value, accepted = _comparable(column, values)
    query = (
        exp.select(exp.alias_(value, "value_field"), exp.alias_(exp.Count(this=exp.Star()), "n_records"))
        .from_(_source(table.name, where))
        .where(sqlgen.all_of([
            sqlgen.column(column.name).is_(exp.null()).not_(),
            exp.not_(value.copy().isin(*accepted)),
        ]))
        .group_by(value.copy())
    )
    shown = ", ".join(str(v) for v in values[:10]) + (", ..." if len(values) > 10 else "")
    return _integrity(
        "accepted_values", table.name, [column.name], severity, query,
        f"{table.name}.{column.name} is one of: {shown}" + _where_note(where),
    )


def check_test(table: str, check: CheckConstraint, index: int, severity: Severity) -> EmittedTest:
    """Rows for which the check expression is false (null passes, as in SQL's CHECK)."""
    condition = _condition(check.expression, "check expression", table, check.column)
    query = exp.select("*").from_(sqlgen.relation(table)).where(exp.not_(exp.paren(condition)))
    label = check.name or check.column or str(index + 1)
    return _integrity(
        "check", table, [check.column] if check.column else [], severity, query,
        f"check on {table}: {check.expression}", name_parts=[label],
    )


# ---- declared dbt-style tests ----------------------------------------------------------
def _declared(table: Table) -> Iterator[DataTest]:
    for col in table.columns:
        for test in col.tests:
            yield test if test.column else DataTest(test.name, col.name, test.config, test.severity)
    yield from table.tests


def _declared_test(
    table: Table, test: DataTest, manifest: Manifest, default: Severity, present: set[str]
) -> tuple[EmittedTest, tuple[Any, ...]] | None:
    column_name = test.column or test.config.get("column_name")
    if not column_name:
        raise DataTestError(
            f"a table-level {test.name} test needs a column",
            hint="declare it under the column, or give column_name:",
            table=table.name,
        )
    if column_name not in present:
        if column_name in table.column_names:
            log.info("skipping %s on %s.%s: the column is dropped as PII", test.name, table.name, column_name)
            return None
        raise DataTestError(
            f"{test.name} test on unknown column {column_name!r}",
            hint="check the column name in schema.yml",
            table=table.name,
        )
    severity = _severity(test, default)
    args = {**test.config, **(test.config.get("arguments") or {})}
    if args.get("enabled") is False:
        return None
    where = args.get("where")
    if where is not None:
        _condition(str(where), "where filter", table.name, column_name)  # fail early on bad SQL
    # a filtered test checks less than the declared constraint: never dedupe it against one
    scope = ("where", str(where)) if where else ()
    if test.name == "not_null":
        built = not_null_test(table.name, column_name, severity, "declared not_null", where=where)
        return built, ("not_null", column_name, *scope)
    if test.name == "unique":
        built = unique_test(table.name, [column_name], severity, "declared unique", where=where)
        return built, ("unique", (column_name,), *scope)
    if test.name == "accepted_values":
        values = list(args.get("values") or [])
        built = accepted_values_test(table, table.column(column_name), values, severity, where=where)
        return built, ("accepted_values", column_name, *scope)
    if test.name == "relationships":
        fk = _declared_relationship(table, column_name, args, manifest)
        built = relationships_test(table.name, fk, severity, where=where)
        return built, ("relationships", (column_name,), fk.parent, tuple(fk.parent_columns), *scope)
    raise DataTestError(
        f"unsupported test {test.name!r}",
        hint="shive emits unique, not_null, accepted_values and relationships",
        table=table.name,
        column=column_name,
    )


def _declared_relationship(table: Table, column: str, args: dict[str, Any], manifest: Manifest) -> ForeignKey:
    to = str(args.get("to", ""))
    match = _REF.match(to)
    parent = match.group(1) if match else to.strip()
    if parent not in manifest.tables:
        raise DataTestError(
            f"relationships test points at {to!r}, which is not a model of this project",
            hint="write to: ref('<model>') naming a synthesized or derived model",
            table=table.name,
            column=column,
        )
    field_name = str(args.get("field", column))
    return ForeignKey(columns=[column], parent=parent, parent_columns=[field_name])


def _severity(test: DataTest, default: Severity) -> Severity:
    configured = test.config.get("severity") or (test.config.get("config") or {}).get("severity")
    if configured:
        level = str(configured).lower()
        if level not in ("error", "warn"):
            raise DataTestError(f"severity {configured!r} is neither error nor warn", column=test.column)
        return level  # type: ignore[return-value]
    return "warn" if test.severity == "warn" else default


# ---- helpers -------------------------------------------------------------------------
def _source(table: str, where: str | None, alias: str | None = None) -> exp.Expression:
    """The synthetic table, or (dbt's ``where:`` config) only its rows matching ``where``."""
    relation = sqlgen.relation(table)
    if where:
        filtered = exp.select("*").from_(relation).where(_condition(where, "where filter", table, None))
        return filtered.subquery(alias or "filtered")
    return exp.alias_(relation, alias, table=True) if alias else relation


def _condition(text: str, what: str, table: str, column: str | None) -> exp.Expression:
    try:
        return exp.condition(text, dialect=sqlgen.CANONICAL_DIALECT)
    except SqlglotError as exc:
        raise DataTestError(
            f"cannot parse the {what} {text!r}: {exc}",
            hint="write a SQL boolean expression in DuckDB's dialect, e.g. age between 18 and 100",
            table=table,
            column=column,
        ) from exc


def _where_note(where: str | None) -> str:
    return f" (where {where})" if where else ""


def _comparable(column: Column, values: Sequence[Any]) -> tuple[exp.Expression, list[exp.Expression]]:
    """The column and the accepted values as compared: as text unless both are numbers or booleans."""
    ref = sqlgen.column(column.name)
    if not column.data_type.upper().startswith(_STRING_TYPES):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return ref, [sqlgen.literal(v) for v in values]
        if all(isinstance(v, bool) for v in values):
            return ref, [sqlgen.literal(v) for v in values]
        ref = exp.cast(ref, "VARCHAR")
    return ref, [sqlgen.literal(str(v).lower() if isinstance(v, bool) else str(v)) for v in values]


def _integrity(
    kind: str,
    table: str,
    columns: list[str],
    severity: Severity,
    query: exp.Expression,
    description: str,
    *,
    name_parts: Sequence[str] | None = None,
) -> EmittedTest:
    sql = sqlgen.to_canonical_sql(query)
    return EmittedTest(
        name=make_test_name(kind, table, name_parts if name_parts is not None else columns),
        table=table,
        kind=kind,
        category="integrity",
        severity=severity,
        sql=sql,
        description=description,
        column=columns[0] if len(columns) == 1 else None,
        columns=columns,
        relations=sqlgen.referenced_tables(sql),
    )
