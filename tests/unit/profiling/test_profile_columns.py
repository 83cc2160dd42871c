"""Column statistics on small hand-made tables: quoting, kinds, PII, sketches, edge cases."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest
from profiling_helpers import make_manifest, make_table

from synthohive_dbt.errors import ProfileError
from synthohive_dbt.profiling import (
    PROFILE_FORMAT_VERSION,
    ProfileOptions,
    infer_kind,
    load_profile,
    profile_project,
    quote_identifier,
    type_family,
    write_profile,
)
from synthohive_dbt.project.model import Column, PiiConfig


def profile_of(
    con, tmp_path, sql: str, name: str = "t", options: ProfileOptions | None = None, **table_kw
):
    """Create table ``name`` from ``sql`` and profile it with columns as DuckDB describes them."""
    con.execute(f"CREATE TABLE {quote_identifier(name)} AS {sql}")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [name],
    ).fetchall()
    columns = dict(rows)
    table = make_table(name, columns, **table_kw)
    profile = profile_project(
        make_manifest([table], tmp_path), con, progress=False, options=options
    )
    return profile["tables"][name]["columns"]


def test_odd_identifiers_are_quoted(con, tmp_path):
    sql = 'SELECT range AS "select", range % 3 AS "two words", \'x\' || (range % 2) AS "quo""te" FROM range(10)'
    columns = profile_of(con, tmp_path, sql, name='my "odd" table')
    assert set(columns) == {"select", "two words", 'quo"te'}
    assert columns["select"]["max"] == 9
    assert columns["two words"]["distinct_count"] == 3
    assert {tv["value"] for tv in columns['quo"te']["top_values"]} == {"x0", "x1"}


def test_values_seen_fewer_than_min_count_times_are_not_kept_unless_asked(con, tmp_path):
    # the default is privacy.min_count's: 5
    sql = ("SELECT v FROM (VALUES ('a', 6), ('b', 5), ('c', 4), ('d', 1)) t(v, n), "
           "range(n)")  # fmt: skip
    columns = profile_of(con, tmp_path, sql)
    assert [(tv["value"], tv["count"]) for tv in columns["v"]["top_values"]] == [("a", 6), ("b", 5)]
    assert columns["v"]["top_values"][0]["frequency"] == pytest.approx(6 / 16)
    assert columns["v"]["distinct_count"] == 4
    columns = profile_of(
        con, tmp_path, "SELECT * FROM t", name="t2", options=ProfileOptions(min_value_count=1)
    )
    assert [tv["value"] for tv in columns["v"]["top_values"]] == ["a", "b", "c", "d"]


def test_top_k_keeps_the_most_frequent_with_ties_in_value_order(con, tmp_path):
    sql = "SELECT (range % 5)::VARCHAR AS v FROM range(100) UNION ALL SELECT '4' FROM range(3)"
    columns = profile_of(con, tmp_path, sql, options=ProfileOptions(top_k=3))
    assert [(tv["value"], tv["count"]) for tv in columns["v"]["top_values"]] == [
        ("4", 23),
        ("0", 20),
        ("1", 20),
    ]
    assert columns["v"]["distinct_count"] == 5


def test_pii_numeric_column_keeps_aggregates_but_no_literals(con, tmp_path):
    sql = "SELECT range AS id, (range % 7) * 1000 AS salary FROM range(50)"
    columns = profile_of(con, tmp_path, sql, pii={"salary": "salary"})
    salary = columns["salary"]
    assert salary["pii"] is True
    assert salary["min"] is None and salary["max"] is None and salary["quantiles"] is None
    assert salary["top_values"] == []
    expected = np.array([(i % 7) * 1000 for i in range(50)], dtype=float)
    assert salary["mean"] == pytest.approx(expected.mean())
    assert salary["distinct_count"] == 7


def test_all_null_column_and_single_value_column(con, tmp_path):
    sql = "SELECT NULL::DOUBLE AS empty, CASE WHEN range = 0 THEN 5 END AS one FROM range(4)"
    columns = profile_of(con, tmp_path, sql)
    empty = columns["empty"]
    assert (empty["null_count"], empty["null_rate"], empty["distinct_count"]) == (4, 1.0, 0)
    assert empty["min"] is None and empty["mean"] is None and empty["quantiles"] is None
    assert empty["top_values"] == []
    one = columns["one"]
    assert one["std"] is None  # the sample std of one value is undefined
    assert one["quantiles"] == [5.0] * 101


def test_sketched_columns_find_heavy_hitters_with_exact_counts(con, tmp_path):
    sql = (
        "SELECT CASE WHEN range % 10 = 0 THEN 19.99 ELSE range * 1.5 END AS amount, "
        "'user' || range || '@example.com' AS email FROM range(5000)"
    )
    columns = profile_of(
        con, tmp_path, sql, pii={"email": "email"}, options=ProfileOptions(max_exact_distinct=0)
    )
    amount = columns["amount"]
    assert amount["distinct_exact"] is False
    # a HyperLogLog estimate: DuckDB 1.1's reads 5,000, later releases closer to 4,501
    assert amount["distinct_count"] == pytest.approx(4501, rel=0.15)
    assert amount["top_values"][0]["value"].startswith("19.99")
    assert amount["top_values"][0]["count"] == 500
    assert len(amount["top_values"]) == 1  # every other value occurs once
    assert columns["email"]["top_values"] == []


def test_approximate_quantiles_keep_exact_bounds(con, tmp_path):
    sql = "SELECT (hash(range) % 100000)::DOUBLE AS x FROM range(20000)"
    exact = profile_of(con, tmp_path, sql)["x"]
    approx = profile_of(
        con, tmp_path, "SELECT * FROM t", name="t2", options=ProfileOptions(exact_quantiles_up_to=0)
    )["x"]
    assert approx["quantiles"][0] == exact["min"] and approx["quantiles"][100] == exact["max"]
    np.testing.assert_allclose(
        approx["quantiles"][1:100], exact["quantiles"][1:100], rtol=0.05, atol=500
    )
    assert approx["quantiles"] != exact["quantiles"]  # the t-digest really ran


def test_timezone_aware_timestamps_render_with_offset(con, tmp_path):
    con.execute("SET TimeZone = 'UTC'")
    sql = "SELECT TIMESTAMPTZ '2024-03-01 10:00:00+00' + to_hours(range) AS at FROM range(3)"
    at = profile_of(con, tmp_path, sql)["at"]
    assert at["kind"] == "datetime"
    assert at["min"] == "2024-03-01T10:00:00+00:00"
    assert datetime.fromisoformat(at["max"]).hour == 12
    assert len(at["quantiles"]) == 101


def test_declared_kind_wins_over_the_type(con, tmp_path):
    con.execute("CREATE TABLE r AS SELECT (range % 5) + 1 AS stars FROM range(25)")
    table = make_table("r", {"stars": "BIGINT"})
    table.columns = [Column("stars", "BIGINT", kind="categorical")]
    stats = profile_project(make_manifest([table], tmp_path), con, progress=False)["tables"]["r"][
        "columns"
    ]["stars"]
    assert stats["kind"] == "categorical"
    assert stats["mean"] is None and stats["quantiles"] is None
    assert len(stats["top_values"]) == 5


def test_a_declared_column_missing_from_the_model(con, tmp_path):
    con.execute("CREATE TABLE c AS SELECT 1 AS id, 'x' AS email")
    table = make_table("c", {"id": "INTEGER", "email": "VARCHAR"})
    table.columns.append(Column("emial", "VARCHAR", pii=PiiConfig()))
    with pytest.raises(ProfileError) as info:
        profile_project(make_manifest([table], tmp_path), con, progress=False)
    assert info.value.table == "c" and info.value.column == "emial"
    assert "did you mean 'email'" in info.value.hint


@pytest.mark.parametrize(
    ("data_type", "family", "kind"),
    [
        ("INTEGER", "numeric", "numeric"),
        ("DECIMAL(12,2)", "numeric", "numeric"),
        ("DOUBLE", "numeric", "numeric"),
        ("DATE", "datetime", "datetime"),
        ("TIMESTAMP WITH TIME ZONE", "datetime", "datetime"),
        ("BOOLEAN", "boolean", "boolean"),
        ("VARCHAR", "other", "categorical"),
        ("TIME", "other", "categorical"),
    ],
)
def test_type_family_and_inferred_kind(data_type, family, kind):
    assert type_family(data_type) == family
    assert infer_kind(data_type) == kind


def test_load_profile_errors_say_what_to_run(tmp_path):
    with pytest.raises(ProfileError, match="no profile found") as info:
        load_profile(tmp_path / "profile.json")
    assert "shive profile" in info.value.hint
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ProfileError, match="cannot be read"):
        load_profile(broken)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ProfileError, match="not a shive profile"):
        load_profile(other)
    newer = write_profile(
        {"format_version": PROFILE_FORMAT_VERSION + 1, "tables": {}}, tmp_path / "newer.json"
    )
    with pytest.raises(ProfileError, match="newer than this shive reads") as info:
        load_profile(newer)
    assert "upgrade" in info.value.hint


def test_write_profile_refuses_non_finite_numbers(tmp_path):
    with pytest.raises(ValueError):
        write_profile({"format_version": 1, "tables": {}, "x": float("nan")}, tmp_path / "p.json")
    assert list(tmp_path.iterdir()) == []
