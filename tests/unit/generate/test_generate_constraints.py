"""Row rules while sampling, and SQL verification of written tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from synthohive_dbt.errors import ConstraintViolation, GenerationError
from synthohive_dbt.generate.constraints import verify_table
from synthohive_dbt.project.model import (
    CheckConstraint,
    Column,
    DataTest,
    ForeignKey,
    Manifest,
    Table,
)
from synthohive_dbt.relations.constraints import check_bounds, row_predicate
from synthohive_dbt.relations.frames import ChunkCaster


def _customers() -> Table:
    return Table(
        name="customers",
        materialized="synth",
        path="models/customers.sql",
        raw_sql="",
        compiled_sql="",
        columns=[
            Column("customer_id", "BIGINT", "numeric", nullable=False),
            Column(
                "segment",
                "VARCHAR",
                "categorical",
                nullable=False,
                tests=[DataTest("accepted_values", config={"values": ["basic", "premium"]})],
            ),
            Column("age", "INTEGER", "numeric"),
        ],
        primary_key=["customer_id"],
        checks=[CheckConstraint("age between 18 and 100", column="age")],
    )


def _orders() -> Table:
    return Table(
        name="orders",
        materialized="synth",
        path="models/orders.sql",
        raw_sql="",
        compiled_sql="",
        columns=[
            Column("order_id", "BIGINT", "numeric", nullable=False),
            Column("customer_id", "BIGINT", "numeric"),
        ],
        primary_key=["order_id"],
        foreign_keys=[ForeignKey(["customer_id"], "customers", ["customer_id"])],
    )


def _manifest(tmp_path: Path) -> Manifest:
    tables = {"customers": _customers(), "orders": _orders()}
    return Manifest(
        "t",
        str(tmp_path),
        str(tmp_path / "target"),
        "p",
        "dev",
        {},
        1,
        tables,
        {},
        ["customers", "orders"],
    )


def test_row_predicate_flags_rows_breaking_checks_nulls_and_values() -> None:
    table = _customers()
    frame = pd.DataFrame(
        {"segment": ["basic", "vip", None, "premium", "basic"], "age": [30, 40, 50, 12, None]}
    )
    caster = ChunkCaster(table)
    try:
        bad = caster.failing_rows(frame, row_predicate(table, frame.columns))
    finally:
        caster.close()
    # vip: not accepted; None: segment not null; 12: below the check; a null age passes
    assert bad.tolist() == [1, 2, 3]


def test_rules_on_columns_the_model_does_not_produce_are_left_out() -> None:
    assert row_predicate(_customers(), ["customer_id"]) == '("customer_id" IS NOT NULL)'


def test_simple_checks_become_numeric_bounds() -> None:
    table = _customers()
    table.checks += [CheckConstraint("age >= 21 and age < 90"), CheckConstraint("-5 <= score")]
    assert check_bounds(table) == {"age": (21.0, 90.0), "score": (-5.0, None)}


def test_a_check_with_a_query_is_refused() -> None:
    table = _customers()
    table.checks = [CheckConstraint("age in (select 1)")]
    with pytest.raises(GenerationError, match="plain expression"):
        row_predicate(table, ["age"])


def test_caster_gives_declared_types() -> None:
    caster = ChunkCaster(_customers())
    try:
        batch = caster.to_batch(
            pd.DataFrame({"customer_id": [1.0, 2.0], "segment": ["a", "b"], "age": [3, None]})
        )
    finally:
        caster.close()
    assert batch.schema.field("customer_id").type == pa.int64()
    assert batch.schema.field("age").type == pa.int32()
    assert batch.column(2).to_pylist() == [3, None]


def _write(adapter, name: str, rows: dict) -> None:
    table = pa.table(rows)
    adapter.write_table(name, table.schema, table.to_batches())


def test_verify_passes_a_sound_table_and_names_the_broken_rule(tmp_path, open_target) -> None:
    manifest = _manifest(tmp_path)
    target = open_target()
    _write(
        target,
        "customers",
        {
            "customer_id": [1, 2, 3],
            "segment": ["basic", "premium", "basic"],
            "age": pa.array([20, None, 99], pa.int32()),
        },
    )
    _write(target, "orders", {"order_id": [1, 2], "customer_id": [1, 3]})
    assert verify_table(target, manifest, manifest.tables["customers"]) == []
    assert verify_table(target, manifest, manifest.tables["orders"]) == []

    _write(target, "orders", {"order_id": [1, 2, 3], "customer_id": [1, 7, None]})
    with pytest.raises(ConstraintViolation, match="foreign key customer_id__customers") as info:
        verify_table(target, manifest, manifest.tables["orders"])
    assert info.value.count == 1 and info.value.table == "orders"


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ({"customer_id": [1, 1], "segment": ["basic", "basic"], "age": [20, 30]}, "primary key"),
        (
            {"customer_id": [1, 2], "segment": ["basic", "vip"], "age": [20, 30]},
            "accepted_values segment",
        ),
        ({"customer_id": [1, 2], "segment": ["basic", "basic"], "age": [20, 130]}, "check"),
        ({"customer_id": [1, 2], "segment": ["basic", None], "age": [20, 30]}, "not_null segment"),
    ],
)
def test_verify_catches_each_kind_of_violation(tmp_path, open_target, rows, rule) -> None:
    manifest = _manifest(tmp_path)
    target = open_target()
    _write(target, "customers", rows)
    with pytest.raises(ConstraintViolation, match=rule):
        verify_table(target, manifest, manifest.tables["customers"])
