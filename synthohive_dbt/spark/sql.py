"""Spark SQL building blocks: quoting, key predicates, and models rendered for Spark.

Spark quotes identifiers with backticks (a double-quoted name is a string literal
there), so the key predicates are profiling's ``KeyPredicates`` built with Spark's
:func:`quote`. Every identifier that reaches SQL here comes from configuration and is
quoted; no value of real data is pasted into SQL.

A model's compiled SQL is DuckDB SQL over the source views (``"lake"."orders"``) and
other models (``"main"."customers"``). :func:`model_spark_sql` parses it with sqlglot,
points each source at its Spark table, inlines each ``ref()``'d model as a subquery,
and renders the result in Spark's dialect.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp

from ..errors import ProfileError
from ..profiling.sql import KeyPredicates
from ..project.model import Manifest, Table
from ..project.sources import MODEL_SCHEMA
from ..quoting import quote_identifier


def quote(name: str) -> str:
    """``name`` as a Spark identifier (embedded backticks doubled)."""
    return quote_identifier(name, "spark")


#: Spark's column references and key predicates: profiling's builders with backticks
SPARK = KeyPredicates(quote)
col = SPARK.col
all_not_null = SPARK.all_not_null
any_null = SPARK.any_null
keys_equal = SPARK.keys_equal


def model_spark_sql(manifest: Manifest, table: Table, sources: Mapping[str, str]) -> str:
    """``table``'s compiled SQL as Spark SQL; ``sources`` maps ``"source.table"`` to the
    quoted Spark relation it reads (:func:`~.sources.spark_relation`)."""
    return _render(manifest, table, sources, stack=())


def _render(
    manifest: Manifest, table: Table, sources: Mapping[str, str], stack: tuple[str, ...]
) -> str:
    if table.name in stack:
        raise ProfileError(
            f"model {table.name} refers to itself through ref()", table=table.name,
            hint="run `shive validate`: the model graph must not have cycles",
        )  # fmt: skip
    try:
        tree = sqlglot.parse_one(table.compiled_sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ProfileError(
            f"model {table.name} cannot be rendered for Spark: {exc}",
            table=table.name,
            hint="keep models of Spark sources to SQL that both DuckDB and Spark understand",
        ) from exc

    def replace(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or not node.db:
            return node
        return _replacement(manifest, table, node, sources, stack) or node

    return tree.transform(replace).sql(dialect="spark")


def _replacement(
    manifest: Manifest,
    table: Table,
    node: exp.Table,
    sources: Mapping[str, str],
    stack: tuple[str, ...],
) -> exp.Expression | None:
    """The Spark relation (or subquery) a DuckDB source/model reference stands for."""
    key = f"{node.db}.{node.name}"
    alias = node.alias or node.name
    if key in sources:
        relation = sqlglot.parse_one(sources[key], read="spark", into=exp.Table)
        relation.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
        return relation
    if node.db == MODEL_SCHEMA and node.name in manifest.tables:
        inner = _render(manifest, manifest.tables[node.name], sources, (*stack, table.name))
        return sqlglot.parse_one(inner, read="spark").subquery(
            exp.to_identifier(alias, quoted=True)
        )
    raise ProfileError(
        f"model {table.name} reads {key}, which is not a Spark source",
        table=table.name,
        hint="a model profiled on Spark may read Spark sources and other such models only",
    )
