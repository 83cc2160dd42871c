"""load_project on valid projects: columns, keys, settings, rendering, order."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from synthohive_dbt.project import load_project, open_real_connection

DESIGN_SCHEMA = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}   # or a DuckDB file/schema, CSV, Spark table
    tables: [{name: customers}, {name: orders}]
models:
  - name: customers
    config: {synth: {rows: 5000, epochs: 300}}            # or scale: 2.0; per-table CTGAN settings
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
      - name: email
        config: {pii: {action: fake, kind: email}}          # fake | hash | mask | drop | keep
      - name: segment
        data_tests: [{accepted_values: {values: [retail, smb, enterprise]}}]
      - name: age
        constraints: [{type: check, expression: "age between 18 and 100"}]
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints: [{type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}]
"""


def _csv_to_parquet(root: Path, name: str) -> None:
    con = duckdb.connect()
    src = (root / "data" / f"{name}.csv").as_posix()
    dst = (root / "data" / f"{name}.parquet").as_posix()
    con.execute(f"COPY (SELECT * FROM read_csv_auto('{src}')) TO '{dst}' (FORMAT parquet)")
    con.close()


def test_design_md_example_loads_verbatim(make_project):
    root = make_project({"models/schema.yml": DESIGN_SCHEMA})
    _csv_to_parquet(root, "customers")
    _csv_to_parquet(root, "orders")
    manifest = load_project(root)

    customers, orders = manifest.tables["customers"], manifest.tables["orders"]
    assert manifest.order == ["customers", "orders"]
    assert customers.primary_key == ["customer_id"]
    assert customers.synth.rows == 5000 and customers.synth.epochs == 300
    assert customers.column("email").pii.action == "fake"
    assert customers.column("email").pii.kind == "email"
    assert customers.column("segment").tests[0].config["values"] == ["retail", "smb", "enterprise"]
    assert customers.checks[0].column == "age"
    assert "BETWEEN 18 AND 100" in customers.checks[0].expression
    fk = orders.foreign_keys[0]
    assert (fk.columns, fk.parent, fk.parent_columns) == (
        ["customer_id"],
        "customers",
        ["customer_id"],
    )
    assert manifest.sources["raw.orders"].format == "parquet"


def test_columns_types_and_kinds_come_from_duckdb(make_project):
    manifest = load_project(make_project())
    customers = manifest.tables["customers"]
    assert customers.column_names == ["customer_id", "email", "segment", "age", "signup_date"]
    kinds = {c.name: (c.data_type, c.kind) for c in customers.columns}
    assert kinds["customer_id"] == ("BIGINT", "numeric")
    assert kinds["segment"] == ("VARCHAR", "categorical")
    assert kinds["signup_date"] == ("DATE", "datetime")
    # undeclared columns are kept; PK columns are not nullable and unique
    assert customers.column("customer_id").nullable is False
    assert customers.column("customer_id").unique is True
    assert customers.column("email").nullable is True


def test_foreign_key_nullable_reflects_declarations(make_project):
    root = make_project(
        {
            "models/extra.yml": """
            version: 2
            models: []
            """
        }
    )
    manifest = load_project(root)
    assert manifest.tables["orders"].foreign_keys[0].nullable is True
    assert manifest.parents("orders") == ["customers"]
    assert manifest.children("customers") == ["orders"]


def test_synth_settings_merge_project_yml_and_sql_config(make_project):
    root = make_project(
        {
            "shive_project.yml": """
            name: shop
            synth: {epochs: 10, batch_size: 20, scale: 2.0, pac: 2}
            data_tests: {ks_threshold: 0.3, severity: {integrity: warn}}
            """,
            "models/customers.sql": "{{ config(synth={'batch_size': 40}) }}\n"
            "select * from {{ source('raw', 'customers') }}\n",
            "models/schema.yml": """
            version: 2
            sources:
              - name: raw
                config: {external_location: "data/{name}.csv"}
                tables: [{name: customers}, {name: orders}]
            models:
              - name: customers
                config: {synth: {rows: 100, epochs: 5, sample_rows: 1000}}
            """,
        }
    )
    manifest = load_project(root)
    c = manifest.tables["customers"].synth
    assert (c.rows, c.scale, c.epochs, c.batch_size, c.sample_rows) == (100, None, 5, 40, 1000)
    assert c.engine == {"pac": 2, "epochs": 5, "batch_size": 40}  # the engine keys set
    o = manifest.tables["orders"].synth
    assert (o.rows, o.scale, o.epochs, o.batch_size) == (None, 2.0, 10, 20)
    assert manifest.settings["synth"]["epochs"] == 10
    assert manifest.settings["data_tests"] == {
        "ks_threshold": 0.3,
        "severity": {"integrity": "warn"},
    }


def test_vars_env_vars_and_cli_overrides(make_project, monkeypatch):
    root = make_project(
        {
            "shive_project.yml": "name: shop\nvars: {min_amount: 10}\n",
            "models/orders.sql": "select * from {{ source('raw', 'orders') }} "
            "where amount >= {{ var('min_amount') }} and status != '{{ env_var('SKIP_STATUS', 'none') }}'\n",
        }
    )
    monkeypatch.setenv("SKIP_STATUS", "returned")
    manifest = load_project(root, vars={"min_amount": 20}, seed=99)
    sql = manifest.tables["orders"].compiled_sql
    assert "amount >= 20" in sql and "status != 'returned'" in sql
    assert manifest.seed == 99 and manifest.vars["min_amount"] == 20
    with open_real_connection(manifest) as con:
        rows = con.execute('SELECT order_id FROM "orders" ORDER BY 1').fetchall()
    assert rows == [(11,)]  # 13 is returned, the rest are below 20


def test_derived_model_renders_refs_to_real_views_and_comes_last(make_project):
    root = make_project(
        {
            "models/customer_ltv.sql": """
            {{ config(materialized='derived') }}
            select c.customer_id, sum(o.amount) as ltv
            from {{ ref('customers') }} c join {{ ref('orders') }} o using (customer_id)
            group by 1
            """,
            "models/a_first.sql": "select 1 as x\n",
        }
    )
    manifest = load_project(root)
    ltv = manifest.tables["customer_ltv"]
    assert ltv.materialized == "derived"
    assert ltv.refs == ["customers", "orders"]
    assert '"main"."customers"' in ltv.compiled_sql
    assert manifest.order[-1] == "customer_ltv"
    assert manifest.order.index("customers") < manifest.order.index("orders")
    assert [t.name for t in manifest.derived_tables()] == ["customer_ltv"]
    with open_real_connection(manifest) as con:
        total = con.execute('SELECT sum(ltv) FROM "customer_ltv"').fetchone()[0]
    assert total == pytest.approx(12.5 + 99.0 + 5.25 + 42.0 + 7.75)


def test_source_reference_resolves_to_the_selecting_model(make_project):
    root = make_project(
        {
            "models/schema.yml": """
            version: 2
            sources:
              - name: raw
                config: {external_location: "data/{name}.csv"}
                tables: [{name: customers}, {name: orders}]
            models:
              - name: orders
                constraints:
                  - {type: foreign_key, columns: [customer_id], to: "source('raw', 'customers')"}
              - name: customers
                constraints: [{type: primary_key, columns: [customer_id]}]
            """
        }
    )
    fk = load_project(root).tables["orders"].foreign_keys[0]
    assert fk.parent == "customers" and fk.parent_columns == ["customer_id"]


def test_composite_keys_and_unique_parent_columns(make_project):
    root = make_project(
        {
            "data/lines.csv": "order_id,line_no,qty\n10,1,2\n10,2,1\n11,1,5\n",
            "data/refunds.csv": "refund_id,order_id,line_no\n1,10,2\n",
            "models/lines.sql": "select * from {{ source('raw', 'lines') }}\n",
            "models/refunds.sql": "select * from {{ source('raw', 'refunds') }}\n",
            "models/schema.yml": """
            version: 2
            sources:
              - name: raw
                config: {external_location: "data/{name}.csv"}
                tables: [{name: customers}, {name: orders}, {name: lines}, {name: refunds}]
            models:
              - name: orders
                columns:
                  - name: order_id
                    data_tests: [unique, not_null]
              - name: lines
                constraints:
                  - {type: primary_key, columns: [order_id, line_no]}
                  - {type: foreign_key, columns: [order_id], to: "ref('orders')", to_columns: [order_id]}
              - name: refunds
                constraints:
                  - type: foreign_key
                    columns: [order_id, line_no]
                    to: "ref('lines')"
                    to_columns: [order_id, line_no]
            """,
        }
    )
    manifest = load_project(root)
    assert manifest.tables["lines"].primary_key == ["order_id", "line_no"]
    refund_fk = manifest.tables["refunds"].foreign_keys[0]
    assert refund_fk.parent_columns == ["order_id", "line_no"]
    # a unique data test makes orders.order_id a valid FK target
    assert manifest.tables["orders"].column("order_id").unique
    assert manifest.tables["orders"].column("order_id").nullable is False
    assert (
        manifest.order.index("orders")
        < manifest.order.index("lines")
        < manifest.order.index("refunds")
    )


def test_tests_key_pii_defaults_and_orphans(make_project):
    root = make_project(
        {
            "shive_project.yml": "name: shop\norphans: drop\nprivacy: {secret_env: MY_KEY, locale: de_DE}\n",
            "models/schema.yml": """
            version: 2
            sources:
              - name: raw
                config: {external_location: "data/{name}.csv"}
                tables: [{name: customers}, {name: orders}]
            models:
              - name: customers
                columns:
                  - name: customer_id
                    tests: [unique]
                  - name: email
                    config: {pii: {action: hash}}
                  - name: segment
                    config: {pii: {action: fake, kind: company}, synth: {kind: text, tvd_threshold: 0.5}}
              - name: orders
                config: {orphans: error}
                columns:
                  - name: customer_id
                    data_tests:
                      - relationships: {to: "ref('customers')", field: customer_id, config: {severity: warn}}
                    constraints: [{type: foreign_key, to: "ref('customers')"}]
                  - name: status
                    data_tests:
                      - accepted_values:
                          arguments: {values: [placed, shipped, returned]}
            """,
        }
    )
    manifest = load_project(root)
    customers, orders = manifest.tables["customers"], manifest.tables["orders"]
    assert customers.column("email").pii.secret_env == "MY_KEY"
    assert customers.column("segment").pii.locale == "de_DE"
    assert customers.column("segment").kind == "text"
    assert customers.column("segment").synth == {"tvd_threshold": 0.5}
    rel = orders.column("customer_id").tests[0]
    assert (rel.name, rel.severity, rel.config["to"], rel.config["field"]) == (
        "relationships", "warn", "customers", "customer_id",
    )  # fmt: skip
    assert orders.foreign_keys[0].orphan_policy == "error"
    assert orders.foreign_keys[0].parent_columns == ["customer_id"]  # default: parent's key
    assert orders.column("status").tests[0].config["values"] == ["placed", "shipped", "returned"]


def test_disabled_models_and_sources_are_left_out(make_project):
    root = make_project({"models/orders.sql": "{{ config(enabled=false) }}select 1 as x\n"})
    manifest = load_project(root)
    assert manifest.order == ["customers"]
    assert list(manifest.sources) == ["raw.customers"]


def test_copy_mode_and_unused_source_with_missing_file(make_project):
    root = make_project(
        {
            "models/schema.yml": """
            version: 2
            sources:
              - name: raw
                config: {external_location: "data/{name}.csv"}
                tables: [{name: customers}, {name: orders}, {name: never_used}]
            models:
              - name: customers
                config: {synth: {mode: copy}}
            """
        }
    )
    manifest = load_project(root)  # an unused source needs no file
    assert manifest.tables["customers"].synth.mode == "copy"
    assert "raw.never_used" not in manifest.sources
