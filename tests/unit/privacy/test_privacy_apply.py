"""apply_pii: each action, and no raw value left in the training frame or the plan."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest
from privacy_builders import make_column, make_table

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.privacy import PiiPlan, apply_pii, mask_text, pii_columns
from synthohive_dbt.project.model import PiiConfig, Table

RAW_COLUMNS = ["email", "full_name", "ssn", "card", "phone"]


@pytest.fixture
def applied(customers: tuple[Table, pd.DataFrame], secret_env: str):
    table, frame = customers
    out, plan = apply_pii(frame, table, seed=3)
    return table, frame, out, plan


def test_fake_and_drop_columns_leave_the_training_frame(applied) -> None:
    _, frame, out, plan = applied
    assert list(out.columns) == ["customer_id", "ssn", "card", "nickname", "segment", "age"]
    assert sorted(plan.removed_columns) == ["email", "full_name", "phone"]
    assert [c.column for c in plan.regenerated] == ["email", "full_name", "phone"]
    assert plan.column("email").kind == "email" and plan.column("email").unique
    assert plan.column("full_name").locale == "de_DE"
    assert plan.column_order == list(frame.columns)


def test_hash_and_mask_rewrite_values_in_place(applied) -> None:
    _, frame, out, _ = applied
    assert out["ssn"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert out["ssn"].nunique() == frame["ssn"].nunique()  # distinct stays distinct
    for raw, masked in zip(frame["card"], out["card"]):
        assert len(masked) == len(raw)
        assert masked.endswith(raw[-4:])
        assert set(masked[:-4]) == {"*"}


def test_keep_passes_through_and_is_logged(customers, secret_env, caplog) -> None:
    table, frame = customers
    with caplog.at_level(logging.INFO, logger="synthohive_dbt.privacy"):
        out, plan = apply_pii(frame, table, seed=3)
    assert out["nickname"].equals(frame["nickname"])
    assert plan.column("nickname").action == "keep"
    assert "customers.nickname" in caplog.text and "keep" in caplog.text


def test_other_columns_and_the_input_are_untouched(applied, customers) -> None:
    _, frame, out, _ = applied
    for name in ["customer_id", "segment", "age"]:
        assert out[name].equals(frame[name])
    assert "email" in customers[1].columns  # the caller's frame is not modified


def test_no_raw_value_survives_in_frame_or_plan(applied) -> None:
    _, frame, out, plan = applied
    plan_json = plan.to_json()
    out_text = "\n".join("|".join(map(str, row)) for row in out.itertuples(index=False))
    for name in RAW_COLUMNS:
        for raw in frame[name].dropna().astype(str):
            assert raw not in plan_json, (name, raw)
            assert raw not in out_text, (name, raw)
    for raw in frame["nickname"].dropna():
        assert raw not in plan_json  # even an opted-out column leaves no value in the plan


def test_plan_round_trips_through_json(applied) -> None:
    plan = applied[3]
    again = PiiPlan.from_json(plan.to_json())
    assert again == plan
    assert json.loads(plan.to_json())["format_version"] == 1


def test_plan_from_a_newer_format_is_refused() -> None:
    with pytest.raises(PrivacyError, match="newer"):
        PiiPlan.from_dict({"table": "t", "columns": [], "format_version": 99})


def test_replace_mode_keeps_fake_columns_consistently(customers, secret_env) -> None:
    table, frame = customers
    frame = pd.concat([frame, frame.iloc[:5]], ignore_index=True)  # repeated e-mails
    out, plan = apply_pii(frame, table, seed=3, run_key="run-1", fake_mode="replace")
    assert not plan.column("email").removed
    assert out["email"].str.contains("@").all()
    assert out["email"].iloc[-5:].tolist() == out["email"].iloc[:5].tolist()
    assert set(out["email"]).isdisjoint(set(frame["email"]))
    again, _ = apply_pii(frame, table, seed=3, run_key="run-1", fake_mode="replace")
    assert again["email"].tolist() == out["email"].tolist()


def test_pii_columns_excludes_keep(customers) -> None:
    assert pii_columns(customers[0]) == {"email", "full_name", "ssn", "card", "phone"}


def test_declared_column_missing_from_frame_is_skipped(secret_env) -> None:
    table = make_table("t", [make_column("email", pii=PiiConfig(action="drop"))])
    out, plan = apply_pii(pd.DataFrame({"x": [1]}), table, seed=0)
    assert list(out.columns) == ["x"] and plan.columns == []


@pytest.mark.parametrize(
    ("text", "keep_last", "expected"),
    [
        ("4111-1111-1111-1234", 4, "****-****-****-1234"),
        ("john.doe@example.com", 4, "****.***@******e.com"),
        ("(555) 123-4567", 2, "(***) ***-**67"),
        ("Bob", 4, "**b"),  # never more than half shown
        ("1234", 4, "**34"),
        ("abc", 0, "***"),
    ],
)
def test_mask_keeps_format_and_the_last_characters(
    text: str, keep_last: int, expected: str
) -> None:
    assert mask_text(text, keep_last) == expected
