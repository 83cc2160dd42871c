"""Undeclared PII: ``shive validate`` and ``shive profile`` name it and suggest the declaration."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from synthohive_dbt.cli import cli
from synthohive_dbt.pipeline.pii_scan import scan_undeclared_pii
from synthohive_dbt.pipeline.profile_step import merge_pii_findings
from synthohive_dbt.project import load_project
from synthohive_dbt.project.sources import open_real_connection

ROWS = 60
SUGGESTION = "config: {pii: {action: fake, kind: email}}"


def _luhn_complete(body: str) -> str:
    """``body`` plus its Luhn check digit: a 16-digit id that passes a card checksum."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _schema(customer_columns: str = "") -> str:
    return f"""
version: 2
sources:
  - name: raw
    config: {{external_location: "data/{{name}}.parquet"}}
    tables: [{{name: customers}}]
  - name: files
    config: {{external_location: "data/{{name}}.csv"}}
    tables: [{{name: orders}}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{{type: primary_key}}]
{customer_columns}
  - name: orders
    columns:
      - name: order_id
        constraints: [{{type: primary_key}}]
      - name: customer_id
        constraints: [{{type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}}]
"""


@pytest.fixture
def pii_project(make_project) -> Path:
    """customers (Parquet): an undeclared e-mail column and a numeric 16-digit order id."""
    root = make_project(
        {
            "models/schema.yml": _schema(),
            "models/orders.sql": "select * from {{ source('files', 'orders') }}\n",
            "data/customers.csv": None,
            "data/orders.csv": "order_id,customer_id,amount\n"
            + "".join(f"{i},{i % ROWS + 1},{i * 1.5}\n" for i in range(1, 100)),
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": range(1, ROWS + 1),
            "contact": [f"person.{i}@mail-{i % 7}.example.org" for i in range(ROWS)],
            "last_order_ref": [int(_luhn_complete(f"4{i:014d}")) for i in range(ROWS)],
            "segment": ["retail", "smb", "enterprise"] * (ROWS // 3),
        }
    )
    customers.to_parquet(root / "data" / "customers.parquet", index=False)
    return root


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _declare_contact(root: Path) -> None:
    declared = "      - name: contact\n        config: {pii: {action: fake, kind: email}}"
    (root / "models" / "schema.yml").write_text(_schema(declared), encoding="utf-8")


def test_validate_names_the_email_column_and_the_fix(pii_project: Path):
    result = _run("validate", "--project-dir", str(pii_project))
    assert result.exit_code == 0, result.output
    # privacy.undeclared: protect (the default): run fakes it, and the YAML pins that
    assert "undeclared PII protected: customers.contact looks like email" in result.output
    assert "it is replaced by fake values (email)" in result.output
    assert SUGGESTION in result.output
    assert "- name: contact" in result.output  # the YAML entry to paste
    assert "models/schema.yml" in result.output
    assert "1 column looks like personal data" in result.output
    assert "last_order_ref" not in result.output  # a Luhn-valid numeric id is no card number


def test_validate_json_lines_carry_the_finding(pii_project: Path):
    result = _run("validate", "--project-dir", str(pii_project), "--log-format", "json")
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    found = [r for r in records if r.get("event") == "pii_protected"]
    assert [(r["level"], r["table"], r["column"], r["kind"], r["action"]) for r in found] == [
        ("warning", "customers", "contact", "email", "fake")
    ]
    summary = next(r for r in records if r.get("event") == "pii_summary")
    assert summary["findings"] == 1


def test_declared_column_is_not_reported(pii_project: Path):
    _declare_contact(pii_project)
    result = _run("validate", "--project-dir", str(pii_project))
    assert result.exit_code == 0, result.output
    assert "[WARNING]: undeclared PII" not in result.output and "contact" not in result.output
    assert "for undeclared PII: none found" in result.output


def test_detect_false_turns_the_scan_off(pii_project: Path):
    project_yml = pii_project / "shive_project.yml"
    project_yml.write_text(project_yml.read_text() + "privacy: {detect: false}\n")
    result = _run("validate", "--project-dir", str(pii_project))
    assert result.exit_code == 0, result.output
    assert "undeclared PII" not in result.output


def test_profile_warns_and_records_findings_without_values(pii_project: Path):
    result = _run("profile", "--project-dir", str(pii_project))
    assert result.exit_code == 0, result.output
    assert "1 of 2 WARN profiled customers" in result.output
    assert "2 of 2 OK profiled orders" in result.output
    assert "Done. PASS=1 WARN=1 ERROR=0 SKIP=0 TOTAL=2" in result.output
    profile = json.loads((pii_project / "target" / "profile.json").read_text())
    (record,) = profile["pii_findings"]
    assert {k: record[k] for k in ("table", "column", "kind", "reason", "suggestion")} == {
        "table": "customers",
        "column": "contact",
        "kind": "email",
        "reason": "content",
        "suggestion": SUGGESTION,
    }
    assert 0 < record["confidence"] <= 1 and record["sampled"] == ROWS
    assert "example.org" not in json.dumps(profile["pii_findings"])


def test_profile_after_declaring_records_no_findings(pii_project: Path):
    _declare_contact(pii_project)
    result = _run("profile", "--project-dir", str(pii_project))
    assert "Done. PASS=2 WARN=0" in result.output
    profile = json.loads((pii_project / "target" / "profile.json").read_text())
    assert profile["pii_findings"] == []


def test_scan_is_bounded_seeded_and_skips_keys(pii_project: Path):
    manifest = load_project(pii_project)
    with open_real_connection(manifest) as con:
        first = scan_undeclared_pii(manifest, con, sample_rows=20, seed=5)
        again = scan_undeclared_pii(manifest, con, sample_rows=20, seed=5)
        only_orders = scan_undeclared_pii(manifest, con, tables=["orders"])
    assert [f.to_dict() for f in first] == [f.to_dict() for f in again]
    assert [(f.table, f.column, f.sampled) for f in first] == [("customers", "contact", 20)]
    assert only_orders == []

    # the same e-mails as the primary key: keys are generated, not learned, so not examined
    schema = pii_project / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace(
            "      - name: customer_id\n        constraints: [{type: primary_key}]",
            "      - name: customer_id\n        constraints: [{type: unique}]\n"
            "      - name: contact\n        constraints: [{type: primary_key}]",
            1,
        )
    )
    manifest = load_project(pii_project)
    with open_real_connection(manifest) as con:
        assert scan_undeclared_pii(manifest, con) == []


def test_partial_profile_keeps_other_tables_findings():
    previous = {"pii_findings": [{"table": "a", "column": "x"}, {"table": "b", "column": "y"}]}
    assert merge_pii_findings(previous, [], ["b"]) == [{"table": "a", "column": "x"}]
