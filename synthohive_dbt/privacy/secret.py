"""The HMAC secret behind ``action: hash``: where it comes from and the check before training.

The key lives only in an environment variable the column's config names
(``secret_env``); it is never written to the project, the manifest, a plan or an
artifact. What may be written is a short fingerprint (an HMAC of a fixed label), so a
later run can tell that the key changed and the hashed columns must be retrained.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Iterable

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.project.model import Column, Table

logger = logging.getLogger(__name__)

_MIN_SECRET_BYTES = 16
_FINGERPRINT_LABEL = b"synthohive_dbt/pii-hash-key-fingerprint/v1"
_KEYGEN = "python -c 'import secrets; print(secrets.token_hex(32))'"


def _set_hint(env: str) -> str:
    return (
        f'export {env}="$({_KEYGEN})" before running shive (or set it in CI secrets); '
        "keep it stable: the same key gives the same hashes"
    )


def resolve_secret(column: Column, *, table: str) -> bytes:
    """The HMAC key for a ``hash`` column, read from the environment at call time."""
    pii = column.pii
    env = pii.secret_env if pii else None
    if not env:
        raise PrivacyError(
            "action: hash needs secret_env, the environment variable that holds the HMAC key",
            hint=f"config: {{pii: {{action: hash, secret_env: SHIVE_PII_KEY}}}} on {column.name}",
            table=table,
            column=column.name,
        )
    value = os.environ.get(env, "")
    if not value:
        state = "is empty" if env in os.environ else "is not set"
        raise PrivacyError(
            f"the HMAC secret for hashing {table}.{column.name}: "
            f"environment variable {env} {state}",
            hint=_set_hint(env),
            table=table,
            column=column.name,
        )
    secret = value.encode("utf-8")
    if len(secret) < _MIN_SECRET_BYTES:
        logger.warning(
            "HMAC secret in %s is only %d bytes; use at least 32 random bytes", env, len(secret)
        )
    return secret


def key_fingerprint(secret: bytes) -> str:
    """A 12-hex-digit fingerprint of a key: identifies it without revealing it."""
    return hmac.new(secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:12]


def hash_columns(table: Table) -> list[Column]:
    """The columns of ``table`` declared ``action: hash``."""
    return [c for c in table.columns if c.pii is not None and c.pii.action == "hash"]


def check_secrets(tables: Iterable[Table]) -> None:
    """Raise :class:`PrivacyError` unless every hash column's secret is configured and set.

    Call it before any training. Every problem is collected so one run shows them all;
    the error points at the first.
    """
    problems: list[PrivacyError] = []
    for table in tables:
        for column in hash_columns(table):
            try:
                resolve_secret(column, table=table.name)
            except PrivacyError as exc:
                problems.append(exc)
    if not problems:
        return
    if len(problems) == 1:
        raise problems[0]
    first = problems[0]
    lines = "; ".join(p.message for p in problems)
    raise PrivacyError(
        f"{len(problems)} HMAC secrets are missing: {lines}",
        hint=first.hint,
        table=first.table,
        column=first.column,
    )
