"""Hierarchies: a table that references itself, generated as a forest.

:class:`HierarchyModel` is the real hierarchy's shape (fitted by
:mod:`synthohive_dbt.training.hierarchy`): the share of rows that are roots and, per
depth, the empirical distribution of children per node. :meth:`HierarchyModel.grow`
draws a forest of exactly the rows asked for: roots in the real share, each node's
children drawn from its depth's distribution, so depth and fan-out follow the real
ones and a level deeper than any real one never appears. Trees are grown whole; the
last one needed is cut to a breadth-first prefix, so every kept node's parent is kept.

:func:`synthohive_dbt.generate.hierarchy.hierarchy_chunks` then generates the rows level by level, parents first. A
row's context is its parent row's generated attributes (null for a root) and its own
depth, so a child's values follow its parent's where the model learned that they do.
Primary keys are drawn from the table's key sequence as each level is written, and a
row's parent key is the key its parent was given, so every reference resolves to a
row of the table and there are no cycles (a parent is always one level up). A row
dropped for breaking a check takes its subtree with it. Memory holds the forest's
shape (two integers per row) and one level's keys and attributes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..dtypes import as_float64
from .linkage import CountDistribution

logger = logging.getLogger(__name__)

#: the context column holding a row's depth (0: a root)
DEPTH = "__shive_depth"
#: a row's category follows its parent's when they agree this much more than by chance
MIN_LIFT = 0.2
#: a numeric column is its parent's plus a constant when this share of rows is
MIN_OFFSET_SHARE = 0.9
#: (row, parent) pairs needed before a rule is believed
MIN_PAIRS = 30


@dataclass
class ParentRule:
    """An attribute a row takes from its parent row, beyond what the model learned.

    ``same``: a categorical or boolean column that agrees with the parent's far more
    often than chance (a department); with probability ``rate`` (the agreement above
    chance, rescaled) the row gets the parent's value. ``offset``: a numeric column that
    is the parent's plus a constant in most rows (``level = parent level + 1``); with
    probability ``rate`` the row gets the parent's value plus ``offset``. The model is
    conditioned on the parent's attributes too, so the rest of the row agrees with it.
    """

    column: str
    kind: str  # same | offset | root
    rate: float
    offset: float = 0.0
    value: Any = None  # a root's value (kind root)

    @classmethod
    def fit(cls, column: str, kind: str, child: pd.Series, parent: pd.Series) -> ParentRule | None:
        """The rule (row values, their parents' values) show, or None."""
        both = (child.notna() & parent.notna()).to_numpy()
        if both.sum() < MIN_PAIRS:
            return None
        c, p = child[both].reset_index(drop=True), parent[both].reset_index(drop=True)
        if kind in ("categorical", "boolean"):
            agree = float((c == p).mean())
            chance = float((c.value_counts(normalize=True) ** 2).sum())
            if chance >= 1 or agree - chance < MIN_LIFT:
                return None
            return cls(column, "same", (agree - chance) / (1 - chance))
        if kind == "numeric":
            delta = pd.Series(as_float64(c) - as_float64(p)).round(9).value_counts(normalize=True)
            if float(delta.iloc[0]) < MIN_OFFSET_SHARE:
                return None
            return cls(column, "offset", float(delta.iloc[0]), float(delta.index[0]))
        return None

    @classmethod
    def fit_roots(cls, column: str, roots: pd.Series) -> ParentRule | None:
        """``root``: the value (``level = 1``) most roots have, when nearly all do."""
        present = roots.dropna()
        if len(present) < MIN_PAIRS // 3:
            return None
        share = present.value_counts(normalize=True)
        if float(share.iloc[0]) < MIN_OFFSET_SHARE:
            return None
        value = share.index[0]
        value = value.item() if isinstance(value, np.generic) else value
        if not isinstance(value, (bool, int, float, str)):
            return None  # kept to JSON-native values
        return cls(column, "root", float(share.iloc[0]), value=value)

    def apply(
        self, values: pd.DataFrame, parents: pd.DataFrame | None, rng: np.random.Generator
    ) -> None:
        """Give rows of ``values`` their parent's value (``parents`` row-aligned), or for
        a ``root`` rule (``parents`` None) the roots' value."""
        if self.kind == "root":
            take = rng.random(len(values)) < self.rate
            column = values[self.column].reset_index(drop=True)
            values[self.column] = column.where(~take, self.value).to_numpy()
            return
        if parents is None:
            return
        source = parents[self.column].reset_index(drop=True)
        if self.kind == "offset":
            source = pd.Series(as_float64(source) + self.offset)
        take = (rng.random(len(values)) < self.rate) & source.notna().to_numpy()
        column = values[self.column].reset_index(drop=True)
        if self.kind == "offset":
            result = pd.Series(as_float64(column)).where(~take, source)
            if pd.api.types.is_integer_dtype(column.dtype) and result.notna().all():
                result = result.round().astype(column.dtype)
            values[self.column] = result.to_numpy()
            return
        values[self.column] = column.where(~take, source).to_numpy()

    def describe(self) -> str:
        if self.kind == "root":
            return f"{self.column} is {self.value!r} in {self.rate:.0%} of roots"
        what = "its parent's" if self.kind == "same" else f"its parent's {self.offset:+g}"
        return f"{self.column} takes {what} value in {self.rate:.0%} of rows"

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "rate": self.rate,
            "offset": self.offset,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParentRule:
        return cls(
            data["column"],
            data["kind"],
            float(data["rate"]),
            float(data.get("offset", 0)),
            data.get("value"),
        )


@dataclass
class HierarchyModel:
    """Root share and children per node, by depth, of one self-reference."""

    fk: str
    root_share: float
    children: dict[int, CountDistribution] = field(default_factory=dict)
    family: str = "empirical"
    rules: list[ParentRule] = field(default_factory=list)

    # ---- the forest ---------------------------------------------------------------
    def grow(self, rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(parent position, -1 for a root; depth) of ``rows`` nodes, ordered by depth."""
        parents: list[np.ndarray] = []
        depths: list[np.ndarray] = []
        total = 0
        while total < rows:
            need = rows - total
            roots = max(1, int(round(need * self.root_share)))
            parent, depth, tree = self._grow_trees(roots, rng)
            keep = _whole_trees(tree, need)
            renumber = np.cumsum(keep) - 1 + total
            kept = parent[keep]
            parents.append(np.where(kept < 0, -1, renumber[np.maximum(kept, 0)]))
            depths.append(depth[keep])
            total += int(keep.sum())
        if not parents:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        parent, depth = np.concatenate(parents), np.concatenate(depths)
        order = np.argsort(depth, kind="stable")
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        parent = parent[order]
        return np.where(parent < 0, -1, position[np.maximum(parent, 0)]), depth[order]

    def _grow_trees(
        self, roots: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(parent, depth, tree) of ``roots`` whole trees, level after level."""
        parent = [np.full(roots, -1, dtype=np.int64)]
        depth = [np.zeros(roots, dtype=np.int64)]
        tree = [np.arange(roots, dtype=np.int64)]
        level, size, d = np.arange(roots, dtype=np.int64), roots, 0
        while len(level) and d in self.children:
            counts = self.children[d].sample(len(level), rng, self.family)  # type: ignore[arg-type]
            born = np.repeat(level, counts)
            if not len(born):
                break
            parent.append(born)
            depth.append(np.full(len(born), d + 1, dtype=np.int64))
            tree.append(np.concatenate(tree)[born])
            level = np.arange(size, size + len(born), dtype=np.int64)
            size += len(born)
            d += 1
        return np.concatenate(parent), np.concatenate(depth), np.concatenate(tree)

    # ---- JSON ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "fk": self.fk,
            "root_share": self.root_share,
            "children": {str(d): h.to_dict() for d, h in sorted(self.children.items())},
            "family": self.family,
            "rules": [r.to_dict() for r in self.rules],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HierarchyModel:
        return cls(
            data["fk"],
            float(data["root_share"]),
            {int(d): CountDistribution.from_dict(h) for d, h in data.get("children", {}).items()},
            data.get("family", "empirical"),
            [ParentRule.from_dict(r) for r in data.get("rules", [])],
        )


def _whole_trees(tree: np.ndarray, need: int) -> np.ndarray:
    """Which nodes to keep: whole trees in order while they fit ``need``, then a
    breadth-first prefix of the next one (nodes come level by level, so a prefix of a
    tree's nodes holds each kept node's parent)."""
    sizes = np.bincount(tree)
    ends = np.cumsum(sizes)
    if ends[-1] <= need:
        return np.ones(len(tree), dtype=bool)
    cut = int(np.searchsorted(ends, need, side="right"))
    keep = tree < cut
    rest = need - (int(ends[cut - 1]) if cut else 0)
    keep[np.flatnonzero(tree == cut)[:rest]] = True
    return keep
