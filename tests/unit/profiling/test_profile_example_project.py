"""The shop example read by the real project loader profiles as the hand-built manifest does.

The other profiling tests build their manifest by hand, so they pin profiling alone;
this one checks that the hand-built manifest says what ``examples/shop`` declares.
"""

from __future__ import annotations

import pytest
from profiling_helpers import SHOP_DIR, SHOP_ORDER, register_parquet_views, shop_manifest

from synthohive_dbt.profiling import profile_project


@pytest.fixture
def loaded():
    loader = pytest.importorskip("synthohive_dbt.project.loader")
    sources = pytest.importorskip("synthohive_dbt.project.sources")
    manifest = loader.load_project(SHOP_DIR)
    con = sources.open_real_connection(manifest)
    yield manifest, con
    con.close()


def test_example_declares_the_keys_the_tests_assume(loaded):
    manifest, _ = loaded
    by_hand = shop_manifest()
    assert [t.name for t in manifest.synth_tables()] == SHOP_ORDER
    assert [t.name for t in manifest.derived_tables()] == ["customer_ltv"]
    for name in SHOP_ORDER:
        real, hand = manifest.tables[name], by_hand.tables[name]
        assert real.primary_key == hand.primary_key, name
        assert [(fk.columns, fk.parent, fk.parent_columns) for fk in real.foreign_keys] == [
            (fk.columns, fk.parent, fk.parent_columns) for fk in hand.foreign_keys
        ], name
        assert {c.name for c in real.columns if c.pii} == {c.name for c in hand.columns if c.pii}, (
            name
        )
    assert manifest.tables["promotions"].synth.mode == "copy"


def test_example_profiles_the_same_through_the_loader(loaded, con):
    manifest, real_con = loaded
    register_parquet_views(con, {n: SHOP_DIR / "data" / f"{n}.parquet" for n in SHOP_ORDER})
    through_loader = profile_project(manifest, real_con, progress=True)["tables"]
    by_hand = profile_project(shop_manifest(), con, progress=False)["tables"]
    for name in SHOP_ORDER:
        assert through_loader[name]["row_count"] == by_hand[name]["row_count"]
        assert through_loader[name]["foreign_keys"] == by_hand[name]["foreign_keys"]
        for column, stats in by_hand[name]["columns"].items():
            real = through_loader[name]["columns"][column]
            assert (
                real["null_count"] == stats["null_count"]
                and real["distinct_count"] == stats["distinct_count"]
            )
            assert (
                real["quantiles"] == stats["quantiles"]
                and real["top_values"] == stats["top_values"]
            )
