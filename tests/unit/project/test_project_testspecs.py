"""Data test shapes as dbt writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthohive_dbt.errors import ProjectError
from synthohive_dbt.project.testspecs import DataTestSite, parse_data_test

COLUMN = DataTestSite(
    Path("schema.yml"), 3, "orders", "status", "models[0].columns[0].data_tests[0]"
)
MODEL = DataTestSite(Path("schema.yml"), 3, "orders", None, "models[0].data_tests[0]")


def test_shapes():
    assert parse_data_test("unique", COLUMN).name == "unique"
    t = parse_data_test({"not_null": {"config": {"severity": "WARN", "where": "x > 1"}}}, COLUMN)
    assert (t.severity, t.config) == ("warn", {"where": "x > 1"})
    t = parse_data_test(
        {"accepted_values": {"values": ["a"], "quote": False, "severity": "warn"}}, COLUMN
    )
    assert t.config == {"values": ["a"], "quote": False} and t.severity == "warn"
    t = parse_data_test({"accepted_values": {"arguments": {"values": ["a"]}}}, COLUMN)
    assert t.config == {"values": ["a"]}
    t = parse_data_test({"unique": {"column_name": "order_id"}}, MODEL)
    assert t.column == "order_id"


@pytest.mark.parametrize(
    ("raw", "site", "match"),
    [
        ({"unique": None, "not_null": None}, COLUMN, "one-key mapping"),
        ("unique", MODEL, "needs 'column_name'"),
        ({"relationships": {"to": "ref('a')"}}, COLUMN, "needs the argument 'field'"),
        ({"accepted_values": {"values": "a"}}, COLUMN, "as a list"),
        ({"unique": {"config": {"severity": "fatal"}}}, COLUMN, "not error or warn"),
        ({"unique": {"config": {"sevrity": "warn"}}}, COLUMN, "unknown test config"),
        ({"dbt_utils.expression_is_true": {}}, COLUMN, "unknown data test"),
    ],
)
def test_errors(raw, site, match):
    with pytest.raises(ProjectError, match=match) as info:
        parse_data_test(raw, site)
    assert info.value.line == 3
