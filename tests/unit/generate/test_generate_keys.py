"""Key shapes learned from real values, and fresh unique values drawn from them."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pytest

from synthohive_dbt.relations.keys import (
    KeySequence,
    KeySpec,
    learn_key_spec,
    within_group_sequence,
)


def _draw(spec: KeySpec, chunks: list[int], seed: int = 0) -> list:
    seq = KeySequence(spec)
    rng = np.random.default_rng(seed)
    return [v for n in chunks for v in seq.take(n, rng).tolist()]


def test_integer_keys_count_on_across_chunks() -> None:
    values = _draw(learn_key_spec([7, 9, 12], "BIGINT"), [3, 4, 5])
    assert values == list(range(1, 13))


def test_prefixed_counter_keeps_prefix_and_width_and_stays_unique() -> None:
    spec = learn_key_spec(["SKU-00042", "SKU-00007", "SKU-10001"], "VARCHAR", column="sku")
    assert (spec.shape, spec.prefix, spec.width) == ("pattern", "SKU-", 5)
    seq = KeySequence(spec, start=99_998)
    values = seq.take(4, np.random.default_rng(0)).tolist()
    assert values == ["SKU-99998", "SKU-99999", "SKU-100000", "SKU-100001"]
    drawn = _draw(spec, [500, 700])
    assert len(set(drawn)) == 1200
    assert all(re.fullmatch(r"SKU-\d{5,}", v) for v in drawn)


def test_suffix_and_inner_digits_are_kept() -> None:
    spec = learn_key_spec(["INV2023-0001-X", "INV2023-0002-X"], "VARCHAR")
    assert (spec.prefix, spec.suffix, spec.width) == ("INV2023-", "-X", 4)


def test_uuid_keys_are_valid_unique_and_seeded() -> None:
    spec = learn_key_spec([str(uuid.uuid4()) for _ in range(5)], "VARCHAR")
    assert spec.shape == "uuid"
    first = _draw(spec, [300, 300], seed=5)
    assert len(set(first)) == 600
    assert all(uuid.UUID(v).version == 4 for v in first)
    assert first == _draw(spec, [300, 300], seed=5)
    assert first != _draw(spec, [300, 300], seed=6)


def test_keys_without_a_shared_pattern_reveal_no_real_value() -> None:
    real = ["alice@example.com", "bob@example.org", "carol@example.net"]
    spec = learn_key_spec(real, "VARCHAR", column="login")
    assert spec == KeySpec("text", prefix="login_")
    drawn = _draw(spec, [10])
    assert drawn[0] == "login_1"
    assert not any(r in d for d in drawn for r in real)


@pytest.mark.parametrize("counts", [[2, 3], [1], [0, 4, 0, 1]])
def test_numbering_within_each_parent(counts: list[int]) -> None:
    expected = [i for k in counts for i in range(1, k + 1)]
    assert within_group_sequence(np.array(counts)).tolist() == expected


def test_key_spec_round_trips_through_json() -> None:
    spec = KeySpec("pattern", prefix="C", suffix="", width=4)
    assert KeySpec.from_dict(spec.to_dict()) == spec
