"""From a DuckDB type, as DESCRIBE prints it, to the kind of column the model learns."""

from __future__ import annotations

import re

from .model import ColumnKind

_NUMERIC = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
    "FLOAT", "DOUBLE", "REAL", "DECIMAL", "NUMERIC",
    "INT", "INT1", "INT2", "INT4", "INT8", "LONG", "SHORT", "FLOAT4", "FLOAT8",
}  # fmt: skip
_DATETIME = {
    "DATE", "TIME", "TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP_S", "TIMESTAMP_MS",
    "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE", "TIME WITH TIME ZONE", "TIMETZ",
}  # fmt: skip
_CATEGORICAL = {"VARCHAR", "CHAR", "BPCHAR", "TEXT", "STRING", "ENUM"}
_BOOLEAN = {"BOOLEAN", "BOOL", "LOGICAL"}


def base_type(data_type: str) -> str:
    """``DECIMAL(10,2)`` -> ``DECIMAL``; ``ENUM('a', 'b')`` -> ``ENUM``."""
    return re.sub(r"\(.*\)$", "", data_type.strip()).strip().upper()


def column_kind(data_type: str) -> ColumnKind:
    """How a column of ``data_type`` is modelled.

    Strings default to ``categorical``: whether a string column is free text needs the
    data, so the profile (or ``config.synth.kind: text``) decides that. Nested, binary,
    UUID and other types are ``text``: copied or faked, never learned as numbers.
    """
    base = base_type(data_type)
    if base in _BOOLEAN:
        return "boolean"
    if base in _NUMERIC:
        return "numeric"
    if base in _DATETIME:
        return "datetime"
    if base in _CATEGORICAL:
        return "categorical"
    return "text"
