"""Builders for the profiling tests: hand-built manifests over DuckDB views.

The project loader is not used on purpose: these tests pin profiling alone, against
Manifest objects written out here and views created directly in DuckDB.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from synthohive_dbt.profiling import infer_kind
from synthohive_dbt.project.model import (
    Column,
    ForeignKey,
    Manifest,
    PiiConfig,
    SourceTable,
    SynthConfig,
    Table,
)

SHOP_DIR = Path(__file__).resolve().parents[3] / "examples" / "shop"
SHOP_DATA = SHOP_DIR / "data"

#: the shop example's tables: column -> DuckDB type, as the Parquet files hold them
SHOP_COLUMNS: dict[str, dict[str, str]] = {
    "customers": {
        "customer_id": "INTEGER", "email": "VARCHAR", "full_name": "VARCHAR", "segment": "VARCHAR",
        "country": "VARCHAR", "age": "INTEGER", "signup_date": "DATE", "is_active": "BOOLEAN",
        "credit_limit": "DECIMAL(12,2)",
    },
    "products": {
        "product_id": "INTEGER", "sku": "VARCHAR", "category": "VARCHAR",
        "unit_price": "DECIMAL(10,2)", "launched_at": "TIMESTAMP",
    },
    "promotions": {"promotion_id": "INTEGER", "code": "VARCHAR", "discount_pct": "DECIMAL(5,2)"},
    "orders": {
        "order_id": "INTEGER", "customer_id": "INTEGER", "promotion_id": "INTEGER",
        "ordered_at": "TIMESTAMP", "status": "VARCHAR", "channel": "VARCHAR",
        "shipping_cost": "DECIMAL(8,2)", "is_gift": "BOOLEAN", "total_amount": "DECIMAL(12,2)",
    },
    "order_items": {
        "order_id": "INTEGER", "line_no": "SMALLINT", "product_id": "INTEGER",
        "quantity": "INTEGER", "unit_price": "DECIMAL(10,2)", "discount": "DECIMAL(4,2)",
    },
}  # fmt: skip
SHOP_ORDER = ["customers", "products", "promotions", "orders", "order_items"]
SHOP_PII = {("customers", "email"): "email", ("customers", "full_name"): "name"}


def make_table(
    name: str,
    columns: dict[str, str],
    *,
    primary_key: list[str] | None = None,
    foreign_keys: list[ForeignKey] | None = None,
    unique_keys: list[list[str]] | None = None,
    pii: dict[str, str] | None = None,
    not_null: list[str] | None = None,
    mode: str = "learn",
) -> Table:
    """A synth Table whose columns have the kinds their DuckDB types imply."""
    primary_key = primary_key or []
    not_null = set(not_null or []) | set(primary_key)
    cols = [
        Column(
            name=c,
            data_type=t,
            kind=infer_kind(t),
            nullable=c not in not_null,
            pii=PiiConfig(action="fake", kind=pii[c]) if pii and c in pii else None,
        )
        for c, t in columns.items()
    ]
    return Table(
        name=name,
        materialized="synth",
        path=f"models/{name}.sql",
        raw_sql=f"select * from {{{{ source('raw', '{name}') }}}}",
        compiled_sql=f'select * from "raw"."{name}"',
        columns=cols,
        primary_key=primary_key,
        foreign_keys=foreign_keys or [],
        unique_keys=unique_keys or [],
        sources=[["raw", name]],
        synth=SynthConfig(mode=mode),  # type: ignore[arg-type]
    )


def make_manifest(
    tables: list[Table], project_dir: Path, *, locations: dict[str, str] | None = None
) -> Manifest:
    """A Manifest over ``tables`` (parents first), with a raw source per table."""
    locations = locations or {}
    return Manifest(
        project_name="test",
        project_dir=str(project_dir),
        target_path=str(project_dir / "target"),
        profile_name="test",
        target_name="dev",
        vars={},
        seed=42,
        tables={t.name: t for t in tables},
        sources={
            f"raw.{t.name}": SourceTable("raw", t.name, f'"raw"."{t.name}"', locations.get(t.name))
            for t in tables
        },
        order=[t.name for t in tables],
    )


def shop_manifest(data_dir: Path = SHOP_DATA) -> Manifest:
    """The shop example's manifest, written out by hand as the loader would resolve it."""
    fk = ForeignKey
    keys = {
        "customers": dict(primary_key=["customer_id"], not_null=["email", "segment"]),
        "products": dict(primary_key=["product_id"], unique_keys=[["sku"]]),
        "promotions": dict(primary_key=["promotion_id"], mode="copy"),
        "orders": dict(
            primary_key=["order_id"],
            not_null=["customer_id"],
            foreign_keys=[
                fk(["customer_id"], "customers", ["customer_id"], nullable=False),
                fk(["promotion_id"], "promotions", ["promotion_id"], nullable=True),
            ],
        ),
        "order_items": dict(
            primary_key=["order_id", "line_no"],
            not_null=["product_id"],
            foreign_keys=[
                fk(["order_id"], "orders", ["order_id"], nullable=False),
                fk(["product_id"], "products", ["product_id"], nullable=False),
            ],
        ),
    }
    tables = []
    for name in SHOP_ORDER:
        pii = {c: k for (t, c), k in SHOP_PII.items() if t == name}
        tables.append(make_table(name, SHOP_COLUMNS[name], pii=pii, **keys[name]))  # type: ignore[arg-type]
    locations = {name: str(data_dir / f"{name}.parquet") for name in SHOP_ORDER}
    return make_manifest(tables, data_dir.parent, locations=locations)


def register_parquet_views(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    """A view per table over its Parquet file, named as the model (what the loader does)."""
    for name, path in files.items():
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')
