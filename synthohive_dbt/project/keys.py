"""Foreign keys across tables: resolve ``to:``, check columns, types and parent keys.

Rules, each an error at ``validate`` time (before any training):

- ``to`` is ``ref('model')`` or ``source('s', 't')``; a source resolves to the one
  model that selects from it.
- the parent columns (``to_columns``, default: the parent's primary key) exist, are as
  many as the child's, and are the parent's primary key or a declared unique key.
- child and parent columns have the same DuckDB type: keys are never cast.
- the parent is a synthesized model, not a derived one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import ProjectError, known_names_hint
from .model import ForeignKey, OrphanPolicy, Table

if TYPE_CHECKING:
    from .declared import Declared
    from .model import SourceTable
    from .tables import PendingForeignKey, PendingTest
    from .yamlio import KeyPath

_REF = re.compile(r"""^\s*ref\(\s*(['"])(?P<model>[^'"]+)\1\s*\)\s*$""")
_SOURCE = re.compile(
    r"""^\s*source\(\s*(['"])(?P<source>[^'"]+)\1\s*,\s*(['"])(?P<table>[^'"]+)\3\s*\)\s*$"""
)


def resolve_parent(
    to: str,
    tables: dict[str, Table],
    sources: dict[str, SourceTable],
    declared: Declared,
    sub: KeyPath,
    child: str,
) -> str:
    """The model name ``to`` (``ref(...)`` / ``source(...)``) points at."""
    match = _REF.match(to)
    if match:
        name = match["model"]
        if name not in tables:
            raise declared.error(
                f"{to} names no model",
                *sub,
                hint=known_names_hint(name, tables, "model"),
                table=child,
            )
        return name
    match = _SOURCE.match(to)
    if match:
        return _model_of_source(
            match["source"], match["table"], tables, sources, declared, sub, child
        )
    raise declared.error(
        f"cannot read 'to: {to}'",
        *sub,
        hint="write to: \"ref('customers')\" or to: \"source('raw', 'customers')\" (quoted in YAML)",
        table=child,
    )


def _model_of_source(
    source: str,
    table: str,
    tables: dict[str, Table],
    sources: dict[str, SourceTable],
    declared: Declared,
    sub: KeyPath,
    child: str,
) -> str:
    key = f"{source}.{table}"
    if key not in sources:
        raise declared.error(
            f"source('{source}', '{table}') is not declared",
            *sub,
            hint=known_names_hint(key, sources, "source table"),
            table=child,
        )
    users = sorted(
        t.name
        for t in tables.values()
        if [source, table] in t.sources and t.materialized == "synth"
    )
    if not users:
        raise declared.error(
            f"no model selects from source('{source}', '{table}')",
            *sub,
            hint=f"add a model with select ... from {{{{ source('{source}', '{table}') }}}}, "
            "or point 'to' at a model with ref('<model>')",
            table=child,
        )
    if len(users) > 1:
        raise declared.error(
            f"several models select from source('{source}', '{table}'): {', '.join(users)}",
            *sub,
            hint="say which one with to: \"ref('<model>')\"",
            table=child,
        )
    return users[0]


def resolve_foreign_keys(
    tables: dict[str, Table],
    sources: dict[str, SourceTable],
    pending: Iterable[PendingForeignKey],
    orphan_policy: dict[str, OrphanPolicy],
) -> None:
    """Attach every pending foreign key to its table, checking parent, columns and types."""
    for fk in pending:
        child = tables[fk.table]
        parent_name = resolve_parent(
            fk.to, tables, sources, fk.declared, (*fk.sub, "to"), child.name
        )
        parent = tables[parent_name]
        if parent.materialized == "derived":
            raise fk.declared.error(
                f"foreign key to derived model {parent_name!r}",
                *fk.sub,
                "to",
                hint="derived models are computed after generation, so they cannot be parents; "
                "point the key at the model the derived one selects from",
                table=child.name,
            )
        parent_columns = _parent_columns(fk, parent)
        _check_types(fk, child, parent, parent_columns)
        _check_parent_key(fk, parent, parent_columns)
        new = ForeignKey(
            columns=list(fk.columns),
            parent=parent_name,
            parent_columns=parent_columns,
            nullable=any(child.column(c).nullable for c in fk.columns),
            orphan_policy=orphan_policy[child.name],
        )
        if any(existing.name == new.name for existing in child.foreign_keys):
            raise fk.declared.error(
                f"foreign key {', '.join(fk.columns)} -> {parent_name} is declared twice",
                *fk.sub,
                table=child.name,
            )
        child.foreign_keys.append(new)


def _parent_columns(fk: PendingForeignKey, parent: Table) -> list[str]:
    if fk.to_columns is None:
        # default: the parent's primary key, else its only unique key
        keys = [parent.primary_key] if parent.primary_key else list(parent.unique_keys)
        if len(keys) != 1:
            raise fk.declared.error(
                f"parent {parent.name!r} has "
                + ("no primary key" if not keys else "several unique keys")
                + " to reference",
                *fk.sub,
                hint=f"add 'to_columns: [...]', or declare a primary_key on {parent.name}",
                table=fk.table,
            )
        columns = list(keys[0])
    else:
        columns = list(fk.to_columns)
    for k, name in enumerate(columns):
        if name not in parent.column_names:
            raise fk.declared.error(
                f"column {name!r} is not in parent model {parent.name!r}",
                *fk.sub,
                "to_columns",
                k,
                hint=known_names_hint(name, parent.column_names, "column"),
                table=fk.table,
            )
    if len(columns) != len(fk.columns):
        raise fk.declared.error(
            f"foreign key has {len(fk.columns)} column(s) ({', '.join(fk.columns)}) but references "
            f"{len(columns)} ({', '.join(columns)}) in {parent.name!r}",
            *fk.sub,
            hint="a composite key is a model-level constraint listing 'columns' and 'to_columns' "
            "in the same order",
            table=fk.table,
        )
    return columns


def _check_types(
    fk: PendingForeignKey, child: Table, parent: Table, parent_columns: list[str]
) -> None:
    for mine, theirs in zip(fk.columns, parent_columns):
        a, b = child.column(mine).data_type, parent.column(theirs).data_type
        if a != b:
            raise fk.declared.error(
                f"type mismatch: {child.name}.{mine} is {a} but {parent.name}.{theirs} is {b}",
                *fk.sub,
                hint=f"cast in the model SQL so both are the same type, e.g. "
                f"CAST({mine} AS {b}) in {child.path}; shive never casts keys",
                table=child.name,
                column=mine,
            )


def _check_parent_key(fk: PendingForeignKey, parent: Table, parent_columns: list[str]) -> None:
    wanted = set(parent_columns)
    keys = [set(parent.primary_key)] if parent.primary_key else []
    keys += [set(u) for u in parent.unique_keys]
    if wanted not in keys:
        described = ", ".join("(" + ", ".join(sorted(k)) + ")" for k in keys) or "none declared"
        raise fk.declared.error(
            f"foreign key references {parent.name}({', '.join(parent_columns)}), "
            "which is not a primary key or unique",
            *fk.sub,
            hint=f"declare primary_key or unique on {parent.name}({', '.join(parent_columns)}), "
            f"or reference one of its keys: {described}",
            table=fk.table,
        )


def resolve_relationship_tests(
    tables: dict[str, Table], sources: dict[str, SourceTable], pending: Iterable[PendingTest]
) -> None:
    """Point every relationships test's ``to`` at a model and check its ``field``."""
    for item in pending:
        config = item.test.config
        parent = resolve_parent(
            str(config["to"]), tables, sources, item.declared, item.sub, item.table
        )
        field_name = str(config["field"])
        if field_name not in tables[parent].column_names:
            raise item.declared.error(
                f"relationships field {field_name!r} is not a column of {parent!r}",
                *item.sub,
                hint=known_names_hint(field_name, tables[parent].column_names, "column"),
                table=item.table,
            )
        config["to_raw"] = config["to"]
        config["to"] = parent


def check_context_columns(tables: dict[str, Table], declared: dict[str, Declared]) -> None:
    """``synth.context_columns`` must name columns of the table's FK parents."""
    for table in tables.values():
        wanted = table.synth.context_columns
        if not wanted:
            continue
        available = sorted({c for fk in table.foreign_keys for c in tables[fk.parent].column_names})
        for name in wanted:
            if name not in available:
                where = declared.get(table.name)
                hint = (
                    known_names_hint(name, available, "parent column")
                    if available
                    else (f"{table.name} has no foreign key, so it has no parent context")
                )
                message = f"context column {name!r} is not a column of a parent of {table.name!r}"
                if where is None:
                    raise ProjectError(message, path=table.path, table=table.name, hint=hint)
                raise where.error(
                    message, "config", "synth", "context_columns", hint=hint, table=table.name
                )


def check_pii_on_keys(tables: dict[str, Table], declared: dict[str, Declared]) -> None:
    """A key column may not be dropped: its children (or parents) would lose their link."""
    for table in tables.values():
        keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
        for col in table.columns:
            if col.name in keys and col.pii is not None and col.pii.action == "drop":
                message = f"key column {table.name}.{col.name} cannot have pii action 'drop'"
                hint = "keys are generated by shive anyway; use action: hash or keep"
                where = declared.get(table.name)
                if where is None:
                    raise ProjectError(message, path=table.path, table=table.name, hint=hint)
                raise where.error(message, "columns", hint=hint, table=table.name, column=col.name)
