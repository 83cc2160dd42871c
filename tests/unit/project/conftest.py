"""Fixtures that write small projects into tmp_path.

``make_project(files)`` writes the base project (customers + orders from CSV, a
shive_project.yml, no profiles.yml so the embedded DuckDB target is used) and then
``files`` on top: a value of None deletes a base file.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

CUSTOMERS_CSV = """customer_id,email,segment,age,signup_date
1,a@example.com,retail,34,2024-01-02
2,b@example.com,smb,45,2024-02-03
3,c@example.com,enterprise,29,2024-03-04
4,d@example.com,retail,61,2024-04-05
"""
ORDERS_CSV = """order_id,customer_id,amount,status
10,1,12.5,placed
11,1,99.0,shipped
12,2,5.25,shipped
13,3,42.0,returned
14,4,7.75,placed
"""
PROJECT_YML = """
name: shop
seed: 7
synth: {epochs: 10, batch_size: 20}
"""
CUSTOMERS_SQL = "select * from {{ source('raw', 'customers') }}\n"
ORDERS_SQL = "select * from {{ source('raw', 'orders') }}\n"
SCHEMA_YML = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.csv"}
    tables: [{name: customers}, {name: orders}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints: [{type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}]
"""
BASE_FILES = {
    "shive_project.yml": PROJECT_YML,
    "models/customers.sql": CUSTOMERS_SQL,
    "models/orders.sql": ORDERS_SQL,
    "models/schema.yml": SCHEMA_YML,
    "data/customers.csv": CUSTOMERS_CSV,
    "data/orders.csv": ORDERS_CSV,
}


def write_files(root: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture(autouse=True)
def _isolated_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No profiles.yml of the developer's machine leaks into a test."""
    monkeypatch.delenv("SHIVE_PROFILES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    def make(files: dict[str, str | None] | None = None, *, name: str = "shop") -> Path:
        root = tmp_path / name
        write_files(root, {**BASE_FILES, **(files or {})})
        return root

    return make
