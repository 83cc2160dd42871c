"""The profile of the shop example, checked against the same figures from pandas/numpy.

DuckDB computes the profile; pandas reads the Parquet files independently. Any
disagreement in counts, nulls, distinct values, moments, quantiles, top values or
children-per-parent histograms fails here.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
from profiling_helpers import SHOP_DATA, SHOP_ORDER, register_parquet_views, shop_manifest

from synthohive_dbt.profiling import (
    QUANTILE_LEVELS,
    check_keys,
    load_profile,
    profile_project,
    training_relation_sql,
    write_profile,
)

NUMERIC = {
    "customers": ["age", "credit_limit"],
    "products": ["unit_price"],
    "orders": ["shipping_cost", "total_amount"],
    "order_items": ["quantity", "unit_price", "discount"],
}
CATEGORICAL = {
    "customers": ["segment", "country", "is_active"],
    "products": ["category"],
    "orders": ["status", "channel", "is_gift"],
    "order_items": ["discount"],
}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(SHOP_DATA / f"{name}.parquet") for name in SHOP_ORDER}


@pytest.fixture(scope="module")
def profile() -> dict:
    """Profiled once per module: the tests below only read it."""
    con = duckdb.connect(":memory:")
    register_parquet_views(con, {name: SHOP_DATA / f"{name}.parquet" for name in SHOP_ORDER})
    try:
        return profile_project(shop_manifest(), con, progress=False)
    finally:
        con.close()


def as_float(series: pd.Series) -> np.ndarray:
    return series.dropna().astype(float).to_numpy()


def test_every_synth_model_is_profiled_with_its_row_count(profile, frames):
    assert profile["format_version"] == 1
    assert profile["project"] == "test"
    assert list(profile["tables"]) == SHOP_ORDER
    for name, frame in frames.items():
        table = profile["tables"][name]
        assert table["row_count"] == len(frame)
        assert table["source_row_count"] == len(frame)
        assert set(table["columns"]) == set(frame.columns)
    assert profile["tables"]["promotions"]["mode"] == "copy"


def test_null_and_distinct_counts_match_pandas(profile, frames):
    for name, frame in frames.items():
        for column, series in frame.items():
            stats = profile["tables"][name]["columns"][column]
            assert stats["null_count"] == int(series.isna().sum()), (name, column)
            assert stats["null_rate"] == pytest.approx(series.isna().mean()), (name, column)
            assert stats["distinct_count"] == series.nunique(dropna=True), (name, column)
            assert stats["distinct_exact"] is True
    assert profile["tables"]["customers"]["columns"]["age"]["null_count"] > 0
    assert profile["tables"]["orders"]["columns"]["promotion_id"]["null_rate"] == pytest.approx(
        0.74, abs=0.03
    )


def test_numeric_moments_and_quantiles_match_numpy(profile, frames):
    for name, columns in NUMERIC.items():
        for column in columns:
            values = as_float(frames[name][column])
            stats = profile["tables"][name]["columns"][column]
            assert stats["kind"] == "numeric"
            assert stats["min"] == pytest.approx(values.min())
            assert stats["max"] == pytest.approx(values.max())
            assert stats["mean"] == pytest.approx(values.mean(), rel=1e-9)
            assert stats["std"] == pytest.approx(values.std(ddof=1), rel=1e-9)
            assert len(stats["quantiles"]) == 101
            expected = np.quantile(values, QUANTILE_LEVELS)  # linear, as quantile_cont
            np.testing.assert_allclose(stats["quantiles"], expected, rtol=1e-9, atol=1e-9)


def test_integer_bounds_stay_integers(profile):
    age = profile["tables"]["customers"]["columns"]["age"]
    assert isinstance(age["min"], int) and isinstance(age["max"], int)
    assert 18 <= age["min"] < age["max"] <= 100


def test_datetime_bounds_are_iso_text_and_moments_epoch_seconds(profile, frames):
    signup = frames["customers"]["signup_date"]
    stats = profile["tables"]["customers"]["columns"]["signup_date"]
    assert stats["kind"] == "datetime"
    assert stats["min"] == signup.min().isoformat()
    assert stats["max"] == signup.max().isoformat()
    assert isinstance(date.fromisoformat(stats["min"]), date)
    seconds = pd.to_datetime(signup).astype("datetime64[s]").astype("int64").to_numpy()
    assert stats["mean"] == pytest.approx(seconds.mean())
    assert stats["std"] == pytest.approx(seconds.std(ddof=1))

    ordered = frames["orders"]["ordered_at"]
    stats = profile["tables"]["orders"]["columns"]["ordered_at"]
    assert datetime.fromisoformat(stats["min"]) == ordered.min().to_pydatetime()
    assert datetime.fromisoformat(stats["max"]) == ordered.max().to_pydatetime()
    epoch = ordered.astype("datetime64[us]").astype("int64").to_numpy() / 1e6
    expected = np.quantile(epoch, QUANTILE_LEVELS)
    got = [
        datetime.fromisoformat(q).timestamp() - datetime(1970, 1, 1).timestamp()
        for q in stats["quantiles"]
    ]
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_top_values_match_pandas_value_counts(profile, frames):
    for name, columns in CATEGORICAL.items():
        for column in columns:
            series = frames[name][column].dropna()
            stats = profile["tables"][name]["columns"][column]
            counts = series.astype(str).str.lower() if series.dtype == bool else series.astype(str)
            expected = counts.value_counts()
            got = {tv["value"]: tv["count"] for tv in stats["top_values"]}
            assert got == {k: int(v) for k, v in expected.items()}, (name, column)
            counts_in_order = [tv["count"] for tv in stats["top_values"]]
            assert counts_in_order == sorted(counts_in_order, reverse=True)
            for tv in stats["top_values"]:
                assert tv["frequency"] == pytest.approx(tv["count"] / len(series))


def test_decimal_top_values_keep_their_scale(profile, frames):
    top = profile["tables"]["customers"]["columns"]["credit_limit"]["top_values"]
    expected = frames["customers"]["credit_limit"].astype(str).value_counts()
    assert top[0]["value"] == expected.index[0]
    assert top[0]["value"].endswith(".00")


def test_unique_columns_and_pii_keep_no_literal_values(profile):
    customers = profile["tables"]["customers"]["columns"]
    # a value seen once would name a row: ids and unique skus are never listed
    assert customers["customer_id"]["top_values"] == []
    assert profile["tables"]["products"]["columns"]["sku"]["top_values"] == []
    for column in ("email", "full_name"):
        stats = customers[column]
        assert stats["pii"] is True
        assert stats["top_values"] == []
        assert stats["min"] is None and stats["max"] is None and stats["quantiles"] is None
        assert stats["distinct_count"] > 500
    text = json.dumps(profile)
    assert "@example" not in text  # no e-mail address in the profile at all


def children_histogram(
    child: pd.DataFrame, parent: pd.DataFrame, fk: list[str], pk: list[str]
) -> dict[str, int]:
    counts = child.dropna(subset=fk).groupby(fk).size().rename("n").reset_index()
    joined = parent[pk].merge(counts, left_on=pk, right_on=fk, how="left")
    per_parent = joined["n"].fillna(0).astype(int)
    return {str(k): int(v) for k, v in per_parent.value_counts().sort_index().items()}


@pytest.mark.parametrize(
    ("child", "fk_column", "parent", "pk"),
    [
        ("orders", "customer_id", "customers", "customer_id"),
        ("orders", "promotion_id", "promotions", "promotion_id"),
        ("order_items", "order_id", "orders", "order_id"),
        ("order_items", "product_id", "products", "product_id"),
    ],
)
def test_child_count_histograms_match_pandas(profile, frames, child, fk_column, parent, pk):
    fks = {fk["columns"][0]: fk for fk in profile["tables"][child]["foreign_keys"]}
    fk = fks[fk_column]
    expected = children_histogram(frames[child], frames[parent], [fk_column], [pk])
    per_parent = np.repeat([int(k) for k in expected], list(expected.values()))
    assert fk["parent"] == parent and fk["parent_columns"] == [pk]
    assert fk["child_count"]["histogram"] == expected
    assert fk["child_count"]["parents"] == len(frames[parent])
    assert fk["child_count"]["mean"] == pytest.approx(per_parent.mean())
    assert fk["child_count"]["std"] == pytest.approx(per_parent.std(ddof=1))
    assert fk["child_count"]["max"] == per_parent.max()
    assert fk["orphan_count"] == 0
    assert fk["null_count"] == int(frames[child][fk_column].isna().sum())


def test_customers_without_orders_count_as_zero(profile, frames):
    histogram = profile["tables"]["orders"]["foreign_keys"][0]["child_count"]["histogram"]
    without = len(set(frames["customers"]["customer_id"]) - set(frames["orders"]["customer_id"]))
    assert without > 0
    assert histogram["0"] == without


def test_keys_of_the_example_are_sound(profile, shop):
    manifest, con = shop
    items = profile["tables"]["order_items"]
    assert items["primary_key"] == {
        "columns": ["order_id", "line_no"],
        "duplicate_count": 0,
        "null_count": 0,
        "unique": True,
    }
    assert profile["tables"]["products"]["unique_keys"][0]["unique"] is True
    findings = check_keys(manifest, con)
    assert all(f.status == "pass" for f in findings)


def test_clean_training_relation_reads_every_row(shop, frames):
    manifest, con = shop
    findings = check_keys(manifest, con)
    for name in SHOP_ORDER:
        for sql in (
            training_relation_sql(manifest, name),
            training_relation_sql(manifest, name, findings=findings),
        ):
            (rows,) = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()
            assert rows == len(frames[name])
    # with the findings, a clean project reads its views as they are
    assert (
        training_relation_sql(manifest, "order_items", findings=findings)
        == 'SELECT * FROM "order_items"'
    )


def test_profile_round_trips_through_json(profile, tmp_path):
    path = write_profile(profile, tmp_path / "target" / "profile.json")
    assert load_profile(path) == profile
    assert [p.name for p in path.parent.iterdir()] == ["profile.json"]  # no temporary left


def test_profiling_twice_gives_the_same_profile(shop, profile):
    manifest, con = shop
    again = profile_project(manifest, con, progress=False)
    assert {**again, "generated_at": None} == {**profile, "generated_at": None}


def test_a_subset_of_tables(shop):
    manifest, con = shop
    profile = profile_project(manifest, con, tables=["order_items"], progress=False)
    assert list(profile["tables"]) == ["order_items"]
    assert profile["tables"]["order_items"]["foreign_keys"][0]["child_count"]["parents"] > 0
