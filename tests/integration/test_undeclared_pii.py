"""``privacy.undeclared``: what ``validate`` says and ``profile`` records for undeclared PII.

No training here: ``validate`` and ``profile`` decide, and every later step (``train``,
``generate``, ``test``, ``report``, from the recorded profile) applies the same decision.
The end-to-end proof that nothing leaks is ``test_private_by_default.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from synthohive_dbt.cli import cli
from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.pipeline import load_profile_for
from synthohive_dbt.project import load_project

FIRST = ("Tonino", "Mariano", "Severino", "Napoleone", "Lolita", "Gianluca", "Ornella", "Raffaele")
LAST = ("Vidoni", "Alfonsi", "Stradivari", "Norbiato", "Leonetti", "Cavalcanti", "Mazzanti", "Bertolucci")


def _project(root: Path, privacy: str = "", columns: str = "") -> Path:
    rng = np.random.default_rng(1)
    n = 80
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    frame = pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "full_name": [f"{f} {g}" for f, g in zip(first, last)],
        "contact": [f"{f.lower()}.{g.lower()}{i}@mail-{i % 3}.test" for i, (f, g) in enumerate(zip(first, last))],
        "notes": [f"Spoke with the customer on day {i % 28 + 1} about the invoice; "
                  + (f"wrote to {f.lower()}{i}@mail.test" if i % 4 == 0 else "no follow-up needed")
                  for i, f in enumerate(first)],
        "segment": rng.choice(["retail", "smb"], n),
        "member_code": [f"MB-{c:05d}-{s}" for c, s in zip(rng.choice(10**5, n, replace=False), rng.choice(list("XY"), n))],
    })
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    frame.to_parquet(root / "data" / "customers.parquet", index=False)
    (root / "models" / "customers.sql").write_text("select * from {{ source('raw', 'customers') }}\n")
    (root / "shive_project.yml").write_text(f"name: undeclared\nprofile: undeclared\n{privacy}")
    (root / "profiles.yml").write_text(
        "undeclared:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/out.duckdb}\n"
    )
    (root / "models" / "schema.yml").write_text(f"""version: 2
sources:
  - name: raw
    config: {{external_location: "data/{{name}}.parquet"}}
    tables: [{{name: customers}}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{{type: primary_key}}]
{columns}""")
    return root


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _no_profiles_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIVE_PROFILES_DIR", raising=False)


def test_validate_says_what_run_will_do_and_the_yaml_that_pins_it(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    code, output = _cli("validate", "--project-dir", str(root))
    assert code == 0, output
    assert "undeclared PII protected: customers.full_name looks like name" in output
    assert "it is replaced by fake values (name)" in output
    lines = [line.split("  ", 1)[-1].strip() for line in output.splitlines()]  # no timestamps
    pinned = lines.index("- name: full_name")
    assert lines[pinned + 1] == "config: {pii: {action: fake, kind: name}}"
    assert "customers.contact looks like email" in output
    assert "customers.notes looks like free_text" in output and "it is dropped" in output
    assert lines[lines.index("- name: notes") + 1] == "config: {pii: {action: drop}}"
    assert "config: {pii: {action: keep}}" in output  # the opt-out
    assert "protected 3 (faked or dropped before training)" in output
    assert "3 undeclared PII column(s) above will be protected by run" in output
    # an identifier-like code is no PII kind, but each value names a row
    assert ("customers.member_code: 80 of 80 distinct values (80 rows) are seen fewer than 5 times; "
            "run writes stand-ins of their shape instead (all of them") in output
    assert "customers.segment:" not in output  # frequent categories are kept


def test_error_policy_stops_with_every_column_and_its_declaration(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "privacy: {undeclared: error}\n")
    code, output = _cli("validate", "--project-dir", str(root))
    assert code == PrivacyError.exit_code
    assert "3 undeclared column(s) look like personal data (privacy.undeclared: error)" in output
    for column in ("full_name", "contact", "notes"):
        assert f"- name: {column}" in output
    assert "privacy: {undeclared: protect}" in output  # the hint names the other way out


def test_warn_policy_trains_on_the_raw_values_and_says_so(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "privacy: {undeclared: warn}\n")
    code, output = _cli("profile", "--project-dir", str(root))
    assert code == 0, output
    assert "undeclared PII protected" not in output
    assert "are trained on as found (privacy.undeclared: warn)" in output
    profile = json.loads((root / "target" / "profile.json").read_text())
    assert {f["column"]: f["action"] for f in profile["pii_findings"]} == {
        "full_name": None, "contact": None, "notes": None}
    assert profile["tables"]["customers"]["columns"]["full_name"]["pii"] is False
    manifest = load_project(root)
    load_profile_for(manifest)
    assert manifest.tables["customers"].column("full_name").pii is None


def test_profile_records_the_protection_and_later_steps_apply_it(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    code, output = _cli("profile", "--project-dir", str(root))
    assert code == 0, output
    profile = json.loads((root / "target" / "profile.json").read_text())
    assert {f["column"]: f["action"] for f in profile["pii_findings"]} == {
        "full_name": "fake", "contact": "fake", "notes": "drop"}
    columns = profile["tables"]["customers"]["columns"]
    assert columns["full_name"]["pii"] is True and columns["full_name"]["top_values"] == []
    assert columns["segment"]["pii"] is False and columns["segment"]["top_values"]
    # a later command, in a fresh process: the recorded decision protects the same columns
    manifest = load_project(root)
    assert manifest.tables["customers"].column("full_name").pii is None
    load_profile_for(manifest)
    table = manifest.tables["customers"]
    name, notes = table.column("full_name").pii, table.column("notes").pii
    assert (name.action, name.kind, name.source) == ("fake", "name", "detected")
    assert (notes.action, notes.source) == ("drop", "detected")
    assert table.column("segment").pii is None


def test_a_declaration_the_user_writes_wins_over_a_recorded_protection(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    assert _cli("profile", "--project-dir", str(root))[0] == 0
    schema = root / "models" / "schema.yml"
    schema.write_text(schema.read_text() + "      - name: full_name\n        config: {pii: {action: keep}}\n")
    manifest = load_project(root)
    load_profile_for(manifest)
    kept = manifest.tables["customers"].column("full_name").pii
    assert (kept.action, kept.source) == ("keep", "declared")
    # and a new scan leaves it alone: keep is the explicit opt-out
    code, output = _cli("validate", "--project-dir", str(root))
    assert code == 0 and "customers.full_name" not in output
