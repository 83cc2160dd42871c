"""HMAC hashing: keyed, stable for one secret, different for another, refused without one."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from privacy_builders import HASH_ENV, make_column, make_table

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.privacy import apply_pii, check_secrets, hmac_hex, key_fingerprint
from synthohive_dbt.project.model import PiiConfig

VALUES = pd.Series(["123-45-6789", "987-65-4321", None, "123-45-6789"])


def _hash_table(env: str | None = HASH_ENV):
    col = make_column("ssn", pii=PiiConfig(action="hash", secret_env=env))
    return make_table("people", [col])


def test_hmac_is_stable_for_one_secret_and_differs_for_another() -> None:
    first = hmac_hex(VALUES, b"secret-one")
    again = hmac_hex(VALUES, b"secret-one")
    other = hmac_hex(VALUES, b"secret-two")
    assert first.tolist() == again.tolist()
    assert first[0] == first[3] and first[0] != first[1]
    assert pd.isna(first[2])
    assert all(a != b for a, b in zip(first.dropna(), other.dropna()))


def test_hmac_is_not_a_plain_sha256() -> None:
    plain = hashlib.sha256(b"123-45-6789").hexdigest()
    assert hmac_hex(VALUES, b"k")[0] != plain
    assert len(hmac_hex(VALUES, b"k")[0]) == 64
    assert hmac_hex(VALUES, b"k", length=16)[0] == hmac_hex(VALUES, b"k")[0][:16]


def test_apply_pii_hash_follows_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"ssn": VALUES})
    monkeypatch.setenv(HASH_ENV, "first-secret-0123456789")
    one, plan_one = apply_pii(frame, _hash_table(), seed=0)
    two, _ = apply_pii(frame, _hash_table(), seed=99)
    monkeypatch.setenv(HASH_ENV, "second-secret-0123456789")
    three, plan_three = apply_pii(frame, _hash_table(), seed=0)
    assert one["ssn"].tolist() == two["ssn"].tolist()  # the seed plays no part
    assert one["ssn"].dropna().tolist() != three["ssn"].dropna().tolist()
    assert plan_one.columns[0].key_fingerprint != plan_three.columns[0].key_fingerprint
    assert plan_one.columns[0].secret_env == HASH_ENV


@pytest.mark.parametrize("value", [None, ""])
def test_missing_secret_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(HASH_ENV, raising=False)
    else:
        monkeypatch.setenv(HASH_ENV, value)
    with pytest.raises(PrivacyError) as err:
        check_secrets([_hash_table()])
    text = str(err.value)
    assert HASH_ENV in text and "people.ssn" in text
    assert f"export {HASH_ENV}=" in text  # how to set it
    assert ("is not set" if value is None else "is empty") in text
    with pytest.raises(PrivacyError):
        apply_pii(pd.DataFrame({"ssn": VALUES}), _hash_table(), seed=0)


def test_hash_without_secret_env_is_refused() -> None:
    with pytest.raises(PrivacyError, match="secret_env"):
        check_secrets([_hash_table(env=None)])


def test_check_secrets_lists_every_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIVE_A", raising=False)
    monkeypatch.delenv("SHIVE_B", raising=False)
    tables = [
        make_table("a", [make_column("x", pii=PiiConfig(action="hash", secret_env="SHIVE_A"))]),
        make_table("b", [make_column("y", pii=PiiConfig(action="hash", secret_env="SHIVE_B"))]),
    ]
    with pytest.raises(PrivacyError, match="2 HMAC secrets") as err:
        check_secrets(tables)
    assert "SHIVE_A" in str(err.value) and "SHIVE_B" in str(err.value)


def test_check_secrets_passes_when_set(secret_env: str) -> None:
    check_secrets([_hash_table()])


def test_key_fingerprint_identifies_without_revealing() -> None:
    assert key_fingerprint(b"k1") == key_fingerprint(b"k1") != key_fingerprint(b"k2")
    assert len(key_fingerprint(b"k1")) == 12
