"""Consistent fakes: same original, same fake within a run; nothing stored about originals."""

from __future__ import annotations

import pandas as pd
from privacy_builders import make_column

from synthohive_dbt.privacy import KINDS, consistent_fakes, resolve_kind
from synthohive_dbt.privacy.faking import _PROCESS_RUN_KEY

EMAILS = pd.Series(["ann@corp.example", "bob@corp.example", None, "ann@corp.example"])


def _fakes(values: pd.Series = EMAILS, **kw) -> list:
    args = {"seed": 1, "run_key": "run-a", "unique": False} | kw
    return consistent_fakes(values, KINDS["email"], None, **args).tolist()


def test_same_original_same_fake_nulls_stay_null() -> None:
    out = _fakes()
    assert out[0] == out[3] and out[0] != out[1]
    assert pd.isna(out[2])
    assert "ann@corp.example" not in out


def test_mapping_is_a_function_of_seed_run_key_and_value_only() -> None:
    shuffled = pd.Series(["bob@corp.example", "ann@corp.example"])
    assert _fakes(shuffled) == [_fakes()[1], _fakes()[0]]  # row order plays no part
    assert _fakes() == _fakes()
    assert _fakes(run_key="run-b") != _fakes()
    assert _fakes(seed=2) != _fakes()


def test_default_run_key_is_random_per_process_and_in_memory() -> None:
    assert isinstance(_PROCESS_RUN_KEY, bytes) and len(_PROCESS_RUN_KEY) == 32
    assert _fakes(run_key=None) == _fakes(run_key=None)
    assert _fakes(run_key=None) != _fakes()


def test_unique_consistent_fakes_do_not_collide() -> None:
    values = pd.Series([f"user{i}" for i in range(400)])
    out = consistent_fakes(values, KINDS["first_name"], None, seed=0, run_key="r", unique=True)
    assert out.is_unique


def test_kind_defaults_from_the_column_name() -> None:
    assert resolve_kind(None, make_column("customer_email")).name == "email"
    assert resolve_kind(None, make_column("notes")).name == "text_token"
    assert resolve_kind("Phone", make_column("x")).name == "phone_number"
