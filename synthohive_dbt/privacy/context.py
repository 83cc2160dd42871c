"""Context safety: which parent columns a child model may be conditioned on.

A child model sees its parent row's context columns at training and generation.
If a parent's PII column were among them, the child would learn it and could write
it back out, next to each child row. So PII columns never enter a child's context:
by default they are left out, and asking for one is an error that says why.
"""

from __future__ import annotations

from synthohive_dbt.errors import PrivacyError, ProjectError, known_names_hint
from synthohive_dbt.project.model import Table

from .declarations import pii_columns


def safe_context_columns(
    parent: Table,
    requested: list[str] | None,
    key_columns: set[str],
    *,
    child: str | None = None,
) -> list[str]:
    """The parent columns a child may use as context.

    ``requested`` None (no ``context_columns`` in the config): every parent column
    that is neither a key nor declared PII, in the parent's order. Otherwise the
    requested columns, checked: an unknown or key column is a :class:`ProjectError`,
    a PII column a :class:`PrivacyError` naming the column, its action and the fix.
    """
    pii = pii_columns(parent)
    if requested is None:
        return [c.name for c in parent.columns if c.name not in key_columns and c.name not in pii]
    chosen: list[str] = []
    for name in requested:
        _check_requested(parent, name, pii, key_columns, child)
        if name not in chosen:
            chosen.append(name)
    return chosen


def _check_requested(
    parent: Table, name: str, pii: set[str], keys: set[str], child: str | None
) -> None:
    owner = child or parent.name
    if name not in parent.column_names:
        raise ProjectError(
            f"context column {name!r} is not a column of parent {parent.name!r}",
            hint=known_names_hint(name, parent.column_names, kind="column"),
            table=owner,
            column=name,
        )
    if name in keys:
        raise ProjectError(
            f"context column {name!r} is a key of parent {parent.name!r}; keys link rows "
            "and carry no context",
            hint=f"remove {name!r} from context_columns",
            table=owner,
            column=name,
        )
    if name in pii:
        action = parent.column(name).pii.action  # type: ignore[union-attr]
        raise PrivacyError(
            f"context column {name!r} of parent {parent.name!r} is declared PII "
            f"(action: {action}); a child model conditioned on it would learn the parent's "
            "personal data and could reproduce it in the output",
            hint=f"remove {name!r} from context_columns of {owner!r}, or declare it "
            "pii: {action: keep} if it is not personal data",
            table=owner,
            column=name,
        )
