"""Context safety: a parent's PII never becomes a child's context."""

from __future__ import annotations

import pytest

from synthohive_dbt.errors import PrivacyError, ProjectError
from synthohive_dbt.privacy import safe_context_columns

KEYS = {"customer_id"}


def test_default_context_is_non_key_non_pii(customers) -> None:
    parent = customers[0]
    assert safe_context_columns(parent, None, KEYS) == ["nickname", "segment", "age"]


def test_requested_pii_column_is_an_error_that_says_why(customers) -> None:
    with pytest.raises(PrivacyError) as err:
        safe_context_columns(customers[0], ["segment", "email"], KEYS, child="orders")
    text = str(err.value)
    assert "'email' of parent 'customers' is declared PII (action: fake)" in text
    assert "would learn the parent's personal data" in text
    assert "remove 'email' from context_columns of 'orders'" in text
    assert err.value.table == "orders" and err.value.column == "email"


def test_hashed_and_masked_columns_are_pii_too(customers) -> None:
    for name in ("ssn", "card", "phone"):
        with pytest.raises(PrivacyError):
            safe_context_columns(customers[0], [name], KEYS)


def test_requested_safe_columns_pass_deduplicated(customers) -> None:
    got = safe_context_columns(customers[0], ["age", "segment", "age", "nickname"], KEYS)
    assert got == ["age", "segment", "nickname"]


def test_unknown_and_key_columns_are_project_errors(customers) -> None:
    with pytest.raises(ProjectError, match="did you mean 'segment'"):
        safe_context_columns(customers[0], ["segmnt"], KEYS)
    with pytest.raises(ProjectError, match="is a key"):
        safe_context_columns(customers[0], ["customer_id"], KEYS)
