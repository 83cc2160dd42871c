"""The profile's correlation matrix: which columns, the values pandas gives, nulls, one query."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from profiling_helpers import SHOP_ORDER, make_manifest, make_table

from synthohive_dbt.datatests import emit_tests
from synthohive_dbt.profiling import (
    ProfileOptions,
    compute_correlations,
    profile_project,
    training_relation_sql,
    write_profile,
)
from synthohive_dbt.project.model import PiiConfig

#: the learned numeric columns of the shop example: no keys, no PII
SHOP_CORRELATION_COLUMNS = {
    "customers": ["age", "credit_limit"],
    "products": ["unit_price"],
    "promotions": ["discount_pct"],
    "orders": ["shipping_cost", "total_amount"],
    "order_items": ["quantity", "unit_price", "discount"],
}


def _pandas_corr(con, manifest, table: str, columns: list[str]) -> list[list[float | None]]:
    """pandas' pairwise-complete Pearson matrix over the same training rows, NaN as None."""
    sql = training_relation_sql(manifest, table)
    frame = con.execute(f"SELECT * FROM ({sql}) AS t").df()[columns].astype(float)
    matrix = frame.corr(method="pearson").to_numpy()
    return [[None if math.isnan(v) else float(v) for v in row] for row in matrix]


def _assert_matrix_close(got: list[list[float | None]], want: list[list[float | None]]) -> None:
    assert len(got) == len(want)
    for got_row, want_row in zip(got, want, strict=True):
        for g, w in zip(got_row, want_row, strict=True):
            if w is None:
                assert g is None
            else:
                assert g == pytest.approx(w, abs=1e-9)


@pytest.fixture
def shop_profile(shop):
    manifest, con = shop
    return manifest, con, profile_project(manifest, con, progress=False)


def test_shop_columns_leave_out_keys_and_pii(shop_profile):
    _, _, profile = shop_profile
    for table in SHOP_ORDER:
        assert (
            profile["tables"][table]["correlations"]["columns"] == SHOP_CORRELATION_COLUMNS[table]
        )


def test_shop_matrices_match_pandas(shop_profile):
    manifest, con, profile = shop_profile
    for table in SHOP_ORDER:
        correlations = profile["tables"][table]["correlations"]
        want = _pandas_corr(con, manifest, table, correlations["columns"])
        _assert_matrix_close(correlations["matrix"], want)
    # not a trivially diagonal matrix: the example has real dependence between columns
    items = profile["tables"]["order_items"]["correlations"]["matrix"]
    assert abs(items[0][2]) > 0.1


def test_shop_profile_gives_correlation_tests(shop_profile):
    manifest, _, profile = shop_profile
    tests = [t for t in emit_tests(manifest, profile) if t.kind == "correlation"]
    assert {t.table: sorted(t.columns) for t in tests} == {
        "customers": ["age", "credit_limit"],
        "orders": ["shipping_cost", "total_amount"],
        "order_items": ["discount", "quantity", "unit_price"],
    }


@pytest.fixture
def awkward(con, tmp_path: Path):
    """Nulls in different rows, a constant column, a column with one value present."""
    frame = pd.DataFrame(
        {
            "id": range(1, 9),
            "a": [1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0, 9.5],
            "b": [2.0, None, 3.0, 8.0, 9.0, 1.0, None, 4.0],
            "flat": [3.0] * 8,
            "lonely": [None] * 7 + [1.0],
            "c": [8, 7, 6, 5, 4, 3, 2, 0],
        }
    )
    con.register("awkward_frame", frame)
    con.execute('CREATE VIEW "awkward" AS SELECT * FROM awkward_frame')
    columns = {"id": "BIGINT", "a": "DOUBLE", "b": "DOUBLE", "flat": "DOUBLE",
               "lonely": "DOUBLE", "c": "BIGINT"}  # fmt: skip
    table = make_table("awkward", columns, primary_key=["id"])
    return make_manifest([table], tmp_path), frame


def test_nulls_and_constant_columns_match_pandas(con, awkward, tmp_path: Path):
    manifest, frame = awkward
    profile = profile_project(manifest, con, progress=False)
    correlations = profile["tables"]["awkward"]["correlations"]
    names = ["a", "b", "flat", "lonely", "c"]
    assert correlations["columns"] == names
    want = frame[names].astype(float).corr().to_numpy()
    want = [[None if math.isnan(v) else float(v) for v in row] for row in want]
    _assert_matrix_close(correlations["matrix"], want)
    matrix = correlations["matrix"]
    assert matrix[2] == [None] * 5  # a constant column correlates with nothing, not even itself
    assert matrix[0][0] == 1.0 and matrix[3][3] is None
    assert matrix[0][1] == matrix[1][0] is not None
    # the JSON file takes it (null, never NaN)
    path = write_profile(profile, tmp_path / "profile.json")
    assert json.loads(path.read_text())["tables"]["awkward"]["correlations"]["matrix"][2][0] is None


def test_cap_keeps_the_first_columns(con, awkward):
    manifest, _ = awkward
    options = ProfileOptions(max_correlation_columns=2)
    profile = profile_project(manifest, con, progress=False, options=options)
    correlations = profile["tables"]["awkward"]["correlations"]
    assert correlations["columns"] == ["a", "b"]
    assert np.shape(correlations["matrix"]) == (2, 2)


def test_declared_pii_is_left_out_unless_kept(con, awkward):
    manifest, _ = awkward
    table = manifest.tables["awkward"]
    table.column("a").pii = PiiConfig(action="hash", secret_env="K")
    table.column("c").pii = PiiConfig(action="keep")
    profile = profile_project(manifest, con, progress=False)
    assert profile["tables"]["awkward"]["correlations"]["columns"] == ["b", "flat", "lonely", "c"]


class _Spy:
    """A connection that records every statement it runs."""

    def __init__(self, con):
        self.con, self.statements = con, []

    def execute(self, sql, *args):
        self.statements.append(sql)
        return self.con.execute(sql, *args)


def test_one_aggregate_query_per_table(con, awkward):
    spy = _Spy(con)
    result = compute_correlations(spy, "awkward", 'SELECT * FROM "awkward"', ["a", "b", "c"])
    assert len(spy.statements) == 1
    assert spy.statements[0].count("corr(") == 3  # one per pair; the diagonal needs none
    assert result["columns"] == ["a", "b", "c"]
    assert compute_correlations(spy, "awkward", 'SELECT * FROM "awkward"', []) == {
        "columns": [],
        "matrix": [],
    }
    assert len(spy.statements) == 1  # no query without columns
