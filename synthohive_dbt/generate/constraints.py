"""Declared constraints verified by SQL after writing (the rules applied while
sampling, :func:`~synthohive_dbt.relations.constraints.row_predicate` and
:func:`~synthohive_dbt.relations.constraints.check_bounds`, are read in
:mod:`synthohive_dbt.relations.constraints`).

After a table is written, :func:`verify_table` runs the table's integrity tests, the
ones ``shive test`` emits (``datatests.integrity``), on the target: primary key unique
and not null, not-null columns, unique columns and keys, check expressions, accepted
values, and every foreign key against its parent. A violation raises
:class:`ConstraintViolation`; nothing is waived silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConstraintViolation

if TYPE_CHECKING:
    from ..project.model import CheckConstraint, Manifest, Table
    from ..targets.base import TargetAdapter

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class Violation:
    """One broken rule: what, where, how many rows."""

    rule: str
    table: str
    column: str | None
    count: int
    hint: str


# ---- after writing ----------------------------------------------------------------------
#: what to do about a broken rule, by the kind of its integrity test
_HINTS = {
    "key": "keys are generated; report this as a bug",
    "not_null": "retrain with more epochs, or make the column nullable",
    "unique": "declare the column a key so it is generated, not learned",
    "check": "the model rarely meets this check; retrain with more epochs or relax it",
    "accepted_values": "the real data has other values; add them to accepted_values",
    "relationships": "foreign keys are drawn from generated parents; report this as a bug",
}


def verify_table(adapter: TargetAdapter, manifest: Manifest, table: Table) -> list[Violation]:
    """Run the integrity tests of ``table`` on the target; raise on the first violation.

    These are the very tests ``shive test`` runs (``datatests.integrity``, counted the
    same way), so the two verdicts cannot differ; whatever their severity, a broken one
    fails generation. A test that reads a table not upstream of this one (a declared
    ``relationships`` to a model generated later) is left to ``shive test``.
    """
    violations = [v for v in _violations(adapter, manifest, table) if v.count]
    if violations:
        first = violations[0]
        others = "; ".join(f"{v.rule}: {v.count}" for v in violations[1:])
        message = f"{first.count} generated row(s) of {table.name} break {first.rule}"
        if others:
            message += f" (also {others})"
        error = ConstraintViolation(message, table=table.name, column=first.column, hint=first.hint)
        error.count = first.count  # type: ignore[attr-defined]
        raise error
    return violations


def _violations(adapter: TargetAdapter, manifest: Manifest, table: Table) -> Iterable[Violation]:
    from ..datatests.integrity import integrity_tests
    from ..datatests.runner import count_failures

    written = {table.name, *manifest.parents(table.name)}
    checks = iter(table.checks)
    for test in integrity_tests(table, manifest, "error"):
        check = next(checks) if test.kind == "check" else None
        if not set(test.relations) <= written:
            continue
        rule, hint = _rule(table, test.kind, test.columns, test.relations, check)
        column = test.columns[0] if test.columns else (check.column if check else None)
        yield Violation(rule, table.name, column, count_failures(adapter, test), hint)


def _rule(
    table: Table,
    kind: str,
    columns: list[str],
    relations: list[str],
    check: CheckConstraint | None,
) -> tuple[str, str]:
    """The rule an integrity test checks, as a violation names it, and what to do."""
    key = table.primary_key
    if kind == "unique" and columns == key:
        return f"primary key ({', '.join(key)}) unique", _HINTS["key"]
    if kind == "not_null" and columns[0] in key:
        return f"primary key ({', '.join(key)}) not null", _HINTS["key"]
    if kind == "unique":
        return f"unique ({', '.join(columns)})", _HINTS[kind]
    if kind == "relationships":
        parent = next((r for r in relations if r != table.name), table.name)
        return f"foreign key {'_'.join(columns)}__{parent}", _HINTS[kind]
    if kind == "check" and check is not None:
        return f"check {check.name or check.expression!r}", _HINTS[kind]
    return f"{kind} {columns[0]}", _HINTS[kind]
