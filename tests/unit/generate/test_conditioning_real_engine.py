"""A child follows every parent, through the real CTGAN engine (small data, few epochs).

One project of four tables, trained and generated once for the module::

    regions (climate) -> customers (tier, heating) -> orders <- products (size, material, origin)

In the real data an order's ``amount`` is ~100 for a gold customer and ~10 for a basic
one (its primary parent), its ``weight``, ``cost`` and ``delay`` are ~100 or ~10 by
three attributes of its product (a secondary parent), gold customers order four times
as often, and a customer's ``heating`` (~100 in a cold region, ~10 in a hot one) is
carried into the order's ``fuel``: the region is a grandparent of the order.

Each test compares group means of the generated rows, joined over the generated keys,
with margins that a model ignoring its context cannot meet: it would give both groups
the same mean (about the mixture's, 40 to 70).
"""

from __future__ import annotations

import genkit
import numpy as np
import pandas as pd
import pytest

from synthohive_dbt.generate import generate_project
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter
from synthohive_dbt.training import train_project

pytestmark = pytest.mark.slow

PROJECT = "name: conditioning\nseed: 5\nsynth: {epochs: 60, batch_size: 50}\n"

SCHEMA = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}
    tables: [{name: regions}, {name: customers}, {name: products}, {name: orders}]
models:
  - name: regions
    columns:
      - name: region_id
        constraints: [{type: primary_key}]
      - name: climate
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
      - name: region_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('regions')", to_columns: [region_id]}
      - name: tier
      - name: heating
  - name: products
    columns:
      - name: product_id
        constraints: [{type: primary_key}]
      - name: size
      - name: material
      - name: origin
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}
      - name: product_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('products')", to_columns: [product_id]}
      - name: amount
      - name: fuel
      - name: weight
      - name: cost
      - name: delay
"""

MODELS = {
    name: f"select * from {{{{ source('raw', '{name}') }}}}\n"
    for name in ["regions", "customers", "products", "orders"]
}

HIGH, LOW = 100.0, 10.0


def _level(rng: np.random.Generator, high: np.ndarray) -> np.ndarray:
    """~100 where ``high``, ~10 elsewhere."""
    return np.round(np.where(high, HIGH, LOW) * rng.uniform(0.9, 1.1, len(high)), 2)


def make_data(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_regions, n_customers, n_products = 30, 500, 60
    regions = pd.DataFrame(
        {
            "region_id": np.arange(1, n_regions + 1, dtype=np.int64),
            "climate": np.where(np.arange(n_regions) % 2 == 0, "cold", "hot"),
        }
    )
    region = rng.integers(1, n_regions + 1, n_customers)
    cold = regions.set_index("region_id").loc[region, "climate"].to_numpy() == "cold"
    gold = rng.random(n_customers) < 0.3
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1, dtype=np.int64),
            "region_id": region.astype(np.int64),
            "tier": np.where(gold, "gold", "basic"),
            "heating": _level(rng, cold),
        }
    )
    flags = {a: rng.random(n_products) < 0.5 for a in ("size", "material", "origin")}
    products = pd.DataFrame(
        {
            "product_id": np.arange(1, n_products + 1, dtype=np.int64),
            "size": np.where(flags["size"], "big", "small"),
            "material": np.where(flags["material"], "metal", "wood"),
            "origin": np.where(flags["origin"], "import", "local"),
        }
    )
    per_customer = rng.poisson(np.where(gold, 4.0, 1.0))
    who = np.repeat(np.arange(n_customers), per_customer)
    product = rng.integers(0, n_products, len(who))
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, len(who) + 1, dtype=np.int64),
            "customer_id": customers["customer_id"].to_numpy()[who],
            "product_id": products["product_id"].to_numpy()[product],
            "amount": _level(rng, gold[who]),
            "fuel": np.round(customers["heating"].to_numpy()[who] * rng.uniform(0.9, 1.1, len(who)), 2),
            "weight": _level(rng, flags["size"][product]),
            "cost": _level(rng, flags["material"][product]),
            "delay": _level(rng, flags["origin"][product]),
        }
    )
    return {"regions": regions, "customers": customers, "products": products, "orders": orders}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The generated tables (trained and generated once for the module)."""
    tmp = tmp_path_factory.mktemp("conditioning")
    root = genkit.write_project(
        tmp / "project", make_data(), schema=SCHEMA, project_yml=PROJECT, models=MODELS
    )
    manifest = load_project(root)
    con = open_real_connection(manifest)
    adapter = DuckDBAdapter(DuckDBTarget(path=str(tmp / "synthetic.duckdb")), tmp)
    adapter.connect()
    try:
        train_project(manifest, con, None, seed=1, progress=False)
        generate_project(manifest, adapter, seed=2, progress=False, real_con=con)
        return {
            name: adapter.query(f"SELECT * FROM {adapter.relation(name)}").to_pandas()
            for name in ["regions", "customers", "products", "orders"]
        }
    finally:
        adapter.close()
        con.close()


def _group_means(frame: pd.DataFrame, by: str, column: str) -> dict[str, float]:
    return {str(k): float(v) for k, v in frame.groupby(by)[column].mean().items()}


def _orders_with_parents(generated: dict[str, pd.DataFrame]) -> pd.DataFrame:
    orders = generated["orders"]
    customers = generated["customers"].rename(columns={"region_id": "customer_region"})
    joined = orders.merge(customers, on="customer_id", how="inner")
    joined = joined.merge(generated["products"], on="product_id", how="inner")
    regions = generated["regions"].rename(columns={"region_id": "customer_region"})
    joined = joined.merge(regions, on="customer_region", how="inner")
    assert len(joined) == len(orders)  # every key resolves
    return joined


def test_a_child_value_follows_its_primary_parent(generated) -> None:
    means = _group_means(_orders_with_parents(generated), "tier", "amount")
    assert means["gold"] > 65 and means["basic"] < 35, means


def test_a_child_value_follows_its_secondary_parent(generated) -> None:
    joined = _orders_with_parents(generated)
    for attribute, column, high in [
        ("size", "weight", "big"),
        ("material", "cost", "metal"),
        ("origin", "delay", "import"),
    ]:
        means = _group_means(joined, attribute, column)
        low = next(k for k in means if k != high)
        assert means[high] > 65 and means[low] < 35, (column, means)


def test_children_per_parent_follow_a_parent_attribute(generated) -> None:
    counts = generated["orders"].groupby("customer_id").size()
    customers = generated["customers"].set_index("customer_id")
    per = counts.reindex(customers.index, fill_value=0)
    means = per.groupby(customers["tier"]).mean()
    assert means["gold"] > 2.5 * means["basic"], means.to_dict()
    assert 2.5 < means["gold"] < 6 and means["basic"] < 1.6, means.to_dict()


def test_a_grandparent_attribute_reaches_the_grandchild(generated) -> None:
    customers = generated["customers"].merge(generated["regions"], on="region_id")
    parent = _group_means(customers, "climate", "heating")
    assert parent["cold"] > 65 and parent["hot"] < 35, parent
    means = _group_means(_orders_with_parents(generated), "climate", "fuel")
    assert means["cold"] > 65 and means["hot"] < 35, means
