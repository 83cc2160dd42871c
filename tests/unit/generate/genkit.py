"""A small hand-built shop project for the training and generation tests.

Five tables, three levels: ``customers`` (root; premium customers order far more),
``products`` (root; the category sets the price), ``promotions`` (copied reference
table), ``orders`` (child of customers, nullable key to promotions) and
``order_items`` (child of orders, composite key (order_id, line_no), secondary key to
products whose price the item's unit_price follows).

``BootstrapSynth`` is a fast stand-in for the CTGAN engine with the same interface: it
resamples training rows, matching the context exactly where it can. It keeps tests of
keys, linkage and streaming independent of model quality and fast.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import synthohive_dbt.synth as synth_pkg
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.project.model import Manifest
from synthohive_dbt.synth.settings import SynthSettings
from synthohive_dbt.targets.config import DuckDBTarget
from synthohive_dbt.targets.duckdb import DuckDBAdapter

PROJECT_YML = """
name: minishop
seed: 11
synth: {epochs: 3, batch_size: 50}
"""

SCHEMA_YML = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}
    tables: [{name: customers}, {name: products}, {name: promotions}, {name: orders}, {name: order_items}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
      - name: email
        config: {pii: {action: fake, kind: email}}
      - name: segment
        constraints: [{type: not_null}]
        data_tests: [{accepted_values: {values: [premium, basic]}}]
      - name: age
        constraints: [{type: check, expression: "age between 18 and 100"}]
      - name: signup_date
  - name: products
    columns:
      - name: product_id
        constraints: [{type: primary_key}]
      - name: sku
        constraints: [{type: not_null}, {type: unique}]
      - name: category
      - name: price
        constraints: [{type: check, expression: "price > 0"}]
  - name: promotions
    config: {synth: {mode: copy}}
    columns:
      - name: promotion_id
        constraints: [{type: primary_key}]
      - name: code
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}
      - name: promotion_id
        constraints:
          - {type: foreign_key, to: "ref('promotions')", to_columns: [promotion_id]}
      - name: channel
      - name: amount
        constraints: [{type: check, expression: "amount > 0"}]
  - name: order_items
    constraints:
      - {type: primary_key, columns: [order_id, line_no]}
    columns:
      - name: order_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('orders')", to_columns: [order_id]}
      - name: line_no
      - name: product_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('products')", to_columns: [product_id]}
      - name: quantity
      - name: unit_price
  - name: customer_stats
    columns:
      - name: customer_id
        data_tests: [unique, not_null]
"""

MODELS = {
    "customers": "select * from {{ source('raw', 'customers') }}\n",
    "products": "select * from {{ source('raw', 'products') }}\n",
    "promotions": "select * from {{ source('raw', 'promotions') }}\n",
    "orders": "select * from {{ source('raw', 'orders') }}\n",
    "order_items": "select * from {{ source('raw', 'order_items') }}\n",
    "customer_stats": (
        "{{ config(materialized='derived') }}\n"
        "select c.customer_id, c.segment, count(o.order_id) as order_count\n"
        "from {{ ref('customers') }} as c left join {{ ref('orders') }} as o\n"
        "  on o.customer_id = c.customer_id\ngroup by c.customer_id, c.segment\n"
    ),
}


def make_data(n_customers: int = 400, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The real rows of the mini shop."""
    rng = np.random.default_rng(seed)
    premium = rng.random(n_customers) < 0.25
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1, dtype=np.int64),
            "email": [f"user{i}@example.com" for i in range(n_customers)],
            "segment": np.where(premium, "premium", "basic"),
            "age": rng.integers(18, 90, n_customers).astype(np.int32),
            "signup_date": pd.to_datetime("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 500, n_customers), unit="D"),
        }
    )
    n_products = 60
    category = rng.choice(["books", "tools", "tech"], n_products, p=[0.4, 0.35, 0.25])
    base = {"books": 15.0, "tools": 60.0, "tech": 400.0}
    price = np.round(np.array([base[c] for c in category]) * rng.uniform(0.8, 1.2, n_products), 2)
    products = pd.DataFrame(
        {
            "product_id": np.arange(1, n_products + 1, dtype=np.int64),
            "sku": [f"SKU-{i:05d}" for i in range(1, n_products + 1)],
            "category": category,
            "price": price,
        }
    )
    promotions = pd.DataFrame(
        {
            "promotion_id": np.arange(1, 6, dtype=np.int64),
            "code": [f"PROMO{i}" for i in range(1, 6)],
        }
    )
    per_customer = rng.poisson(np.where(premium, 5.0, 0.8))
    cust = np.repeat(customers["customer_id"].to_numpy(), per_customer)
    n_orders = len(cust)
    promo = rng.integers(1, 6, n_orders).astype(float)
    promo[rng.random(n_orders) < 0.6] = np.nan
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1001, 1001 + n_orders, dtype=np.int64),
            "customer_id": cust,
            "promotion_id": pd.array(promo, dtype="Int64"),
            "channel": rng.choice(["web", "store"], n_orders),
            "amount": np.round(rng.gamma(2.0, 30.0, n_orders) + 1, 2),
        }
    )
    lines = 1 + rng.poisson(1.2, n_orders)
    order_ids = np.repeat(orders["order_id"].to_numpy(), lines)
    popularity = rng.pareto(1.2, n_products) + 0.05
    product = rng.choice(n_products, len(order_ids), p=popularity / popularity.sum())
    items = pd.DataFrame(
        {
            "order_id": order_ids,
            "line_no": np.concatenate([np.arange(1, k + 1) for k in lines]).astype(np.int32),
            "product_id": products["product_id"].to_numpy()[product],
            "quantity": rng.integers(1, 5, len(order_ids)).astype(np.int32),
            "unit_price": np.round(price[product] * rng.uniform(0.95, 1.05, len(order_ids)), 2),
        }
    )
    return {
        "customers": customers,
        "products": products,
        "promotions": promotions,
        "orders": orders,
        "order_items": items,
    }


def write_project(
    root: Path,
    data: dict[str, pd.DataFrame] | None = None,
    *,
    schema: str = SCHEMA_YML,
    project_yml: str = PROJECT_YML,
    models: dict[str, str] | None = None,
) -> Path:
    """Write the mini shop project (and its data) into ``root``; ``models`` replaces the
    shop's model SQL (name -> SQL) for a project of other tables."""
    data = data if data is not None else make_data()
    files = {"shive_project.yml": project_yml, "models/schema.yml": schema}
    files.update({f"models/{name}.sql": sql for name, sql in (models or MODELS).items()})
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    for name, frame in data.items():
        frame.to_parquet(root / "data" / f"{name}.parquet", index=False)
    return root


# ---- the stand-in synthesizer --------------------------------------------------------------
class Interrupt(RuntimeError):
    """Raised by BootstrapSynth to simulate a training run killed half-way."""


@dataclass
class _Settings:
    epochs: int
    max_resample_rounds: int = 10

    def model_copy(self, update: dict) -> _Settings:
        return _Settings(update.get("epochs", self.epochs))


class BootstrapSynth:
    """Resamples training rows; children draw rows of a parent with the same context."""

    #: raise :class:`Interrupt` after this many epochs, counted over all fits (once)
    interrupt_at: int | None = None
    #: report one clipped row per sampling call (as the real engine does for bounds)
    clip_one_per_call: bool = False
    epochs_run: int = 0
    fits: list[tuple[int, int]] = []  # (start epoch, end epoch) of every fit, for assertions

    def __init__(self, settings: Any, seed: int = 0) -> None:
        self.settings = settings
        self.seed = seed
        self.epochs_trained = 0
        self.best_score: float | None = None
        self.rows: pd.DataFrame | None = None
        self.keys: list[str] = []

    def fit(
        self,
        df: pd.DataFrame,
        *,
        column_kinds: Any = None,
        context: pd.DataFrame | None = None,
        context_kinds: Any = None,
        bounds: Any = None,
        on_epoch_end: Any = None,
        progress: bool = True,
    ) -> BootstrapSynth:
        self.rows = df.reset_index(drop=True)
        self.keys = _context_keys(context) if context is not None else []
        self.epochs_trained = 0
        return self._run(self.settings.epochs)

    def resume(
        self,
        extra_epochs: int,
        data: pd.DataFrame,
        *,
        context: pd.DataFrame | None = None,
        on_epoch_end: Any = None,
        progress: bool = True,
    ) -> BootstrapSynth:
        if self.rows is None:
            raise RuntimeError("nothing to resume")
        self.rows = data.reset_index(drop=True)
        return self._run(extra_epochs)

    def _run(self, epochs: int) -> BootstrapSynth:
        start = self.epochs_trained
        for _ in range(epochs):
            self.epochs_trained += 1
            BootstrapSynth.epochs_run += 1
            if BootstrapSynth.interrupt_at == BootstrapSynth.epochs_run:
                BootstrapSynth.interrupt_at = None
                raise Interrupt(f"killed at epoch {self.epochs_trained}")
        BootstrapSynth.fits.append((start, self.epochs_trained))
        self.best_score = 0.5
        return self

    def sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None = None,
        conditions: Any = None,
        seed: int | None = None,
        strict: bool = False,
        clip_tally: Any = None,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        if self.clip_one_per_call and clip_tally is not None and n:
            clip_tally.add(n, 1, {"amount outside [0, inf]": 1})
        if context is None or not self.keys:
            return self.rows.iloc[rng.integers(0, len(self.rows), n)].reset_index(drop=True)
        wanted = _context_keys(context)
        by_key: dict[str, np.ndarray] = {}
        for key in set(self.keys):
            by_key[key] = np.flatnonzero(np.array(self.keys) == key)
        picks = [
            rng.choice(by_key[k]) if k in by_key else rng.integers(0, len(self.rows))
            for k in wanted
        ]
        return self.rows.iloc[np.array(picks, dtype=np.int64)].reset_index(drop=True)

    def save(self, path: Path, *, training_state: bool = True) -> None:
        doc = {
            "epochs": self.epochs_trained,
            "settings": self.settings.epochs,
            "keys": self.keys,
            "rows": self.rows.to_json(orient="split", date_format="iso")
            if self.rows is not None
            else None,
            "dtypes": {c: str(t) for c, t in self.rows.dtypes.items()}
            if self.rows is not None
            else {},
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(doc), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BootstrapSynth:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        synth = cls(_Settings(doc["settings"]))
        synth.best_score = 0.5
        synth.epochs_trained = doc["epochs"]
        synth.keys = doc["keys"]
        if doc["rows"] is not None:
            from io import StringIO

            rows = pd.read_json(StringIO(doc["rows"]), orient="split")
            synth.rows = rows.astype(doc["dtypes"])
        return synth


def _context_keys(context: pd.DataFrame) -> list[str]:
    cols = [c for c in context.columns if context[c].dtype == object or context[c].nunique() <= 10]
    return ["|".join(map(str, row)) for row in context[cols].itertuples(index=False)]


# ---- fixtures (imported by the conftest of tests/unit/generate and tests/unit/training) ----
@pytest.fixture(autouse=True)
def _isolated_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIVE_PROFILES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> type[BootstrapSynth]:
    """Replace the CTGAN engine by the fast bootstrap stand-in."""
    monkeypatch.setattr(synth_pkg, "TableSynthesizer", BootstrapSynth, raising=False)
    monkeypatch.setattr(synth_pkg, "SynthSettings", SynthSettings, raising=False)
    monkeypatch.setattr(BootstrapSynth, "interrupt_at", None)
    monkeypatch.setattr(BootstrapSynth, "epochs_run", 0)
    monkeypatch.setattr(BootstrapSynth, "fits", [])
    return BootstrapSynth


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    return write_project(tmp_path / "minishop")


@pytest.fixture
def manifest(shop_dir: Path) -> Manifest:
    return load_project(shop_dir)


@pytest.fixture
def real_con(manifest: Manifest) -> Iterator:
    con = open_real_connection(manifest)
    yield con
    con.close()


@pytest.fixture
def open_target(tmp_path: Path) -> Iterator[Callable[[str], DuckDBAdapter]]:
    """Open DuckDB targets under tmp_path by file name; all are closed afterwards."""
    opened: list[DuckDBAdapter] = []

    def open_(name: str = "synthetic.duckdb") -> DuckDBAdapter:
        adapter = DuckDBAdapter(DuckDBTarget(path=str(tmp_path / name)), tmp_path)
        adapter.connect()
        opened.append(adapter)
        return adapter

    yield open_
    for adapter in opened:
        adapter.close()
