"""One quoting of identifiers and literals, sqlglot's, per dialect."""

from __future__ import annotations

import duckdb

from synthohive_dbt.quoting import quote_identifier, quote_literal


def test_duckdb_and_spark_identifiers():
    assert quote_identifier('a"b') == '"a""b"'
    assert quote_identifier("select") == '"select"'
    assert quote_identifier("we`ird", "spark") == "`we``ird`"
    assert quote_identifier('a"b', "spark") == '`a"b`'


def test_quoted_names_and_literals_round_trip_through_duckdb():
    con = duckdb.connect()
    for name in ['a"b', "x y", "it's", "select", "ünï"]:
        con.execute(f"CREATE TABLE {quote_identifier(name)} AS SELECT {quote_literal(name)} AS v")
        assert con.execute(f"SELECT v FROM {quote_identifier(name)}").fetchone()[0] == name
