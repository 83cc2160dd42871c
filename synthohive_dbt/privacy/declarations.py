"""Declared PII (``config.pii``): which columns, and whether each declaration can be honoured.

Declarations are authoritative: detection never overrides them, and every problem
with one (an unknown kind, a hash without a key variable, dropping a not-null column)
is reported by :func:`check_pii_config` at ``validate``, before any data is read.
"""

from __future__ import annotations

from collections.abc import Iterable

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.project.model import Column, PiiConfig, Table

from .faking import faker_for
from .kinds import resolve_kind

_TEXT_KINDS = {"text", "categorical"}
_HASH_HEX_DIGITS = 64
_MIN_HASH_LENGTH = 8
_PAST = {"drop": "dropped", "mask": "masked"}


def declared_pii(table: Table) -> dict[str, PiiConfig]:
    """Every column of ``table`` with a ``config.pii`` declaration, ``keep`` included."""
    return {c.name: c.pii for c in table.columns if c.pii is not None}


def pii_columns(table: Table) -> set[str]:
    """Columns declared PII with an action other than ``keep`` (the explicit opt-out)."""
    return {c.name for c in table.columns if c.pii is not None and c.pii.action != "keep"}


def key_columns(table: Table) -> set[str]:
    """Columns of the primary key, any foreign key, or any unique key."""
    keys = set(table.primary_key)
    for fk in table.foreign_keys:
        keys.update(fk.columns)
    for unique in table.unique_keys:
        keys.update(unique)
    return keys


def is_unique(table: Table, column: Column) -> bool:
    """True when the column alone must hold distinct values."""
    return column.unique or table.primary_key == [column.name] or [column.name] in table.unique_keys


def hash_length(pii: PiiConfig) -> int | None:
    """Hex digits to keep of a hash (``config.pii.length``), None for all 64."""
    return getattr(pii, "length", None)


def check_pii_config(tables: Iterable[Table]) -> None:
    """Raise :class:`PrivacyError` for the first declaration that cannot be carried out.

    Checks the configuration only; whether the hash secrets are *set* is
    :func:`~synthohive_dbt.privacy.secret.check_secrets`'s job.
    """
    for table in tables:
        keys = key_columns(table)
        for column in table.columns:
            if column.pii is not None:
                _check_column(table, column, keys)


def _check_column(table: Table, column: Column, keys: set[str]) -> None:
    pii = column.pii
    if pii is None:
        return
    where = {"table": table.name, "column": column.name}
    if pii.action in ("drop", "mask") and column.name in keys:
        raise PrivacyError(
            f"key column {column.name} cannot be {_PAST[pii.action]}: keys must stay joinable",
            hint="use action: hash (keyed, the same value always hashes alike) or fake",
            **where,
        )
    if pii.action == "fake":
        resolve_kind(pii.kind, column, table=table.name)
        faker_for(pii.locale)
    elif pii.action in ("hash", "mask"):
        _check_text_output(table, column)
    if pii.action == "hash":
        _check_hash(column, pii, table.name)
    if pii.action == "mask" and pii.keep_last < 0:
        raise PrivacyError(
            f"keep_last must be 0 or more, got {pii.keep_last}",
            hint="keep_last: 4 shows the last four letters/digits",
            **where,
        )
    if pii.action == "drop" and not column.nullable:
        raise PrivacyError(
            "a dropped column comes back as nulls, but this column must not be null",
            hint="use action: fake (with a kind) to fill it with fake values, or drop its "
            "not_null / primary_key constraint",
            **where,
        )


def _check_text_output(table: Table, column: Column) -> None:
    action = column.pii.action if column.pii else "?"
    if column.kind not in _TEXT_KINDS:
        raise PrivacyError(
            f"action: {action} turns values into text, but the column is {column.data_type}",
            hint=f"cast it in the model SQL: cast({column.name} as varchar) as {column.name}",
            table=table.name,
            column=column.name,
        )


def _check_hash(column: Column, pii: PiiConfig, table: str) -> None:
    if not pii.secret_env:
        raise PrivacyError(
            "action: hash needs secret_env, the environment variable that holds the HMAC key",
            hint=f"config: {{pii: {{action: hash, secret_env: SHIVE_PII_KEY}}}} on {column.name}",
            table=table,
            column=column.name,
        )
    length = hash_length(pii)
    if length is not None and not _MIN_HASH_LENGTH <= length <= _HASH_HEX_DIGITS:
        raise PrivacyError(
            f"hash length must be between {_MIN_HASH_LENGTH} and {_HASH_HEX_DIGITS}, got {length}",
            hint="leave length out to keep all 64 hex digits",
            table=table,
            column=column.name,
        )
