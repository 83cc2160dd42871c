"""Key checks: each broken key fails with the table, key, counts, an example and a fix."""

from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from profiling_helpers import make_manifest, make_table, register_parquet_views

from synthohive_dbt.errors import ProfileError, ProjectError
from synthohive_dbt.profiling import (
    check_keys,
    child_count_distribution,
    profile_project,
    training_relation_sql,
)
from synthohive_dbt.project.model import ForeignKey


def parent_child(con, tmp_path, parents: str, children: str, *, policy="warn", not_null=None):
    """customers(id) <- orders(id, customer_id), from VALUES lists."""
    con.execute(f"CREATE TABLE customers AS SELECT * FROM (VALUES {parents}) t(id, segment)")
    con.execute(
        f"CREATE TABLE orders AS SELECT * FROM (VALUES {children}) t(id, customer_id, amount)"
    )
    fk = ForeignKey(["customer_id"], "customers", ["id"], orphan_policy=policy)
    customers = make_table("customers", {"id": "INTEGER", "segment": "VARCHAR"}, primary_key=["id"])
    orders = make_table(
        "orders",
        {"id": "INTEGER", "customer_id": "INTEGER", "amount": "DOUBLE"},
        primary_key=["id"],
        foreign_keys=[fk],
        not_null=not_null,
    )
    return make_manifest([customers, orders], tmp_path)


PARENTS = "(1, 'a'), (2, 'b'), (3, 'a')"


def test_duplicate_primary_key_names_table_key_counts_and_example(con, tmp_path):
    manifest = parent_child(
        con, tmp_path, "(1, 'a'), (2, 'b'), (2, 'c'), (2, 'd'), (3, 'e'), (3, 'f')", "(1, 1, 1.0)"
    )
    with pytest.raises(ProfileError) as info:
        check_keys(manifest, con)
    err = info.value
    assert err.table == "customers" and err.column == "id"
    assert "primary key id of customers is not unique" in err.message
    assert "2 key value(s) occur more than once (3 duplicate rows)" in err.message
    assert "id=2 occurs 3 times" in err.message
    assert "qualify row_number() over (partition by id" in err.hint
    assert "models/customers.sql" in err.hint


def test_duplicate_composite_key(con, tmp_path):
    con.execute(
        "CREATE TABLE items AS SELECT * FROM (VALUES (1, 1, 'x'), (1, 2, 'y'), (1, 2, 'z')) t(o, l, v)"
    )
    items = make_table(
        "items", {"o": "INTEGER", "l": "INTEGER", "v": "VARCHAR"}, primary_key=["o", "l"]
    )
    with pytest.raises(ProfileError) as info:
        check_keys(make_manifest([items], tmp_path), con)
    assert "primary key (o, l) of items is not unique" in info.value.message
    assert "o=1, l=2 occurs 2 times" in info.value.message
    assert info.value.column is None and info.value.table == "items"


def test_null_primary_key(con, tmp_path):
    manifest = parent_child(con, tmp_path, "(1, 'a'), (NULL, 'b'), (NULL, 'c')", "(1, 1, 1.0)")
    with pytest.raises(ProfileError) as info:
        check_keys(manifest, con)
    assert "primary key id of customers is null in 2 of 3 rows" in info.value.message
    assert "where id is not null" in info.value.hint


def test_duplicate_unique_key_fails_but_nulls_are_allowed(con, tmp_path):
    con.execute(
        "CREATE TABLE p AS SELECT * FROM (VALUES (1, 'A'), (2, 'A'), (3, NULL), (4, NULL)) t(id, sku)"
    )
    table = make_table(
        "p", {"id": "INTEGER", "sku": "VARCHAR"}, primary_key=["id"], unique_keys=[["sku"]]
    )
    with pytest.raises(ProfileError) as info:
        check_keys(make_manifest([table], tmp_path), con)
    assert "unique key sku of p is not unique: 1 key value(s)" in info.value.message
    assert "sku='A' occurs 2 times" in info.value.message


def test_orphans_with_policy_error_fail_with_counts_and_examples(con, tmp_path):
    manifest = parent_child(
        con,
        tmp_path,
        PARENTS,
        "(10, 1, 1.0), (11, 9, 2.0), (12, 9, 3.0), (13, 8, 4.0), (14, NULL, 5.0)",
        policy="error",
    )
    with pytest.raises(ProfileError) as info:
        check_keys(manifest, con)
    message = info.value.message
    assert "foreign key customer_id of orders -> customers(id)" in message
    assert "3 of 5 rows (60.00%) have no parent row" in message
    assert "customer_id=9 (2 rows), customer_id=8 (1 row)" in message
    assert "orphans: drop" in info.value.hint
    assert info.value.table == "orders" and info.value.column == "customer_id"


def test_orphans_with_policy_warn_are_logged_and_left_out(con, tmp_path, caplog):
    manifest = parent_child(
        con, tmp_path, PARENTS, "(10, 1, 1.0), (11, 9, 2.0), (12, NULL, 3.0), (13, 3, 4.0)"
    )
    with caplog.at_level(logging.WARNING, logger="synthohive_dbt.profiling"):
        findings = check_keys(manifest, con)
    fk = next(f for f in findings if f.check == "foreign_key")
    assert (fk.status, fk.action, fk.orphan_count, fk.null_count) == ("warn", "drop", 1, 1)
    assert any(
        "1 of 4 rows" in r.getMessage() and "left out of training" in r.getMessage()
        for r in caplog.records
    )
    rows = con.execute(
        f"SELECT id FROM ({training_relation_sql(manifest, 'orders')}) ORDER BY id"
    ).fetchall()
    assert rows == [(10,), (12,), (13,)]  # the orphan is gone, the null key stays
    profile = profile_project(manifest, con, progress=False)["tables"]["orders"]
    assert (profile["row_count"], profile["source_row_count"]) == (3, 4)
    assert profile["foreign_keys"][0]["orphan_count"] == 1
    assert profile["foreign_keys"][0]["orphan_action"] == "drop"


def test_orphans_with_policy_drop_are_left_out_silently(con, tmp_path, caplog):
    manifest = parent_child(con, tmp_path, PARENTS, "(10, 1, 1.0), (11, 9, 2.0)", policy="drop")
    with caplog.at_level(logging.WARNING, logger="synthohive_dbt.profiling"):
        findings = check_keys(manifest, con)
    assert not caplog.records
    assert next(f for f in findings if f.check == "foreign_key").status == "pass"
    assert con.execute(
        f"SELECT count(*) FROM ({training_relation_sql(manifest, 'orders')})"
    ).fetchone() == (1,)


def test_orphans_with_policy_null_keep_the_row_without_its_key(con, tmp_path):
    manifest = parent_child(con, tmp_path, PARENTS, "(10, 1, 1.0), (11, 9, 2.0)", policy="null")
    check_keys(manifest, con)
    rows = con.execute(
        f"SELECT * FROM ({training_relation_sql(manifest, 'orders')}) ORDER BY id"
    ).fetchall()
    assert rows == [(10, 1, 1.0), (11, None, 2.0)]


def test_policy_null_on_a_not_null_key_is_an_error(con, tmp_path):
    manifest = parent_child(
        con,
        tmp_path,
        PARENTS,
        "(10, 1, 1.0), (11, 9, 2.0)",
        policy="null",
        not_null=["customer_id"],
    )
    with pytest.raises(ProfileError) as info:
        check_keys(manifest, con)
    assert "customer_id is declared not null" in info.value.message
    assert "orphans: drop" in info.value.hint


def test_orphans_cascade_down_a_chain(con, tmp_path):
    """An order dropped as an orphan takes its items with it."""
    manifest = parent_child(con, tmp_path, PARENTS, "(10, 1, 1.0), (11, 9, 2.0)", policy="drop")
    con.execute(
        "CREATE TABLE items AS SELECT * FROM (VALUES (10, 1), (11, 1), (11, 2)) t(order_id, line)"
    )
    items = make_table(
        "items",
        {"order_id": "INTEGER", "line": "INTEGER"},
        primary_key=["order_id", "line"],
        foreign_keys=[ForeignKey(["order_id"], "orders", ["id"], orphan_policy="drop")],
    )
    manifest = make_manifest([*manifest.tables.values(), items], tmp_path)
    findings = check_keys(manifest, con)
    fk = next(f for f in findings if f.table == "items" and f.check == "foreign_key")
    assert fk.orphan_count == 2  # order 11 exists in the source but is not a training row
    rows = con.execute(
        f"SELECT * FROM ({training_relation_sql(manifest, 'items', findings=findings)})"
    ).fetchall()
    assert rows == [(10, 1)]


def test_empty_table_fails_with_its_source_file(con, tmp_path):
    path = tmp_path / "customers.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.int32())}), path)
    register_parquet_views(con, {"customers": path})
    table = make_table("customers", {"id": "INTEGER"}, primary_key=["id"])
    manifest = make_manifest([table], tmp_path, locations={"customers": str(path)})
    with pytest.raises(ProfileError) as info:
        profile_project(manifest, con, progress=False)
    assert "model customers has no rows" in info.value.message
    assert str(path) in info.value.message
    assert "models/customers.sql" in info.value.hint and "--exclude" in info.value.hint


def test_all_rows_orphaned_leaves_nothing_to_profile(con, tmp_path):
    manifest = parent_child(con, tmp_path, PARENTS, "(10, 8, 1.0), (11, 9, 2.0)", policy="drop")
    with pytest.raises(ProfileError) as info:
        profile_project(manifest, con, progress=False)
    assert "orders has 2 rows, but none is left" in info.value.message


def test_every_key_problem_is_reported_in_one_run(con, tmp_path, caplog):
    manifest = parent_child(con, tmp_path, "(1, 'a'), (1, 'b')", "(10, 1, 1.0), (10, 1, 2.0)")
    with (
        caplog.at_level(logging.ERROR, logger="synthohive_dbt.profiling"),
        pytest.raises(ProfileError) as info,
    ):
        check_keys(manifest, con)
    assert info.value.table == "customers"
    assert "(and 1 more key problem(s), logged above)" in info.value.message
    assert any("orders" in r.getMessage() for r in caplog.records)
    findings = check_keys(manifest, con, raise_errors=False)
    assert [f.table for f in findings if f.failed] == ["customers", "orders"]


def test_self_reference_does_not_recurse(con, tmp_path):
    con.execute(
        "CREATE TABLE staff AS SELECT * FROM (VALUES (1, NULL), (2, 1), (3, 1), (4, 99)) t(id, boss)"
    )
    table = make_table(
        "staff",
        {"id": "INTEGER", "boss": "INTEGER"},
        primary_key=["id"],
        foreign_keys=[ForeignKey(["boss"], "staff", ["id"], orphan_policy="null")],
    )
    manifest = make_manifest([table], tmp_path)
    findings = check_keys(manifest, con)
    assert next(f for f in findings if f.check == "foreign_key").orphan_count == 1
    rows = con.execute(
        f"SELECT boss FROM ({training_relation_sql(manifest, 'staff')}) ORDER BY id"
    ).fetchall()
    assert rows == [(None,), (1,), (1,), (None,)]


def test_composite_foreign_key_child_counts(con, tmp_path):
    con.execute(
        "CREATE TABLE o AS SELECT * FROM (VALUES (1, 'a'), (1, 'b'), (2, 'a'), (3, 'c')) t(shop, code)"
    )
    con.execute(
        "CREATE TABLE l AS SELECT * FROM (VALUES (1, 'a', 1), (1, 'a', 2), (1, 'b', 1), (2, 'a', 1),"
        " (2, 'a', 2), (2, 'a', 3), (NULL, 'a', 9)) t(shop, code, line)"
    )
    parent = make_table("o", {"shop": "INTEGER", "code": "VARCHAR"}, primary_key=["shop", "code"])
    fk = ForeignKey(["shop", "code"], "o", ["shop", "code"])
    child = make_table(
        "l", {"shop": "INTEGER", "code": "VARCHAR", "line": "INTEGER"}, foreign_keys=[fk]
    )
    manifest = make_manifest([parent, child], tmp_path)
    counts = child_count_distribution(manifest, con, "l", fk)
    assert counts["histogram"] == {"0": 1, "1": 1, "2": 1, "3": 1}
    assert counts["parents"] == 4 and counts["max"] == 3
    assert counts["mean"] == pytest.approx(1.5)
    profile = profile_project(manifest, con, progress=False)
    assert profile["tables"]["l"]["foreign_keys"][0]["null_count"] == 1


def test_unknown_model_in_selection(con, tmp_path):
    manifest = parent_child(con, tmp_path, PARENTS, "(10, 1, 1.0)")
    with pytest.raises(ProjectError) as info:
        profile_project(manifest, con, tables=["order"], progress=False)
    assert "unknown model 'order'" in info.value.message
    assert "orders" in info.value.hint


def test_missing_view_is_a_profile_error(con, tmp_path):
    table = make_table("ghost", {"id": "INTEGER"}, primary_key=["id"])
    with pytest.raises(ProfileError) as info:
        check_keys(make_manifest([table], tmp_path), con)
    assert info.value.table == "ghost"
    assert "could not count the rows" in info.value.message
    assert "shive validate" in info.value.hint
    assert info.value.__cause__ is not None


def test_foreign_key_to_a_derived_model_is_rejected(con, tmp_path):
    manifest = parent_child(con, tmp_path, PARENTS, "(10, 1, 1.0)")
    manifest.tables["customers"].materialized = "derived"
    with pytest.raises(ProfileError) as info:
        training_relation_sql(manifest, "orders")
    assert "not a synth model" in info.value.message
