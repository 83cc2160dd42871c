"""Generation end to end on the mini shop, with the bootstrap stand-in for CTGAN.

The stand-in resamples real rows, so what these tests measure is the pipeline's own
work: keys, linkage, chunking, atomic writes, constraint checks, determinism.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthohive_dbt.errors import ConstraintViolation, GenerationError
from synthohive_dbt.generate import build_derived, generate_project
from synthohive_dbt.generate import chunks as chunks_module
from synthohive_dbt.training import train_project

TABLES = ["customers", "products", "promotions", "orders", "order_items"]


@pytest.fixture
def trained(standin, manifest, real_con):
    train_project(manifest, real_con, None, seed=1, progress=False)
    return manifest


def _generate(manifest, target, real_con, **kwargs):
    options = {"seed": 5, "progress": False, "chunk_size": 150, "real_con": real_con}
    return generate_project(manifest, target, **{**options, **kwargs})


def _frame(target, name: str) -> pd.DataFrame:
    return target.query(f"SELECT * FROM {target.relation(name)}").to_pandas()


def test_every_table_is_written_with_intact_keys(trained, real_con, open_target) -> None:
    target = open_target()
    results = _generate(trained, target, real_con)
    assert [r.name for r in results] == TABLES
    assert {r.status for r in results} == {"generated", "copied"}
    frames = {name: _frame(target, name) for name in TABLES}
    for child, column, parent in [
        ("orders", "customer_id", "customers"),
        ("order_items", "order_id", "orders"),
        ("order_items", "product_id", "products"),
    ]:
        keys = frames[child][column]
        assert keys.notna().all()
        assert keys.isin(frames[parent][column]).all()
    promo = frames["orders"]["promotion_id"].dropna()
    assert promo.isin(frames["promotions"]["promotion_id"]).all()
    items = frames["order_items"]
    assert not items.duplicated(["order_id", "line_no"]).any()
    # line numbers run 1..k within each order, as in the source
    assert (
        items.groupby("order_id")["line_no"].agg(lambda s: list(s) == list(range(1, len(s) + 1)))
    ).all()
    assert frames["customers"]["customer_id"].is_unique
    assert frames["products"]["sku"].str.fullmatch(r"SKU-\d{5}").all()
    assert frames["products"]["sku"].is_unique


def test_copy_table_is_the_real_table(trained, real_con, open_target) -> None:
    target = open_target()
    _generate(trained, target, real_con)
    real = real_con.sql('SELECT * FROM "promotions" ORDER BY promotion_id').df()
    assert _frame(target, "promotions").equals(real)


def test_child_counts_and_their_dependence_on_the_parent_survive(
    trained, real_con, open_target
) -> None:
    target = open_target()
    _generate(trained, target, real_con)
    sql = (
        "SELECT c.segment, count(o.order_id) AS n FROM {c} AS c LEFT JOIN {o} AS o "
        "ON o.customer_id = c.customer_id GROUP BY c.customer_id, c.segment"
    )
    real = real_con.sql(sql.format(c='"customers"', o='"orders"')).df()
    fake = target.query(
        sql.format(c=target.relation("customers"), o=target.relation("orders"))
    ).to_pandas()
    assert stats.ks_2samp(real["n"], fake["n"]).statistic < 0.12
    real_ratio = real.groupby("segment")["n"].mean()
    fake_ratio = fake.groupby("segment")["n"].mean()
    assert fake_ratio["premium"] > 3 * fake_ratio["basic"]
    assert fake_ratio["premium"] == pytest.approx(real_ratio["premium"], rel=0.3)


def test_nullable_key_keeps_its_null_rate(trained, real_con, open_target) -> None:
    target = open_target()
    _generate(trained, target, real_con)
    real = real_con.sql(
        'SELECT avg(CASE WHEN promotion_id IS NULL THEN 1 ELSE 0 END) FROM "orders"'
    ).fetchall()[0][0]
    fake = _frame(target, "orders")["promotion_id"].isna().mean()
    assert fake == pytest.approx(real, abs=0.08)


def test_same_seed_same_tables_other_seed_other_tables(trained, real_con, open_target) -> None:
    first, second, third = open_target("a.duckdb"), open_target("b.duckdb"), open_target("c.duckdb")
    _generate(trained, first, real_con, seed=5)
    _generate(trained, second, real_con, seed=5)
    _generate(trained, third, real_con, seed=6)
    for name in TABLES:
        pd.testing.assert_frame_equal(_frame(first, name), _frame(second, name))
    assert not _frame(first, "orders").equals(_frame(third, "orders"))


def test_scale_multiplies_root_tables(trained, real_con, open_target) -> None:
    target = open_target()
    results = {
        r.name: r for r in _generate(trained, target, real_con, scale=2.0, rows={"products": 25})
    }
    assert results["customers"].rows == 800
    assert results["products"].rows == 25
    assert results["promotions"].rows == 5
    assert (
        results["orders"].rows
        > 1.5 * real_con.sql('SELECT count(*) FROM "orders"').fetchall()[0][0]
    )


def test_a_failure_half_way_leaves_the_previous_set_of_tables(
    trained, real_con, open_target, monkeypatch
) -> None:
    """A run failing in its last table swaps nothing in: every table, its parents
    included, stays as the previous run wrote it; on a fresh target no table appears."""
    target = open_target()
    _generate(trained, target, real_con, seed=5)
    before = {name: _frame(target, name) for name in TABLES}
    generations = target.table_generations()
    assert set(generations) == set(TABLES)
    assert len({g.generation_id for g in generations.values()}) == 1
    original = chunks_module.TableStream._finish
    calls = {"n": 0}

    def failing_finish(self, chunk):
        if self.table.name == "order_items":
            calls["n"] += 1
            if calls["n"] == 3:
                raise GenerationError("injected failure", table="order_items")
        return original(self, chunk)

    monkeypatch.setattr(chunks_module.TableStream, "_finish", failing_finish)
    with pytest.raises(GenerationError, match="injected"):
        _generate(trained, target, real_con, seed=9)
    assert calls["n"] == 3
    for name in TABLES:
        pd.testing.assert_frame_equal(_frame(target, name), before[name])
    assert target.table_generations() == generations
    tables = target.query("SELECT table_name FROM information_schema.tables").column(0).to_pylist()
    # no staged table is left; the bookkeeping table of generations is the only one
    assert [t for t in tables if t.startswith("__shive")] == ["__shive_generations"]

    fresh = open_target("fresh.duckdb")
    calls["n"] = 0
    with pytest.raises(GenerationError, match="injected"):
        _generate(trained, fresh, real_con, seed=9)
    assert fresh.list_tables() == []
    assert fresh.table_generations() == {}


def test_children_need_their_parents_in_the_target(trained, real_con, open_target) -> None:
    with pytest.raises(GenerationError, match="parent table 'customers'"):
        _generate(trained, open_target(), real_con, tables=["orders"])


def test_rows_failing_a_check_are_resampled(trained, real_con, open_target, monkeypatch) -> None:
    """The stand-in returns real ages; a stricter check forces resampling."""
    trained.tables["customers"].checks[0].expression = "age between 18 and 60"
    target = open_target()
    _generate(trained, target, real_con, tables=["customers"])
    ages = _frame(target, "customers")["age"]
    assert len(ages) == 400 and ages.max() <= 60


def test_a_check_the_model_cannot_meet_is_an_error(trained, real_con, open_target) -> None:
    trained.tables["customers"].checks[0].expression = "age > 200"
    with pytest.raises(ConstraintViolation, match="still break its checks"):
        _generate(trained, open_target(), real_con, tables=["customers"])


def test_without_fail_fast_descendants_are_skipped(trained, real_con, open_target) -> None:
    trained.tables["customers"].checks[0].expression = "age > 200"
    target = open_target()
    results = {r.name: r.status for r in _generate(trained, target, real_con, fail_fast=False)}
    # the tables that did succeed are not swapped in without the failed one
    assert target.list_tables() == []
    assert results == {
        "customers": "error",
        "products": "generated",
        "promotions": "copied",
        "orders": "skipped",
        "order_items": "skipped",
    }


def test_derived_models_are_sql_over_the_synthetic_tables(trained, real_con, open_target) -> None:
    target = open_target()
    _generate(trained, target, real_con)
    [result] = build_derived(trained, target)
    assert result.status == "derived" and result.rows == 400
    stats_ = _frame(target, "customer_stats")
    orders = _frame(target, "orders")
    assert stats_["order_count"].sum() == len(orders)


def test_memory_holds_chunks_not_tables(trained, real_con, open_target, monkeypatch) -> None:
    """Every batch handed to the target is at most one chunk of rows."""
    target = open_target()
    sizes: list[int] = []
    write = type(target).write_table

    def spy(self, name, schema, batches):
        def counted():
            for batch in batches:
                sizes.append(batch.num_rows)
                yield batch

        return write(self, name, schema, counted())

    monkeypatch.setattr(type(target), "write_table", spy)
    _generate(trained, target, real_con, chunk_size=100)
    assert max(sizes) <= 100 + 40  # a chunk never splits one parent's children
    assert len(sizes) > 20


def test_seeded_chunk_generators_are_independent() -> None:
    a = chunks_module.chunk_rng(1, "t", 0).integers(0, 1000, 5)
    b = chunks_module.chunk_rng(1, "t", 1).integers(0, 1000, 5)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, chunks_module.chunk_rng(1, "t", 0).integers(0, 1000, 5))


def test_clipped_rows_are_summarised_once_per_table(
    trained, real_con, open_target, standin, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(standin, "clip_one_per_call", True)
    target = open_target()
    with caplog.at_level("WARNING", logger="synthohive_dbt"):
        results = _generate(trained, target, real_con, chunk_size=50)
    chunks = {r.name: r.chunks for r in results}
    assert chunks["orders"] > 2  # several chunks, yet one line
    lines = [r.getMessage() for r in caplog.records if "clipped" in r.getMessage()]
    tables = [line.split(":")[0] for line in lines]
    assert sorted(tables) == sorted(set(tables)) and "orders" in tables
    orders = next(line for line in lines if line.startswith("orders:"))
    found = re.search(r"clipped to it: (\d+) of ([\d,]+) rows .*amount outside \[0, inf\] \((\d+) rows\)", orders)
    assert found, orders
    clipped, drawn, by_column = int(found[1]), int(found[2].replace(",", "")), int(found[3])
    assert clipped == by_column >= chunks["orders"]  # one per sampling call, summed
    assert drawn >= next(r.rows for r in results if r.name == "orders")


def test_the_same_seed_gives_the_same_rows_on_every_target(
    trained, real_con, open_target, tmp_path
) -> None:
    """Children read their parents back in fixed-size batches, whatever the storage's
    own chunking (DuckDB row groups, Parquet row groups), so the target never changes
    what is drawn."""
    from synthohive_dbt.targets.config import ParquetTarget
    from synthohive_dbt.targets.parquet import ParquetAdapter

    duck = open_target()
    _generate(trained, duck, real_con)
    parquet = ParquetAdapter(ParquetTarget(path=str(tmp_path / "pq"), row_group_size=1024), tmp_path)
    with parquet:
        _generate(trained, parquet, real_con)
        for name in TABLES:
            left = _frame(duck, name)
            right = _frame(parquet, name)
            pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_a_child_is_conditioned_on_its_secondary_parents_too(trained, real_con, open_target) -> None:
    from synthohive_dbt.generate.trained import load_trained

    items = load_trained(trained, trained.tables["order_items"])
    # the product's safe attributes (no key, no unique sku) join the order's, named by the key
    assert items.plan.secondary_context == {"product_id__products": ["category", "price"]}
    assert items.plan.model_context[-2:] == [
        "product_id__products.category",
        "product_id__products.price",
    ]
    assert items.secondary["product_id__products"].by == "primary"
    orders = load_trained(trained, trained.tables["orders"])
    assert "promotion_id__promotions" in orders.plan.secondary_fks  # a copy parent, nullable
    target = open_target()
    _generate(trained, target, real_con)
    promo = _frame(target, "orders")["promotion_id"]
    real = _frame_real(real_con, "orders")["promotion_id"]
    assert abs(promo.isna().mean() - real.isna().mean()) < 0.1


def _frame_real(con, name: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {name}").df()


def test_linkage_of_the_old_format_asks_to_retrain(trained) -> None:
    import json

    from synthohive_dbt.errors import ArtifactError
    from synthohive_dbt.generate.trained import load_trained
    from synthohive_dbt.training import TableArtifacts

    path = TableArtifacts(trained.target_path, "order_items").linkage_path
    doc = json.loads(path.read_text())
    doc["format_version"] = 1
    path.write_text(json.dumps(doc))
    with pytest.raises(ArtifactError) as info:
        load_trained(trained, trained.tables["order_items"])
    assert "--full-refresh" in info.value.hint and "order_items" in info.value.message
