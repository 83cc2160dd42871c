"""Linkage models: how many children each parent gets, and which secondary parent.

Two models per child table, both fitted on the real data at training time, stored as
JSON in the table's artifacts and sampled at generation time with a seeded
``numpy.random.Generator``:

:class:`ChildCountModel`
    The empirical distribution of children per parent (parents with none included),
    conditioned on the parent where the data shows a dependence. Up to two parent
    attributes are chosen by a Kruskal-Wallis test (counts differ across their bins),
    and a bin keeps its own distribution only when it differs significantly (KS test)
    from the coarser level it backs off to; small bins back off too. So premium
    customers keep "more orders" and everything else shares the global histogram.

:class:`SecondaryLinkModel`
    For a foreign key that does not drive the row count (``order_items.product_id``
    when ``order_id`` does): the binned joint of the child's values and the secondary
    parent's attributes (null foreign key as its own column), so that a child row can
    draw the *kind* of parent its values go with, plus a :class:`ChildCountModel` of
    the secondary parent's degree, so that within a bin parents are drawn in
    proportion to sampled capacities (see :mod:`.assignment`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .binning import BinFeature, bin_ids, fit_feature, n_bins

logger = logging.getLogger(__name__)

#: significance level of the dependence tests
ALPHA = 0.01
#: a bin needs this many observations to keep its own distribution
MIN_BIN = 30
#: quantile bins of a numeric attribute in the secondary-parent joint
LINK_QUANTILES = 8


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

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        values = np.fromiter(self.histogram.keys(), dtype=np.int64)
        weights = np.fromiter(self.histogram.values(), dtype=float)
        return rng.choice(values, size=n, p=weights / weights.sum())

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
    ) -> ChildCountModel:
        """Fit on one count per parent row and (optionally) the parents' attributes.

        ``features`` fixes the binning instead of choosing it by test (a secondary
        parent's degree uses the bins its children are drawn in).
        """
        counts = np.asarray(counts, dtype=np.int64)
        model = cls(CountDistribution.of(counts))
        if parents is None or parents.empty or len(counts) < 2 * min_bin:
            return model
        if features is None:
            ranked = _rank_count_features(counts, parents, kinds or {}, min_bin)
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

    def sample(self, parents: pd.DataFrame | int, rng: np.random.Generator) -> np.ndarray:
        """A child count for each parent row (or for ``parents`` rows with no attributes)."""
        n = parents if isinstance(parents, int) else len(parents)
        if isinstance(parents, int) or not self.features:
            return self.overall.sample(n, rng)
        choice = self._distribution_index(parents)
        out = np.empty(n, dtype=np.int64)
        dists = [self.overall] + [d for level in self.levels for d in level.values()]
        for index in np.unique(choice):
            rows = np.flatnonzero(choice == index)
            out[rows] = dists[index].sample(len(rows), rng)
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
            "levels": [
                {str(b): d.to_dict() for b, d in level.items()} for level in self.levels
            ],
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
        )


def _rank_count_features(
    counts: np.ndarray, parents: pd.DataFrame, kinds: Mapping[str, str], min_bin: int
) -> list[tuple[float, BinFeature]]:
    """Candidate features with the p-value of "counts differ across its bins", best first."""
    ranked: list[tuple[float, BinFeature]] = []
    for column in parents.columns:
        feature = fit_feature(parents[column], kinds.get(column, "categorical"))
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


# ---- secondary parents ------------------------------------------------------------------
@dataclass
class SecondaryLinkModel:
    """Which secondary parent a child row goes with, and how often each parent is chosen.

    ``joint[c, p]`` counts real child rows in child-value bin ``c`` linked to a parent in
    attribute bin ``p``; the last column counts rows whose foreign key is null.
    """

    child_features: list[BinFeature]
    parent_features: list[BinFeature]
    joint: np.ndarray
    degree: ChildCountModel
    min_bin: int = MIN_BIN

    @property
    def null_rate(self) -> float:
        total = self.joint.sum()
        return float(self.joint[:, -1].sum() / total) if total else 0.0

    @property
    def child_columns(self) -> list[str]:
        return [f.column for f in self.child_features]

    @property
    def parent_columns(self) -> list[str]:
        """Parent columns needed at generation: bin attributes and degree attributes."""
        names = [f.column for f in self.parent_features] + self.degree.columns
        return list(dict.fromkeys(names))

    def bin_probabilities(self, child_bins: np.ndarray) -> np.ndarray:
        """P(parent bin or null | child bin), one row per given child bin id.

        A child bin seen fewer than ``min_bin`` times uses the marginal instead.
        """
        marginal = self.joint.sum(axis=0).astype(float)
        marginal /= max(marginal.sum(), 1.0)
        out = np.tile(marginal, (len(child_bins), 1))
        totals = self.joint.sum(axis=1)
        for i, c in enumerate(child_bins):
            if 0 <= c < len(totals) and totals[c] >= self.min_bin:
                out[i] = self.joint[c] / totals[c]
        return out

    @classmethod
    def fit(
        cls,
        children: pd.DataFrame,
        linked: pd.DataFrame,
        is_null: np.ndarray,
        degrees: np.ndarray,
        parents: pd.DataFrame,
        *,
        child_kinds: Mapping[str, str],
        parent_kinds: Mapping[str, str],
        max_features: int = 2,
        min_bin: int = MIN_BIN,
        alpha: float = ALPHA,
    ) -> SecondaryLinkModel:
        """Fit on real data.

        ``children``: one row per child (candidate value columns); ``linked``: the
        attributes of each child's parent, row-aligned (nulls where ``is_null``);
        ``degrees`` and ``parents``: the number of children of each parent row and that
        row's attributes.
        """
        is_null = np.asarray(is_null, dtype=bool)
        parent_feats = _candidate_features(linked, list(linked.columns), parent_kinds)
        child_feats = _candidate_features(children, list(children.columns), child_kinds)
        chosen_parent = _select_parent_features(
            children, linked, is_null, parent_feats, child_feats, max_features, alpha
        )
        target = _parent_bins(linked, is_null, chosen_parent)
        chosen_child = _select_by_dependence(children, target, child_feats, max_features, alpha)
        joint = _joint_counts(children, linked, is_null, chosen_child, chosen_parent)
        # degrees binned like the draws, so each bin's capacity matches its demand
        degree = ChildCountModel.fit(
            degrees, parents, parent_kinds, min_bin=min_bin, alpha=alpha,
            features=chosen_parent or None,
        )
        return cls(chosen_child, chosen_parent, joint, degree, min_bin)

    def to_dict(self) -> dict[str, Any]:
        return {
            "child_features": [f.to_dict() for f in self.child_features],
            "parent_features": [f.to_dict() for f in self.parent_features],
            "joint": self.joint.astype(int).tolist(),
            "degree": self.degree.to_dict(),
            "min_bin": self.min_bin,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SecondaryLinkModel:
        return cls(
            [BinFeature.from_dict(f) for f in data["child_features"]],
            [BinFeature.from_dict(f) for f in data["parent_features"]],
            np.asarray(data["joint"], dtype=np.int64),
            ChildCountModel.from_dict(data["degree"]),
            int(data.get("min_bin", MIN_BIN)),
        )


def _candidate_features(
    frame: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, str]
) -> list[BinFeature]:
    feats = [
        fit_feature(frame[c], kinds.get(c, "categorical"), n_quantiles=LINK_QUANTILES)
        for c in columns
    ]
    return [f for f in feats if f is not None]


def _parent_bins(frame: pd.DataFrame, is_null: np.ndarray, feats: list[BinFeature]) -> np.ndarray:
    """Parent bin id per row, with null foreign keys as the extra id ``n_bins``."""
    ids = bin_ids(frame, feats)
    ids[is_null] = n_bins(feats)
    return ids


def _select_parent_features(
    children: pd.DataFrame,
    linked: pd.DataFrame,
    is_null: np.ndarray,
    parent_feats: list[BinFeature],
    child_feats: list[BinFeature],
    max_features: int,
    alpha: float,
) -> list[BinFeature]:
    """Parent attributes ranked by their strongest dependence on any child value."""
    child_codes = [cf.codes(children[cf.column]) for cf in child_feats]
    scored: list[tuple[float, BinFeature]] = []
    for pf in parent_feats:
        target = _parent_bins(linked, is_null, [pf])
        tests = [_dependence(codes, target) for codes in child_codes]
        significant = [v for p, v in tests if p < alpha]
        if significant:
            scored.append((max(significant), pf))
    scored.sort(key=lambda item: -item[0])
    return [f for _, f in scored[:max_features]]


def _select_by_dependence(
    frame: pd.DataFrame,
    target: np.ndarray,
    feats: list[BinFeature],
    max_features: int,
    alpha: float,
) -> list[BinFeature]:
    """Features whose bins depend on ``target`` (chi-square), strongest (Cramer's V) first."""
    scored = []
    for feat in feats:
        p, v = _dependence(feat.codes(frame[feat.column]), target)
        if p < alpha:
            scored.append((v, feat))
    scored.sort(key=lambda item: -item[0])
    return [f for _, f in scored[:max_features]]


def _dependence(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(p-value, Cramer's V) of the chi-square test of independence of two codings."""
    table = pd.crosstab(a, b).to_numpy()
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 1.0, 0.0
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    n = table.sum()
    v = np.sqrt(chi2 / (n * (min(table.shape) - 1)))
    return float(p), float(v)


def _joint_counts(
    children: pd.DataFrame,
    linked: pd.DataFrame,
    is_null: np.ndarray,
    child_feats: list[BinFeature],
    parent_feats: list[BinFeature],
) -> np.ndarray:
    rows = bin_ids(children, child_feats)
    cols = _parent_bins(linked, is_null, parent_feats)
    joint = np.zeros((n_bins(child_feats), n_bins(parent_feats) + 1), dtype=np.int64)
    np.add.at(joint, (rows, cols), 1)
    return joint
