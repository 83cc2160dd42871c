"""Stand-ins for rare values: the same shape, never a real value, seeded."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.privacy.detect import PiiFinding
from synthohive_dbt.privacy.protect import keep_yaml, pin_yaml, protection_for
from synthohive_dbt.project.model import Column
from synthohive_dbt.synth.standins import rare_rows_as_standins, shared_prefixes, standins


def _classes(text: str) -> str:
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", text)))


def test_a_stand_in_has_the_shape_of_its_value_and_is_never_a_real_value() -> None:
    rng = np.random.default_rng(3)
    real = [f"MB-{n:05d}-{c}" for n, c in zip(rng.choice(10**5, 400, replace=False), rng.choice(list("XYZ"), 400))]
    real += ["Anna-Lena O'Neil", "x7", "call me at 5pm, gate 12B"]
    out = standins(real, real=real, rng=np.random.default_rng(0))
    assert not set(out) & set(real)
    assert len(set(out)) == len(out)  # distinct from each other too
    for value, stand_in in zip(real, out):
        assert len(stand_in) == len(value) and _classes(stand_in) == _classes(value)
    assert out[-3][4] == "-" and out[-3][11] == "'"  # separators stay where they were


def test_a_prefix_is_kept_only_when_enough_distinct_values_share_it() -> None:
    real = ["AB-1234", "AB-2345", "AB-3456", "AB-4567", "AB-5678", "CD-1111", "CD-2222"]
    prefixes = shared_prefixes(real, min_count=5)
    assert prefixes["AB-1234"] == 3 and prefixes["CD-1111"] == 0
    out = standins(["AB-1234", "CD-1111"], real=real, rng=np.random.default_rng(1), min_count=5)
    assert out[0].startswith("AB-") and not out[1].startswith("CD")
    assert re.fullmatch(r"[A-Z]{2}-\d{4}", out[1])


def test_stand_ins_are_seeded_and_integers_keep_their_digits() -> None:
    real = [48213, 90001, 12, "ZZ9"]
    first = standins(real, real=real, rng=np.random.default_rng(5))
    assert first == standins(real, real=real, rng=np.random.default_rng(5))
    assert first != standins(real, real=real, rng=np.random.default_rng(6))
    assert [type(v) for v in first] == [int, int, int, str]
    assert [len(str(v)) for v in first] == [5, 5, 2, 3]


def test_a_shape_with_no_free_stand_in_gives_none() -> None:
    digits = [str(d) for d in range(10)]
    assert standins(["7", "--"], real=digits + ["--"], rng=np.random.default_rng(0)) == [None, None]


def test_context_values_rare_among_parents_become_one_stand_in_per_row() -> None:
    # "MB-1" is a parent value with many children: frequent here, rare among parents
    context = pd.Series(["MB-1"] * 6 + ["retail"] * 6 + [None], name="member")
    out = rare_rows_as_standins(context, {"retail"}, rng=np.random.default_rng(0))
    assert list(out[6:12]) == ["retail"] * 6 and pd.isna(out.iloc[12])
    replaced = list(out[:6])
    assert "MB-1" not in replaced and len(set(replaced)) == 6
    assert all(re.fullmatch(r"[A-Z]{2}-\d", v) for v in replaced)


# ---- what a detected column is protected with ------------------------------------------------
def _finding(kind: str, column: str = "col") -> PiiFinding:
    return PiiFinding(table="t", column=column, kind=kind, confidence=0.9, reason="both",
                      suggestion="")  # fmt: skip


@pytest.mark.parametrize(("kind", "action", "fake_kind"), [
    ("name", "fake", "name"), ("email", "fake", "email"), ("phone_number", "fake", "phone_number"),
    ("address", "fake", "address"), ("free_text", "drop", None),
])  # fmt: skip
def test_each_kind_gets_the_action_it_calls_for(kind: str, action: str, fake_kind: str | None) -> None:
    pii = protection_for(_finding(kind), Column("col", "VARCHAR", "categorical"), table="t", locale="it_IT")
    assert (pii.action, pii.source) == (action, "detected")
    assert pii.kind == fake_kind
    assert pii.locale == ("it_IT" if action == "fake" else None)


def test_a_kind_that_cannot_fill_the_column_drops_it_or_asks_for_a_declaration() -> None:
    numeric = Column("col", "BIGINT", "numeric")
    assert protection_for(_finding("name"), numeric, table="t").action == "drop"
    numeric.nullable = False
    with pytest.raises(PrivacyError, match="cannot be protected on its own"):
        protection_for(_finding("name"), numeric, table="t")


def test_the_yaml_pins_the_decision_or_opts_out() -> None:
    pii = protection_for(_finding("name"), Column("full name", "VARCHAR", "categorical"), table="t")
    assert pin_yaml("full name", pii) == '- name: "full name"\n  config: {pii: {action: fake, kind: name}}'
    assert keep_yaml("notes") == "- name: notes\n  config: {pii: {action: keep}}"


def test_stand_ins_draw_from_the_characters_the_column_uses() -> None:
    rng = np.random.default_rng(2)
    hashes = ["".join(rng.choice(list("0123456789abcdef"), 16)) for _ in range(200)]
    out = standins(hashes, real=hashes, rng=np.random.default_rng(0))
    assert all(re.fullmatch(r"[0-9a-f]{16}", v) for v in out) and not set(out) & set(hashes)
