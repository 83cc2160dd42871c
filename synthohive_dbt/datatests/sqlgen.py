"""Building test SQL with sqlglot, and rendering it for dbt or for a target.

Tests are written as small SQL templates in DuckDB's dialect whose moving parts are
placeholder names (``__col__``, ``__rel__``, ``__threshold__``, ...). :func:`fill`
parses a template and swaps each placeholder node for a sqlglot node built from the
configuration (a quoted identifier, a typed literal, a ``VALUES`` table), so nothing
user-supplied is ever pasted into SQL text.

A synthetic table is referenced through a sentinel relation ``"__shive_rel__<table>"``.
The canonical form of a test (what ``target/tests/*.sql`` holds) writes it as dbt's
``{{ source('shive_synth', '<table>') }}``; :func:`render_for_target` turns that back
into the target's own relation and dialect.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..errors import DataTestError
from ..targets.base import PLAIN_NAME

#: the dbt source the synthetic tables are declared under
SOURCE_NAME = "shive_synth"
#: dialect the canonical test SQL is written in
CANONICAL_DIALECT = "duckdb"

_SENTINEL_PREFIX = "__shive_rel__"
_SENTINEL_SQL = re.compile(r'"' + _SENTINEL_PREFIX + r'([A-Za-z0-9_]+)"')
_SOURCE_CALL = re.compile(
    r"\{\{\s*source\(\s*'" + SOURCE_NAME + r"'\s*,\s*'([A-Za-z0-9_]+)'\s*\)\s*\}\}"
)
_PLACEHOLDER = re.compile(r"^__[a-z0-9_]+__$")
#: the parts of a Table node that name it; the rest (alias, sample, ...) qualify its use
_NAME_ARGS = ("this", "db", "catalog")


def relation(table: str) -> exp.Table:
    """The sentinel relation standing for synthetic table ``table``."""
    if not PLAIN_NAME.match(table):
        raise DataTestError(
            f"table name {table!r} is not a plain SQL name",
            hint="name models with letters, digits and underscores only",
            table=table,
        )
    return exp.Table(this=exp.to_identifier(_SENTINEL_PREFIX + table, quoted=True))


def column(name: str, table: str | None = None) -> exp.Column:
    """A quoted column reference, optionally qualified by a table alias."""
    return exp.column(exp.to_identifier(name, quoted=True), table=table)


def literal(value: Any) -> exp.Expression:
    """A SQL literal for a Python value (strings quoted and escaped by sqlglot)."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DataTestError(f"cannot embed the non-finite number {value!r} in a test")
        return exp.Literal.number(repr(value))
    if isinstance(value, (datetime, date)):
        return exp.Literal.string(value.isoformat())
    return exp.Literal.string(str(value))


def typed_literal(value: Any, data_type: str) -> exp.Expression:
    """``CAST(literal AS data_type)``, the type written as DuckDB prints it."""
    return exp.cast(literal(value), _data_type(data_type))


@functools.lru_cache(maxsize=256)
def _data_type(text: str) -> exp.DataType:
    try:
        return exp.DataType.build(text, dialect=CANONICAL_DIALECT)
    except (SqlglotError, ValueError) as exc:
        raise DataTestError(f"cannot read the column type {text!r}: {exc}") from exc


def values_table(rows: Sequence[Sequence[Any]], alias: str, columns: Sequence[str]) -> exp.Values:
    """``(VALUES ...) AS alias(columns)``: aggregates of the real data embedded as literals."""
    if not rows:
        raise DataTestError(f"no rows for the embedded table {alias!r}")
    built = [
        exp.tuple_(*(v if isinstance(v, exp.Expression) else literal(v) for v in row)) for row in rows
    ]
    return exp.Values(
        expressions=built,
        alias=exp.TableAlias(
            this=exp.to_identifier(alias), columns=[exp.to_identifier(c) for c in columns]
        ),
    )


def all_of(conditions: Iterable[exp.Expression]) -> exp.Expression:
    """The conjunction of ``conditions`` (TRUE when there are none)."""
    items = list(conditions)
    return exp.and_(*items) if items else exp.true()


@functools.lru_cache(maxsize=64)
def _parsed_template(template: str) -> exp.Expression:
    return sqlglot.parse_one(template, dialect=CANONICAL_DIALECT)


def fill(template: str, **subs: exp.Expression) -> exp.Expression:
    """Parse ``template`` and replace its ``__name__`` placeholders by ``subs[name]``.

    A placeholder may stand where a column (any expression) or a table (any table
    source) goes. A placeholder left without a value is an error, so a typo in a
    template fails loudly instead of producing SQL with a stray name.
    """
    wanted = {f"__{key}__": node for key, node in subs.items()}
    missing: set[str] = set()

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.Column, exp.Table)) and not _qualified(node):
            name = node.name
            if name in wanted:
                replacement = wanted[name].copy()
                alias = node.args.get("alias") if isinstance(node, exp.Table) else None
                if alias is not None and isinstance(replacement, exp.Table):
                    replacement.set("alias", alias.copy())
                return replacement
            if _PLACEHOLDER.match(name) and not name.startswith(_SENTINEL_PREFIX):
                missing.add(name)
        return node

    filled = _parsed_template(template).copy().transform(swap)
    if missing:
        raise DataTestError(f"internal: template placeholders without a value: {sorted(missing)}")
    return filled


def _qualified(node: exp.Expression) -> bool:
    if isinstance(node, exp.Column):
        return bool(node.table)
    return bool(node.args.get("db"))


# ---- canonical (dbt) form ------------------------------------------------------------
def to_canonical_sql(expression: exp.Expression) -> str:
    """DuckDB SQL with each sentinel relation written as ``{{ source('shive_synth', t) }}``."""
    sql = expression.sql(dialect=CANONICAL_DIALECT, pretty=True)
    expected = sum(1 for t in expression.find_all(exp.Table) if t.name.startswith(_SENTINEL_PREFIX))
    found = len(_SENTINEL_SQL.findall(sql))
    if found != expected:  # a literal happened to contain the sentinel text
        raise DataTestError(
            "internal: a literal in a test contains the reserved text " + repr(_SENTINEL_PREFIX),
            hint="rename the value or turn off distribution tests for that column",
        )
    return _SENTINEL_SQL.sub(lambda m: "{{ source('" + SOURCE_NAME + "', '" + m.group(1) + "') }}", sql)


def referenced_tables(canonical_sql: str) -> list[str]:
    """Synthetic tables a canonical test reads, in order of first use."""
    return list(dict.fromkeys(_SOURCE_CALL.findall(canonical_sql)))


# ---- rendering for a target ----------------------------------------------------------
def render_for_target(canonical_sql: str, dialect: str, relation_of: Callable[[str], str]) -> str:
    """The canonical SQL in ``dialect`` with each source() replaced by ``relation_of(table)``.

    ``relation_of`` is the adapter's :meth:`~synthohive_dbt.targets.base.TargetAdapter.relation`;
    its result is parsed as a table source in ``dialect`` and substituted in the tree,
    so the swap is structural, not textual.
    """
    sentinel_sql = _SOURCE_CALL.sub(lambda m: f'"{_SENTINEL_PREFIX}{m.group(1)}"', canonical_sql)
    try:
        tree = sqlglot.parse_one(sentinel_sql, dialect=CANONICAL_DIALECT)
        sources = {name: _table_source(relation_of(name), dialect) for name in referenced_tables(canonical_sql)}

        def swap(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Table) and node.name.startswith(_SENTINEL_PREFIX) and not node.args.get("db"):
                replacement = sources[node.name[len(_SENTINEL_PREFIX):]].copy()
                for key, value in node.args.items():  # alias, sample, ...: keep what wraps the name
                    if key not in _NAME_ARGS and value is not None:
                        replacement.set(key, value.copy() if isinstance(value, exp.Expression) else value)
                return replacement
            return node

        return tree.transform(swap).sql(dialect=dialect)
    except SqlglotError as exc:
        raise DataTestError(
            f"cannot render a test for the {dialect} dialect: {exc}",
            hint="report this: the emitted SQL should transpile to every supported target",
        ) from exc


@functools.lru_cache(maxsize=1024)
def _table_source(relation_sql: str, dialect: str) -> exp.Expression:
    """Parse an adapter's relation (``"main"."t"``, ``read_parquet('...')``) as a table source."""
    select = sqlglot.parse_one(f"SELECT * FROM {relation_sql}", dialect=dialect)
    return select.find(exp.From).this
