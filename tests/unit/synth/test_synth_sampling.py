"""Sampling: conditions, declared bounds, strict mode, streaming chunks."""

from __future__ import annotations

import decimal
import logging

import pandas as pd
import pyarrow as pa
import pytest

from synthohive_dbt.errors import ConstraintViolation, GenerationError
from synthohive_dbt.synth import ClipTally, TableSynthesizer


@pytest.fixture(scope="module")
def model(make_settings, make_frame):
    frame = make_frame(240, 0)
    bounds = {"age": (30.5, 60), "price": (decimal.Decimal("10.00"), None)}
    return TableSynthesizer(make_settings(epochs=2), seed=11).fit(frame, bounds=bounds, progress=False)


def test_discrete_condition_holds_on_every_row(model):
    out = model.sample(120, conditions={"segment": "enterprise", "tier": "gold"}, seed=1)
    assert (out["segment"] == "enterprise").all() and (out["tier"] == "gold").all()
    assert str(out["tier"].dtype) == "category"


def test_continuous_condition_sets_the_value(model):
    out = model.sample(40, conditions={"age": 45, "signup": "2024-02-03"}, seed=1)
    assert (out["age"] == 45).all() and out["age"].dtype == "int64"
    assert (out["signup"] == pd.Timestamp("2024-02-03")).all()


def test_declared_bounds_hold_and_keep_dtypes(model):
    out = model.sample(300, seed=2)
    assert out["age"].between(31, 60).all() and out["age"].dtype == "int64"
    assert all(v >= decimal.Decimal("10.00") for v in out["price"])


def test_unseen_condition_value_strict_and_lenient(model, caplog):
    with pytest.raises(ConstraintViolation, match="never saw") as err:
        model.sample(10, conditions={"segment": "government"}, strict=True)
    assert err.value.column == "segment" and err.value.hint
    with caplog.at_level(logging.WARNING):
        out = model.sample(10, conditions={"segment": "government"}, seed=1)
    assert (out["segment"] == "government").all()
    assert any("government" in r.getMessage() for r in caplog.records)


def test_unmeetable_bound_fails_in_strict_mode_and_is_clipped_otherwise(make_settings, make_frame, caplog):
    frame = make_frame(160, 2)
    settings = make_settings(epochs=1, max_resample_rounds=2)
    model = TableSynthesizer(settings, seed=1).fit(frame, bounds={"amount": (10_000, 20_000)}, progress=False)
    with pytest.raises(ConstraintViolation, match="amount outside"):
        model.sample(30, strict=True, seed=1)
    with caplog.at_level(logging.WARNING):
        out = model.sample(30, seed=1)
    assert (out["amount"] == 10_000).all()
    assert any("clipped" in r.getMessage() for r in caplog.records)

    # a caller summarising many calls gets counts instead of a warning per call
    caplog.clear()
    tally = ClipTally()
    with caplog.at_level(logging.WARNING):
        for seed in (1, 2):
            again = model.sample(30, seed=seed, clip_tally=tally)
    assert (again["amount"] == 10_000).all()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert tally.rows == 60 and tally.clipped == 60
    assert tally.columns == {"amount outside [10000, 20000]": 60}
    assert tally.summary().startswith("60 of 60 rows (100.00%): amount outside")


def test_condition_outside_bounds_is_refused_when_strict(model):
    with pytest.raises(ConstraintViolation, match="outside the bounds"):
        model.sample(5, conditions={"age": 10}, strict=True)


def test_unknown_condition_column_suggests_a_name(model):
    with pytest.raises(GenerationError) as err:
        model.sample(5, conditions={"segmnt": "smb"})
    assert "segment" in (err.value.hint or "")


def test_streaming_chunks_and_arrow(model):
    chunks = list(model.sample_batches(250, chunk_size=100, seed=4))
    assert [len(c) for c in chunks] == [100, 100, 50]
    batches = list(model.sample_batches(250, chunk_size=100, seed=4, as_arrow=True))
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert sum(b.num_rows for b in batches) == 250
    whole = pd.concat(chunks, ignore_index=True)
    assert whole.dtypes.equals(model.sample(5, seed=4).dtypes)


def test_zero_rows_keep_the_dtypes(model, make_frame):
    out = model.sample(0)
    assert out.empty and out.dtypes.equals(make_frame(10, 0).dtypes)


def test_context_given_to_a_model_without_one_is_an_error(model):
    with pytest.raises(GenerationError, match="without a context"):
        model.sample(2, context=pd.DataFrame({"x": [1, 2]}))


def test_fresh_seeds_when_none_given(model):
    assert not model.sample(30).equals(model.sample(30))


def test_new_settings_reach_the_sampling_engine(model):
    """Settings set on a fitted model (as an executor does for precision) change how it
    samples: bfloat16 products give other values than float32, and setting float32 back
    gives the float32 rows again."""
    original = model.settings
    try:
        model.settings = original.model_copy(update={"precision": "float32"})
        want = model.sample(200, seed=4)
        model.settings = original.model_copy(update={"precision": "bfloat16"})
        assert not want["amount"].equals(model.sample(200, seed=4)["amount"])
        model.settings = original.model_copy(update={"precision": "float32"})
        pd.testing.assert_frame_equal(model.sample(200, seed=4), want)
    finally:
        model.settings = original
