"""Every kind of bad input is an error that says what, where and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthohive_dbt.errors import ProfileError, ProjectError
from synthohive_dbt.project import load_project

SOURCES = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.csv"}
    tables: [{name: customers}, {name: orders}]
"""


def _schema(models: str) -> dict[str, str]:
    return {"models/schema.yml": SOURCES + "models:\n" + models}


def _load_error(root: Path, kind: type[Exception] = ProjectError) -> Exception:
    with pytest.raises(kind) as info:
        load_project(root)
    return info.value


# ---- YAML ---------------------------------------------------------------------------------
def test_yaml_syntax_error_names_file_and_line(make_project):
    root = make_project(
        {"models/schema.yml": "version: 2\nmodels:\n  - name: customers\n    columns: [a, b\n"}
    )
    err = _load_error(root)
    assert "YAML syntax error" in err.message
    assert err.path.endswith("schema.yml")
    assert err.line == 5  # the unclosed bracket is noticed at the end of the file
    assert "schema.yml:5" in str(err)


def test_yaml_syntax_error_in_project_file(make_project):
    root = make_project({"shive_project.yml": "name: shop\nseed: [1\nvars: {}\n"})
    err = _load_error(root)
    assert err.path.endswith("shive_project.yml") and err.line is not None


def test_unknown_key_names_key_path_line_and_suggestion(make_project):
    root = make_project(
        _schema(
            """
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
  - name: orders
    columns:
      - name: order_id
      - name: customer_id
      - name: amount
        constraints:
          - {type: primary, expression: x}
"""
        )
    )
    err = _load_error(root)
    assert "models[1].columns[2].constraints[0].type" in err.message
    assert err.line == 18
    assert "'primary_key'" in err.hint


def test_misspelt_key_gets_did_you_mean(make_project):
    root = make_project(_schema("  - name: customers\n    config: {synth: {epoch: 5}}\n"))
    err = _load_error(root)
    assert "models[0].config.synth.epoch" in err.message and "unknown key" in err.message
    assert "did you mean 'epochs'" in err.hint


def test_misspelt_pipeline_key_gets_did_you_mean(make_project):
    root = make_project(_schema("  - name: customers\n    config: {synth: {partitons: 4}}\n"))
    err = _load_error(root)
    assert "models[0].config.synth.partitons" in err.message and "unknown key" in err.message
    assert "did you mean 'partitions'" in err.hint
    assert str(err.path).endswith("schema.yml") and err.line


def test_misspelt_project_key(make_project):
    root = make_project({"shive_project.yml": "name: shop\nmodel-path: [models]\n"})
    err = _load_error(root)
    assert "model-path" in err.message and err.line == 2
    assert "model-paths" in err.hint


# ---- names --------------------------------------------------------------------------------
def test_unknown_column_in_columns(make_project):
    root = make_project(_schema("  - name: customers\n    columns:\n      - name: custmer_id\n"))
    err = _load_error(root)
    assert "column 'custmer_id' is not in the output of model 'customers'" in err.message
    assert "did you mean 'customer_id'" in err.hint
    assert err.line == 9


def test_unknown_column_in_model_constraint(make_project):
    root = make_project(
        _schema("  - name: customers\n    constraints: [{type: primary_key, columns: [id]}]\n")
    )
    err = _load_error(root)
    assert "column 'id'" in err.message and "known columns" in err.hint


def test_unknown_column_in_table_test(make_project):
    root = make_project(
        _schema("  - name: customers\n    data_tests: [{unique: {column_name: segmnt}}]\n")
    )
    err = _load_error(root)
    assert "segmnt" in err.message and "did you mean 'segment'" in err.hint


def test_unknown_column_in_to_columns(make_project):
    root = make_project(
        _schema(
            """
  - name: customers
    columns: [{name: customer_id, constraints: [{type: primary_key}]}]
  - name: orders
    columns:
      - name: customer_id
        constraints: [{type: foreign_key, to: "ref('customers')", to_columns: [customer]}]
"""
        )
    )
    err = _load_error(root)
    assert "column 'customer' is not in parent model 'customers'" in err.message
    assert "did you mean 'customer_id'" in err.hint


def test_unknown_column_in_check_expression(make_project):
    root = make_project(
        _schema('  - name: customers\n    constraints: [{type: check, expression: "agee > 18"}]\n')
    )
    err = _load_error(root)
    assert "unknown column 'agee'" in err.message and "did you mean 'age'" in err.hint


def test_declared_model_without_sql_file(make_project):
    root = make_project(_schema("  - name: custmers\n"))
    err = _load_error(root)
    assert "model 'custmers' has no SQL file" in err.message
    assert "did you mean 'customers'" in err.hint


def test_unknown_ref_and_unknown_source(make_project):
    root = make_project({"models/orders.sql": "select * from {{ ref('customer') }}\n"})
    err = _load_error(root)
    assert (
        "ref('customer') names no model" in err.message and "did you mean 'customers'" in err.hint
    )
    assert err.path.endswith("orders.sql")

    root2 = make_project(
        {"models/orders.sql": "select * from {{ source('raw', 'order') }}\n"}, name="b"
    )
    err2 = _load_error(root2)
    assert "source('raw', 'order') is not declared" in err2.message and "raw.orders" in err2.hint


def test_unknown_ref_in_foreign_key(make_project):
    root = make_project(
        _schema(
            "  - name: orders\n    columns:\n      - name: customer_id\n"
            "        constraints: [{type: foreign_key, to: \"ref('customer')\"}]\n"
        )  # fmt: skip
    )
    err = _load_error(root)
    assert "names no model" in err.message and "did you mean 'customers'" in err.hint


def test_source_reference_with_no_selecting_model(make_project):
    root = make_project(
        {
            **_schema(
                "  - name: orders\n    columns:\n      - name: customer_id\n"
                "        constraints: [{type: foreign_key, to: \"source('raw', 'customers')\"}]\n"
            ),
            "models/customers.sql": "select 1 as customer_id\n",
        }
    )
    err = _load_error(root)
    assert "no model selects from source('raw', 'customers')" in err.message
    assert "ref(" in err.hint


def test_undefined_var_and_jinja_name(make_project):
    root = make_project(
        {
            "models/orders.sql": "select * from {{ source('raw','orders') }} where amount > {{ var('floor') }}\n"
        }
    )
    err = _load_error(root)
    assert "var 'floor' is not defined" in err.message and "--vars" in err.hint

    root2 = make_project(
        {"models/orders.sql": "select 1 as x\n-- two\nwhere {{ whatever }}\n"}, name="b"
    )
    err2 = _load_error(root2)
    assert "undefined" in err2.message and err2.line == 3


# ---- keys ---------------------------------------------------------------------------------
def test_pk_fk_type_mismatch(make_project):
    root = make_project(
        {
            **_schema(
                """
  - name: customers
    columns: [{name: customer_id, constraints: [{type: primary_key}]}]
  - name: orders
    columns:
      - name: customer_id
        constraints: [{type: foreign_key, to: "ref('customers')"}]
"""
            ),
            "models/orders.sql": "select order_id, cast(customer_id as varchar) as customer_id "
            "from {{ source('raw', 'orders') }}\n",
        }
    )
    err = _load_error(root)
    assert (
        "type mismatch: orders.customer_id is VARCHAR but customers.customer_id is BIGINT"
        in err.message
    )
    assert "never casts" in err.hint and err.line is not None


def test_fk_to_non_key_column(make_project):
    root = make_project(
        _schema(
            """
  - name: customers
    columns: [{name: customer_id, constraints: [{type: primary_key}]}]
  - name: orders
    columns:
      - name: customer_id
        constraints: [{type: foreign_key, to: "ref('customers')", to_columns: [age]}]
"""
        )
    )
    err = _load_error(root)
    assert "not a primary key or unique" in err.message
    assert "(customer_id)" in err.hint


def test_cyclic_foreign_keys_name_the_cycle(make_project):
    root = make_project(
        {
            **_schema(
                """
  - name: customers
    columns:
      - {name: customer_id, constraints: [{type: primary_key}]}
      - {name: first_order, constraints: [{type: foreign_key, to: "ref('orders')"}]}
  - name: orders
    columns:
      - {name: order_id, constraints: [{type: primary_key}]}
      - {name: customer_id, constraints: [{type: foreign_key, to: "ref('customers')"}]}
"""
            ),
            "models/customers.sql": "select *, 10::BIGINT as first_order from {{ source('raw', 'customers') }}\n",
            "models/orders.sql": "select * from {{ source('raw', 'orders') }}\n",
        }
    )
    err = _load_error(root)
    assert "cycle in the table graph" in err.message
    assert "customers -> orders -> customers" in err.message
    assert "foreign key first_order" in err.hint


def test_cyclic_refs(make_project):
    root = make_project(
        {
            "models/a.sql": "select * from {{ ref('b') }}\n",
            "models/b.sql": "select * from {{ ref('a') }}\n",
        }
    )
    err = _load_error(root)
    assert "a -> b -> a" in err.message


def test_composite_fk_arity_and_two_primary_keys(make_project):
    root = make_project(
        _schema(
            """
  - name: customers
    columns:
      - {name: customer_id, constraints: [{type: primary_key}]}
      - {name: email, constraints: [{type: primary_key}]}
"""
        )
    )
    err = _load_error(root)
    assert "already has a primary key" in err.message and "composite" in err.hint


def test_fk_to_derived_model_and_derived_reading_sources(make_project):
    root = make_project(
        {
            "models/ltv.sql": "{{ config(materialized='derived') }} select * from {{ source('raw','customers') }}\n"
        }
    )
    err = _load_error(root)
    assert "derived model 'ltv' reads source" in err.message and "ref(" in err.hint


# ---- data ---------------------------------------------------------------------------------
def test_missing_source_file_names_source_path_and_fix(make_project):
    root = make_project({"data/orders.csv": None})
    err = _load_error(root, ProfileError)
    assert "source raw.orders: file not found" in err.message
    assert err.path.endswith("data/orders.csv")
    assert "external_location" in err.hint


def test_missing_database_file_and_table(make_project, tmp_path):
    import duckdb

    db = tmp_path / "shop" / "data" / "raw.duckdb"
    schema = """
version: 2
sources:
  - name: raw
    schema: sales
    config: {database_file: data/raw.duckdb}
    tables: [{name: customers}, {name: orders, identifier: order_rows}]
"""
    root = make_project({"models/schema.yml": schema})
    err = _load_error(root, ProfileError)
    assert "DuckDB database file not found" in err.message and "database_file" in err.hint

    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA sales")
    con.execute("CREATE TABLE sales.customers AS SELECT 1 AS customer_id")
    con.execute("CREATE TABLE sales.orders AS SELECT 1 AS order_id, 1 AS customer_id")
    con.close()
    err = _load_error(root, ProfileError)
    assert "no table sales.order_rows" in err.message and "'orders'" in err.hint


# ---- identifiers and SQL safety -------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "schema"),
    [
        (
            "source name",
            "  - name: 'x; DROP TABLE y'\n    config: {external_location: a.csv}\n    tables: [{name: t}]\n",
        ),
        (
            "source table name",
            "  - name: raw\n    config: {external_location: a.csv}\n    tables: [{name: 'a\"b'}]\n",
        ),
        (
            "source table identifier",
            "  - name: raw\n    config: {external_location: a.csv}\n    tables: [{name: t, identifier: 'x; DROP TABLE y'}]\n",
        ),
        (
            "source schema",
            "  - name: raw\n    schema: 'main\"; DROP'\n    config: {database_file: a.duckdb}\n    tables: [{name: t}]\n",
        ),
    ],
)
def test_identifiers_that_are_not_plain_names_are_refused(make_project, field, schema):
    root = make_project({"models/schema.yml": "version: 2\nsources:\n" + schema})
    err = _load_error(root)
    assert f"{field} " in err.message and "is not a plain name" in err.message
    assert "letters, digits and underscores" in err.hint


def test_file_path_with_quotes_is_a_literal_not_sql(make_project):
    root = make_project(
        {
            "models/schema.yml": """
            version: 2
            sources:
              - name: raw
                config: {external_location: "data/{name}.csv"}
                tables:
                  - {name: customers}
                  - name: orders
                    config: {external_location: "data/x'); COPY (SELECT 1) TO 'pwned.csv' (FORMAT csv); --.csv"}
            """,
            "data/x'); COPY (SELECT 1) TO 'pwned.csv' (FORMAT csv); --.csv": "order_id,customer_id\n1,1\n",
        }
    )
    manifest = load_project(root)
    assert manifest.tables["orders"].column_names == ["order_id", "customer_id"]
    assert not (root / "pwned.csv").exists() and not Path("pwned.csv").exists()


def test_model_sql_with_two_statements_is_refused_and_not_run(make_project):
    root = make_project(
        {"models/orders.sql": "select 1 as x; COPY (SELECT 42) TO 'pwned.csv' (FORMAT csv)\n"}
    )
    err = _load_error(root)
    assert "must be a single SELECT statement" in err.message and "COPY" in err.message
    assert not (root / "pwned.csv").exists() and not Path("pwned.csv").exists()


def test_check_expression_cannot_smuggle_statements(make_project):
    root = make_project(
        _schema(
            "  - name: customers\n    constraints:\n"
            "      - {type: check, expression: \"age > 1); COPY (SELECT 1) TO 'pwned.csv'; SELECT (1\"}\n"
        )
    )
    err = _load_error(root)
    assert "check expression" in err.message
    assert not Path("pwned.csv").exists()


def test_non_boolean_check_expression(make_project):
    root = make_project(
        _schema('  - name: customers\n    constraints: [{type: check, expression: "age + 1"}]\n')
    )
    err = _load_error(root)
    assert "not a boolean condition" in err.message


def test_unknown_data_test_and_bad_arguments(make_project):
    root = make_project(
        _schema(
            "  - name: customers\n    columns:\n      - name: segment\n        data_tests: [uniqe]\n"
        )
    )
    err = _load_error(root)
    assert "unknown data test 'uniqe'" in err.message and "did you mean 'unique'" in err.hint

    root2 = make_project(
        _schema(
            "  - name: customers\n    columns:\n      - name: segment\n"
            "        data_tests: [{accepted_values: {value: [a]}}]\n"
        ),  # fmt: skip
        name="b",
    )
    err2 = _load_error(root2)
    assert "has no argument 'value'" in err2.message and "did you mean 'values'" in err2.hint


def test_rows_and_scale_together(make_project):
    root = make_project(_schema("  - name: customers\n    config: {synth: {rows: 10, scale: 2}}\n"))
    err = _load_error(root)
    assert "either rows or scale" in err.message


def test_sql_config_errors_name_the_sql_file(make_project):
    root = make_project(
        {"models/orders.sql": "{{ config(materialised='derived') }}select 1 as x\n"}
    )
    err = _load_error(root)
    assert (
        "config() in models/orders.sql" in err.message and "did you mean 'materialized'" in err.hint
    )


def test_missing_project_file_and_model_path(tmp_path, make_project):
    with pytest.raises(ProjectError, match="no shive_project.yml") as info:
        load_project(tmp_path / "nowhere")
    assert "shive init" in info.value.hint
    root = make_project({"shive_project.yml": "name: shop\nmodel-paths: [sql]\n"})
    err = _load_error(root)
    assert "model path 'sql' is not a folder" in err.message


def test_duplicate_yaml_keys_and_declarations(make_project):
    root = make_project(
        {"models/schema.yml": SOURCES + "models:\n  - name: customers\n    name: orders\n"}
    )
    err = _load_error(root)
    assert "duplicate key 'name'" in err.message and err.line == 8

    root2 = make_project(
        {
            "models/more.yml": "version: 2\nmodels:\n  - name: customers\n",
            "models/schema.yml": SOURCES + "models:\n  - name: customers\n",
        },  # fmt: skip
        name="b",
    )
    err2 = _load_error(root2)
    assert "model 'customers' is declared twice" in err2.message


def test_check_expression_is_stored_without_comments(make_project):
    root = make_project(
        _schema(
            "  - name: customers\n    constraints:\n"
            "      - {type: check, expression: \"age > 1 -- x */ ; COPY (SELECT 1) TO 'pwned.csv'\"}\n"
        )
    )
    check = load_project(root).tables["customers"].checks[0]
    assert check.expression == "age > 1"


def test_batch_size_must_fit_pac(make_project):
    root = make_project(_schema("  - name: customers\n    config: {synth: {batch_size: 64, pac: 10}}\n"))
    err = _load_error(root)
    assert "batch_size 64 of model 'customers' is not a multiple of pac 10" in err.message
    assert "60" in err.hint
