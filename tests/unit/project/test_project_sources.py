"""Sources registered as DuckDB views; quoting; one SELECT per model."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from synthohive_dbt.errors import ProjectError, ShiveError
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.project.sources import check_single_select, strip_trailing
from synthohive_dbt.quoting import quote_identifier, quote_literal


def test_quoting():
    assert quote_identifier('a"b') == '"a""b"'
    assert quote_literal("it's") == "'it''s'"
    con = duckdb.connect()
    name = 'x"; DROP TABLE y; --'
    con.execute(f"CREATE TABLE {quote_identifier(name)} AS SELECT {quote_literal(name)} AS v")
    assert con.execute(f"SELECT v FROM {quote_identifier(name)}").fetchone()[0] == name


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select 1;", "select 1"),
        ("select 1; -- done", "select 1"),
        ("-- head\nselect 1 -- tail\n", "-- head\nselect 1"),
        ("select ';--' as x /* c */ ;", "select ';--' as x"),
    ],
)
def test_strip_trailing_lets_callers_wrap_the_sql(sql, expected):
    assert strip_trailing(sql) == expected
    assert (
        duckdb.connect().execute(f"SELECT count(*) FROM ({strip_trailing(sql)})").fetchone()[0] == 1
    )


@pytest.mark.parametrize(
    "sql", ["drop table x", "select 1; select 2", "create view v as select 1", ""]
)
def test_only_one_select_is_accepted(sql):
    with pytest.raises(ProjectError):
        check_single_select(sql, model="m")


def test_connection_reads_models_and_sources(make_project):
    manifest = load_project(make_project())
    with open_real_connection(manifest) as con:
        assert con.execute('SELECT count(*) FROM "orders"').fetchone()[0] == 5
        assert con.execute('SELECT count(*) FROM "raw"."customers"').fetchone()[0] == 4


def test_parquet_glob_identifier_and_duckdb_file(make_project, tmp_path: Path):
    root = make_project(
        {
            "models/schema.yml": """
            version: 2
            sources:
              - name: files
                config: {external_location: "data/parts/{identifier}_*.parquet"}
                tables: [{name: orders, identifier: ord}]
              - name: db
                schema: sales
                config: {database_file: data/raw.duckdb}
                tables: [{name: customers, identifier: clients}]
            """,
            "models/customers.sql": "select * from {{ source('db', 'customers') }}\n",
            "models/orders.sql": "select * from {{ source('files', 'orders') }}\n",
        }
    )
    (root / "data" / "parts").mkdir()
    con = duckdb.connect(str(root / "data" / "raw.duckdb"))
    con.execute("CREATE SCHEMA sales")
    con.execute("CREATE TABLE sales.clients AS SELECT range AS customer_id FROM range(3)")
    for part in (1, 2):
        out = (root / "data" / "parts" / f"ord_{part}.parquet").as_posix()
        con.execute(
            f"COPY (SELECT {part} AS order_id, 1 AS customer_id) TO '{out}' (FORMAT parquet)"
        )
    con.close()

    manifest = load_project(root)
    assert manifest.sources["db.customers"].format == "duckdb"
    assert manifest.sources["db.customers"].schema == "sales"
    with open_real_connection(manifest) as real:
        assert real.execute('SELECT count(*) FROM "orders"').fetchone()[0] == 2
        assert real.execute('SELECT count(*) FROM "customers"').fetchone()[0] == 3
        with pytest.raises(duckdb.Error):  # the source database is attached read-only
            real.execute('INSERT INTO "shive_src_0"."sales"."clients" VALUES (9)')


def test_format_must_be_known_and_source_may_not_shadow_main(make_project):
    root = make_project(
        {
            "models/schema.yml": "version: 2\nsources:\n  - name: raw\n    config: {external_location: 'data/{name}.json'}\n    tables: [{name: customers}, {name: orders}]\n"
        }
    )
    with pytest.raises(ProjectError, match="cannot tell the file format"):
        load_project(root)
    root2 = make_project(
        {
            "models/schema.yml": "version: 2\nsources:\n  - name: main\n    config: {external_location: a.csv}\n"
        },
        name="b",
    )
    with pytest.raises(ProjectError, match="may not be called 'main'"):
        load_project(root2)


def test_csv_format_override(make_project):
    root = make_project(
        {
            "data/customers.dat": "customer_id,email,segment,age,signup_date\n1,a,retail,20,2024-01-01\n",
            "data/orders.dat": "order_id,customer_id,amount,status\n1,1,2.0,placed\n",
            "models/schema.yml": "version: 2\nsources:\n  - name: raw\n    config: {external_location: 'data/{name}.dat', format: csv}\n    tables: [{name: customers}, {name: orders}]\n",
        }
    )
    assert load_project(root).sources["raw.orders"].format == "csv"


def test_env_var_and_var_in_schema_yml_are_rendered_as_dbt_does(
    make_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # the data lives outside the project, found through an environment variable
    root = make_project()
    elsewhere = tmp_path / "lake"
    elsewhere.mkdir()
    for name in ("customers", "orders"):
        (root / "data" / f"{name}.csv").rename(elsewhere / f"{name}.csv")
    schema = root / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace(
            'config: {external_location: "data/{name}.csv"}',
            "config: {external_location: \"{{ env_var('DATA_DIR') }}/{name}.{{ var('ext') }}\"}",
        )
    )
    project = root / "shive_project.yml"
    project.write_text(project.read_text() + "vars: {ext: csv}\n")
    monkeypatch.setenv("DATA_DIR", str(elsewhere))
    manifest = load_project(root)
    assert manifest.sources["raw.orders"].location == str(elsewhere / "orders.csv")
    with open_real_connection(manifest) as con:
        assert con.execute('SELECT count(*) FROM "orders"').fetchone()[0] == 5
    # --vars wins over the project's vars
    with pytest.raises(ShiveError, match=r"lake/customers\.parquet"):
        load_project(root, vars={"ext": "parquet"})
    # an unset variable names the file, the line and the fix
    monkeypatch.delenv("DATA_DIR")
    with pytest.raises(ProjectError, match="'DATA_DIR' is not set") as info:
        load_project(root)
    assert "schema.yml" in str(info.value) and "export DATA_DIR" in str(info.value)


def test_descriptions_keep_their_jinja(make_project):
    root = make_project()
    schema = root / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace(
            "  - name: customers\n",
            "  - name: customers\n    description: \"{{ doc('customers') }}\"\n",
            1,
        )
    )
    manifest = load_project(root)
    assert "customers" in manifest.tables
