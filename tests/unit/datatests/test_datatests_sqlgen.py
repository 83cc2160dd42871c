"""Rendering canonical test SQL for targets and for dbt's jinja."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from synthohive_dbt.datatests import emit_tests, sqlgen
from synthohive_dbt.datatests.writer import protect_jinja
from synthohive_dbt.errors import DataTestError
from synthohive_dbt.project.model import Manifest

CANONICAL = (
    "SELECT child.\"k\" FROM {{ source('shive_synth', 'orders') }} AS child "
    "WHERE NOT EXISTS (SELECT 1 FROM {{ source('shive_synth', 'customers') }} AS parent "
    "WHERE parent.\"k\" = child.\"k\") AND CAST(child.\"v\" AS VARCHAR) <> 'x'"
)


def test_render_for_duckdb_uses_the_adapter_relation() -> None:
    sql = sqlgen.render_for_target(CANONICAL, "duckdb", lambda t: f'"main"."{t}"')
    assert 'FROM "main"."orders" AS child' in sql
    assert 'FROM "main"."customers" AS parent' in sql
    assert "source(" not in sql


def test_render_for_spark_transpiles_and_keeps_aliases() -> None:
    sql = sqlgen.render_for_target(CANONICAL, "spark", lambda t: f"`synth`.`{t}`")
    assert "FROM `synth`.`orders` AS child" in sql
    assert "CAST(child.`v` AS STRING)" in sql
    sqlglot.parse_one(sql, dialect="spark")  # valid Spark SQL


def test_render_accepts_a_table_function_relation() -> None:
    sql = sqlgen.render_for_target(CANONICAL, "duckdb", lambda t: f"read_parquet('/data/{t}.parquet')")
    assert "FROM READ_PARQUET('/data/orders.parquet') AS child" in sql


def test_fill_replaces_placeholders_with_quoted_nodes() -> None:
    filled = sqlgen.fill(
        "SELECT __col__ FROM __rel__ WHERE __col__ > __limit__",
        col=sqlgen.column('we"ird'), rel=sqlgen.relation("t"), limit=sqlgen.literal(1.5),
    )
    assert sqlgen.to_canonical_sql(filled).split() == [
        "SELECT", '"we""ird"', "FROM", "{{", "source('shive_synth',", "'t')", "}}", "WHERE", '"we""ird"', ">", "1.5",
    ]


def test_fill_refuses_a_placeholder_without_value() -> None:
    with pytest.raises(DataTestError, match="__limit__"):
        sqlgen.fill("SELECT __col__ FROM t WHERE x > __limit__", col=exp.column("a"))


def test_literals_are_escaped_by_sqlglot() -> None:
    assert sqlgen.literal("it's").sql() == "'it''s'"
    with pytest.raises(DataTestError):
        sqlgen.literal(float("nan"))


def test_a_table_name_must_be_plain() -> None:
    with pytest.raises(DataTestError, match="plain"):
        sqlgen.relation("bad name; drop table x")


def test_sentinel_text_inside_a_literal_is_detected() -> None:
    query = exp.select(sqlgen.literal('"__shive_rel__x"')).from_(sqlgen.relation("t"))
    with pytest.raises(DataTestError, match="reserved"):
        sqlgen.to_canonical_sql(query)


def test_protect_jinja_wraps_delimiters_but_keeps_sources_live() -> None:
    sql = "SELECT '{{x}}' FROM {{ source('shive_synth', 't') }} WHERE v = '{% y %}'"
    protected = protect_jinja(sql)
    assert protected == (
        "{% raw %}SELECT '{{x}}' FROM {% endraw %}{{ source('shive_synth', 't') }}"
        "{% raw %} WHERE v = '{% y %}'{% endraw %}"
    )
    assert protect_jinja("SELECT 1 FROM {{ source('shive_synth', 't') }}") == (
        "SELECT 1 FROM {{ source('shive_synth', 't') }}"
    )


def test_every_emitted_test_transpiles_to_spark(manifest: Manifest, profile: dict) -> None:
    for test in emit_tests(manifest, profile):
        for sql in filter(None, (test.sql, test.metrics_sql)):
            rendered = sqlgen.render_for_target(sql, "spark", lambda t: f"`synth`.`{t}`")
            assert "source(" not in rendered and f"`synth`.`{test.table}`" in rendered
            sqlglot.parse_one(rendered, dialect="spark")
