"""Detected means protected: the action an undeclared PII column gets before training.

Detection (:mod:`.detect`) finds columns that look like personal data but carry no
``config.pii``. A user who forgot a declaration is the user detection exists for, so
with ``privacy: {undeclared: protect}`` (the default) such a column is treated as if it
had been declared: names, e-mails, phones, addresses and the other fakeable kinds are
faked, free text with embedded PII is dropped. :func:`protection_for` picks that
declaration, and :func:`pin_yaml` writes the ``schema.yml`` entry that pins it (or, with
``action: keep``, opts out: the only way raw values reach training).
"""

from __future__ import annotations

import json
import re
from typing import Literal

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.project.model import Column, PiiConfig

from .detect import PiiFinding
from .kinds import resolve_kind

UndeclaredPolicy = Literal["protect", "error", "warn"]
POLICIES: tuple[UndeclaredPolicy, ...] = ("protect", "error", "warn")
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def protection_for(
    finding: PiiFinding, column: Column, *, table: str, locale: str | None = None
) -> PiiConfig:
    """The declaration a flagged column is protected with (``source: detected``).

    Free text is dropped; every other kind is faked with the kind detection found.
    When that kind cannot fill the column (a name in a numeric column), a nullable
    column is dropped; a not-null one is an error that asks for a declaration.
    """
    if finding.kind == "free_text":
        return _dropped(column, table, finding)
    try:
        kind = resolve_kind(finding.kind, column, table=table)
    except PrivacyError:
        return _dropped(column, table, finding)
    return PiiConfig(action="fake", kind=kind.name, locale=locale, source="detected")


def _dropped(column: Column, table: str, finding: PiiFinding) -> PiiConfig:
    if not column.nullable:
        raise PrivacyError(
            f"{table}.{column.name} looks like {finding.kind} but cannot be protected on its "
            "own: dropping it would break its not-null constraint, and no fake kind fits it",
            hint="declare it in schema.yml: config: {pii: {action: fake, kind: ...}} with a "
            "kind that fits its type, {action: hash}, or {action: keep} if it is not personal",
            table=table,
            column=column.name,
        )
    return PiiConfig(action="drop", source="detected")


def pin_yaml(column: str, pii: PiiConfig) -> str:
    """The ``schema.yml`` column entry that declares ``pii`` explicitly."""
    name = column if _SIMPLE_KEY.fullmatch(column) else json.dumps(column)
    kind = f", kind: {pii.kind}" if pii.action == "fake" and pii.kind else ""
    return f"- name: {name}\n  config: {{pii: {{action: {pii.action}{kind}}}}}"


def keep_yaml(column: str) -> str:
    """The ``schema.yml`` column entry that opts out: train on the raw values."""
    name = column if _SIMPLE_KEY.fullmatch(column) else json.dumps(column)
    return f"- name: {name}\n  config: {{pii: {{action: keep}}}}"
