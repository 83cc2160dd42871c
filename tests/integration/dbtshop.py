"""The raw data of tests/data/dbt_shop: three related tables in schema raw of a DuckDB file.

Seeded, small and clean enough that every dbt test of the project passes on it:
customers (id), order_headers (id, user_id -> customers.id), payments (id,
order_id -> order_headers.id), with categorical columns the dbt tests pin down.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

PROJECT = Path(__file__).parents[1] / "data" / "dbt_shop"
ROWS = {"customers": 120, "order_headers": 300, "payments": 360}


def copy_project(dest: Path) -> Path:
    """A copy of the dbt project in ``dest``, with its raw data in ``dest/shop.duckdb``."""
    shutil.copytree(PROJECT, dest)
    write_raw(dest / "shop.duckdb")
    return dest


def write_raw(path: Path, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    n_c, n_o, n_p = ROWS["customers"], ROWS["order_headers"], ROWS["payments"]
    first = np.array(["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo"])
    customers = pa.table({
        "id": np.arange(1, n_c + 1, dtype="int32"),
        "first_name": rng.choice(first, n_c),
        "last_name": rng.choice(np.array(["Lind", "Moss", "Nash", "Otto"]), n_c),
        "signed_up_on": [dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 365, n_c)],
        "tier": rng.choice(np.array(["bronze", "silver", "gold"]), n_c, p=[0.6, 0.3, 0.1]),
    })
    orders = pa.table({
        "id": np.arange(1001, 1001 + n_o, dtype="int32"),
        "user_id": rng.choice(customers["id"].to_numpy(), n_o).astype("int32"),
        "ordered_on": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 300, n_o)],
        "status": rng.choice(np.array(["placed", "shipped", "returned"]), n_o, p=[0.2, 0.7, 0.1]),
        "amount_cents": rng.integers(500, 20_000, n_o).astype("int32"),
    })
    payments = pa.table({
        "id": np.arange(1, n_p + 1, dtype="int32"),
        "order_id": rng.choice(orders["id"].to_numpy(), n_p).astype("int32"),
        "method": rng.choice(np.array(["card", "voucher", "transfer"]), n_p, p=[0.7, 0.1, 0.2]),
        "amount_cents": rng.integers(500, 20_000, n_p).astype("int32"),
    })
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw")
        for name, frame in (("customers", customers), ("order_headers", orders), ("payments", payments)):
            con.register("batch", frame)
            con.execute(f"CREATE TABLE raw.{name} AS SELECT * FROM batch")
            con.unregister("batch")
