"""fill_generated_pii: faker columns by kind and locale, uniqueness, order, dtypes, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from privacy_builders import make_column, make_table

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.privacy import apply_pii, fill_generated_pii
from synthohive_dbt.privacy.patterns import luhn_valid
from synthohive_dbt.project.model import PiiConfig


@pytest.fixture
def trained(customers, secret_env):
    table, frame = customers
    train_frame, plan = apply_pii(frame, table, seed=1)
    return table, frame, train_frame, plan


def _generated(train_frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """Stand-in for model output: rows shaped like the training frame."""
    return train_frame.sample(n, replace=True, random_state=0).reset_index(drop=True)


def test_removed_columns_come_back_in_order_and_type(trained) -> None:
    table, frame, train_frame, plan = trained
    out = fill_generated_pii(_generated(train_frame, 40), plan, table, seed=5)
    assert list(out.columns) == list(frame.columns)
    assert out["email"].str.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+").all()
    assert out["email"].is_unique
    assert out["phone"].isna().all()  # dropped: typed nulls
    assert out["email"].dtype == frame["email"].dtype
    assert len(out) == 40


def test_locale_is_honoured(trained) -> None:
    table, _, train_frame, plan = trained
    german = fill_generated_pii(_generated(train_frame, 200), plan, table, seed=5)["full_name"]
    plan.column("full_name").locale = "en_US"
    english = fill_generated_pii(_generated(train_frame, 200), plan, table, seed=5)["full_name"]
    umlaut = r"[äöüÄÖÜß]"
    assert german.str.contains(umlaut).sum() > english.str.contains(umlaut).sum()


def test_same_seed_same_values_other_seed_other_values(trained) -> None:
    table, _, train_frame, plan = trained
    rows = _generated(train_frame, 30)
    one = fill_generated_pii(rows, plan, table, seed=5)
    two = fill_generated_pii(rows, plan, table, seed=5)
    three = fill_generated_pii(rows, plan, table, seed=6)
    pd.testing.assert_frame_equal(one, two)
    assert one["email"].tolist() != three["email"].tolist()


def test_chunks_give_the_same_values_as_one_call(trained) -> None:
    table, _, train_frame, plan = trained
    rows = _generated(train_frame, 3000)
    whole = fill_generated_pii(rows, plan, table, seed=5)
    parts = [
        fill_generated_pii(rows.iloc[a:b], plan, table, seed=5, row_offset=a)
        for a, b in [(0, 1000), (1000, 1700), (1700, 3000)]
    ]
    pd.testing.assert_frame_equal(pd.concat(parts), whole)
    assert whole["email"].is_unique


@pytest.mark.parametrize(
    "kind", ["ssn", "phone_number", "credit_card_number", "iban", "ipv4", "user_name"]
)
def test_unique_columns_are_unique_across_chunks(kind: str) -> None:
    col = make_column("v", pii=PiiConfig(action="fake", kind=kind), unique=True)
    table = make_table("t", [make_column("id", "BIGINT", "numeric"), col])
    frame = pd.DataFrame({"id": np.arange(10), "v": [f"x{i}" for i in range(10)]})
    train_frame, plan = apply_pii(frame, table, seed=0)
    rows = pd.DataFrame({"id": np.arange(5000)})
    chunks = [
        fill_generated_pii(rows.iloc[a : a + 1250], plan, table, seed=2, row_offset=a)
        for a in range(0, 5000, 1250)
    ]
    values = pd.concat(chunks)["v"]
    assert values.is_unique
    if kind == "credit_card_number":
        assert luhn_valid(values).all()


def test_null_share_is_restored_roughly(trained) -> None:
    table, frame, train_frame, plan = trained
    col = make_column("nick", pii=PiiConfig(action="fake", kind="first_name"))
    t = make_table("t", [col])
    _, p = apply_pii(pd.DataFrame({"nick": ["a", None, None, None] * 25}), t, seed=0)
    out = fill_generated_pii(pd.DataFrame(index=range(2000)), p, t, seed=1)
    assert 0.68 < out["nick"].isna().mean() < 0.82


def test_a_column_the_generator_made_is_left_alone(trained) -> None:
    table, _, train_frame, plan = trained
    rows = _generated(train_frame, 5).assign(email=["keep@me.org"] * 5)
    assert (fill_generated_pii(rows, plan, table, seed=5)["email"] == "keep@me.org").all()


def test_digit_kinds_fill_numeric_columns_and_dates_fill_date_columns() -> None:
    cols = [
        make_column("phone", "BIGINT", "numeric", pii=PiiConfig(action="fake", kind="phone")),
        make_column("dob", "DATE", "datetime", pii=PiiConfig(action="fake", kind="dob")),
    ]
    table = make_table("t", cols)
    frame = pd.DataFrame(
        {
            "phone": np.array([5551234567, 5559876543]),
            "dob": pd.to_datetime(["1980-01-02", "1990-03-04"]),
        }
    )
    _, plan = apply_pii(frame, table, seed=0)
    out = fill_generated_pii(pd.DataFrame(index=range(50)), plan, table, seed=0)
    assert out["phone"].dtype == np.int64 and (out["phone"] > 0).all()
    assert out["dob"].dtype == frame["dob"].dtype


def test_plan_for_another_table_is_refused(trained) -> None:
    table, _, train_frame, plan = trained
    with pytest.raises(PrivacyError, match="not 'orders'"):
        fill_generated_pii(train_frame, plan, make_table("orders", []), seed=0)
