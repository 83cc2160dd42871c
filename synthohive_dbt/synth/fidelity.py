"""A statistical fidelity score of synthetic rows against real ones, in [0, 1].

Column shapes: one minus the Kolmogorov-Smirnov statistic for numeric and datetime
columns (nulls compared by rate), one minus the total variation distance for
categorical, text and boolean columns (null is a category). Column pairs: for two
numeric columns one minus half the gap between their Spearman correlations; for any
other pair one minus the total variation distance of their joint distribution, numbers
cut into ten bins at the real data's deciles. ``overall`` is the mean of the shape and
pair averages. Training uses it to keep the best checkpoint, and the bench reports it.

A distance becomes a score by the rules here (:func:`distance_score`,
:func:`correlation_score`, :func:`spread_score`), the same rules by which ``shive test``
scores the statistics of its distribution tests (``datatests/scoring.py``), so the two
scores read alike; they differ in what they measure: this one compares rows held in
memory, the test run the written tables against the profile.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..dtypes import as_float64
from .columns import CONTINUOUS_KINDS, infer_kind

_BINS = 10


def distance_score(distance: float) -> float:
    """A distance in [0, 1] (a KS statistic, a total variation distance) as a score:
    ``1 - distance``, kept in [0, 1]."""
    return max(0.0, min(1.0, 1.0 - distance))


def correlation_score(gap: float) -> float:
    """The gap between two correlations (in [0, 2]) as a score: ``1 - gap / 2``."""
    return max(0.0, min(1.0, 1.0 - gap / 2.0))


def spread_score(std_ratio: float | None) -> float:
    """A synthetic/real standard-deviation ratio as a score: ``min(r, 1/r)``, 0 if undefined."""
    return min(std_ratio, 1.0 / std_ratio) if std_ratio and std_ratio > 0 else 0.0


def fidelity_score(
    real: pd.DataFrame, synth: pd.DataFrame, column_kinds: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``{"overall", "shape", "correlation", "columns": {name: score}, "pairs": {"a|b": score}}``
    over the columns ``real`` and ``synth`` share (``correlation`` is None for one column)."""
    kinds = dict(column_kinds or {})
    columns = [c for c in real.columns if c in synth.columns]
    profiles = {
        c: _ColumnPair(real[c], synth[c], kinds.get(c) or infer_kind(real[c])) for c in columns
    }
    shapes = {str(c): profiles[c].shape_score() for c in columns}
    pairs = {
        f"{a}|{b}": _pair_score(profiles[a], profiles[b])
        for a, b in itertools.combinations(columns, 2)
    }
    shape = float(np.mean(list(shapes.values()))) if shapes else 1.0
    correlation = float(np.mean(list(pairs.values()))) if pairs else None
    overall = shape if correlation is None else (shape + correlation) / 2
    return {
        "overall": overall,
        "shape": shape,
        "correlation": correlation,
        "columns": shapes,
        "pairs": pairs,
    }


class _ColumnPair:
    """One column's real and synthetic values, prepared once for every score."""

    def __init__(self, real: pd.Series, synth: pd.Series, kind: str) -> None:
        self.continuous = kind in CONTINUOUS_KINDS
        self.n_real, self.n_synth = len(real), len(synth)
        if self.continuous:
            self.real, self.synth = as_float64(real), as_float64(synth)
            self.codes_real, self.codes_synth, self.n_codes = _binned(self.real, self.synth)
            self.rank_real = pd.Series(self.real).rank().to_numpy()
            self.rank_synth = pd.Series(self.synth).rank().to_numpy()
        else:
            joined = pd.concat([real, synth], ignore_index=True).astype(object)
            codes, uniques = pd.factorize(joined, use_na_sentinel=False)
            self.codes_real, self.codes_synth = codes[: len(real)], codes[len(real) :]
            self.n_codes = max(len(uniques), 1)

    def shape_score(self) -> float:
        if not self.continuous:
            return distance_score(_tv(self.codes_real, self.codes_synth, self.n_codes))
        null_r, null_s = np.isnan(self.real), np.isnan(self.synth)
        null_gap = abs(null_r.mean() - null_s.mean()) if self.n_real and self.n_synth else 0.0
        values_r, values_s = self.real[~null_r], self.synth[~null_s]
        if not values_r.size or not values_s.size:
            return 1.0 - null_gap if values_r.size == values_s.size else 0.0
        score = distance_score(_ks(values_r, values_s))
        if null_r.any() or null_s.any():
            score = (score + 1.0 - null_gap) / 2
        return float(score)


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / a.size
    cdf_b = np.searchsorted(b, grid, side="right") / b.size
    return float(np.abs(cdf_a - cdf_b).max())


def _tv(codes_a: np.ndarray, codes_b: np.ndarray, size: int) -> float:
    """Total variation distance between two samples of codes in ``[0, size)``."""
    if not codes_a.size or not codes_b.size:
        return 0.0 if codes_a.size == codes_b.size else 1.0
    p = np.bincount(codes_a, minlength=size) / codes_a.size
    q = np.bincount(codes_b, minlength=size) / codes_b.size
    return float(0.5 * np.abs(p - q).sum())


def _binned(real: np.ndarray, synth: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Decile-bin codes of both samples, cut at the real data's deciles; null is a bin."""
    finite = real[~np.isnan(real)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, _BINS + 1)[1:-1])) if finite.size else np.array([])
    null_code = edges.size + 1

    def codes(values: np.ndarray) -> np.ndarray:
        out = np.searchsorted(edges, values, side="right")
        out[np.isnan(values)] = null_code
        return out

    return codes(real), codes(synth), null_code + 1


def _pair_score(a: _ColumnPair, b: _ColumnPair) -> float:
    if a.continuous and b.continuous:
        gap = abs(_spearman(a.rank_real, b.rank_real) - _spearman(a.rank_synth, b.rank_synth))
        return correlation_score(gap)
    joint_real = a.codes_real * b.n_codes + b.codes_real
    joint_synth = a.codes_synth * b.n_codes + b.codes_synth
    return distance_score(_tv(joint_real, joint_synth, a.n_codes * b.n_codes))


def _spearman(rank_x: np.ndarray, rank_y: np.ndarray) -> float:
    """Pearson correlation of ranks over rows where both are present; 0 when undefined."""
    both = ~(np.isnan(rank_x) | np.isnan(rank_y))
    if both.sum() < 3:
        return 0.0
    x, y = rank_x[both], rank_y[both]
    x, y = x - x.mean(), y - y.mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom > 0 else 0.0
