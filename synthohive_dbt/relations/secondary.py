"""The secondary-parent model: which parent a child row goes with, and how often.

For a foreign key that does not drive the row count (``order_items.product_id`` when
``order_id`` does), :class:`SecondaryLinkModel` keeps the binned joint of what is known
about a child row when its secondary parent is chosen and the secondary parent's
attributes (a null key as its own column), so that a child row can draw the *kind* of
parent that goes with it. A primary parent's child chooses its secondary parents
*before* its values are generated (``by == "primary"``): what is known is its primary
parent's attributes, and the child's values are then conditioned on both parents. A
hierarchy, whose rows have no primary parent, chooses them after its values, by them
(``by == "values"``). It also keeps a
:class:`~.linkage.ChildCountModel` of the secondary parent's degree, so that within a
bin parents are drawn in proportion to sampled capacities (see :mod:`.assignment`).
Fitted at training time on the real data, stored as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..synth.standins import DEFAULT_MIN_COUNT
from .binning import BinFeature, bin_ids, fit_feature, n_bins
from .linkage import ALPHA, MIN_BIN, ChildCountModel

#: quantile bins of a numeric attribute in the secondary-parent joint
LINK_QUANTILES = 8


@dataclass
class SecondaryLinkModel:
    """Which secondary parent a child row goes with, and how often each parent is chosen.

    ``joint[c, p]`` counts real child rows in bin ``c`` of what is known about them
    (``child_features``: their primary parent's attributes, or their own values, see
    ``by``) linked to a parent in attribute bin ``p``; the last column counts rows whose
    foreign key is null.
    """

    child_features: list[BinFeature]
    parent_features: list[BinFeature]
    joint: np.ndarray
    degree: ChildCountModel
    min_bin: int = MIN_BIN
    by: str = "values"  # "primary": child_features are the primary parent's columns

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
        min_count: int = DEFAULT_MIN_COUNT,
        by: str = "values",
        counted_on: pd.DataFrame | None = None,
    ) -> SecondaryLinkModel:
        """Fit on real data.

        ``children``: one row per child (the candidate columns known when its parent is
        chosen: its values, or with ``by="primary"`` its primary parent's); ``linked``: the
        attributes of each child's parent, row-aligned (nulls where ``is_null``);
        ``degrees`` and ``parents``: the number of children of each parent row and that
        row's attributes; ``min_count``: the project's ``privacy.min_count`` (a category
        seen fewer times is no bin of its own), counted on ``parents`` for the secondary
        parent's attributes and on ``counted_on`` (the primary parent's rows, with
        ``by="primary"``) for the child's known columns.
        """
        is_null = np.asarray(is_null, dtype=bool)
        # a parent value repeats once per linked child: its rarity is counted on the parents
        parent_feats = _candidate_features(
            linked, list(linked.columns), parent_kinds, min_count, counted_on=parents
        )
        child_feats = _candidate_features(
            children, list(children.columns), child_kinds, min_count, counted_on=counted_on
        )
        chosen_parent = _select_parent_features(
            children, linked, is_null, parent_feats, child_feats, max_features, alpha
        )
        target = _parent_bins(linked, is_null, chosen_parent)
        chosen_child = _select_by_dependence(children, target, child_feats, max_features, alpha)
        joint = _joint_counts(children, linked, is_null, chosen_child, chosen_parent)
        # degrees binned like the draws, so each bin's capacity matches its demand
        degree = ChildCountModel.fit(
            degrees,
            parents,
            parent_kinds,
            min_bin=min_bin,
            alpha=alpha,
            features=chosen_parent or None,
            min_count=min_count,
        )
        return cls(chosen_child, chosen_parent, joint, degree, min_bin, by)

    def to_dict(self) -> dict[str, Any]:
        return {
            "child_features": [f.to_dict() for f in self.child_features],
            "parent_features": [f.to_dict() for f in self.parent_features],
            "joint": self.joint.astype(int).tolist(),
            "degree": self.degree.to_dict(),
            "min_bin": self.min_bin,
            "by": self.by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SecondaryLinkModel:
        return cls(
            [BinFeature.from_dict(f) for f in data["child_features"]],
            [BinFeature.from_dict(f) for f in data["parent_features"]],
            np.asarray(data["joint"], dtype=np.int64),
            ChildCountModel.from_dict(data["degree"]),
            int(data.get("min_bin", MIN_BIN)),
            str(data.get("by", "values")),
        )


def _candidate_features(
    frame: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, str],
    min_count: int,
    *,
    counted_on: pd.DataFrame | None = None,
) -> list[BinFeature]:
    feats = [
        fit_feature(
            frame[c],
            kinds.get(c, "categorical"),
            n_quantiles=LINK_QUANTILES,
            min_count=min_count,
            counted_on=counted_on[c] if counted_on is not None and c in counted_on else None,
        )
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
