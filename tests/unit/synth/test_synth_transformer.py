"""The transformer: exact dtype round trips, soft modes, bounded mixture fits, odd columns."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest
import torch

from synthohive_dbt.errors import TrainingError
from synthohive_dbt.synth import continuous
from synthohive_dbt.synth.columns import _UNIT_NS
from synthohive_dbt.synth.transformer import DataTransformer, resolve_kinds

CPU = torch.device("cpu")


def fit(frame: pd.DataFrame, settings, kinds=None) -> DataTransformer:
    return DataTransformer.fit(frame, resolve_kinds(frame, kinds), settings, np.random.default_rng(0), CPU)


def test_every_dtype_survives_encode_and_decode(frame, settings, roundtrip):
    transformer = fit(frame, settings)
    out = roundtrip(transformer, frame)
    assert list(out.columns) == list(frame.columns)
    assert out.dtypes.equals(frame.dtypes)
    pd.testing.assert_frame_equal(out, frame, check_exact=False, rtol=1e-9)


def test_kinds_are_inferred_from_dtype_and_values(frame):
    kinds = resolve_kinds(frame, None)
    assert kinds["amount"] == kinds["price"] == kinds["visits"] == "numeric"
    assert kinds["signup"] == kinds["seen"] == kinds["birthday"] == "datetime"
    assert kinds["active"] == kinds["flag"] == "boolean"
    assert kinds["segment"] == kinds["tier"] == "categorical"


def test_learned_resolution_rounds_output(frame, settings):
    specs = {s.name: s for s in fit(frame, settings).specs}
    assert specs["amount"].scale == 2  # floats with two decimals stay that way
    assert specs["price"].scale == 2  # a Decimal keeps its scale
    assert specs["signup"].step == 86_400 * 10**6  # whole days, in microseconds
    seen = specs["seen"]  # whole seconds, in ticks of the unit pandas chose
    assert seen.step * _UNIT_NS[seen.unit] == 10**9


def test_mode_is_drawn_from_the_posterior_not_its_argmax(settings):
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(-2, 0.6, 600), rng.normal(2, 0.6, 600), [0.0]])
    frame = pd.DataFrame({"x": values})
    transformer = fit(frame, settings.model_copy(update={"max_modes": 2}))
    assert transformer.mode_models[0].n_modes == 2
    data = transformer.encode_frame(frame).tensors(CPU)
    middle = torch.full((400,), len(values) - 1)  # the value between both modes
    start = transformer.layout.span_start[transformer.layout.mode_span[0]]
    drawn = transformer.encode_rows(data, middle, torch.Generator().manual_seed(0))
    share = drawn[:, start].mean().item()
    assert 0.2 < share < 0.8
    fixed = transformer.encode_rows(data, middle, None)
    assert fixed[:, start].mean().item() in (0.0, 1.0)


def test_mixture_is_fitted_on_a_bounded_sample(monkeypatch, settings):
    seen_rows: list[int] = []
    original = continuous.BayesianGaussianMixture.fit

    def spy(self, x, y=None):
        seen_rows.append(len(x))
        return original(self, x, y)

    monkeypatch.setattr(continuous.BayesianGaussianMixture, "fit", spy)
    frame = pd.DataFrame({"x": np.random.default_rng(0).normal(size=4000)})
    fit(frame, settings.model_copy(update={"gmm_sample_rows": 2500}))
    assert seen_rows == [2000, 2500]  # modes found on a small subset, refined on the sample


def test_full_transform_is_one_hot_per_span(frame, settings):
    transformer = fit(frame, settings)
    matrix = transformer.transform(frame, seed=3)
    layout = transformer.layout
    assert matrix.shape == (len(frame), layout.data_dim)
    assert np.abs(matrix[:, : layout.n_values]).max() <= 0.99 + 1e-6
    for start, width in zip(layout.span_start, layout.span_width):
        np.testing.assert_allclose(matrix[:, start : start + width].sum(axis=1), 1.0)


def test_high_cardinality_values_are_bucketed_with_a_warning(caplog, settings, roundtrip):
    rng = np.random.default_rng(0)
    codes = np.concatenate([rng.choice(["a", "b", "c"], 400), [f"v{i}" for i in range(300)]])
    frame = pd.DataFrame({"city": codes})
    with caplog.at_level(logging.WARNING):
        # min_count 1: every value may be sampled back (the rare-value protection is off)
        transformer = fit(frame, settings.model_copy(update={"max_categories": 10, "min_count": 1}))
    assert any("'city'" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    model = transformer.category_models[0]
    assert model.width == 10 and model.has_other
    out = roundtrip(transformer, frame)
    assert set(out["city"]) <= set(codes)
    assert (out["city"].isin(["a", "b", "c"]) == frame["city"].isin(["a", "b", "c"])).all()


def test_rare_values_come_back_as_stand_ins_of_their_shape_never_as_they_are(settings, roundtrip):
    rng = np.random.default_rng(0)
    codes = [f"MB-{n:05d}-{c}" for n, c in zip(rng.integers(0, 10**5, 300), rng.choice(list("XYZ"), 300))]
    frame = pd.DataFrame({"status": rng.choice(["active", "lapsed"], 600), "code": codes * 2})
    frame.loc[:299, "code"] = [f"MB-{n:05d}-Q" for n in rng.integers(0, 10**5, 300)]  # seen once
    frame.loc[:9, "code"] = "MB-00000-A"  # seen 10 times: frequent, kept
    transformer = fit(frame, settings)
    model = transformer.category_models[1]
    assert model.values == ["MB-00000-A"] and model.has_other
    seen_once = set(frame["code"]) - set(codes) - {"MB-00000-A"}
    assert len(model.pool) > 250 and not set(model.pool) & set(frame["code"])
    assert all(re.fullmatch(r"MB-\d{5}-[A-Z]", v) for v in model.pool)
    out = roundtrip(transformer, frame)
    assert set(out["status"]) == {"active", "lapsed"}  # frequent values are kept
    assert not set(out["code"]) & (seen_once | set(codes))
    assert out["code"].str.fullmatch(r"MB-\d{5}-[A-Z]").all()
    again = fit(frame, settings).category_models[1]
    assert again.pool == model.pool  # seeded


def test_keep_columns_keep_their_rare_values(settings, roundtrip):
    frame = pd.DataFrame({"name": [f"person {i}" for i in range(200)]})
    model = fit(frame, settings.model_copy(update={"raw_columns": ("name",)})).category_models[0]
    assert set(model.values) | set(model.pool) == set(frame["name"])


def test_constant_and_all_null_columns(settings, roundtrip):
    rows = 50
    frame = pd.DataFrame({
        "const_num": np.full(rows, 7.5),
        "const_int": np.full(rows, 3, dtype="int64"),
        "const_text": ["same"] * rows,
        "empty_float": np.full(rows, np.nan),
        "empty_text": pd.Series([None] * rows, dtype=object),
        "const_with_nulls": pd.array([1] * 40 + [None] * 10, dtype="Int64"),
        "x": np.random.default_rng(0).normal(size=rows),
    })
    transformer = fit(frame, settings)
    out = roundtrip(transformer, frame)
    pd.testing.assert_frame_equal(out, frame, check_exact=False, rtol=1e-6)  # x: float32 model
    assert transformer.layout.discrete_span[0] == -1  # a constant needs no span


def test_declared_kind_that_does_not_fit_is_an_error(settings):
    frame = pd.DataFrame({"code": ["a1", "b2", "c3"]})
    with pytest.raises(TrainingError) as err:
        fit(frame, settings, {"code": "numeric"})
    assert err.value.column == "code"


def test_unknown_column_in_kinds_suggests_a_name(frame):
    with pytest.raises(TrainingError) as err:
        resolve_kinds(frame, {"amout": "numeric"})
    assert "amount" in (err.value.hint or "")


def test_state_rebuilds_the_same_transformer(frame, settings, roundtrip):
    transformer = fit(frame, settings)
    rebuilt = DataTransformer.from_state(transformer.state(), CPU)
    pd.testing.assert_frame_equal(roundtrip(rebuilt, frame), roundtrip(transformer, frame))
