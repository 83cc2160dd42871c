"""Assign secondary foreign keys to generated child rows, chunk by chunk.

For each child row, :class:`SecondaryAssigner` first draws the *bin* of secondary
parent its values go with (or a null key) from the fitted
:class:`~.linkage.SecondaryLinkModel`, then a parent within that bin. Every generated
secondary parent gets a *capacity* sampled from the degree model; parents are drawn
without replacement from the multiset of remaining capacities (a multivariate
hypergeometric draw), so the generated degree distribution follows the real one
instead of the Poisson spread that uniform draws would give. A bin whose capacity runs
out is refilled by sampling fresh capacities for its parents.

Memory: one key column set, one bin id and one capacity per secondary parent row,
never the child table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import GenerationError
from ..relations.binning import bin_ids, n_bins
from ..relations.secondary import SecondaryLinkModel

#: refills of an exhausted bin before giving up (only reachable with empty degrees)
_MAX_REFILLS = 1000
#: capacity draws per bin when matching an expected demand
_CAPACITY_DRAWS = 64


class SecondaryAssigner:
    """Draws secondary parent rows for child rows, keeping degrees and attribute links."""

    def __init__(
        self,
        model: SecondaryLinkModel,
        parents: pd.DataFrame,
        rng: np.random.Generator,
        *,
        expected_children: float | None = None,
        fk_name: str = "",
    ) -> None:
        """``parents``: the generated secondary parent rows (attributes the model names);
        ``expected_children``: about how many child rows will ask for a parent, so that
        each bin's capacities can be drawn to sum close to its demand.
        """
        self.model = model
        self.fk_name = fk_name
        self._parents = (
            parents[model.parent_columns] if model.parent_columns else parents.iloc[:, :0]
        )
        self._bin_of = bin_ids(parents, model.parent_features)
        self._members = {int(b): np.flatnonzero(self._bin_of == b) for b in np.unique(self._bin_of)}
        self._capacity = np.zeros(len(self._bin_of), dtype=np.int64)
        demand = self._expected_demand(expected_children)
        for b, members in self._members.items():
            self._capacity[members] = self._draw_capacity(members, demand.get(b), rng)

    def _expected_demand(self, expected_children: float | None) -> dict[int, float]:
        """Expected number of child rows per available parent bin."""
        if expected_children is None:
            return {}
        share = self.model.joint.sum(axis=0)[:-1].astype(float)
        bins = list(self._members)
        weights = share[bins]
        if weights.sum() == 0:
            weights = np.array([len(self._members[b]) for b in bins], dtype=float)
        linked = expected_children * (1.0 - self.model.null_rate)
        return {b: linked * w / weights.sum() for b, w in zip(bins, weights)}

    def _draw_capacity(
        self, members: np.ndarray, demand: float | None, rng: np.random.Generator
    ) -> np.ndarray:
        """Degrees for one bin's parents; with a known demand, the best of a few draws.

        Real degrees sum exactly to the real number of children, so a draw whose sum is
        near the expected demand is closer to the real joint than a lone draw, which for
        heavy-tailed degrees can be off by half and leave parents under-filled.
        """
        frame = self._parents.iloc[members]
        best = self.model.degree.sample(frame, rng, systematic=False).astype(np.int64)
        if demand is None:
            return best
        for _ in range(_CAPACITY_DRAWS - 1):
            if abs(best.sum() - demand) <= max(1.0, 0.01 * demand):
                break
            candidate = self.model.degree.sample(frame, rng, systematic=False).astype(np.int64)
            if abs(candidate.sum() - demand) < abs(best.sum() - demand):
                best = candidate
        return best

    @property
    def n_parents(self) -> int:
        return len(self._bin_of)

    def assign(self, children: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """A parent row index per child row, -1 where the foreign key stays null."""
        target_bins = self._draw_bins(children, rng)
        out = np.full(len(children), -1, dtype=np.int64)
        for b in np.unique(target_bins):
            if b < 0:
                continue
            rows = np.flatnonzero(target_bins == b)
            out[rows] = self._draw_parents(int(b), len(rows), rng)
        return out

    # ---- steps ---------------------------------------------------------------------
    def _draw_bins(self, children: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """A parent bin per child row from P(bin | child values); -1 for a null key."""
        child_bins = bin_ids(children, self.model.child_features)
        null_col = n_bins(self.model.parent_features)
        available = np.zeros(null_col + 1, dtype=bool)
        available[list(self._members)] = True
        available[null_col] = True
        out = np.empty(len(children), dtype=np.int64)
        for c in np.unique(child_bins):
            rows = np.flatnonzero(child_bins == c)
            probs = self.model.bin_probabilities(np.array([c]))[0] * available
            if probs[:null_col].sum() == 0 and probs[null_col] == 0:
                probs = available[:].astype(float)
                probs[null_col] = 0.0
            if probs.sum() == 0:
                raise GenerationError(
                    f"no generated parent rows to link foreign key {self.fk_name} to",
                    hint="generate the parent table with at least one row",
                )
            out[rows] = rng.choice(len(probs), size=len(rows), p=probs / probs.sum())
        out[out == null_col] = -1
        return out

    def _draw_parents(self, b: int, m: int, rng: np.random.Generator) -> np.ndarray:
        """``m`` parents of bin ``b`` drawn without replacement from remaining capacity."""
        members = self._members[b]
        picked: list[np.ndarray] = []
        need = m
        for _ in range(_MAX_REFILLS):
            cap = self._capacity[members]
            available = int(cap.sum())
            if available == 0:
                self._refill(members, rng)
                continue
            take = min(need, available)
            drawn = rng.multivariate_hypergeometric(cap, take, method="marginals")
            self._capacity[members] -= drawn
            picked.append(np.repeat(members, drawn))
            need -= take
            if need == 0:
                return rng.permutation(np.concatenate(picked))
        raise GenerationError(
            f"could not draw parents for foreign key {self.fk_name}: the degree model gives no capacity",
            hint="retrain the table (shive train --full-refresh)",
        )

    def _refill(self, members: np.ndarray, rng: np.random.Generator) -> None:
        """Fresh capacities for one bin's parents; one each if the model gives none."""
        fresh = self.model.degree.sample(
            self._parents.iloc[members], rng, systematic=False
        ).astype(np.int64)
        if fresh.sum() == 0:
            fresh = np.ones(len(members), dtype=np.int64)
        self._capacity[members] = fresh
