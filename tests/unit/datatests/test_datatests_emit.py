"""Which tests are emitted from a manifest and a profile, and what their SQL embeds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from synthohive_dbt.datatests import emit_tests
from synthohive_dbt.errors import DataTestError
from synthohive_dbt.project.model import CheckConstraint, Column, DataTest, Manifest, Table

EXPECTED_INTEGRITY = {
    "shive_unique_customers_customer_id",
    "shive_not_null_customers_customer_id",
    "shive_accepted_values_customers_segment",
    "shive_check_customers_age",
    "shive_unique_orders_order_id",
    "shive_not_null_orders_order_id",
    "shive_relationships_orders_customer_id_customers",
    "shive_unique_order_lines_order_id_line_no",
    "shive_not_null_order_lines_order_id",
    "shive_not_null_order_lines_line_no",
    "shive_relationships_order_lines_order_id_orders",
}


def by_name(tests: list[Any]) -> dict[str, Any]:
    return {t.name: t for t in tests}


def test_integrity_tests_cover_keys_constraints_and_declared_tests(manifest: Manifest, profile: dict) -> None:
    tests = emit_tests(manifest, profile)
    integrity = {t.name for t in tests if t.category == "integrity"}
    assert integrity == EXPECTED_INTEGRITY
    assert all(t.severity == "error" for t in tests if t.category == "integrity")
    composite = by_name(tests)["shive_unique_order_lines_order_id_line_no"]
    assert composite.columns == ["order_id", "line_no"]
    assert 'GROUP BY\n  "order_id",\n  "line_no"\nHAVING\n  COUNT(*) > 1' in composite.sql


def test_distribution_tests_per_column_kind_and_foreign_key(manifest: Manifest, profile: dict) -> None:
    tests = by_name(emit_tests(manifest, profile))
    kinds = {(t.kind, t.table, t.column) for t in tests.values() if t.category == "distribution"}
    # numeric: ks + moments; datetime: ks; categorical/boolean: tv; null rate for every non-PK column
    assert ("ks", "customers", "age") in kinds and ("moments", "customers", "age") in kinds
    assert ("ks", "customers", "signup_date") in kinds
    assert ("moments", "customers", "signup_date") not in kinds
    assert ("tv", "customers", "segment") in kinds and ("tv", "customers", "is_active") in kinds
    assert ("null_rate", "orders", "discount") in kinds
    # keys are regenerated: no shape tests on PK / FK columns, only the FK's child counts
    assert not any(c in ("customer_id", "order_id", "line_no") and k in ("ks", "moments", "tv") for k, _, c in kinds)
    assert "shive_child_count_orders_customer_id_customers" in tests
    assert "shive_child_count_order_lines_order_id_orders" in tests
    # PII (faked) column: null rate only
    assert {k for k, t, c in kinds if c == "email"} == {"null_rate"}
    assert all(t.severity == "warn" for t in tests.values() if t.category == "distribution")


def test_correlation_test_leaves_out_key_columns(manifest: Manifest, profile: dict) -> None:
    test = by_name(emit_tests(manifest, profile))["shive_correlation_customers"]
    assert test.columns == ["age", "income"]
    assert '"customer_id"' not in test.sql


def test_tests_embed_aggregates_only(manifest: Manifest, profile: dict, real_data: dict) -> None:
    sql = "\n".join(t.sql + (t.metrics_sql or "") for t in emit_tests(manifest, profile))
    # no PII value, and no real row: sample a few exact real incomes, none appears
    assert "example.com" not in sql
    incomes = real_data["customers"]["income"].head(20)
    assert not any(repr(float(v)) in sql for v in incomes if repr(float(v)) not in json.dumps(profile))


def test_every_test_is_a_source_relative_query(manifest: Manifest, profile: dict) -> None:
    for test in emit_tests(manifest, profile):
        assert "{{ source('shive_synth', '" + test.table + "') }}" in test.sql
        assert test.table in test.relations
        assert ";" not in test.sql
    names = [t.name for t in emit_tests(manifest, profile)]
    assert len(names) == len(set(names))


def test_without_profile_only_integrity_tests(manifest: Manifest) -> None:
    tests = emit_tests(manifest, None)
    assert {t.name for t in tests} == EXPECTED_INTEGRITY


def test_derived_model_gets_declared_tests_only(manifest: Manifest, profile: dict) -> None:
    manifest.tables["ltv"] = Table(
        name="ltv", materialized="derived", path="models/ltv.sql", raw_sql="", compiled_sql="",
        columns=[Column("customer_id", "INTEGER", "numeric", nullable=False), Column("total", "DOUBLE", "numeric")],
        checks=[CheckConstraint("total >= 0", column="total")],
    )
    manifest.order.append("ltv")
    profile = {**profile, "tables": {**profile["tables"], "ltv": profile["tables"]["orders"]}}
    names = {t.name for t in emit_tests(manifest, profile) if t.table == "ltv"}
    assert names == {"shive_not_null_ltv_customer_id", "shive_check_ltv_total"}


def test_declared_relationships_and_numeric_accepted_values(manifest: Manifest, profile: dict) -> None:
    lines = manifest.tables["order_lines"]
    lines.column("quantity").tests.append(DataTest("accepted_values", "quantity", {"values": [1, 2, 3, 4, 5]}))
    manifest.tables["orders"].column("customer_id").tests.append(
        DataTest("relationships", "customer_id", {"arguments": {"to": "ref('customers')", "field": "customer_id"}})
    )
    tests = by_name(emit_tests(manifest, profile))
    assert "IN (1, 2, 3, 4, 5)" in tests["shive_accepted_values_order_lines_quantity"].sql
    # the declared relationship is the declared foreign key: emitted once
    assert [n for n in tests if n.startswith("shive_relationships_orders")] == [
        "shive_relationships_orders_customer_id_customers"
    ]


def test_declared_test_severity_is_kept(manifest: Manifest, profile: dict) -> None:
    manifest.tables["customers"].column("segment").tests[0].config["severity"] = "warn"
    test = by_name(emit_tests(manifest, profile))["shive_accepted_values_customers_segment"]
    assert test.severity == "warn"


def test_relationship_to_unknown_model_is_an_error(manifest: Manifest) -> None:
    manifest.tables["orders"].column("status").tests.append(
        DataTest("relationships", "status", {"to": "ref('statuses')", "field": "code"})
    )
    with pytest.raises(DataTestError, match="statuses"):
        emit_tests(manifest, None)


def test_unparsable_check_is_an_error_naming_the_table(manifest: Manifest) -> None:
    manifest.tables["customers"].checks.append(CheckConstraint("age between and", column="age"))
    with pytest.raises(DataTestError) as info:
        emit_tests(manifest, None)
    assert info.value.table == "customers"


def test_dropped_pii_column_gets_no_test(manifest: Manifest, profile: dict) -> None:
    manifest.tables["customers"].column("email").pii.action = "drop"
    assert not any(t.column == "email" for t in emit_tests(manifest, profile))


def test_names_that_clash_are_made_unique(manifest: Manifest, profile: dict) -> None:
    table = manifest.tables["customers"]
    table.columns.append(Column("Age", "INTEGER", "numeric", nullable=False))
    names = [t.name for t in emit_tests(manifest, profile) if t.kind == "not_null"]
    assert "shive_not_null_customers_age" in names
    assert len(names) == len(set(names))


def test_newer_profile_format_is_refused(manifest: Manifest, profile: dict) -> None:
    with pytest.raises(DataTestError, match="format version"):
        emit_tests(manifest, {**profile, "format_version": 99})


def test_declared_where_filters_and_enabled_false(manifest: Manifest, profile: dict) -> None:
    status = manifest.tables["orders"].column("status")
    status.tests.append(DataTest("not_null", "status", {"where": "amount > 100"}))
    status.tests.append(DataTest("unique", "status", {"enabled": False}))
    tests = by_name(emit_tests(manifest, profile))
    filtered = tests["shive_not_null_orders_status"]
    assert "WHERE\n    amount > 100\n) AS filtered" in filtered.sql
    assert "(where amount > 100)" in filtered.description
    assert "shive_unique_orders_status" not in tests


def test_settings_as_the_project_loader_dumps_them(manifest: Manifest, profile: dict) -> None:
    # unset keys of the project's settings model are absent or None: defaults apply
    manifest.settings = {"data_tests": {"ks_threshold": 0.05, "tvd_threshold": None, "severity": {"integrity": None}}}
    tests = by_name(emit_tests(manifest, profile))
    assert tests["shive_ks_orders_amount"].threshold == 0.05
    assert tests["shive_tv_orders_status"].threshold == 0.2
    assert tests["shive_unique_orders_order_id"].severity == "error"
