"""train_project on the mini shop with the bootstrap stand-in: artifacts, reuse, resume."""

from __future__ import annotations

import json

import genkit
import pytest

from synthohive_dbt.errors import TrainingError
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.training import TableArtifacts, train_project

LEARNED = ["customers", "products", "orders", "order_items"]


def _train(manifest, con, **kwargs):
    return train_project(manifest, con, None, seed=1, progress=False, **kwargs)


def _status(results) -> dict[str, str]:
    return {r.name: r.status for r in results}


def test_tables_train_in_graph_order_with_complete_artifacts(standin, manifest, real_con) -> None:
    results = _train(manifest, real_con)
    assert [r.name for r in results] == [
        "customers",
        "products",
        "promotions",
        "orders",
        "order_items",
    ]
    assert _status(results) == {**dict.fromkeys(LEARNED, "trained"), "promotions": "copy"}
    for name in LEARNED:
        art = TableArtifacts(manifest.target_path, name)
        for path in (art.meta_path, art.model_path, art.pii_plan_path, art.linkage_path):
            assert path.is_file(), path
        assert not art.checkpoint_path.exists()
    copy = TableArtifacts(manifest.target_path, "promotions")
    assert copy.meta_path.is_file() and not copy.model_path.exists()


def test_keys_and_fake_pii_never_reach_the_model(standin, manifest, real_con) -> None:
    _train(manifest, real_con)
    meta = TableArtifacts(manifest.target_path, "customers").read_meta()
    assert meta["model_columns"] == ["segment", "age", "signup_date"]
    items = TableArtifacts(manifest.target_path, "order_items").read_meta()
    assert items["model_columns"] == ["quantity", "unit_price"]
    assert items["plan"]["primary_fk"] == "order_id__orders"
    assert items["plan"]["secondary_fks"] == ["product_id__products"]
    assert items["plan"]["group_sequence_columns"] == ["line_no"]
    orders = TableArtifacts(manifest.target_path, "orders").read_meta()
    # the parent's e-mail is PII and its id a key: neither is context
    assert orders["plan"]["context_columns"] == ["segment", "age", "signup_date"]
    linkage = json.loads(TableArtifacts(manifest.target_path, "products").linkage_path.read_text())
    assert linkage["keys"]["sku"] == {
        "shape": "pattern",
        "prefix": "SKU-",
        "suffix": "",
        "width": 5,
        "upper": False,
    }
    assert "@" not in TableArtifacts(manifest.target_path, "customers").linkage_path.read_text()


def test_unchanged_tables_are_reused_and_full_refresh_retrains(standin, manifest, real_con) -> None:
    _train(manifest, real_con)
    assert set(_status(_train(manifest, real_con)).values()) == {"reused"}
    assert _status(_train(manifest, real_con, full_refresh=True)) == {
        **dict.fromkeys(LEARNED, "trained"),
        "promotions": "copy",
    }


def test_changed_data_retrains_the_table_and_its_descendants_only(
    standin, shop_dir, manifest, real_con
) -> None:
    _train(manifest, real_con)
    data = genkit.make_data()
    data["orders"].loc[0, "amount"] = 999.0
    genkit.write_project(shop_dir, data)
    fresh = load_project(shop_dir)
    con = open_real_connection(fresh)
    try:
        status = _status(_train(fresh, con))
    finally:
        con.close()
    assert status == {
        "customers": "reused",
        "products": "reused",
        "promotions": "reused",
        "orders": "trained",
        "order_items": "trained",
    }


def test_changed_settings_retrain(standin, manifest, real_con) -> None:
    _train(manifest, real_con)
    manifest.tables["products"].synth.epochs = 4
    status = _status(_train(manifest, real_con))
    assert status["products"] == "trained" and status["customers"] == "reused"


def test_a_killed_train_resumes_at_the_table_and_the_epoch(standin, shop_dir) -> None:
    genkit.write_project(
        shop_dir, project_yml="name: minishop\nseed: 11\nsynth: {epochs: 20, batch_size: 50}\n"
    )
    manifest = load_project(shop_dir)
    con = open_real_connection(manifest)
    try:
        standin.interrupt_at = 45  # customers 20 + products 20 + orders' 5th epoch
        with pytest.raises(genkit.Interrupt):
            _train(manifest, con)
        orders = TableArtifacts(manifest.target_path, "orders")
        assert orders.read_meta() is None
        assert orders.read_checkpoint_meta()["epoch"] == 4
        standin.fits.clear()
        results = _train(manifest, con)
    finally:
        con.close()
    assert _status(results) == {
        "customers": "reused",
        "products": "reused",
        "promotions": "reused",
        "orders": "resumed",
        "order_items": "trained",
    }
    # orders continues from its checkpoint in segments of 2 epochs; order_items starts afresh
    assert standin.fits[:8] == [(e, e + 2) for e in range(4, 20, 2)]
    assert standin.fits[8] == (0, 2)
    assert [r.resumed_from for r in results if r.name == "orders"] == [4]
    assert not TableArtifacts(manifest.target_path, "orders").checkpoint_path.exists()


def test_a_checkpoint_of_other_inputs_is_discarded(standin, shop_dir) -> None:
    genkit.write_project(
        shop_dir, project_yml="name: minishop\nseed: 11\nsynth: {epochs: 20, batch_size: 50}\n"
    )
    manifest = load_project(shop_dir)
    con = open_real_connection(manifest)
    try:
        standin.interrupt_at = 5
        with pytest.raises(genkit.Interrupt):
            _train(manifest, con, tables=["customers"])
        manifest.tables["customers"].synth.epochs = 10
        standin.fits.clear()
        [result] = _train(manifest, con, tables=["customers"])
    finally:
        con.close()
    assert result.status == "trained" and result.resumed_from == 0
    assert standin.fits[0] == (0, 1) and standin.fits[-1] == (9, 10)


def test_sample_rows_bounds_the_training_rows(standin, manifest, real_con) -> None:
    manifest.tables["order_items"].synth.sample_rows = 200
    results = {r.name: r for r in _train(manifest, real_con)}
    assert results["order_items"].rows == 200
    assert results["orders"].rows > 200


def test_a_copy_table_may_not_reference_a_learned_one(standin, manifest, real_con) -> None:
    manifest.tables["orders"].synth.mode = "copy"
    with pytest.raises(TrainingError, match="references customers, which is learned"):
        _train(manifest, real_con)


def test_without_fail_fast_a_failure_skips_descendants(standin, manifest, real_con) -> None:
    manifest.tables["orders"].synth.mode = "copy"
    status = _status(_train(manifest, real_con, fail_fast=False))
    assert status == {
        "customers": "trained",
        "products": "trained",
        "promotions": "copy",
        "orders": "error",
        "order_items": "skipped",
    }
