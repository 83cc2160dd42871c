"""One model's Table: its SQL's columns and types, plus what schema yml declares on them.

The columns are what DuckDB says the model's SQL returns (DESCRIBE); a declared column
the SQL does not return is an error, a returned column nobody declared is kept. Keys,
constraints and tests are attached here; foreign keys are only recorded, because
their parents are resolved once every table is built (:mod:`.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import sqlglot
from sqlglot import exp

from ..errors import known_names_hint
from .model import CheckConstraint, Column, DataTest, PiiConfig, Table
from .sources import model_relation
from .testspecs import DataTestSite, parse_data_test
from .types import column_kind

if TYPE_CHECKING:
    from .declared import Declared
    from .schema import ColumnSpec, ConstraintSpec, ModelSpec
    from .settings import ProjectConfig
    from .yamlio import KeyPath


@dataclass
class PendingForeignKey:
    """A foreign_key constraint whose parent is resolved after all tables are built."""

    table: str
    columns: list[str]
    to: str
    to_columns: list[str] | None
    declared: Declared
    sub: KeyPath


@dataclass
class PendingTest:
    """A relationships test, resolved like a foreign key."""

    table: str
    test: DataTest
    declared: Declared
    sub: KeyPath


@dataclass
class BuiltTable:
    table: Table
    foreign_keys: list[PendingForeignKey] = field(default_factory=list)
    relationship_tests: list[PendingTest] = field(default_factory=list)


def describe_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[Column]:
    """The columns of model ``name``'s real-data view, typed by DuckDB."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {model_relation(name)}").fetchall()
    return [Column(name=str(r[0]), data_type=str(r[1]), kind=column_kind(str(r[1]))) for r in rows]


def attach_declarations(
    table: Table, declared: Declared | None, con: duckdb.DuckDBPyConnection, project: ProjectConfig
) -> BuiltTable:
    """Apply columns, constraints and tests of ``declared`` (a model spec) to ``table``."""
    built = BuiltTable(table)
    if declared is None:
        return built
    spec: ModelSpec = declared.spec
    table.description = spec.description
    seen: dict[str, int] = {}
    for i, col_spec in enumerate(spec.columns):
        if col_spec.name in seen:
            raise declared.error(
                f"column {col_spec.name!r} is declared twice (also at columns[{seen[col_spec.name]}])",
                "columns",
                i,
                "name",
                table=table.name,
            )
        seen[col_spec.name] = i
        _apply_column(built, col_spec, i, declared, con, project)
    for j, constraint in enumerate(spec.constraints):
        _apply_model_constraint(built, constraint, ("constraints", j), declared, con)
    for key in ("data_tests", "tests"):
        for j, raw in enumerate(getattr(spec, key)):
            _add_test(built, raw, None, (key, j), declared)
    _finish_keys(table)
    return built


# ---- columns -----------------------------------------------------------------------------
def _column(table: Table, name: str, declared: Declared, *sub: Any) -> Column:
    try:
        return table.column(name)
    except KeyError:
        raise declared.error(
            f"column {name!r} is not in the output of model {table.name!r}",
            *sub,
            hint=known_names_hint(name, table.column_names, "column")
            + f" (columns come from the SELECT in {table.path})",
            table=table.name,
            column=name,
        ) from None


def _apply_column(
    built: BuiltTable,
    spec: ColumnSpec,
    i: int,
    declared: Declared,
    con: duckdb.DuckDBPyConnection,
    project: ProjectConfig,
) -> None:
    table = built.table
    col = _column(table, spec.name, declared, "columns", i, "name")
    col.description = spec.description
    if spec.config.pii is not None:
        pii = spec.config.pii
        col.pii = PiiConfig(
            action=pii.action,
            kind=pii.kind,
            locale=pii.locale or project.privacy.locale,
            consistent=pii.consistent,
            secret_env=pii.secret_env
            or (project.privacy.secret_env if pii.action == "hash" else None),
            keep_last=pii.keep_last,
        )
    if spec.config.synth is not None:
        overrides = spec.config.synth.model_dump(exclude_none=True)
        kind = overrides.pop("kind", None)
        if kind:
            col.kind = kind
        col.synth = overrides
    for j, constraint in enumerate(spec.constraints):
        _apply_column_constraint(
            built, col, constraint, ("columns", i, "constraints", j), declared, con
        )
    for key in ("data_tests", "tests"):
        for j, raw in enumerate(getattr(spec, key)):
            _add_test(built, raw, col.name, ("columns", i, key, j), declared)


def _apply_column_constraint(
    built: BuiltTable,
    col: Column,
    c: ConstraintSpec,
    sub: KeyPath,
    declared: Declared,
    con: duckdb.DuckDBPyConnection,
) -> None:
    table = built.table
    if c.columns and c.columns != [col.name]:
        raise declared.error(
            "a column's constraint applies to that column; 'columns:' belongs to model-level constraints",
            *sub,
            "columns",
            hint="move it to the model's 'constraints:' list",
            table=table.name,
        )
    if c.type == "primary_key":
        _set_primary_key(table, [col.name], declared, sub)
    elif c.type == "not_null":
        col.nullable = False
    elif c.type == "unique":
        _add_unique(table, [col.name])
    elif c.type == "check":
        table.checks.append(_check(table, c, col.name, declared, sub, con))
    elif c.type == "foreign_key":
        built.foreign_keys.append(
            PendingForeignKey(table.name, [col.name], c.to or "", c.to_columns, declared, sub)
        )


def _apply_model_constraint(
    built: BuiltTable,
    c: ConstraintSpec,
    sub: KeyPath,
    declared: Declared,
    con: duckdb.DuckDBPyConnection,
) -> None:
    table = built.table
    if c.type == "check":
        table.checks.append(_check(table, c, None, declared, sub, con))
        return
    if not c.columns:
        raise declared.error(
            f"a model-level {c.type} constraint needs 'columns: [...]'",
            *sub,
            hint="list the columns, or put the constraint under the column itself",
            table=table.name,
        )
    for k, name in enumerate(c.columns):
        _column(table, name, declared, *sub, "columns", k)
    if len(set(c.columns)) != len(c.columns):
        raise declared.error("a column is listed twice", *sub, "columns", table=table.name)
    if c.type == "primary_key":
        _set_primary_key(table, list(c.columns), declared, sub)
    elif c.type == "unique":
        _add_unique(table, list(c.columns))
    elif c.type == "not_null":
        for name in c.columns:
            table.column(name).nullable = False
    elif c.type == "foreign_key":
        built.foreign_keys.append(
            PendingForeignKey(table.name, list(c.columns), c.to or "", c.to_columns, declared, sub)
        )


def _set_primary_key(table: Table, columns: list[str], declared: Declared, sub: KeyPath) -> None:
    if table.primary_key:
        raise declared.error(
            f"model {table.name!r} already has a primary key ({', '.join(table.primary_key)})",
            *sub,
            hint="a composite key is one model-level constraint: "
            "{type: primary_key, columns: [a, b]}",
            table=table.name,
        )
    table.primary_key = columns


def _add_unique(table: Table, columns: list[str]) -> None:
    if set(columns) not in [set(u) for u in table.unique_keys]:
        table.unique_keys.append(columns)
    if len(columns) == 1:
        table.column(columns[0]).unique = True


def _finish_keys(table: Table) -> None:
    for name in table.primary_key:
        table.column(name).nullable = False
    if len(table.primary_key) == 1:
        table.column(table.primary_key[0]).unique = True


# ---- checks ------------------------------------------------------------------------------
def _check(
    table: Table,
    c: ConstraintSpec,
    column: str | None,
    declared: Declared,
    sub: KeyPath,
    con: duckdb.DuckDBPyConnection,
) -> CheckConstraint:
    """Validate a check expression: one expression, known columns, binds to BOOLEAN in DuckDB."""
    text = (c.expression or "").strip()
    where = (*sub, "expression")
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise declared.error(
            f"cannot parse check expression {text!r}: {str(exc).splitlines()[0]}",
            *where,
            table=table.name,
            hint="write one SQL boolean expression, e.g. age between 18 and 100",
        ) from exc
    if isinstance(
        tree, (exp.Query, exp.Command, exp.Create, exp.Drop, exp.Insert, exp.Delete, exp.Update)
    ):
        raise declared.error(
            f"check expression {text!r} is a statement, not an expression",
            *where,
            table=table.name,
            hint="write a condition, e.g. amount >= 0",
        )
    lowered = {n.lower(): n for n in table.column_names}
    for ref in tree.find_all(exp.Column):
        if ref.name.lower() not in lowered:
            raise declared.error(
                f"check expression {text!r} uses unknown column {ref.name!r}",
                *where,
                hint=known_names_hint(ref.name, table.column_names, "column")
                + "; string values take single quotes ('retail'), double quotes name columns",
                table=table.name,
            )
    sql = tree.sql(dialect="duckdb", comments=False)
    _bind_check(con, table, sql, text, declared, where)
    return CheckConstraint(expression=sql, column=column, name=c.name)


def _bind_check(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    sql: str,
    text: str,
    declared: Declared,
    where: KeyPath,
) -> None:
    query = f"SELECT ({sql}) AS shive_check FROM {model_relation(table.name)}"
    statements = duckdb.extract_statements(query)
    if len(statements) != 1:
        raise declared.error(
            f"check expression {text!r} is not a single expression", *where, table=table.name
        )
    try:
        rows = con.execute(f"DESCRIBE {query}").fetchall()
    except duckdb.Error as exc:
        raise declared.error(
            f"check expression {text!r} does not run on model {table.name!r}: "
            f"{str(exc).strip().splitlines()[0]}",
            *where,
            table=table.name,
        ) from exc
    if str(rows[0][1]).upper() != "BOOLEAN":
        raise declared.error(
            f"check expression {text!r} is {rows[0][1]}, not a boolean condition",
            *where,
            table=table.name,
            hint="compare something, e.g. amount >= 0",
        )


# ---- tests -------------------------------------------------------------------------------
def _add_test(
    built: BuiltTable, raw: Any, column: str | None, sub: KeyPath, declared: Declared
) -> None:
    table = built.table
    site = DataTestSite(
        declared.path, declared.line(*sub), table.name, column, declared.key_path(*sub)
    )
    test = parse_data_test(raw, site)
    if test.column is not None:
        col = _column(table, test.column, declared, *sub)
        if column is None:
            table.tests.append(test)
        else:
            col.tests.append(test)
        if test.name == "not_null":
            col.nullable = False
        elif test.name == "unique":
            _add_unique(table, [col.name])
    else:
        table.tests.append(test)
    if test.name == "relationships":
        built.relationship_tests.append(PendingTest(table.name, test, declared, sub))
