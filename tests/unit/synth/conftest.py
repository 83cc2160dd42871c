"""Small frames and tiny settings so every synth test trains in well under a second."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest
import torch

from synthohive_dbt.synth import SynthSettings
from synthohive_dbt.synth.transformer import DataTransformer


def tiny_settings(**overrides) -> SynthSettings:
    """Networks and batches small enough to train a few epochs in a blink."""
    values = {
        "epochs": 2,
        "batch_size": 40,
        "pac": 4,
        "embedding_dim": 16,
        "generator_dim": (32, 32),
        "discriminator_dim": (32, 32),
        "gmm_sample_rows": 400,
        "max_modes": 4,
        "threads": 1,
        "precision": "float32",
    }
    values.update(overrides)
    return SynthSettings(**values)


def mixed_frame(rows: int = 240, seed: int = 0) -> pd.DataFrame:
    """One column of every storage the engine restores, nulls included."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["retail", "smb", "enterprise"], rows, p=[0.6, 0.3, 0.1])
    amount = np.round(np.where(segment == "enterprise", 500.0, 50.0) + rng.normal(0, 10, rows), 2)
    age = rng.integers(18, 90, rows)
    visits = pd.array(rng.integers(0, 20, rows), dtype="Int64")
    visits[rng.random(rows) < 0.2] = pd.NA
    start = pd.Timestamp("2024-01-01")
    signup = pd.Series(start + pd.to_timedelta(rng.integers(0, 400, rows), unit="D")).astype("datetime64[us]")
    seen = pd.Series(
        pd.to_datetime("2024-03-01") + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="s")
    ).dt.tz_localize("UTC")
    birthday = [dt.date(1950, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 20000, rows)]
    price = [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(1, 99, rows)]
    note = np.where(rng.random(rows) < 0.25, None, rng.choice(["a", "b", "c"], rows)).astype(object)
    return pd.DataFrame({
        "segment": segment,
        "amount": amount,
        "age": age.astype("int64"),
        "visits": visits,
        "signup": signup,
        "seen": seen,
        "birthday": pd.Series(birthday, dtype=object),
        "price": pd.Series(price, dtype=object),
        "active": rng.random(rows) < 0.7,
        "flag": pd.array(np.where(rng.random(rows) < 0.1, None, rng.random(rows) < 0.5), dtype="boolean"),
        "note": note,
        "tier": pd.Categorical(rng.choice(["gold", "silver"], rows), categories=["silver", "gold", "bronze"]),
        "label": pd.array(rng.choice(["x", "y"], rows), dtype="string"),
    })


def perfect_roundtrip(transformer: DataTransformer, frame: pd.DataFrame) -> pd.DataFrame:
    """Encode ``frame``, turn the data vectors into logits a perfect generator would
    emit, and decode them: exercises every encode and decode path without training."""
    data = transformer.encode_frame(frame).tensors(transformer.device)
    vectors = transformer.encode_rows(data, torch.arange(len(frame)), None)
    n_values = transformer.layout.n_values
    logits = torch.where(vectors > 0.5, 30.0, -30.0)
    logits[:, :n_values] = torch.atanh(vectors[:, :n_values].clamp(-0.999999, 0.999999))
    values, choices = transformer.layout.choose(logits, torch.Generator().manual_seed(0))
    raw = transformer.decode(values, choices)
    return transformer.materialize(raw, np.random.default_rng(0))


@pytest.fixture
def settings() -> SynthSettings:
    return tiny_settings()


@pytest.fixture
def frame() -> pd.DataFrame:
    return mixed_frame()


@pytest.fixture(scope="session")
def make_settings():
    """``make_settings(**overrides)``: tiny settings with some knobs changed."""
    return tiny_settings


@pytest.fixture(scope="session")
def make_frame():
    """``make_frame(rows, seed)``: the mixed frame at another size or seed."""
    return mixed_frame


@pytest.fixture(scope="session")
def roundtrip():
    """``roundtrip(transformer, frame)``: decode what a perfect generator would emit."""
    return perfect_roundtrip
