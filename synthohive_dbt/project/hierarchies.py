"""Self-referencing foreign keys (hierarchies): the shapes shive generates, checked at load.

A learned table may reference itself through one single-column foreign key
(``employees.manager_id -> employees.employee_id``): it is generated as a forest (see
:mod:`synthohive_dbt.generate.hierarchy`). What that cannot reproduce is refused here,
at ``validate`` time, instead of failing in training:

- a composite self-reference, or more than one self-reference on a table;
- a self-reference to a column shive does not generate itself: the referenced column
  must be the table's single-column primary key (or a single unique column), and not a
  foreign-key column;
- the referencing column inside the primary key;
- ``synth.primary_parent`` on a hierarchy: its rows come from the forest, so every
  other foreign key is a secondary one.

``mode: copy`` tables keep their real keys, self-references included, and are not
checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ProjectError
from .model import ForeignKey, Table

if TYPE_CHECKING:
    from .declared import Declared


def self_references(table: Table) -> list[ForeignKey]:
    """The foreign keys of ``table`` that point at ``table`` itself."""
    return [fk for fk in table.foreign_keys if fk.parent == table.name]


def hierarchy_fk(table: Table) -> ForeignKey | None:
    """The self-reference a learned table is generated as a forest by, if any."""
    if table.synth.mode == "copy":
        return None
    refs = self_references(table)
    return refs[0] if refs else None


def parent_sized(table: Table) -> bool:
    """A child table: another table's rows and the child-count model decide how many rows
    it gets (a hierarchy decides its own, whatever its other parents)."""
    return hierarchy_fk(table) is None and any(fk.parent != table.name for fk in table.foreign_keys)


def root_table(table: Table) -> bool:
    """A table ``--rows N`` and ``--scale`` size: a learned table that is not
    :func:`parent_sized` (a copy table keeps its real rows)."""
    return table.synth.mode != "copy" and not parent_sized(table)


def check_self_references(tables: dict[str, Table], declared: dict[str, Declared]) -> None:
    """Refuse the self-references a learned table cannot be generated with."""
    for table in tables.values():
        if table.materialized != "synth" or table.synth.mode == "copy":
            continue
        refs = self_references(table)
        if not refs:
            continue
        problem = _problem(table, refs)
        if problem is None:
            continue
        message, hint, column = problem
        where = declared.get(table.name)
        if where is None:
            raise ProjectError(message, path=table.path, table=table.name, column=column, hint=hint)
        raise where.error(message, "columns", hint=hint, table=table.name, column=column)


def _problem(table: Table, refs: list[ForeignKey]) -> tuple[str, str, str] | None:
    """(message, hint, column) of the first unsupported shape, or None."""
    fk = refs[0]
    name = table.name
    if len(refs) > 1:
        columns = ", ".join(r.columns[0] for r in refs)
        return (
            f"{name} references itself through {len(refs)} foreign keys ({columns}); shive "
            "generates one hierarchy per table",
            "keep the self-reference that forms the hierarchy and drop the foreign_key "
            "constraint of the others (or declare the table `synth: {mode: copy}`)",
            refs[1].columns[0],
        )
    if len(fk.columns) > 1:
        return (
            f"self-reference {fk.name} of {name} spans {len(fk.columns)} columns; "
            "composite self-references are not generated",
            "reference a single-column key of the table, or declare it `synth: {mode: copy}`",
            fk.columns[0],
        )
    column, target = fk.columns[0], fk.parent_columns[0]
    other_fk_columns = {c for f in table.foreign_keys if f is not fk for c in f.columns}
    single_keys = [table.primary_key] if len(table.primary_key) == 1 else []
    single_keys += [u for u in table.unique_keys if len(u) == 1]
    generated = [target] in single_keys or table.column(target).unique
    if not generated or target in other_fk_columns:
        return (
            f"self-reference {fk.name} of {name} points at {target!r}, which is not a "
            "single-column key shive generates for this table",
            "point it at the table's single-column primary key (or a unique column "
            "that is not itself a foreign key)",
            column,
        )
    if column in table.primary_key:
        return (
            f"column {column!r} of {name} is both in the primary key and a reference "
            "to the table itself",
            "a hierarchy's parent column cannot be part of the primary key; drop it "
            "from the primary key",
            column,
        )
    if table.synth.primary_parent:
        return (
            f"{name} is a hierarchy (self-reference {fk.name}), so synth.primary_parent "
            "does not apply: its row count comes from its own tree shape",
            "remove synth.primary_parent; its other foreign keys are assigned as secondary parents",
            column,
        )
    return None
