"""The emitted SQL, byte for byte, for a tiny hand-written project (golden files).

Set SHIVE_UPDATE_GOLDEN=1 to rewrite the files after an intended change, then read the
diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synthohive_dbt.datatests import dbt_test_text, emit_tests
from synthohive_dbt.project.model import (
    CheckConstraint,
    Column,
    DataTest,
    ForeignKey,
    Manifest,
    Table,
)

GOLDEN = Path(__file__).parent / "golden"


def tiny_manifest() -> Manifest:
    parent = Table(
        name="shops", materialized="synth", path="m/shops.sql", raw_sql="", compiled_sql="",
        columns=[
            Column("shop_id", "INTEGER", "numeric", nullable=False),
            Column("colour", "VARCHAR", "categorical", tests=[DataTest("accepted_values", "colour", {"values": ["red", "blue"]})]),
        ],
        primary_key=["shop_id"],
    )
    child = Table(
        name="sales", materialized="synth", path="m/sales.sql", raw_sql="", compiled_sql="",
        columns=[
            Column("sale_id", "BIGINT", "numeric", nullable=False),
            Column("shop_id", "INTEGER", "numeric"),
            Column("price", "DOUBLE", "numeric"),
        ],
        primary_key=["sale_id"],
        foreign_keys=[ForeignKey(["shop_id"], "shops", ["shop_id"])],
        checks=[CheckConstraint("price >= 0", column="price")],
    )
    return Manifest(
        project_name="tiny", project_dir="/p", target_path="/p/target", profile_name="tiny", target_name="dev",
        vars={}, seed=1, tables={"shops": parent, "sales": child}, sources={}, order=["shops", "sales"],
    )


def tiny_profile() -> dict:
    quantiles = [0.0] * 11 + [float(i) for i in range(1, 91)]  # a point mass at 0
    return {
        "format_version": 1,
        "tables": {
            "shops": {
                "row_count": 10,
                "columns": {"colour": {"kind": "categorical", "null_rate": 0.0, "top_values": [
                    {"value": "red", "count": 6, "frequency": 0.6}, {"value": "it's {{blue}}", "count": 3, "frequency": 0.3},
                ]}},
            },
            "sales": {
                "row_count": 30,
                "columns": {"price": {"kind": "numeric", "null_rate": 0.1, "mean": 40.0, "std": 25.0, "quantiles": quantiles}},
                "foreign_keys": [{"name": "shop_id__shops", "columns": ["shop_id"], "parent": "shops",
                                  "parent_columns": ["shop_id"], "child_count": {"parents": 10, "mean": 3.0,
                                                                                  "histogram": {"0": 2, "3": 5, "6": 3}}}],
            },
        },
    }


TESTS = {t.name: t for t in emit_tests(tiny_manifest(), tiny_profile())}


def test_the_tiny_project_emits_these_tests() -> None:
    assert sorted(TESTS) == sorted(p.stem for p in GOLDEN.glob("*.sql"))


@pytest.mark.parametrize("name", sorted(TESTS))
def test_emitted_file_matches_golden(name: str) -> None:
    text = dbt_test_text(TESTS[name])
    path = GOLDEN / f"{name}.sql"
    if os.environ.get("SHIVE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
