"""The SQL that reads a table's training rows: the model view with orphan rows handled.

A child row whose (non-null) foreign key has no parent row cannot be reproduced with
intact keys, so it never reaches training. What happens to it is the foreign key's
``orphan_policy``:

* ``warn`` (default) and ``drop``: the row is left out (``warn`` also logs a warning
  during the key checks);
* ``null``: the foreign key columns are set to null, the rest of the row is kept;
* ``error``: the key checks stop profiling; if they were told not to raise, the row
  is left out as for ``drop``.

"Parent row" means a row of the parent's *training* rows, so a parent row dropped as an
orphan of its own parent takes its children with it (the rules cascade down a chain).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ProfileError, ProjectError, known_names_hint
from ..project.model import ForeignKey, Manifest, Table
from ..quoting import quote_identifier
from .findings import KeyFinding, OrphanAction, clean_foreign_keys
from .sql import all_not_null, col, keys_equal

#: orphan_policy -> what the training read does with an orphan row
_ACTIONS: dict[str, OrphanAction] = {
    "error": "drop",
    "warn": "drop",
    "drop": "drop",
    "null": "null",
}


def orphan_action(fk: ForeignKey) -> OrphanAction:
    """``drop`` or ``null``: how the training read handles orphans of ``fk``."""
    return _ACTIONS[fk.orphan_policy]


def training_relation_sql(
    manifest: Manifest, table_name: str, *, findings: Iterable[KeyFinding] | None = None
) -> str:
    """A ``SELECT`` over the model view ``table_name`` returning its training rows.

    Use it as ``SELECT ... FROM (<this>) AS t``. With ``findings`` from
    :func:`~synthohive_dbt.profiling.check_keys`, foreign keys found free of orphans add
    no filter, so a clean project reads its views as they are.
    """
    return _relation(manifest, table_name, clean_foreign_keys(findings), stack=(), depth=0)


def parent_relation_sql(
    manifest: Manifest, child: str, fk: ForeignKey, *, findings: Iterable[KeyFinding] | None = None
) -> str:
    """A ``FROM`` item for the parent rows ``fk`` of ``child`` may reference."""
    return _parent_source(
        manifest, child, fk, clean_foreign_keys(findings), stack=(child,), depth=0
    )


def selected_synth_tables(manifest: Manifest, tables: Iterable[str] | None = None) -> list[Table]:
    """The synth models named in ``tables`` (all when None), parents before children.

    Derived models in ``tables`` are skipped: they are computed from synthetic tables
    and have no real rows of their own. An unknown name is an error.
    """
    if tables is None:
        return manifest.synth_tables()
    wanted = set(tables)
    for name in sorted(wanted - set(manifest.tables)):
        raise ProjectError(
            f"unknown model {name!r}", hint=known_names_hint(name, manifest.tables, "model")
        )
    return [t for t in manifest.synth_tables() if t.name in wanted]


def synth_table(manifest: Manifest, name: str, *, referenced_by: str | None = None) -> Table:
    """The synth model ``name``, or a ProfileError saying why it cannot be profiled."""
    table = manifest.tables.get(name)
    if table is None:
        where = f" (referenced by {referenced_by})" if referenced_by else ""
        raise ProfileError(
            f"unknown model {name!r}{where}",
            table=referenced_by or name,
            hint=known_names_hint(name, manifest.tables, "model"),
        )
    if table.materialized != "synth":
        raise ProfileError(
            f"model {name!r} is {table.materialized}, not a synth model, so it has no real rows to profile",
            table=referenced_by or name,
            hint="a foreign key must reference a synth model; derived models are computed after generation",
        )
    return table


def _relation(
    manifest: Manifest, name: str, clean: set[tuple[str, str]], stack: tuple[str, ...], depth: int
) -> str:
    table = synth_table(manifest, name)
    alias = f"_c{depth}"
    fks = [fk for fk in table.foreign_keys if (name, fk.name) not in clean]
    if not fks:
        return f"SELECT * FROM {quote_identifier(name)}"

    nulled: dict[str, list[str]] = {}  # column -> orphan predicates that null it
    filters: list[str] = []
    for fk in fks:
        predicate = _orphan_predicate(manifest, name, fk, alias, clean, stack + (name,), depth)
        if orphan_action(fk) == "null":
            for column in fk.columns:
                nulled.setdefault(column, []).append(predicate)
        else:
            filters.append(f"NOT {predicate}")

    select = f"{alias}.*"
    if nulled:
        replaced = ", ".join(
            f"CASE WHEN {' OR '.join(preds)} THEN NULL ELSE {col(alias, column)} END AS {quote_identifier(column)}"
            for column, preds in nulled.items()
        )
        select += f" REPLACE ({replaced})"
    sql = f"SELECT {select} FROM {quote_identifier(name)} AS {alias}"
    if filters:
        sql += " WHERE " + " AND ".join(filters)
    return sql


def _orphan_predicate(
    manifest: Manifest,
    child: str,
    fk: ForeignKey,
    alias: str,
    clean: set[tuple[str, str]],
    stack: tuple[str, ...],
    depth: int,
) -> str:
    """True for a row of ``alias`` whose complete key ``fk`` matches no parent row."""
    parent = _parent_source(manifest, child, fk, clean, stack, depth)
    p = f"_p{depth}"
    match = keys_equal(p, fk.parent_columns, alias, fk.columns)
    return f"({all_not_null(alias, fk.columns)} AND NOT EXISTS (SELECT 1 FROM {parent} AS {p} WHERE {match}))"


def _parent_source(
    manifest: Manifest,
    child: str,
    fk: ForeignKey,
    clean: set[tuple[str, str]],
    stack: tuple[str, ...],
    depth: int,
) -> str:
    synth_table(manifest, fk.parent, referenced_by=child)
    if fk.parent in stack:
        # a self-reference or a cycle: compare with the parent's view as it is, since
        # filtering it by its own orphans would never end
        return quote_identifier(fk.parent)
    return f"({_relation(manifest, fk.parent, clean, stack, depth + 1)})"
