"""``privacy.min_count`` reaches what training writes beside the model: ``linkage.json``.

Its bins keep category labels (a child-count model's parent attributes, a secondary
parent's joint) and a hierarchy's root rule keeps a value nearly every root has. A label
or value seen fewer than the project's ``min_count`` times must not be written as it
is; with the default (5) the same rare-but-not-that-rare values are written, so the
checks below can fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import genkit
import numpy as np
import pandas as pd
import pytest

from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.relations.keys import learn_key_spec
from synthohive_dbt.training import TableArtifacts, train_project

STRICT = "privacy: {min_count: 20}\n"


def _train(root: Path, tables: list[str] | None = None) -> Path:
    manifest = load_project(root)
    con = open_real_connection(manifest)
    try:
        train_project(manifest, con, None, tables=tables, seed=1, progress=False)
    finally:
        con.close()
    return Path(manifest.target_path)


def _labels(doc: object) -> list[str]:
    """Every category label kept by a bin feature anywhere in a linkage document."""
    found: list[str] = []
    if isinstance(doc, dict):
        if doc.get("kind") == "category" and "column" in doc:
            found += [str(v) for v in doc.get("values", [])]
        for value in doc.values():
            found += _labels(value)
    elif isinstance(doc, list):
        for value in doc:
            found += _labels(value)
    return found


# ---- linkage bins ----------------------------------------------------------------------------
def _shop_with_rare_categories() -> dict[str, pd.DataFrame]:
    """The mini shop, with a customer segment of 12 (``vip``, many orders each) and one of
    3 customers, and a product category of 8 products (``antiques``, the most sold and
    the dearest)."""
    data = genkit.make_data()
    customers, products = data["customers"].copy(), data["products"].copy()
    segment = customers["segment"].to_numpy(dtype=object)
    segment[:12], segment[12:15] = "vip", "gold"
    customers["segment"] = segment
    category = products["category"].to_numpy(dtype=object)
    category[:8] = "antiques"
    products["category"] = category
    products.loc[:7, "price"] = 2000.0
    rng = np.random.default_rng(4)
    orders = data["orders"]
    vip_orders = pd.DataFrame({
        "order_id": np.arange(5001, 5001 + 12 * 15, dtype=np.int64),
        "customer_id": np.repeat(customers["customer_id"].to_numpy()[:12], 15),
        "promotion_id": pd.array([None] * 180, dtype="Int64"),
        "channel": rng.choice(["web", "store"], 180),
        "amount": np.round(rng.gamma(2.0, 30.0, 180) + 1, 2),
    })  # fmt: skip
    orders = pd.concat([orders, vip_orders], ignore_index=True)
    items = data["order_items"].copy()
    antique = rng.random(len(items)) < 0.3  # popular: their share of items is no accident
    items.loc[antique, "product_id"] = rng.integers(1, 9, int(antique.sum()))
    items.loc[antique, "unit_price"] = 2000.0
    return {**data, "customers": customers, "products": products, "orders": orders,
            "order_items": items}  # fmt: skip


def _linkage_labels(target: Path, table: str) -> list[str]:
    return _labels(json.loads(TableArtifacts(target, table).linkage_path.read_text()))


@pytest.fixture
def shop() -> dict[str, pd.DataFrame]:
    return _shop_with_rare_categories()


def _rare_shop(root: Path, data: dict[str, pd.DataFrame], privacy: str) -> Path:
    schema = genkit.SCHEMA_YML.replace(
        "        data_tests: [{accepted_values: {values: [premium, basic]}}]\n", ""
    )
    return genkit.write_project(root, data, schema=schema, project_yml=genkit.PROJECT_YML + privacy)


def test_linkage_bins_keep_no_label_rarer_than_the_project_min_count(
    standin, shop, tmp_path
) -> None:
    target = _train(_rare_shop(tmp_path / "strict", shop, STRICT))
    counts = {**shop["customers"]["segment"].value_counts().to_dict(),
              **shop["products"]["category"].value_counts().to_dict()}  # fmt: skip
    labels = _linkage_labels(target, "orders") + _linkage_labels(target, "order_items")
    assert labels  # the bins are there: segment drives the order counts
    assert {label: counts.get(label) for label in labels if counts.get(label, 0) < 20} == {}
    for table in ("orders", "order_items"):
        text = TableArtifacts(target, table).linkage_path.read_text()
        assert not re.search(r'"(vip|gold|antiques)"', text), table


def test_with_the_default_min_count_the_same_labels_are_kept(standin, shop, tmp_path) -> None:
    target = _train(_rare_shop(tmp_path / "default", shop, ""))
    labels = set(_linkage_labels(target, "orders") + _linkage_labels(target, "order_items"))
    assert "vip" in labels  # seen 12 times: kept under min_count 5
    assert "gold" not in labels  # seen 3 times
    # a product's category is no bin of order_items' link: products are chosen before an
    # item's values, by its order's attributes, which the category does not depend on;
    # the item's price follows the category through the model's context instead


# ---- a hierarchy's root rule ----------------------------------------------------------------
_ORG_SCHEMA = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}
    tables: [{name: employees}]
models:
  - name: employees
    columns:
      - name: employee_id
        constraints: [{type: primary_key}]
      - name: manager_id
        constraints:
          - {type: foreign_key, to: "ref('employees')", to_columns: [employee_id]}
"""
ROOT_OFFICE = "HQ-ZX91"


def _org(root: Path, privacy: str) -> Path:
    """12 roots, every one at office HQ-ZX91 (seen 12 times: rare under min_count 20),
    each managing 4 to 8 employees at frequent offices."""
    rng = np.random.default_rng(2)
    rows = [(i, None, ROOT_OFFICE) for i in range(1, 13)]
    for manager in range(1, 13):
        for _ in range(int(rng.integers(4, 9))):
            rows.append((len(rows) + 1, manager, str(rng.choice(["north", "south", "east"]))))
    frame = pd.DataFrame(rows, columns=["employee_id", "manager_id", "office"])
    frame["manager_id"] = frame["manager_id"].astype("Int64")
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    frame.to_parquet(root / "data" / "employees.parquet", index=False)
    model = "select * from {{ source('raw', 'employees') }}\n"
    (root / "models" / "employees.sql").write_text(model)
    (root / "models" / "schema.yml").write_text(_ORG_SCHEMA.lstrip())
    (root / "shive_project.yml").write_text(genkit.PROJECT_YML.lstrip() + privacy)
    return root


def _root_rules(target: Path) -> list[dict]:
    doc = json.loads(TableArtifacts(target, "employees").linkage_path.read_text())
    return [r for r in doc["hierarchy"]["rules"] if r["kind"] == "root"]


def test_a_rare_root_value_is_written_as_a_stand_in(standin, tmp_path) -> None:
    target = _train(_org(tmp_path / "strict", STRICT))
    (rule,) = _root_rules(target)
    assert rule["column"] == "office" and rule["rate"] == 1.0  # every root shares one value
    assert rule["value"] != ROOT_OFFICE
    assert re.fullmatch(r"[A-Z]{2}-[A-Z]{2}\d{2}", rule["value"])  # of the real one's shape
    assert ROOT_OFFICE not in TableArtifacts(target, "employees").linkage_path.read_text()
    # and the same stand-in for the same seed
    again = _train(_org(tmp_path / "again", STRICT))
    assert _root_rules(again) == [rule]


def test_a_root_value_seen_often_enough_is_kept(standin, tmp_path) -> None:
    target = _train(_org(tmp_path / "default", ""))
    assert [(r["column"], r["value"]) for r in _root_rules(target)] == [("office", ROOT_OFFICE)]


def test_a_keep_column_keeps_its_rare_root_value(standin, tmp_path) -> None:
    root = _org(tmp_path / "keep", STRICT)
    schema = root / "models" / "schema.yml"
    keep = "      - name: office\n        config: {pii: {action: keep}}\n"
    schema.write_text(schema.read_text() + keep)
    target = _train(root)
    assert [(r["column"], r["value"]) for r in _root_rules(target)] == [("office", ROOT_OFFICE)]


# ---- a key's shape ---------------------------------------------------------------------------
def test_a_key_prefix_fewer_keys_share_than_min_count_is_not_kept() -> None:
    keys = ["ACME-1", "ACME-2", "ACME-3"]
    assert learn_key_spec(keys, "VARCHAR", column="code", min_count=5).to_dict()["prefix"] == "code_"
    kept = learn_key_spec(keys, "VARCHAR", column="code", min_count=3).to_dict()
    assert (kept["shape"], kept["prefix"]) == ("pattern", "ACME-")
