"""Linkage: how many children each parent gets (:class:`ChildCountModel`).

Fitted on the real data at training time, stored as JSON in the table's artifacts and
sampled at generation time with a seeded ``numpy.random.Generator``. Which *secondary*
parent a child row goes with is :mod:`.secondary`'s model.

:class:`ChildCountModel`
    The empirical distribution of children per parent (parents with none included),
    conditioned on the parent where the data shows a dependence. Up to two parent
    attributes are chosen by a Kruskal-Wallis test (counts differ across their bins),
    and a bin keeps its own distribution only when it differs significantly (KS test)
    from the coarser level it backs off to; small bins back off too. So premium
    customers keep "more orders" and everything else shares the global histogram.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..synth.standins import DEFAULT_MIN_COUNT
from .binning import BinFeature, bin_ids, fit_feature

logger = logging.getLogger(__name__)

#: significance level of the dependence tests
ALPHA = 0.01
#: a bin needs this many observations to keep its own distribution
MIN_BIN = 30
#: how counts are drawn from a fitted distribution (``synth.count_model``)
CountFamily = Literal["empirical", "negative_binomial"]


@dataclass
class CountDistribution:
    """An empirical distribution of non-negative integer counts."""

    histogram: dict[int, int]

    @classmethod
    def of(cls, counts: np.ndarray) -> CountDistribution:
        values, freq = np.unique(np.asarray(counts, dtype=np.int64), return_counts=True)
        return cls({int(v): int(f) for v, f in zip(values, freq)})

    @property
    def mean(self) -> float:
        total = sum(self.histogram.values())
        return sum(k * f for k, f in self.histogram.items()) / total if total else 0.0

    @property
    def variance(self) -> float:
        total = sum(self.histogram.values())
        if not total:
            return 0.0
        mean = self.mean
        return sum(f * (k - mean) ** 2 for k, f in self.histogram.items()) / total

    def sample(
        self,
        n: int,
        rng: np.random.Generator,
        family: CountFamily = "empirical",
        *,
        systematic: bool = True,
    ) -> np.ndarray:
        """``n`` counts: drawn from the histogram, or from a negative binomial with its
        mean and variance (Poisson when not over-dispersed), whose tail reaches beyond
        the largest count seen.

        From the histogram the draw is systematic: ``n`` evenly spaced points (one random
        offset) on its cumulative distribution, then shuffled. Each count still has its
        histogram share as its chance, but a count of share ``p`` comes out ``n * p``
        times give or take one, where independent draws would scatter it: a rare heavy
        parent (3 airports with 9,000 weather rows among 1,458) is neither lost nor
        doubled, and the children's total follows the parents'. ``systematic=False``
        draws independently (a caller that picks the draw whose total meets a demand)."""
        if family == "negative_binomial":
            return self._sample_negative_binomial(n, rng)
        values = np.fromiter(self.histogram.keys(), dtype=np.int64)
        weights = np.fromiter(self.histogram.values(), dtype=float)
        if not systematic:
            return rng.choice(values, size=n, p=weights / weights.sum())
        cdf = np.cumsum(weights) / weights.sum()
        points = (rng.random() + np.arange(n)) / max(n, 1)
        drawn = values[np.minimum(np.searchsorted(cdf, points, side="right"), len(values) - 1)]
        return rng.permutation(drawn)

    def _sample_negative_binomial(self, n: int, rng: np.random.Generator) -> np.ndarray:
        mean, var = self.mean, self.variance
        if mean <= 0:
            return np.zeros(n, dtype=np.int64)
        if var <= mean:
            return rng.poisson(mean, n).astype(np.int64)
        r = mean * mean / (var - mean)
        return rng.negative_binomial(r, r / (r + mean), n).astype(np.int64)

    def to_dict(self) -> dict[str, int]:
        return {str(k): v for k, v in sorted(self.histogram.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, int]) -> CountDistribution:
        return cls({int(k): int(v) for k, v in data.items()})


@dataclass
class ChildCountModel:
    """Children per parent: a global histogram refined by up to two parent attributes.

    ``levels[j]`` maps a bin id over the first ``j + 1`` features to its own
    distribution; a row uses the deepest level that has one, else ``overall``.
    """

    overall: CountDistribution
    features: list[BinFeature] = field(default_factory=list)
    levels: list[dict[int, CountDistribution]] = field(default_factory=list)
    family: CountFamily = "empirical"

    # ---- fitting -----------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        counts: np.ndarray,
        parents: pd.DataFrame | None = None,
        kinds: Mapping[str, str] | None = None,
        *,
        max_features: int = 2,
        min_bin: int = MIN_BIN,
        alpha: float = ALPHA,
        features: list[BinFeature] | None = None,
        family: CountFamily = "empirical",
        min_count: int = DEFAULT_MIN_COUNT,
    ) -> ChildCountModel:
        """Fit on one count per parent row and (optionally) the parents' attributes.

        ``features`` fixes the binning instead of choosing it by test (a secondary
        parent's degree uses the bins its children are drawn in); ``family`` says how
        counts are drawn from each bin's histogram; ``min_count`` is the project's
        ``privacy.min_count`` (a category seen fewer times is no bin of its own).
        """
        counts = np.asarray(counts, dtype=np.int64)
        model = cls(CountDistribution.of(counts), family=family)
        if parents is None or parents.empty or len(counts) < 2 * min_bin:
            return model
        if features is None:
            ranked = _rank_count_features(counts, parents, kinds or {}, min_bin, min_count)
            features = [f for p, f in ranked if p < alpha][:max_features]
        model.features = list(features)
        model.levels = _fit_levels(counts, parents, model.features, min_bin, alpha)
        if model.features:
            logger.debug("child counts depend on %s", [f.column for f in model.features])
        return model

    # ---- sampling ----------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """Parent columns the model needs at sampling time."""
        return [f.column for f in self.features]

    @property
    def mean(self) -> float:
        return self.overall.mean

    def sample(
        self, parents: pd.DataFrame | int, rng: np.random.Generator, *, systematic: bool = True
    ) -> np.ndarray:
        """A child count for each parent row (or for ``parents`` rows with no attributes);
        ``systematic`` as in :meth:`CountDistribution.sample`."""
        n = parents if isinstance(parents, int) else len(parents)
        if isinstance(parents, int) or not self.features:
            return self.overall.sample(n, rng, self.family, systematic=systematic)
        choice = self._distribution_index(parents)
        out = np.empty(n, dtype=np.int64)
        dists = [self.overall] + [d for level in self.levels for d in level.values()]
        for index in np.unique(choice):
            rows = np.flatnonzero(choice == index)
            out[rows] = dists[index].sample(len(rows), rng, self.family, systematic=systematic)
        return out

    def _distribution_index(self, parents: pd.DataFrame) -> np.ndarray:
        """Per row, which distribution to use: 0 overall, then levels' entries in order."""
        choice = np.zeros(len(parents), dtype=np.int64)
        offset = 1
        for depth, level in enumerate(self.levels):
            ids = bin_ids(parents, self.features[: depth + 1])
            for pos, bin_id in enumerate(level):
                choice[ids == bin_id] = offset + pos
            offset += len(level)
        return choice

    # ---- JSON --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "features": [f.to_dict() for f in self.features],
            "levels": [{str(b): d.to_dict() for b, d in level.items()} for level in self.levels],
            "family": self.family,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChildCountModel:
        return cls(
            CountDistribution.from_dict(data["overall"]),
            [BinFeature.from_dict(f) for f in data.get("features", [])],
            [
                {int(b): CountDistribution.from_dict(d) for b, d in level.items()}
                for level in data.get("levels", [])
            ],
            data.get("family", "empirical"),
        )


def _rank_count_features(
    counts: np.ndarray,
    parents: pd.DataFrame,
    kinds: Mapping[str, str],
    min_bin: int,
    min_count: int,
) -> list[tuple[float, BinFeature]]:
    """Candidate features with the p-value of "counts differ across its bins", best first."""
    ranked: list[tuple[float, BinFeature]] = []
    for column in parents.columns:
        kind = kinds.get(column, "categorical")
        feature = fit_feature(parents[column], kind, min_count=min_count)
        if feature is None:
            continue
        codes = feature.codes(parents[column])
        groups = [counts[codes == c] for c in np.unique(codes)]
        groups = [g for g in groups if len(g) >= min_bin]
        if len(groups) < 2:
            continue
        ranked.append((_kruskal_p(groups), feature))
    ranked.sort(key=lambda item: item[0])
    return ranked


def _kruskal_p(groups: Sequence[np.ndarray]) -> float:
    try:
        return float(stats.kruskal(*groups).pvalue)
    except ValueError:  # all values identical: no evidence of a difference
        return 1.0


def _fit_levels(
    counts: np.ndarray,
    parents: pd.DataFrame,
    features: list[BinFeature],
    min_bin: int,
    alpha: float,
) -> list[dict[int, CountDistribution]]:
    """Per depth, the bins whose counts differ from the level they would back off to."""
    levels: list[dict[int, CountDistribution]] = []
    backoff = np.zeros(len(counts), dtype=np.int64)  # per row: key of its current fallback
    backoff_counts: dict[int, np.ndarray] = {0: counts}
    for depth in range(len(features)):
        ids = bin_ids(parents, features[: depth + 1])
        level: dict[int, CountDistribution] = {}
        next_backoff = backoff.copy()
        for bin_id in np.unique(ids):
            rows = ids == bin_id
            own = counts[rows]
            if len(own) < min_bin:
                continue
            reference = backoff_counts[int(backoff[rows][0])]
            if stats.ks_2samp(own, reference).pvalue < alpha:
                level[int(bin_id)] = CountDistribution.of(own)
                key = (depth + 1) * 1_000_000 + int(bin_id)
                next_backoff[rows] = key
                backoff_counts[key] = own
        levels.append(level)
        backoff = next_backoff
    while levels and not levels[-1]:
        levels.pop()
    return levels
