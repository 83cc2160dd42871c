"""Fixtures for privacy tests: a table declaring every action, and a mixed-content sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from faker import Faker
from privacy_builders import HASH_ENV, SECRET, make_column, make_table

from synthohive_dbt.privacy.patterns import luhn_check_digit
from synthohive_dbt.project.model import PiiConfig, Table


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(HASH_ENV, SECRET)
    return HASH_ENV


@pytest.fixture
def customers() -> tuple[Table, pd.DataFrame]:
    """A customers table declaring every action, and 60 rows of it."""
    fk = Faker("en_US")
    fk.seed_instance(7)
    n = 60
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype="int64"),
            "email": [fk.unique.email() for _ in range(n)],
            "full_name": [fk.name() for _ in range(n)],
            "ssn": [fk.ssn() for _ in range(n)],
            "card": [fk.credit_card_number() for _ in range(n)],
            "phone": [fk.phone_number() for _ in range(n)],
            "nickname": [fk.first_name() if i % 4 else None for i in range(n)],
            "segment": [["retail", "smb", "enterprise"][i % 3] for i in range(n)],
            "age": np.arange(n, dtype="int64") % 60 + 18,
        }
    )
    cols = [
        make_column("customer_id", "BIGINT", "numeric", nullable=False, unique=True),
        make_column("email", pii=PiiConfig(action="fake", kind="email"), unique=True),
        make_column("full_name", pii=PiiConfig(action="fake", kind="name", locale="de_DE")),
        make_column("ssn", pii=PiiConfig(action="hash", secret_env=HASH_ENV)),
        make_column("card", pii=PiiConfig(action="mask", keep_last=4)),
        make_column("phone", pii=PiiConfig(action="drop")),
        make_column("nickname", pii=PiiConfig(action="keep")),
        make_column("segment", kind="categorical"),
        make_column("age", "INTEGER", "numeric"),
    ]
    return make_table("customers", cols, primary_key=["customer_id"]), frame


def _luhn_numbers(rng: np.random.Generator, n: int, first: str) -> pd.Series:
    payload = pd.Series([first + "".join(map(str, rng.integers(0, 10, 14))) for _ in range(n)])
    return payload + luhn_check_digit(payload)


@pytest.fixture(scope="session")
def mixed_sample() -> pd.DataFrame:
    """True PII columns (some undeclared names) next to columns that only look like PII."""
    fk = Faker("en_US")
    fk.seed_instance(0)
    rng = np.random.default_rng(0)
    n = 200
    cards = _luhn_numbers(rng, n, "4")
    return pd.DataFrame(
        {
            # --- PII --------------------------------------------------------------
            "customer_email": [fk.email() for _ in range(n)],
            "contact": [fk.email() for _ in range(n)],  # no hint: content alone
            "phone": [fk.phone_number() for _ in range(n)],
            "mobile": [str(x) for x in rng.integers(2_000_000_000, 9_999_999_999, n)],
            "ssn": [fk.ssn() for _ in range(n)],
            "card_number": [fk.credit_card_number() for _ in range(n)],
            "payment_ref": [" ".join(c[i : i + 4] for i in range(0, 16, 4)) for c in cards],
            "iban": [fk.iban() for _ in range(n)],
            "client_ip": [fk.ipv4() for _ in range(n)],
            "full_name": [fk.name() for _ in range(n)],
            "holder": [fk.name() for _ in range(n)],  # no hint: known first + last names
            "first_name": [fk.first_name() for _ in range(n)],
            "notes": [
                f"Customer called about order {i}, reach them at {fk.email()} after five"
                if i % 3 == 0
                else f"Routine follow up on order number {i} was scheduled for later"
                for i in range(n)
            ],
            # --- look-alikes --------------------------------------------------------
            "order_id": np.arange(1, n + 1, dtype="int64"),
            "tracking_number": _luhn_numbers(rng, n, "4").astype("int64"),  # Luhn-valid, no hint
            "account_ref": [str(x) for x in rng.integers(10**15, 10**16, n)],
            "order_ref": rng.integers(100_000_000, 999_999_999, n),  # 9 digits, SSN-sized
            "version": [
                ".".join(str(x) for x in rng.integers([1, 0, 0, 0], [12, 3, 5, 20]))
                for _ in range(n)
            ],
            "product_code": [
                f"{fk.lexify('??').upper()}-{rng.integers(1000, 9999)}-{fk.lexify('??').upper()}"
                for _ in range(n)
            ],
            "sku": [f"{rng.integers(100, 999)}-{rng.integers(100, 999)}" for _ in range(n)],
            "created_date": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
            "created_at": pd.date_range("2024-01-01", periods=n, freq="h"),
            "amount": rng.normal(100, 20, n).round(2),
            "price_text": [f"{x:.4f}" for x in rng.uniform(1000, 99999, n)],
            "segment": rng.choice(["retail", "smb", "enterprise"], n),
            "product_name": [f"{fk.color_name()} {fk.word().title()}" for _ in range(n)],
            "city": [fk.city() for _ in range(n)],
            "color": rng.choice(["Green", "Brown", "White", "Black", "Rose"], n),
            "is_email_verified": rng.random(n) > 0.5,
            "email_opt_in": rng.choice(["yes", "no"], n),
            "login_count": rng.integers(0, 100, n),
            "description": [fk.sentence(nb_words=10) for _ in range(n)],
        }
    )
