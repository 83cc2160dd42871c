"""Key findings name an example key; never a raw value of a key column declared PII.

Their messages reach the logs, the errors and ``profile.json``; a hashed e-mail key
(``pii: {action: hash}``) is a key like any other there, so its examples are shown by
length only, while a plain key's examples stay (they are what the user fixes).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synthohive_dbt.errors import ProfileError
from synthohive_dbt.profiling.keys import check_keys
from synthohive_dbt.project import load_project, open_real_connection

SCHEMA = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}
    tables: [{name: customers}, {name: orders}]
models:
  - name: customers
    columns:
      - name: email
        constraints: [{type: primary_key}]
        config: {pii: {action: hash, secret_env: SHIVE_TEST_KEY}}
      - name: code
        constraints: [{type: unique}]
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: email
        constraints:
          - {type: foreign_key, to: "ref('customers')", to_columns: [email]}
"""
GHOST, TWICE = "ghost.person@mail.test", "anna.rossi@mail.test"


def _project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    emails = [f"user{i}@mail.test" for i in range(20)]
    pd.DataFrame({"email": emails + [TWICE, TWICE], "code": [f"C{i}" for i in range(21)] + ["C0"]}
                 ).to_parquet(root / "data" / "customers.parquet", index=False)  # fmt: skip
    pd.DataFrame({"order_id": range(1, 31), "email": emails + [GHOST] * 10}
                 ).to_parquet(root / "data" / "orders.parquet", index=False)  # fmt: skip
    for name in ("customers", "orders"):
        (root / "models" / f"{name}.sql").write_text(f"select * from {{{{ source('raw', '{name}') }}}}\n")
    (root / "models" / "schema.yml").write_text(SCHEMA.lstrip())
    (root / "shive_project.yml").write_text("name: keys\n")
    return root


def test_no_raw_value_of_a_pii_key_in_a_finding(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.delenv("SHIVE_PROFILES_DIR", raising=False)
    manifest = load_project(_project(tmp_path / "keys"))
    with open_real_connection(manifest) as con, pytest.raises(ProfileError) as err:
        check_keys(manifest, con)
    with open_real_connection(manifest) as con:
        findings = check_keys(manifest, con, raise_errors=False)
    messages = [f.message for f in findings] + [str(err.value)] + [r.getMessage() for r in caplog.records]
    text = "\n".join(messages)
    assert "customers is not unique" in text and "have no parent row" in text  # both were found
    assert "<PII, 20 characters> occurs 2 times" in text and "<PII, 22 characters> (10 rows)" in text
    assert GHOST not in text and TWICE not in text
    assert "code='C0' occurs 2 times" in text  # a key that is not PII keeps its example
