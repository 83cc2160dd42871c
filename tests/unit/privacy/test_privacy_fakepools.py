"""Pooled fakes for names and e-mails: faker's parts, seeded blocks, safe domains."""

from __future__ import annotations

import re

import pytest

from synthohive_dbt.privacy import fakepools
from synthohive_dbt.privacy.faking import BLOCK_ROWS, generated_fakes
from synthohive_dbt.privacy.kinds import KINDS


@pytest.mark.parametrize("kind", ["name", "first_name", "last_name", "user_name", "email"])
def test_chunks_of_any_size_give_the_values_of_one_call(kind):
    whole = generated_fakes(3 * BLOCK_ROWS + 17, KINDS[kind], None, seed=4)
    parts = []
    for start, stop in [(0, 5), (5, BLOCK_ROWS + 3), (BLOCK_ROWS + 3, 3 * BLOCK_ROWS + 17)]:
        parts += generated_fakes(stop - start, KINDS[kind], None, seed=4, row_offset=start)
    assert parts == whole
    assert generated_fakes(50, KINDS[kind], None, seed=5) != whole[:50]


def test_names_combine_faker_first_and_last_names_into_many_distinct_values():
    pool = fakepools.pools(None, 9)
    names = generated_fakes(20_000, KINDS["name"], None, seed=9)
    firsts, lasts = set(pool.first), set(pool.last)
    split = [name.split(" ", 1) for name in names]
    assert all(first in firsts and last in lasts for first, last in split)
    assert len(set(names)) > 15_000  # 2,048 x 2,048 combinations, not a small pool
    assert len({first for first, _ in split}) > 300


def test_emails_are_well_formed_and_only_at_reserved_example_domains():
    emails = generated_fakes(5_000, KINDS["email"], "de_DE", seed=1)
    shape = re.compile(r"^[a-z0-9.]+@example\.(com|net|org)$")
    assert all(shape.match(e) for e in emails), [e for e in emails if not shape.match(e)][:5]
    assert len(set(emails)) > 4_000
    # accents are folded, not dropped with their letter
    assert fakepools._ascii(["Grégoire", "Müller"]).tolist() == ["gregoire", "muller"]


def test_locales_without_ascii_names_keep_fakers_own_user_names():
    assert fakepools.supports("name", "ja_JP", 0)
    assert not fakepools.supports("email", "ja_JP", 0)
    emails = generated_fakes(20, KINDS["email"], "ja_JP", seed=0)
    assert all("@" in e and e.split("@")[0] for e in emails)
    assert not fakepools.supports("phone_number", None, 0)
