"""``shive init --from-dbt`` without dbt: reading, tracing, checking on the data, writing.

Each test writes a small dbt project (yml + SQL, no manifest unless it says so) and a
DuckDB file of raw tables, imports it, and reads what the import declared or listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from synthohive_dbt.dbtimport import import_dbt_project, write_dbt_profiles
from synthohive_dbt.errors import ProjectError
from synthohive_dbt.project import load_project

sys.path.insert(0, str(Path(__file__).parents[2] / "integration"))
import dbtshop

PROFILES = {"p": {"target": "dev", "outputs": {"dev": {"type": "duckdb", "path": "wh.duckdb"}}}}


def dbt_project(root: Path, files: dict[str, str], raw_sql: list[str]) -> Path:
    files = {"dbt_project.yml": "name: p\nprofile: p\n", "profiles.yml": yaml.safe_dump(PROFILES), **files}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    with duckdb.connect(str(root / "wh.duckdb")) as con:
        con.execute("CREATE SCHEMA raw")
        for statement in raw_sql:
            con.execute(statement)
    return root


SOURCES = """
version: 2
sources:
  - name: app
    schema: raw
    tables: [{name: customers}, {name: orders}]
"""
RAW = [
    "CREATE TABLE raw.customers AS SELECT i::INTEGER AS id, 'c' || i AS code FROM range(1, 31) t(i)",
    "CREATE TABLE raw.orders AS SELECT (100 + i)::INTEGER AS id, (1 + i % 30)::INTEGER AS cust, "
    "(1 + i % 30)::BIGINT AS cust_big, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS kind "
    "FROM range(0, 90) t(i)",
]


def imported(tmp_path: Path, files: dict[str, str], raw: list[str] = RAW) -> tuple[dict, dict]:
    project = dbt_project(tmp_path / "dbt", {"models/sources.yml": SOURCES, **files}, raw)
    import_dbt_project(tmp_path / "synth", project)
    info = yaml.safe_load((tmp_path / "synth" / "from_dbt.yml").read_text())
    schema = yaml.safe_load((tmp_path / "synth" / "models" / "schema.yml").read_text())
    return info, schema


def reasons(info: dict) -> dict[str, str]:
    return {f["check"]: f["reason"] for f in info["not_traced"]}


def constraints(schema: dict, model: str, column: str) -> list:
    entry = next(m for m in schema["models"] if m["name"] == model)
    found = [c for c in entry.get("columns", []) if c["name"] == column]
    return found[0].get("constraints", []) if found else []


def test_the_shop_project_is_traced_from_its_files_and_the_result_loads(tmp_path):
    project = dbtshop.copy_project(tmp_path / "dbt")
    result = import_dbt_project(tmp_path / "synth", project)
    declared = {f.check: f.declared for f in result.declared}
    assert declared["test unique on stg_customers.customer_id"] == "unique on customers.id"
    assert declared["test relationships on orders.customer_id"] == "foreign key orders.user_id -> customers.id"
    assert declared["test relationships on stg_payments.order_id"] == "foreign key payments.order_id -> orders.id"
    manifest = load_project(tmp_path / "synth")  # the written project is a valid shive project
    assert manifest.tables["customers"].primary_key == ["id"]
    assert manifest.tables["orders"].primary_key == ["id"]
    assert [(fk.columns, fk.parent) for fk in manifest.tables["orders"].foreign_keys] == [(["user_id"], "customers")]
    assert manifest.sources["shop_raw.orders"].identifier == "order_headers"


def test_a_key_the_raw_data_breaks_is_listed_with_the_reason(tmp_path):
    files = {
        "models/per_customer.sql": "select cust as customer_id, count(*) as n from {{ source('app', 'orders') }} group by cust",
        "models/m.yml": "version: 2\nmodels:\n  - name: per_customer\n    columns:\n"
                        "      - name: customer_id\n        data_tests: [unique]\n",
    }
    info, schema = imported(tmp_path, files)
    reason = reasons(info)["test unique on per_customer.customer_id"]
    assert reason.startswith("orders.cust has 60 duplicate value(s) in the raw data")
    assert "per_customer.customer_id" in reason  # the path it was traced along
    assert constraints(schema, "orders", "cust") == []


def test_filters_unknown_tests_and_unions_are_not_traced(tmp_path):
    files = {
        "models/stg.sql": "select id as order_id, kind from {{ source('app', 'orders') }}",
        "models/both.sql": "select id from {{ source('app', 'orders') }} union all select id from {{ source('app', 'customers') }}",
        "models/m.yml": """
version: 2
models:
  - name: stg
    data_tests:
      - dbt_utils.unique_combination_of_columns: {combination_of_columns: [order_id, kind]}
    columns:
      - name: order_id
        data_tests:
          - not_null: {config: {where: "kind = 'a'"}}
          - dbt_expectations.expect_column_values_to_be_between: {min_value: 0}
  - name: both
    columns:
      - name: id
        data_tests: [not_null]
""",
    }
    info, _ = imported(tmp_path, files)
    found = reasons(info)
    declared = {f["check"]: f["declared"] for f in info["declared"]}
    assert declared == {"test dbt_utils.unique_combination_of_columns on stg": "unique orders(id, kind)"}
    assert "where filter" in found["test not_null on stg.order_id"]
    assert "is not traced" in found["test dbt_expectations.expect_column_values_to_be_between on stg.order_id"]
    assert "comes from several columns" in found["test not_null on both.id"]


def test_a_foreign_key_between_columns_of_different_types_is_not_declared(tmp_path):
    files = {
        "models/stg.sql": "select cust_big from {{ source('app', 'orders') }}",
        "models/m.yml": """
version: 2
sources: []
models:
  - name: stg
    columns:
      - name: cust_big
        data_tests: [{relationships: {to: "source('app', 'customers')", field: id}}]
""",
    }
    info, schema = imported(tmp_path, files)
    assert "the raw types differ (BIGINT and INTEGER)" in reasons(info)["test relationships on stg.cust_big"]
    assert not any(c.get("type") == "foreign_key" for c in constraints(schema, "orders", "cust_big"))


def test_an_untested_column_whose_values_are_all_keys_is_suggested_not_declared(tmp_path):
    files = {
        "models/c.sql": "select id as customer_id from {{ source('app', 'customers') }}",
        "models/o.sql": "select * from {{ source('app', 'orders') }}",
        "models/m.yml": "version: 2\nmodels:\n  - name: c\n    columns:\n"
                        "      - name: customer_id\n        data_tests: [unique, not_null]\n",
    }
    _, schema = imported(tmp_path, files)
    text = (tmp_path / "synth" / "models" / "schema.yml").read_text()
    assert "suggested foreign key (not declared): every one of its 30 distinct values is a customers.id" in text
    assert constraints(schema, "orders", "cust") == []
    assert "cust_big" not in text  # a BIGINT is never suggested for an INTEGER key


def test_a_model_with_an_unknown_macro_is_traced_from_the_compiled_sql_of_the_manifest(tmp_path):
    raw = "select {{ cents_to_units('id') }} as order_id from {{ source('app', 'orders') }}"
    files = {"models/stg.sql": raw}
    project = dbt_project(tmp_path / "dbt", {"models/sources.yml": SOURCES, **files}, RAW)
    with pytest.raises(ProjectError) as caught:  # from the files alone, the macro is unknown
        import_dbt_project(tmp_path / "plain", project)
    assert "model stg: cannot render its jinja" in caught.value.hint
    assert "run `dbt compile`" in caught.value.hint
    manifest = {
        "sources": {"source.p.app.orders": {"source_name": "app", "name": "orders", "database": "wh",
                                             "schema": "raw", "identifier": "orders"}},
        "nodes": {
            "model.p.stg": {"resource_type": "model", "name": "stg", "unique_id": "model.p.stg",
                            "raw_code": raw, "original_file_path": "models/stg.sql",
                            "compiled_code": 'select "o"."id" as order_id from "wh"."raw"."orders" as "o"',
                            "database": "wh", "schema": "main", "alias": "stg"},
            "test.p.unique_stg_order_id": {
                "resource_type": "test", "name": "unique_stg_order_id", "attached_node": "model.p.stg",
                "column_name": "order_id", "test_metadata": {"name": "unique", "kwargs": {"column_name": "order_id"}},
                "original_file_path": "models/m.yml", "config": {}},
        },
    }  # fmt: skip
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text(json.dumps(manifest))
    result = import_dbt_project(tmp_path / "synth", project)
    assert [(f.check, f.declared) for f in result.findings] == [("test unique on stg.order_id", "unique on orders.id")]


def test_a_seed_used_as_raw_data_is_imported_from_its_csv_and_flagged(tmp_path):
    files = {
        "seeds/kinds.csv": "kind,label\na,Alpha\nb,Beta\n",
        "models/o.sql": "select o.id, k.label from {{ source('app', 'orders') }} o join {{ ref('kinds') }} k using (kind)",
        "models/m.yml": "version: 2\nmodels:\n  - name: o\n    columns:\n"
                        "      - name: label\n        data_tests: [{accepted_values: {values: [Alpha, Beta]}}]\n",
    }
    info, schema = imported(tmp_path, files)
    assert info["seeds_as_raw_data"] == ["kinds"]
    profiles = yaml.safe_load((tmp_path / "synth" / "profiles.yml").read_text())
    assert profiles["synth"]["outputs"]["dev"]["relations"]["kinds"] == "main.kinds"
    seeds = next(s for s in schema["sources"] if s["name"] == "dbt_seed_files")
    assert seeds["tables"][0]["config"]["external_location"].endswith("seeds/kinds.csv")
    kinds = next(m for m in schema["models"] if m["name"] == "kinds")
    assert kinds["columns"][0]["data_tests"] == [{"accepted_values": {"values": ["Alpha", "Beta"]}}]
    assert sorted(load_project(tmp_path / "synth").tables) == ["kinds", "orders"]


def test_the_dbt_profile_gets_a_shive_output_on_the_synthetic_file(tmp_path, caplog):
    files = {"models/o.sql": "select * from {{ source('app', 'orders') }}", "seeds/k.csv": "kind\na\n",
             "models/uses_k.sql": "select * from {{ ref('k') }}"}
    project = dbt_project(tmp_path / "dbt", {"models/sources.yml": SOURCES, **files}, RAW)
    import_dbt_project(tmp_path / "synth", project)
    with caplog.at_level("INFO"):
        path = write_dbt_profiles(load_project(tmp_path / "synth"))
    written = yaml.safe_load(path.read_text())["p"]
    assert path == tmp_path / "synth" / "target" / "dbt" / "profiles.yml"
    assert written["target"] == "shive"
    assert written["outputs"]["dev"] == PROFILES["p"]["outputs"]["dev"]
    assert written["outputs"]["shive"] == {"type": "duckdb", "path": str((tmp_path / "synth" / "target" / "synthetic" / "wh.duckdb").resolve())}
    assert "--exclude resource_type:seed" in caplog.text


def test_a_profile_that_is_not_duckdb_is_refused_with_the_fix(tmp_path):
    project = dbt_project(tmp_path / "dbt", {"models/sources.yml": SOURCES}, RAW)
    (project / "profiles.yml").write_text(yaml.safe_dump(
        {"p": {"target": "dev", "outputs": {"dev": {"type": "postgres", "host": "x"}}}}))
    with pytest.raises(ProjectError, match="DuckDB projects only"):
        import_dbt_project(tmp_path / "synth", project)
    with pytest.raises(ProjectError, match="'prod' is not an output"):
        import_dbt_project(tmp_path / "synth", project, target="prod")


def test_a_composite_key_is_traced_column_by_column_to_one_raw_table(tmp_path):
    raw = [*RAW, "CREATE TABLE raw.lines AS SELECT (100 + i // 3)::INTEGER AS o, (i % 3)::INTEGER AS n, "
                 "(i % 3)::INTEGER AS dup FROM range(0, 60) t(i)"]
    files = {
        "models/sources.yml": SOURCES.replace("{name: orders}]", "{name: orders}, {name: lines}]"),
        "models/stg_lines.sql": "with s as (select * from {{ source('app', 'lines') }})\n"
                                "select o as order_id, n as line_no, dup from s",
        "models/m.yml": """
version: 2
models:
  - name: stg_lines
    constraints:
      - {type: primary_key, columns: [order_id, line_no]}
    data_tests:
      - dbt_utils.unique_combination_of_columns: {combination_of_columns: [line_no, dup]}
""",
    }
    project = dbt_project(tmp_path / "dbt", files, raw)
    result = import_dbt_project(tmp_path / "synth", project)
    outcome = {f.check: f.declared or f.reason for f in result.findings}
    assert outcome["constraint primary_key on stg_lines"] == "primary key lines(o, n)"
    assert outcome["test dbt_utils.unique_combination_of_columns on stg_lines"] == (
        "lines(n, dup) has 57 duplicate combination(s) in the raw data")
    assert load_project(tmp_path / "synth").tables["lines"].primary_key == ["o", "n"]


def test_a_column_unique_in_the_data_is_a_suggested_parent_but_never_a_suggested_child(tmp_path):
    raw = [*RAW, "CREATE TABLE raw.tags AS SELECT i::INTEGER AS id, 'x' AS tag FROM range(1, 31) t(i)"]
    files = {
        "models/sources.yml": SOURCES.replace("{name: orders}]", "{name: orders}, {name: tags}]"),
        "models/o.sql": "select * from {{ source('app', 'orders') }} join {{ source('app', 'tags') }} t on t.id = cust",
        "models/c.sql": "select * from {{ source('app', 'customers') }}",
    }
    imported(tmp_path, files, raw)
    lines = (tmp_path / "synth" / "models" / "schema.yml").read_text().splitlines()
    suggested = [lines[i - 1].strip() for i, line in enumerate(lines) if "suggested foreign key" in line]
    assert suggested == ["- name: cust"]  # customers.id and tags.id (both 1..30) suggest nothing
    text = "\n".join(lines)
    assert "is a customers.id; to declare it" in text
    assert "(and declare id unique there)" in text


def test_a_model_that_is_not_one_select_is_never_run(tmp_path):
    files = {
        "models/bad.sql": "select id from {{ source('app', 'orders') }}; create table canary as select 1",
        "models/m.yml": "version: 2\nmodels:\n  - name: bad\n    columns:\n      - name: id\n        data_tests: [unique]\n",
    }
    info, _ = imported(tmp_path, files)
    assert "must be a single SELECT statement" in reasons(info)["test unique on bad.id"]


def test_the_cli_finds_the_dbt_profile_where_it_is_told(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from synthohive_dbt.cli import cli

    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = dbt_project(tmp_path / "dbt", {"models/sources.yml": SOURCES,
                                             "models/o.sql": "select * from {{ source('app', 'orders') }}"}, RAW)
    (tmp_path / "elsewhere").mkdir()
    (project / "profiles.yml").rename(tmp_path / "elsewhere" / "profiles.yml")
    (tmp_path / "elsewhere" / "profiles.yml").write_text(yaml.safe_dump(
        {"p": {"target": "dev", "outputs": {"dev": {"type": "duckdb", "path": str(project / "wh.duckdb")}}}}))
    runner = CliRunner()
    missing = runner.invoke(cli, ["init", str(tmp_path / "a"), "--from-dbt", str(project)])
    assert missing.exit_code == 2 and "no profiles.yml for the dbt project" in missing.output
    found = runner.invoke(cli, ["init", str(tmp_path / "b"), "--from-dbt", str(project),
                                "--profiles-dir", str(tmp_path / "elsewhere")])
    assert found.exit_code == 0, found.output
    assert "Imported source('app', 'orders') as model orders (raw.orders, 4 columns, 90 rows)" in found.output
    misuse = runner.invoke(cli, ["init", str(tmp_path / "c"), "--dbt-target", "dev"])
    assert misuse.exit_code == 2 and "go with --from-dbt" in misuse.output
