"""Degenerate tables through ``shive run`` on DuckDB: one-row tables, a parent with a
single row, non-key columns all constant or all null, tables of keys only.

None of them has anything for a CTGAN to learn (or, for the child of a one-row
parent, nothing to learn from its parent), so each must be generated without one, at
the row counts asked for, with its keys intact and its constants kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from synthohive_dbt.cli import cli

pytestmark = pytest.mark.slow

_PROJECT = """\
name: odd
profile: odd
model-paths: [models]
target-path: target
seed: 7
synth: {epochs: 2, batch_size: 20}
"""
_PROFILES = """\
odd:
  target: dev
  outputs:
    dev: {type: duckdb, path: target/synthetic.duckdb, schema: main}
"""
_SCHEMA = """\
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.csv"}
    tables:
      - {name: settings}
      - {name: members}
      - {name: flags}
      - {name: tags}
      - {name: links}
      - {name: lines}
models:
  - name: settings
    columns:
      - name: settings_id
        constraints: [{type: primary_key}]
      - name: contact
        config: {pii: {action: fake, kind: email}}
  - name: members
    config: {synth: {primary_parent: settings}}
    columns:
      - name: member_id
        constraints: [{type: primary_key}]
      - name: settings_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('settings')", to_columns: [settings_id]}
  - name: flags
    config: {synth: {rows: 25}}
    columns:
      - name: flag_id
        constraints: [{type: primary_key}]
  - name: tags
    config: {synth: {rows: 12}}
    columns:
      - name: tag_id
        constraints: [{type: primary_key}]
  - name: links
    columns:
      - name: link_id
        constraints: [{type: primary_key}]
      - name: member_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('members')", to_columns: [member_id]}
      - name: settings_id
        constraints:
          - {type: foreign_key, to: "ref('settings')", to_columns: [settings_id]}
  - name: lines
    constraints:
      - {type: primary_key, columns: [member_id, line_no]}
    columns:
      - name: member_id
        constraints:
          - {type: foreign_key, to: "ref('members')", to_columns: [member_id]}
"""
_MODELS = {
    "settings": "select settings_id, plan, rate, contact, started_on "
    "from {{ source('raw', 'settings') }}",
    "members": "select member_id, settings_id, tier, score from {{ source('raw', 'members') }}",
    "flags": "select flag_id, region, active, note from {{ source('raw', 'flags') }}",
    "tags": "select tag_id from {{ source('raw', 'tags') }}",
    # a second, nullable parent that has one row
    "links": "select link_id, member_id, 1::BIGINT AS settings_id from {{ source('raw', 'links') }}",
    "lines": "select member_id, line_no from {{ source('raw', 'lines') }}",
}


def _data() -> dict[str, str]:
    members = ["member_id,settings_id,tier,score"]
    members += [
        f"{i},1,{'gold' if i % 3 == 0 else 'basic'},{i * 1.5 % 17:.2f}" for i in range(1, 41)
    ]
    flags = ["flag_id,region,active,note"] + [f"{i},eu,true," for i in range(1, 31)]
    links = ["link_id,member_id"] + [f"{i},{1 + (i * 7) % 40}" for i in range(1, 81)]
    return {
        "settings": "settings_id,plan,rate,contact,started_on\n1,pro,0.25,boss@example.com,2024-02-03\n",
        "lines": "member_id,line_no\n"
        + "".join(f"{m},{k}\n" for m in range(1, 41) for k in range(1, 1 + m % 3)),
        "members": "\n".join(members) + "\n",
        "flags": "\n".join(flags) + "\n",
        "tags": "tag_id\n" + "".join(f"{i}\n" for i in range(1, 21)),
        "links": "\n".join(links) + "\n",
    }


def _write_project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "shive_project.yml").write_text(_PROJECT)
    (root / "profiles.yml").write_text(_PROFILES)
    (root / "models" / "schema.yml").write_text(_SCHEMA)
    for name, sql in _MODELS.items():
        (root / "models" / f"{name}.sql").write_text(sql + "\n")
    for name, text in _data().items():
        (root / "data" / f"{name}.csv").write_text(text)
    return root


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = _write_project(tmp_path_factory.mktemp("odd") / "odd")
    result = CliRunner().invoke(
        cli, ["run", "--project-dir", str(root), "--profiles-dir", str(root), "--no-progress"]
    )
    return (
        root,
        result.output if result.exit_code == 0 else f"exit {result.exit_code}\n{result.output}",
    )


def _query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "target" / "synthetic.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_succeeds_without_internal_errors(odd: tuple[Path, str]) -> None:
    root, output = odd
    assert not output.startswith("exit"), output[-4000:]
    assert "Done. PASS=" in output and "ERROR=0" in output
    assert "reshape" not in output and "learning rate" not in output
    assert "trained settings (1 rows, no model: no column varies in the real data)" in output


def test_one_row_table_and_its_single_row_parent_children(odd: tuple[Path, str]) -> None:
    root, _ = odd
    rows = _query(
        root, "SELECT settings_id, plan, rate, started_on::VARCHAR, contact FROM settings"
    )
    assert len(rows) == 1 and (rows[0][0], *rows[0][2:4]) == (1, 0.25, "2024-02-03")
    # a value seen once is a stand-in of its shape, never the real text (privacy.min_count)
    plan = rows[0][1]
    assert plan != "pro" and len(plan) == 3 and plan.isalpha() and plan.islower()
    assert rows[0][4] != "boss@example.com" and "@" in rows[0][4]  # PII still faked
    members = _query(root, "SELECT count(*), count(DISTINCT member_id), min(settings_id), "
                           "max(settings_id), count(DISTINCT tier) FROM members")[0]  # fmt: skip
    count, distinct, low, high, tiers = members
    assert count == 40 and distinct == 40  # one parent row with 40 children, as in the data
    assert (low, high) == (1, 1)
    assert tiers == 2  # the child's own columns are still learned


def test_constant_and_null_columns_keep_their_values(odd: tuple[Path, str]) -> None:
    root, _ = odd
    rows = _query(root, "SELECT count(*), count(DISTINCT flag_id), min(region), max(region), "
                        "bool_and(active), count(note) FROM flags")[0]  # fmt: skip
    assert rows == (25, 25, "eu", "eu", True, 0)


def test_tables_of_keys_only(odd: tuple[Path, str]) -> None:
    root, _ = odd
    assert _query(root, "SELECT count(*), count(DISTINCT tag_id) FROM tags")[0] == (12, 12)
    links = _query(root, "SELECT count(*), count(DISTINCT link_id) FROM links")[0]
    assert links == (80, 80)  # two per member in the data, and in every draw of it
    orphans = _query(
        root,
        "SELECT count(*) FROM links l WHERE NOT EXISTS "
        "(SELECT 1 FROM members m WHERE m.member_id = l.member_id)",
    )[0][0]
    assert orphans == 0
    assert _query(root, "SELECT min(settings_id), max(settings_id) FROM links")[0] == (1, 1)


def test_composite_keys_only_child_numbers_within_its_parent(odd: tuple[Path, str]) -> None:
    root, _ = odd
    count, distinct, low = _query(
        root, "SELECT count(*), count(DISTINCT (member_id, line_no)), min(line_no) FROM lines"
    )[0]
    assert count == distinct and low == 1 and 0 < count <= 80
    orphans = _query(
        root,
        "SELECT count(*) FROM lines l WHERE NOT EXISTS "
        "(SELECT 1 FROM members m WHERE m.member_id = l.member_id)",
    )[0][0]
    assert orphans == 0


def test_no_model_is_trained_where_nothing_is_learnable(odd: tuple[Path, str]) -> None:
    root, _ = odd
    models = root / "target" / "models"
    for name in ("settings", "flags", "tags", "links", "lines"):
        meta = json.loads((models / name / "meta.json").read_text())
        assert meta["model_file"] is None, name
        assert not (models / name / "model.pt").exists(), name
    assert (models / "members" / "model.pt").exists()
