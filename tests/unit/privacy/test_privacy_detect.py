"""Detection finds the PII of a mixed table and flags none of its look-alikes."""

from __future__ import annotations

import pandas as pd
import pytest

from synthohive_dbt.privacy import PiiFinding, detect_pii
from synthohive_dbt.project.model import PiiConfig

EXPECTED = {
    "customer_email": ("email", "both"),
    "contact": ("email", "content"),
    "phone": ("phone_number", "both"),
    "mobile": ("phone_number", "both"),
    "ssn": ("ssn", "both"),
    "card_number": ("credit_card_number", "both"),
    "payment_ref": ("credit_card_number", "content"),
    "iban": ("iban", "both"),
    "client_ip": ("ipv4", "both"),
    "full_name": ("name", "both"),
    "holder": ("name", "content"),
    "first_name": ("first_name", "both"),
    "notes": ("free_text", "content"),
}


@pytest.fixture(scope="module")
def findings(mixed_sample: pd.DataFrame) -> dict[str, PiiFinding]:
    return {f.column: f for f in detect_pii(mixed_sample, table="people")}


def test_every_pii_column_is_found_with_its_kind(findings: dict[str, PiiFinding]) -> None:
    got = {name: (f.kind, f.reason) for name, f in findings.items() if name in EXPECTED}
    assert got == EXPECTED


def test_no_look_alike_is_flagged(
    findings: dict[str, PiiFinding], mixed_sample: pd.DataFrame
) -> None:
    look_alikes = set(mixed_sample.columns) - set(EXPECTED)
    assert set(findings) & look_alikes == set()


def test_findings_carry_table_share_and_a_declaration(findings: dict[str, PiiFinding]) -> None:
    email = findings["customer_email"]
    assert email.table == "people"
    assert email.match_share == 1.0
    assert email.sampled == 200
    assert email.confidence > findings["contact"].confidence  # name and content agree
    assert email.suggestion == "config: {pii: {action: fake, kind: email}}"
    assert email.as_yaml() == "- name: customer_email\n  config: {pii: {action: fake, kind: email}}"
    assert "customer_email looks like email" in email.describe()
    assert findings["notes"].suggestion == "config: {pii: {action: drop}}"


def test_declared_columns_are_authoritative(mixed_sample: pd.DataFrame) -> None:
    declared = {"customer_email": PiiConfig(action="keep"), "ssn": PiiConfig(action="hash")}
    columns = {f.column for f in detect_pii(mixed_sample, declared=declared)}
    assert "customer_email" not in columns and "ssn" not in columns
    assert "contact" in columns


def test_order_id_of_luhn_valid_16_digits_needs_a_card_hint() -> None:
    numbers = pd.Series(["4111111111111111", "4012888888881881", "5555555555554444"] * 10)
    assert detect_pii(pd.DataFrame({"ref": numbers})) == []
    hinted = detect_pii(pd.DataFrame({"cc_number": numbers}))
    assert [(f.kind, f.reason) for f in hinted] == [("credit_card_number", "both")]


def test_card_hint_alone_is_not_enough_without_luhn() -> None:
    digits = pd.Series([f"41111111111111{i:02d}" for i in range(30)])
    valid = pd.Series(["4111111111111111"] * 30)
    assert detect_pii(pd.DataFrame({"card_id": digits})) == []  # Luhn rejects 9 in 10
    assert detect_pii(pd.DataFrame({"card_id": valid}))[0].kind == "credit_card_number"


def test_dotted_quads_in_a_version_column_are_not_ip_addresses() -> None:
    quads = pd.Series(["10.0.0.1", "10.0.0.2", "192.168.1.20"] * 10)
    assert detect_pii(pd.DataFrame({"version": quads})) == []
    assert detect_pii(pd.DataFrame({"peer": quads}))[0].kind == "ipv4"


def test_bare_digits_are_a_phone_only_under_a_phone_name() -> None:
    digits = pd.Series([str(5550000000 + i * 7919) for i in range(30)])
    assert detect_pii(pd.DataFrame({"reference": digits})) == []
    assert detect_pii(pd.DataFrame({"tel": digits}))[0].kind == "phone_number"


def test_name_only_kinds_need_plausible_content() -> None:
    frame = pd.DataFrame(
        {
            "home_address": [f"{i} Main St" for i in range(1, 11)],
            "address_count": list(range(10)),
            "is_address_verified": ["yes", "no"] * 5,
            "date_of_birth": pd.date_range("1970-01-01", periods=10, freq="YS"),
        }
    )
    found = {f.column: (f.kind, f.reason) for f in detect_pii(frame)}
    assert found == {
        "home_address": ("address", "name"),
        "date_of_birth": ("date_of_birth", "name"),
    }


def test_an_empty_column_is_reported_by_name_with_low_confidence() -> None:
    found = detect_pii(pd.DataFrame({"email": [None, None]}))
    assert [(f.kind, f.reason, f.confidence) for f in found] == [("email", "name", 0.3)]


def test_sample_is_bounded() -> None:
    frame = pd.DataFrame({"contact": ["a@example.com"] * 5000})
    assert detect_pii(frame, max_rows=100)[0].sampled == 100
