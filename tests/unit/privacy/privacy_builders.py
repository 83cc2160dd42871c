"""Builders shared by the privacy tests (a uniquely named module: tests are not a package)."""

from __future__ import annotations

from typing import Any

from synthohive_dbt.project.model import Column, PiiConfig, Table

HASH_ENV = "SHIVE_TEST_PII_KEY"
SECRET = "a-test-secret-of-thirty-two-bytes!"


def make_column(
    name: str,
    data_type: str = "VARCHAR",
    kind: str = "text",
    pii: PiiConfig | None = None,
    **kwargs: Any,
) -> Column:
    return Column(name=name, data_type=data_type, kind=kind, pii=pii, **kwargs)


def make_table(name: str, columns: list[Column], **kwargs: Any) -> Table:
    return Table(
        name=name,
        materialized="synth",
        path=f"models/{name}.sql",
        raw_sql="select 1",
        compiled_sql="select 1",
        columns=columns,
        **kwargs,
    )
