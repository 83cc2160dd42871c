"""Write the shop example's raw data to ``data/*.parquet``, deterministically.

The data is invented, but shaped like a small web shop so that a synthesizer has
something real to learn:

* ``customers`` -> ``orders`` -> ``order_items``: a three-level chain; many customers
  have no orders at all, and enterprise customers order far more often and in far
  larger quantities than retail ones.
* ``order_items`` has two parents (``orders`` and ``products``) and a composite
  primary key ``(order_id, line_no)``.
* ``orders.promotion_id`` is a nullable foreign key (about 70% null) to the small
  ``promotions`` reference table, which the project copies instead of learning.
* the product category drives the unit price; ages and credit limits are
  multimodal; ages have nulls; there are dates, timestamps, booleans, decimals and
  e-mail addresses (on reserved ``example.*`` domains only).

Run it from anywhere (``python examples/shop/generate_data.py``); the same seed always
writes the same rows. The committed Parquet files are its output.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20240601
N_CUSTOMERS = 2000
N_PRODUCTS = 150
DATA_DIR = Path(__file__).resolve().parent / "data"

FIRST_NAMES = [
    "Ada", "Alan", "Amara", "Anna", "Ben", "Carla", "Chen", "Dara", "David", "Elena",
    "Emil", "Fatima", "Felix", "Grace", "Hana", "Ivan", "Jonas", "Julia", "Kai", "Laila",
    "Lars", "Lea", "Liam", "Lucia", "Maya", "Mateo", "Nadia", "Noah", "Olga", "Omar",
    "Paula", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Tomas", "Uma", "Victor", "Yara",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen",
    "Ibrahim", "Jensen", "Kowalski", "Larsen", "Meyer", "Novak", "Okafor", "Petrov",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Young",
    "Zimmer", "Moreau", "Silva", "Nakamura", "Lindqvist",
]  # fmt: skip
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]
COUNTRIES = ["US", "GB", "DE", "FR", "NL", "ES", "CA", "AU", "SE", "JP"]
COUNTRY_SHARES = [0.36, 0.14, 0.12, 0.08, 0.06, 0.06, 0.06, 0.05, 0.04, 0.03]

SEGMENTS = ["retail", "smb", "enterprise"]
SEGMENT_SHARES = [0.70, 0.22, 0.08]
#: mean orders per customer and the negative-binomial dispersion, by segment
ORDERS_PER_CUSTOMER = {"retail": (2.4, 0.9), "smb": (5.8, 2.0), "enterprise": (18.0, 3.0)}
#: mean extra order lines (beyond the first), by segment
EXTRA_LINES = {"retail": 0.8, "smb": 1.5, "enterprise": 2.5}
CHANNELS = {
    "retail": (["web", "mobile", "store"], [0.50, 0.40, 0.10]),
    "smb": (["web", "mobile", "sales_rep"], [0.60, 0.15, 0.25]),
    "enterprise": (["web", "sales_rep"], [0.30, 0.70]),
}

#: category -> (share of the catalogue, median price, price spread as a lognormal sigma)
CATEGORIES = {
    "electronics": (0.20, 320.0, 0.70),
    "home": (0.22, 60.0, 0.60),
    "apparel": (0.20, 38.0, 0.45),
    "books": (0.15, 17.0, 0.35),
    "grocery": (0.13, 6.0, 0.50),
    "toys": (0.10, 28.0, 0.50),
}
#: which categories each segment prefers (weights multiplied onto product popularity)
CATEGORY_TASTE = {
    "retail": {
        "electronics": 0.7,
        "home": 1.0,
        "apparel": 1.6,
        "books": 1.3,
        "grocery": 1.2,
        "toys": 1.2,
    },
    "smb": {
        "electronics": 1.3,
        "home": 1.2,
        "apparel": 0.7,
        "books": 0.9,
        "grocery": 1.4,
        "toys": 0.5,
    },
    "enterprise": {
        "electronics": 2.5,
        "home": 1.0,
        "apparel": 0.4,
        "books": 0.6,
        "grocery": 1.6,
        "toys": 0.2,
    },
}

PROMOTIONS = [
    (1, "WELCOME5", "5.00"),
    (2, "SPRING10", "10.00"),
    (3, "SUMMER15", "15.00"),
    (4, "AUTUMN10", "10.00"),
    (5, "BLACKFRIDAY25", "25.00"),
    (6, "CYBER20", "20.00"),
    (7, "LOYALTY12", "12.00"),
    (8, "B2B7", "7.00"),
]
PROMOTION_WEIGHTS = [0.22, 0.12, 0.12, 0.10, 0.18, 0.12, 0.09, 0.05]

STATUSES = ["delivered", "shipped", "processing", "cancelled", "returned"]
FIRST_DAY = date(2019, 1, 1)
LAST_SIGNUP = date(2024, 6, 30)
LAST_ORDER = datetime(2024, 12, 31, 23, 59)


@dataclass
class Customers:
    """The columns of ``customers`` kept in memory to drive the child tables."""

    customer_id: np.ndarray
    segment: np.ndarray
    signup_day: np.ndarray  # days since FIRST_DAY
    is_active: np.ndarray
    table: pa.Table


def cents(values: np.ndarray) -> list[Decimal]:
    """Exact two-decimal Decimals (Parquet DECIMAL columns need Decimal, not float)."""
    return [Decimal(int(v)).scaleb(-2) for v in np.round(np.asarray(values) * 100)]


def negative_binomial(
    rng: np.random.Generator, mean: float, dispersion: float, size: int
) -> np.ndarray:
    """Counts with the given mean; smaller ``dispersion`` gives more zeros and a longer tail."""
    return rng.negative_binomial(dispersion, dispersion / (dispersion + mean), size=size)


def make_customers(rng: np.random.Generator) -> Customers:
    n = N_CUSTOMERS
    customer_id = np.arange(1, n + 1)
    segment = rng.choice(SEGMENTS, size=n, p=SEGMENT_SHARES)
    first = rng.choice(FIRST_NAMES, size=n)
    last = rng.choice(LAST_NAMES, size=n)
    full_name = [f"{f} {ln}" for f, ln in zip(first, last)]
    emails = _unique_emails(rng, first, last)

    # retail customers are either young or middle-aged; business buyers are working age
    young = rng.random(n) < 0.55
    age = np.where(
        segment == "retail",
        np.where(young, rng.normal(27, 4, n), rng.normal(54, 8, n)),
        rng.normal(43, 9, n),
    )
    age = np.clip(np.round(age), 18, 90).astype("int64")
    age_missing = rng.random(n) < np.where(segment == "retail", 0.07, 0.02)

    span = (LAST_SIGNUP - FIRST_DAY).days
    # enterprise accounts are older on average; growth makes recent signups commoner
    signup_day = np.where(
        segment == "enterprise",
        rng.beta(1.3, 1.8, n) * span,
        rng.beta(1.8, 1.1, n) * span,
    ).astype("int64")
    recency = signup_day / span
    is_active = rng.random(n) < (0.70 + 0.25 * recency)

    credit = {
        "retail": rng.lognormal(np.log(1500), 0.6, n).round(-2),
        "smb": rng.lognormal(np.log(15000), 0.5, n).round(-3),
        "enterprise": rng.lognormal(np.log(150000), 0.5, n).round(-4),
    }
    credit_limit = np.select([segment == s for s in SEGMENTS], [credit[s] for s in SEGMENTS])

    table = pa.table(
        {
            "customer_id": pa.array(customer_id, pa.int32()),
            "email": pa.array(emails, pa.string()),
            "full_name": pa.array(full_name, pa.string()),
            "segment": pa.array(segment, pa.string()),
            "country": pa.array(rng.choice(COUNTRIES, size=n, p=COUNTRY_SHARES), pa.string()),
            "age": pa.array(age, pa.int32(), mask=age_missing),
            "signup_date": pa.array(
                [FIRST_DAY + timedelta(days=int(d)) for d in signup_day], pa.date32()
            ),
            "is_active": pa.array(is_active, pa.bool_()),
            "credit_limit": pa.array(cents(credit_limit), pa.decimal128(12, 2)),
        }
    )
    return Customers(customer_id, segment, signup_day, is_active, table)


def _unique_emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> list[str]:
    """``first.last@domain`` style addresses, numbered where a name repeats."""
    seen: dict[str, int] = {}
    emails = []
    styles = rng.integers(0, 3, size=len(first))
    domains = rng.choice(EMAIL_DOMAINS, size=len(first), p=[0.4, 0.25, 0.2, 0.15])
    for f, ln, style, domain in zip(first, last, styles, domains):
        local = [f"{f}.{ln}", f"{f[0]}{ln}", f"{ln}.{f}"][style].lower()
        seen[local] = seen.get(local, 0) + 1
        if seen[local] > 1:
            local = f"{local}{seen[local]}"
        emails.append(f"{local}@{domain}")
    return emails


def make_products(rng: np.random.Generator) -> pa.Table:
    n = N_PRODUCTS
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in names])
    category = rng.choice(names, size=n, p=shares / shares.sum())
    median = np.array([CATEGORIES[c][1] for c in category])
    sigma = np.array([CATEGORIES[c][2] for c in category])
    # prices end in .99 or .49, as shop prices do
    price = np.floor(rng.lognormal(np.log(median), sigma)) + rng.choice(
        [0.99, 0.49], size=n, p=[0.8, 0.2]
    )
    sku_numbers = rng.choice(np.arange(10, 99999), size=n, replace=False)
    launched = [
        datetime(2018, 1, 1) + timedelta(days=int(d), minutes=int(m))
        for d, m in zip(rng.integers(0, 6 * 365, n), rng.integers(8 * 60, 18 * 60, n))
    ]
    return pa.table(
        {
            "product_id": pa.array(np.arange(1, n + 1), pa.int32()),
            "sku": pa.array([f"SKU-{k:05d}" for k in sku_numbers], pa.string()),
            "category": pa.array(category, pa.string()),
            "unit_price": pa.array(cents(price), pa.decimal128(10, 2)),
            "launched_at": pa.array(launched, pa.timestamp("us")),
        }
    )


def make_promotions() -> pa.Table:
    return pa.table(
        {
            "promotion_id": pa.array([p[0] for p in PROMOTIONS], pa.int32()),
            "code": pa.array([p[1] for p in PROMOTIONS], pa.string()),
            "discount_pct": pa.array([Decimal(p[2]) for p in PROMOTIONS], pa.decimal128(5, 2)),
        }
    )


def order_timestamps(rng: np.random.Generator, signup_day: int, count: int) -> list[datetime]:
    """``count`` order times after a signup, with lunch-time and evening peaks."""
    start = datetime.combine(FIRST_DAY, datetime.min.time()) + timedelta(days=int(signup_day))
    days = rng.random(count) * max((LAST_ORDER - start).days, 1)
    hour = np.where(
        rng.random(count) < 0.4, rng.normal(12.5, 1.0, count), rng.normal(20.0, 1.5, count)
    )
    minutes = (np.clip(hour, 0, 23.98) * 60).astype(int)
    return [start + timedelta(days=int(d), minutes=int(m), seconds=int(s))
            for d, m, s in zip(days, minutes, rng.integers(0, 60, count))]  # fmt: skip


def make_orders_and_items(
    rng: np.random.Generator, customers: Customers, products: pa.Table
) -> tuple[pa.Table, pa.Table]:
    orders = _draw_orders(rng, customers)
    items = _draw_items(rng, orders, products)
    return _orders_table(rng, orders, items), _items_table(items)


def _draw_orders(rng: np.random.Generator, customers: Customers) -> dict[str, np.ndarray]:
    """One row per order, sorted by time, with its customer's segment kept alongside."""
    counts = np.zeros(len(customers.customer_id), dtype=int)
    for seg, (mean, dispersion) in ORDERS_PER_CUSTOMER.items():
        mask = customers.segment == seg
        counts[mask] = negative_binomial(rng, mean, dispersion, int(mask.sum()))
    counts = np.where(customers.is_active, counts, counts // 3)
    owner = np.repeat(np.arange(len(counts)), counts)
    times = np.empty(len(owner), dtype="datetime64[s]")
    at = 0
    for i, count in enumerate(counts):
        if count:
            times[at : at + count] = order_timestamps(rng, customers.signup_day[i], int(count))
            at += count
    order = np.argsort(times, kind="stable")
    owner, times = owner[order], times[order]
    return {
        "order_id": np.arange(1, len(owner) + 1),
        "customer_id": customers.customer_id[owner],
        "segment": customers.segment[owner],
        "ordered_at": times,
    }


def _draw_items(
    rng: np.random.Generator, orders: dict[str, np.ndarray], products: pa.Table
) -> dict[str, np.ndarray]:
    """Order lines: a product per line chosen by segment taste, quantities by segment."""
    segment = orders["segment"]
    lines = 1 + rng.poisson([EXTRA_LINES[s] for s in segment])
    order_idx = np.repeat(np.arange(len(segment)), lines)
    line_no = np.concatenate([np.arange(1, k + 1) for k in lines])
    line_segment = segment[order_idx]

    category = np.asarray(products["category"].to_pylist())
    price = np.asarray([float(p) for p in products["unit_price"].to_pylist()])
    popularity = rng.pareto(1.5, len(category)) + 0.2  # a few bestsellers
    product_idx = np.empty(len(order_idx), dtype=int)
    quantity = np.empty(len(order_idx), dtype=int)
    for seg in SEGMENTS:
        mask = line_segment == seg
        weights = popularity * np.array([CATEGORY_TASTE[seg][c] for c in category])
        product_idx[mask] = rng.choice(
            len(category), size=int(mask.sum()), p=weights / weights.sum()
        )
        quantity[mask] = _quantities(rng, seg, int(mask.sum()))
    # a few lines were sold before or after a price change
    drift = np.where(rng.random(len(order_idx)) < 0.08, rng.choice([0.9, 1.1], len(order_idx)), 1.0)
    return {
        "order_idx": order_idx,
        "order_id": orders["order_id"][order_idx],
        "line_no": line_no,
        "product_id": product_idx + 1,
        "quantity": quantity,
        "unit_price": np.round(price[product_idx] * drift, 2),
        "segment": line_segment,
    }


def _quantities(rng: np.random.Generator, segment: str, size: int) -> np.ndarray:
    """Units per line: retail buys one or two, businesses buy in bulk."""
    if segment == "retail":
        return 1 + rng.poisson(0.3, size)
    if segment == "smb":
        return 1 + rng.poisson(2.5, size)
    return 1 + negative_binomial(rng, 11.0, 2.0, size)


def _orders_table(
    rng: np.random.Generator, orders: dict[str, np.ndarray], items: dict[str, np.ndarray]
) -> pa.Table:
    """Order header columns; discounts and the total follow from the promotion and lines."""
    n = len(orders["order_id"])
    segment = orders["segment"]
    has_promo = rng.random(n) < np.where(segment == "enterprise", 0.15, 0.32)
    promo_idx = rng.choice(len(PROMOTIONS), size=n, p=PROMOTION_WEIGHTS)
    promo_pct = np.array([float(PROMOTIONS[i][2]) for i in promo_idx])

    volume = items["quantity"] >= 10
    line_discount = np.where(
        has_promo[items["order_idx"]],
        promo_pct[items["order_idx"]] / 100,
        np.where(volume, np.where(items["quantity"] >= 20, 0.10, 0.05), 0.0),
    )
    items["discount"] = line_discount
    net = items["quantity"] * items["unit_price"] * (1 - line_discount)
    subtotal = np.bincount(items["order_idx"], weights=net, minlength=n)

    base_shipping = rng.choice([4.99, 9.99, 14.99], size=n, p=[0.6, 0.3, 0.1])
    shipping = np.where(
        subtotal >= 75, 0.0, base_shipping + rng.choice([0.0, 2.5], size=n, p=[0.85, 0.15])
    )
    age_days = (
        (np.datetime64(LAST_ORDER) - orders["ordered_at"]).astype("timedelta64[D]").astype(int)
    )
    status = _statuses(rng, age_days)
    channel = np.empty(n, dtype=object)
    for seg, (names, shares) in CHANNELS.items():
        mask = segment == seg
        channel[mask] = rng.choice(names, size=int(mask.sum()), p=shares)
    is_gift = rng.random(n) < np.where(segment == "retail", 0.14, 0.01)

    return pa.table(
        {
            "order_id": pa.array(orders["order_id"], pa.int32()),
            "customer_id": pa.array(orders["customer_id"], pa.int32()),
            "promotion_id": pa.array(promo_idx + 1, pa.int32(), mask=~has_promo),
            "ordered_at": pa.array(
                orders["ordered_at"].astype("datetime64[us]"), pa.timestamp("us")
            ),
            "status": pa.array(status, pa.string()),
            "channel": pa.array(channel.astype(str), pa.string()),
            "shipping_cost": pa.array(cents(shipping), pa.decimal128(8, 2)),
            "is_gift": pa.array(is_gift, pa.bool_()),
            "total_amount": pa.array(cents(subtotal + shipping), pa.decimal128(12, 2)),
        }
    )


def _statuses(rng: np.random.Generator, age_days: np.ndarray) -> np.ndarray:
    """Recent orders are still processing or shipped; old ones delivered, some cancelled or returned."""
    old = rng.choice(STATUSES, size=len(age_days), p=[0.88, 0.0, 0.0, 0.07, 0.05])
    recent = rng.choice(STATUSES, size=len(age_days), p=[0.30, 0.40, 0.22, 0.08, 0.0])
    return np.where(age_days < 14, recent, old)


def _items_table(items: dict[str, np.ndarray]) -> pa.Table:
    return pa.table(
        {
            "order_id": pa.array(items["order_id"], pa.int32()),
            "line_no": pa.array(items["line_no"], pa.int16()),
            "product_id": pa.array(items["product_id"], pa.int32()),
            "quantity": pa.array(items["quantity"], pa.int32()),
            "unit_price": pa.array(cents(items["unit_price"]), pa.decimal128(10, 2)),
            "discount": pa.array(cents(items["discount"]), pa.decimal128(4, 2)),
        }
    )


def generate(out_dir: Path, seed: int = SEED) -> dict[str, int]:
    """Write every table to ``out_dir/<table>.parquet``; return the row counts."""
    rng = np.random.default_rng(seed)
    customers = make_customers(rng)
    products = make_products(rng)
    orders, items = make_orders_and_items(rng, customers, products)
    tables = {
        "customers": customers.table,
        "products": products,
        "promotions": make_promotions(),
        "orders": orders,
        "order_items": items,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, out_dir / f"{name}.parquet", compression="zstd")
    return {name: table.num_rows for name, table in tables.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DATA_DIR,
        help="output folder (default: data/ next to this script)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for name, rows in generate(args.out, args.seed).items():
        print(f"{name:12s} {rows:6d} rows -> {args.out / (name + '.parquet')}")


if __name__ == "__main__":
    main()
