"""The small shop the Spark tests share: customers, products, orders (a nullable FK).

Premium customers order more; the category sets the price; some orders have no product.
Each test module picks its sizes and adds its own files (a profile, a derived model).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

TABLES = ("customers", "products", "orders")

#: schema.yml of the three tables; ``orders`` comes last so a module can add columns to it
SCHEMA_YML = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}
    tables: [{name: customers}, {name: products}, {name: orders}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
      - name: email
        constraints: [{type: unique}]
        config: {pii: {action: fake, kind: email}}
      - name: segment
        constraints: [{type: not_null}]
        data_tests: [{accepted_values: {values: [premium, basic]}}]
      - name: age
        constraints: [{type: check, expression: "age between 18 and 100"}]
  - name: products
    columns:
      - name: product_id
        constraints: [{type: primary_key}]
      - name: category
      - name: price
        constraints: [{type: check, expression: "price > 0"}]
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
          - {type: foreign_key, to: "ref('products')", to_columns: [product_id]}
      - name: channel
      - name: amount
        constraints: [{type: check, expression: "amount > 0"}]
"""


def shop_data(
    rng: np.random.Generator,
    *,
    customers: int,
    products: int,
    premium_orders: float,
    no_product_share: float,
    quantity: bool = False,
) -> dict[str, pd.DataFrame]:
    """The three tables; premium customers average ``premium_orders`` orders, others 1.
    ``quantity`` adds a column correlated with the amount (for correlation tests)."""
    premium = rng.random(customers) < 0.3
    customer_frame = pd.DataFrame({
        "customer_id": np.arange(1, customers + 1, dtype=np.int64),
        "email": [f"person{i}@example.com" for i in range(customers)],
        "segment": np.where(premium, "premium", "basic"),
        "age": rng.integers(18, 90, customers).astype(np.int32),
    })  # fmt: skip
    category = rng.choice(["books", "tools", "tech"], products)
    product_frame = pd.DataFrame({
        "product_id": np.arange(1, products + 1, dtype=np.int64),
        "category": category,
        "price": np.round(
            np.where(category == "tech", 400.0, 30.0) * rng.uniform(0.8, 1.2, products), 2
        ),
    })  # fmt: skip
    per_customer = rng.poisson(np.where(premium, premium_orders, 1.0))
    owner = np.repeat(customer_frame["customer_id"].to_numpy(), per_customer)
    product = rng.integers(1, products + 1, len(owner)).astype(float)
    product[rng.random(len(owner)) < no_product_share] = np.nan  # a nullable foreign key
    orders = pd.DataFrame({
        "order_id": np.arange(1, len(owner) + 1, dtype=np.int64),
        "customer_id": owner,
        "product_id": pd.array(product, dtype="Int64"),
        "channel": rng.choice(["web", "store"], len(owner)),
        "amount": np.round(rng.gamma(2.0, 30.0, len(owner)) + 1, 2),
    })  # fmt: skip
    if quantity:  # more items, larger amount: a correlation the profile records
        orders["quantity"] = (
            1 + orders["amount"] // 40 + rng.integers(0, 2, len(owner))
        ).astype(np.int32)
    return {"customers": customer_frame, "products": product_frame, "orders": orders}


def write_shop(root: Path, files: dict[str, str], data: dict[str, pd.DataFrame]) -> Path:
    """Write ``files`` (relative path -> text, dedented), a model per table selecting its
    source, and ``data`` as the sources' Parquet files; return ``root``."""
    models = {f"models/{n}.sql": f"select * from {{{{ source('raw', '{n}') }}}}\n" for n in TABLES}
    for rel, text in {**models, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    (root / "data").mkdir()
    for name, frame in data.items():
        frame.to_parquet(root / "data" / f"{name}.parquet", index=False)
    return root
