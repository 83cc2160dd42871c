"""The arithmetic of parts, without Spark: capacity shares, globally numbered keys, routes.

Distributed generation is only as sound as a few small pieces: the split of each
secondary parent's capacity across parts (the shares must add up to the capacity),
stage 2's re-numbering (a part's keys must be exactly the local path's keys for the
same global rows, wherever the part boundaries fall), and the choice of how the model
reaches the executors (broadcast, inline over Spark Connect, or the local path).
"""

from __future__ import annotations

import numpy as np

from synthohive_dbt.generate.trained import TrainedTable
from synthohive_dbt.project.model import CheckConstraint, Column, Manifest, Table
from synthohive_dbt.relations.keys import KeySequence, KeySpec
from synthohive_dbt.spark.connect import CONNECT_INLINE_LIMIT, choose_shipping, is_connect
from synthohive_dbt.spark.distributed import _offsets, _split
from synthohive_dbt.spark.globalize import _run_values, _runs
from synthohive_dbt.spark.partition import capacity_share, part_seed
from synthohive_dbt.spark.shipping import ShippedModel
from synthohive_dbt.training.artifacts import TableArtifacts
from synthohive_dbt.training.plan import TablePlan


def test_capacity_shares_of_all_parts_add_up_to_the_capacity():
    capacity = np.random.default_rng(0).integers(0, 12, 5_000)
    weights = (0.2, 0.5, 0.3)

    shares = [capacity_share(capacity, p, weights, np.random.default_rng(42)) for p in range(3)]
    again = capacity_share(capacity, 1, weights, np.random.default_rng(42))

    assert np.array_equal(sum(shares), capacity)
    assert all((s >= 0).all() for s in shares)
    assert np.array_equal(again, shares[1])  # each part computes its share alone, alike
    assert abs(shares[1].sum() / capacity.sum() - 0.5) < 0.02


def sku_table() -> TrainedTable:
    table = Table(
        name="products",
        materialized="synth",
        path="models/products.sql",
        raw_sql="",
        compiled_sql="",
        columns=[Column("product_id", "BIGINT"), Column("sku", "VARCHAR", unique=True)],
        primary_key=["product_id"],
    )
    plan = TablePlan("products", "learn", sequence_columns=["product_id", "sku"],
                     key_columns=["product_id", "sku"])  # fmt: skip
    specs = {"product_id": {"shape": "integer"},
             "sku": KeySpec("pattern", prefix="SKU-", width=5).to_dict()}  # fmt: skip
    return TrainedTable(table, {}, plan, None, None, None, {}, specs)


def test_keys_from_global_row_numbers_match_one_local_sequence():
    trained = sku_table()
    rng = np.random.default_rng(0)
    local_ids = KeySequence(KeySpec("integer")).take(10, rng)
    local_skus = KeySequence(KeySpec("pattern", prefix="SKU-", width=5)).take(10, rng)

    # two parts of 4 and 6 rows, numbered 0..3 and 0..5, placed at offsets 0 and 4
    offsets = _offsets({0: 4, 1: 6}, parts=2)
    pieces = [_run_values(trained, n, offsets[p], table_seed=1) for p, n in ((0, 4), (1, 6))]

    assert offsets == {0: 0, 1: 4}
    assert np.concatenate([p["product_id"] for p in pieces]).tolist() == local_ids.tolist()
    assert np.concatenate([p["sku"] for p in pieces]).tolist() == local_skus.tolist()
    assert local_skus[:2].tolist() == ["SKU-00001", "SKU-00002"]


def test_runs_split_rows_at_part_changes_and_gaps():
    parts = np.array([0, 0, 0, 1, 1, 1, 1])
    numbers = np.array([0, 1, 2, 0, 1, 3, 4])

    assert list(_runs(parts, numbers)) == [(0, 3), (3, 5), (5, 7)]


def test_parts_get_even_rows_and_distinct_seeds():
    assert _split(10, 3) == [4, 3, 3] and sum(_split(7, 7)) == 7
    seeds = {part_seed(123, p) for p in range(100)}
    assert len(seeds) == 100 and part_seed(123, 5) == part_seed(123, 5)


def test_a_shipped_model_is_named_by_its_files_and_its_table(tmp_path):
    trained = sku_table()
    manifest = Manifest("shop", str(tmp_path), str(tmp_path / "target"), "shop", "dev", {}, 1,
                        {"products": trained.table}, {}, ["products"])  # fmt: skip
    folder = TableArtifacts(manifest.target_path, "products").dir
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text("{}")
    (folder / "checkpoint.pt").write_bytes(b"resume state")

    shipped = ShippedModel.of(manifest, "products")
    same = ShippedModel.of(manifest, "products")
    manifest.tables["products"].checks.append(CheckConstraint("product_id > 0"))
    changed = ShippedModel.of(manifest, "products")

    assert sorted(shipped.files) == ["meta.json"]  # checkpoints only serve resuming a fit
    assert shipped.digest == same.digest
    # workers cache loaded models by digest: another table definition must not hit it
    assert changed.digest != shipped.digest


def test_the_model_travels_by_broadcast_inline_over_connect_or_the_table_is_made_locally():
    classic = choose_shipping(False, 10 * CONNECT_INLINE_LIMIT)
    fits = choose_shipping(True, CONNECT_INLINE_LIMIT)
    too_large = choose_shipping(True, CONNECT_INLINE_LIMIT + 1)
    connect_session = type("SparkSession", (), {"__module__": "pyspark.sql.connect.session"})()
    classic_session = type("SparkSession", (), {"__module__": "pyspark.sql.session"})()

    assert (classic.route, classic.distributed) == ("broadcast", True)  # any size
    assert (fits.route, fits.distributed) == ("inline", True)
    assert (too_large.route, too_large.distributed) == ("local", False)
    assert choose_shipping(True, 2048, limit=1024).route == "local"
    assert "exceed the 64.0 MiB one Spark Connect plan may carry" in too_large.reason
    assert too_large.describe("orders").startswith("orders: generating on the driver (local path)")
    assert fits.describe("orders").startswith("orders: generating on Spark in parallel parts")
    assert is_connect(connect_session) and not is_connect(classic_session)
