"""A small shop (customers -> orders -> order_lines) to test the emitted SQL tests on.

``real`` data and an independent ``good`` synthetic copy are drawn from the same
seeded distributions; the profile is computed from the real data the way
``docs/profile_json.md`` describes it, so the tests see only aggregates. ``BREAKAGES``
are SQL edits that each introduce one defect into the synthetic copy, with the exact
set of tests that defect must fail.

Also loaded by path from tests/unit/report and tests/integration (see their loaders).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from synthohive_dbt.project.model import (
    CheckConstraint,
    Column,
    DataTest,
    ForeignKey,
    Manifest,
    PiiConfig,
    Table,
)
from synthohive_dbt.targets.config import DuckDBTarget, ParquetTarget

LEVELS = [i / 100 for i in range(101)]
SEGMENTS = (["retail", "smb", "enterprise"], [0.5, 0.3, 0.2])
# a value with jinja delimiters: dbt must read the embedded literal verbatim
STATUSES = (["placed", "shipped", "returned", "on {{hold}}"], [0.55, 0.3, 0.1, 0.05])
N_CUSTOMERS = 600


# ---- data ------------------------------------------------------------------------------
def make_data(seed: int, n_customers: int = N_CUSTOMERS) -> dict[str, pd.DataFrame]:
    """Three related tables drawn from fixed distributions (``seed`` picks the draw)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_customers + 1)
    age = np.clip(rng.normal(45, 12, n_customers).round(), 18, 90).astype("int32")
    customers = pd.DataFrame({
        "customer_id": ids.astype("int32"),
        "segment": rng.choice(SEGMENTS[0], n_customers, p=SEGMENTS[1]),
        "age": age,
        "income": np.exp(9.5 + 0.02 * (age - 45) + rng.normal(0, 0.3, n_customers)).round(2),
        "signup_date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n_customers), unit="D"),
        "is_active": rng.random(n_customers) < 0.7,
        "email": [f"user{i}@example.com" for i in ids],
    })
    customers["signup_date"] = customers["signup_date"].dt.date
    per_customer = rng.poisson(3.0, n_customers)
    order_customer = np.repeat(ids, per_customer).astype("int32")
    n_orders = len(order_customer)
    discount = rng.uniform(0, 0.3, n_orders).round(3)
    orders = pd.DataFrame({
        "order_id": np.arange(1, n_orders + 1).astype("int32"),
        "customer_id": order_customer,
        "amount": rng.gamma(2.0, 40.0, n_orders).round(2),
        "status": rng.choice(STATUSES[0], n_orders, p=STATUSES[1]),
        "discount": pd.Series(discount).where(rng.random(n_orders) >= 0.2),
    })
    per_order = rng.poisson(1.5, n_orders)
    line_order = np.repeat(orders["order_id"].to_numpy(), per_order)
    line_no = np.concatenate([np.arange(1, k + 1) for k in per_order if k > 0]).astype("int32")
    lines = pd.DataFrame({
        "order_id": line_order.astype("int32"),
        "line_no": line_no,
        "quantity": rng.integers(1, 6, len(line_order)).astype("int32"),
    })
    return {"customers": customers, "orders": orders, "order_lines": lines}


# ---- manifest --------------------------------------------------------------------------
def make_manifest(project_dir: Path, settings: dict[str, Any] | None = None) -> Manifest:
    """The shop's resolved project, built by hand."""
    customers = Table(
        name="customers", materialized="synth", path="models/customers.sql",
        raw_sql="select * from {{ source('raw', 'customers') }}", compiled_sql="select 1",
        columns=[
            Column("customer_id", "INTEGER", "numeric", nullable=False),
            Column("segment", "VARCHAR", "categorical", tests=[
                DataTest("accepted_values", "segment", {"values": ["retail", "smb", "enterprise"]}),
            ]),
            Column("age", "INTEGER", "numeric"),
            Column("income", "DOUBLE", "numeric"),
            Column("signup_date", "DATE", "datetime"),
            Column("is_active", "BOOLEAN", "boolean"),
            Column("email", "VARCHAR", "text", pii=PiiConfig(action="fake", kind="email")),
        ],
        primary_key=["customer_id"],
        checks=[CheckConstraint("age between 18 and 100", column="age")],
    )
    orders = Table(
        name="orders", materialized="synth", path="models/orders.sql",
        raw_sql="select * from {{ source('raw', 'orders') }}", compiled_sql="select 1",
        columns=[
            Column("order_id", "INTEGER", "numeric", nullable=False),
            Column("customer_id", "INTEGER", "numeric"),
            Column("amount", "DECIMAL(10,2)", "numeric"),
            Column("status", "VARCHAR", "categorical"),
            Column("discount", "DOUBLE", "numeric"),
        ],
        primary_key=["order_id"],
        foreign_keys=[ForeignKey(["customer_id"], "customers", ["customer_id"])],
        refs=["customers"],
    )
    lines = Table(
        name="order_lines", materialized="synth", path="models/order_lines.sql",
        raw_sql="select * from {{ source('raw', 'order_lines') }}", compiled_sql="select 1",
        columns=[
            Column("order_id", "INTEGER", "numeric", nullable=False),
            Column("line_no", "INTEGER", "numeric", nullable=False),
            Column("quantity", "INTEGER", "numeric"),
        ],
        primary_key=["order_id", "line_no"],
        foreign_keys=[ForeignKey(["order_id"], "orders", ["order_id"])],
        refs=["orders"],
    )
    tables = {t.name: t for t in (customers, orders, lines)}
    return Manifest(
        project_name="toyshop", project_dir=str(project_dir), target_path=str(project_dir / "target"),
        profile_name="toyshop", target_name="dev", vars={}, seed=7, tables=tables, sources={},
        order=["customers", "orders", "order_lines"], settings={"data_tests": settings or {}},
    )


# ---- profile (aggregates only, as docs/profile_json.md) -------------------------------
def make_profile(manifest: Manifest, data: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """profile.json for ``data``: quantiles, top values, moments, child counts, correlations."""
    con = duckdb.connect()
    tables = {}
    for name, table in manifest.tables.items():
        frame = data[name]
        con.register("frame", frame)
        columns = {c.name: _column_profile(con, c, frame, pii=c.pii is not None) for c in table.columns}
        tables[name] = {
            "row_count": len(frame),
            "columns": columns,
            "primary_key": {"columns": table.primary_key, "duplicate_count": 0, "null_count": 0, "unique": True},
            "foreign_keys": [_fk_profile(fk, frame, data[fk.parent]) for fk in table.foreign_keys],
            "correlations": _correlations(frame, [c.name for c in table.columns if c.kind == "numeric"]),
        }
        con.unregister("frame")
    return {"format_version": 1, "generated_at": "2026-01-01T00:00:00Z", "project": "toyshop", "tables": tables}


def _column_profile(con: duckdb.DuckDBPyConnection, column: Column, frame: pd.DataFrame, *, pii: bool) -> dict[str, Any]:
    series = frame[column.name]
    non_null = series.dropna()
    out: dict[str, Any] = {
        "data_type": column.data_type, "kind": column.kind,
        "null_count": int(series.isna().sum()), "null_rate": float(series.isna().mean()),
        "distinct_count": int(non_null.nunique()),
        "min": None, "max": None, "mean": None, "std": None, "quantiles": None, "top_values": [],
    }
    quoted = '"' + column.name + '"'
    if column.kind in ("numeric", "datetime"):
        row = con.execute(
            f"SELECT min({quoted}), max({quoted}), quantile_cont({quoted}, {LEVELS}) FROM frame"
        ).fetchone()
        if column.kind == "numeric":
            out.update(min=float(row[0]), max=float(row[1]), quantiles=[float(q) for q in row[2]],
                       mean=float(non_null.astype(float).mean()), std=float(non_null.astype(float).std()))
        else:
            out.update(min=row[0].isoformat(), max=row[1].isoformat(), quantiles=[q.isoformat() for q in row[2]])
    if not pii and column.kind in ("categorical", "boolean", "numeric"):
        rows = con.execute(
            f"SELECT CAST({quoted} AS VARCHAR) AS v, count(*) AS n FROM frame WHERE {quoted} IS NOT NULL "
            "GROUP BY v ORDER BY n DESC, v LIMIT 50"
        ).fetchall()
        total = len(non_null)
        out["top_values"] = [{"value": v, "count": n, "frequency": n / total} for v, n in rows]
    return out


def _fk_profile(fk: ForeignKey, child: pd.DataFrame, parent: pd.DataFrame) -> dict[str, Any]:
    counts = child.groupby(fk.columns[0]).size()
    per_parent = parent[fk.parent_columns[0]].map(counts).fillna(0).astype(int)
    histogram = per_parent.value_counts().sort_index()
    return {
        "name": fk.name, "columns": fk.columns, "parent": fk.parent, "parent_columns": fk.parent_columns,
        "null_count": 0, "null_rate": 0.0, "orphan_count": 0,
        "child_count": {
            "parents": len(parent), "mean": float(per_parent.mean()), "std": float(per_parent.std()),
            "max": int(per_parent.max()), "histogram": {str(k): int(v) for k, v in histogram.items()},
        },
    }


def _correlations(frame: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    matrix = frame[columns].astype(float).corr().round(6)
    return {"columns": columns, "matrix": matrix.to_numpy().tolist()}


# ---- the synthetic output ------------------------------------------------------------
def write_duckdb(path: Path, data: dict[str, pd.DataFrame]) -> DuckDBTarget:
    """Write ``data`` as tables of a DuckDB file; the target config that points at it."""
    con = duckdb.connect(str(path))
    for name, frame in data.items():
        con.register("frame", frame)
        con.execute(f'CREATE OR REPLACE TABLE main."{name}" AS SELECT * FROM frame')
        con.unregister("frame")
    con.close()
    return DuckDBTarget(path=str(path), schema="main")


def write_parquet(folder: Path, data: dict[str, pd.DataFrame]) -> ParquetTarget:
    """Write ``data`` as ``<folder>/<table>.parquet`` files; the target config."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in data.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet")
    return ParquetTarget(path=str(folder))


@dataclass
class Breakage:
    """One defect: the SQL that makes it, and the tests it must fail (no others)."""

    sql: list[str]
    fails: set[str]


BREAKAGES: dict[str, Breakage] = {
    "parents_deleted": Breakage(
        ["DELETE FROM customers WHERE customer_id % 29 = 0 AND customer_id IN (SELECT customer_id FROM orders)"],
        {"shive_relationships_orders_customer_id_customers"},
    ),
    "primary_key_nulled": Breakage(
        ["UPDATE orders SET order_id = NULL WHERE order_id = "
         "(SELECT min(order_id) FROM orders WHERE order_id NOT IN (SELECT order_id FROM order_lines))"],
        {"shive_not_null_orders_order_id"},
    ),
    "composite_key_part_nulled": Breakage(
        ["UPDATE order_lines SET line_no = NULL WHERE order_id = (SELECT min(order_id) FROM order_lines)"
         " AND line_no = 1"],
        {"shive_not_null_order_lines_line_no"},
    ),
    "primary_key_duplicated": Breakage(
        ["INSERT INTO customers SELECT * FROM customers WHERE customer_id = 3"],
        {"shive_unique_customers_customer_id"},
    ),
    "composite_key_duplicated": Breakage(
        ["INSERT INTO order_lines SELECT * FROM order_lines WHERE order_id = (SELECT min(order_id) FROM order_lines)"
         " AND line_no = 1"],
        {"shive_unique_order_lines_order_id_line_no"},
    ),
    "numeric_shifted": Breakage(
        ["UPDATE orders SET amount = amount + 60"],
        {"shive_ks_orders_amount", "shive_moments_orders_amount"},
    ),
    "category_share_changed": Breakage(
        ["UPDATE customers SET segment = 'enterprise' WHERE segment = 'retail' AND customer_id % 5 <> 0"],
        {"shive_tv_customers_segment"},
    ),
    "value_not_accepted": Breakage(
        ["UPDATE customers SET segment = 'bogus' WHERE customer_id = 7"],
        {"shive_accepted_values_customers_segment"},
    ),
    "check_violated": Breakage(
        ["UPDATE customers SET age = 150 WHERE customer_id = 5"],
        {"shive_check_customers_age"},
    ),
}


def break_duckdb(path: Path, breakage: Breakage) -> None:
    """Apply one defect to the synthetic DuckDB file in place."""
    con = duckdb.connect(str(path))
    for statement in breakage.sql:
        con.execute(statement)
    con.close()
