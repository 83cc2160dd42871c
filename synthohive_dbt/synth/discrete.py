"""One-hot encoding of categorical, text and boolean columns.

A column's categories are its distinct non-null values; a null becomes a category of
its own, so nulls are generated at their rate and in their context. A column with more
distinct values than ``max_categories`` keeps the most frequent ones and folds the rest
into one *rare* bucket (with a warning naming the column); a generated rare-bucket row
gets a value drawn from a bounded pool of the bucketed values, by their frequency.

A value seen fewer than ``min_count`` times is rare whatever the column's size, and it
never enters the pool (nor the model file) as it is: the pool holds a generated
stand-in of its shape instead (:mod:`synthohive_dbt.synth.standins`), so a member code
or a note seen once is never sampled back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TrainingError
from .columns import decode_value, encode_value
from .standins import can_stand_in, standins

logger = logging.getLogger(__name__)


@dataclass
class CategoryModel:
    """One discrete column's codes: ``values`` first, then the rare bucket, then null."""

    name: str
    values: list[Any]
    counts: list[int]  # training rows per code
    has_other: bool = False
    has_null: bool = False
    pool: list[Any] = field(default_factory=list)  # bucketed values to draw from
    pool_weights: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index = pd.Index(self.values, dtype=object)

    @property
    def width(self) -> int:
        return len(self.values) + int(self.has_other) + int(self.has_null)

    @property
    def other_code(self) -> int:
        return len(self.values) if self.has_other else -1

    @property
    def null_code(self) -> int:
        return self.width - 1 if self.has_null else -1

    # ---- fitting --------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        series: pd.Series,
        *,
        max_categories: int,
        pool_size: int,
        min_count: int = 1,
        rng: np.random.Generator | None = None,
        public: tuple[str, ...] = (),
    ) -> CategoryModel:
        """Categories of ``series``: the rarest bucketed when there are too many, and every
        text or integer value seen fewer than ``min_count`` times bucketed as a stand-in
        (drawn with ``rng``; 1 keeps every value as it is). Values in ``public`` (the
        user's own ``accepted_values``, compared as text) are never protected."""
        name = str(series.name)
        try:
            counts = series.astype(object).value_counts(dropna=True, sort=True)
            for value in counts.index[: max_categories + pool_size]:
                encode_value(value)
        except TypeError as exc:
            raise TrainingError(
                f"column values cannot be modelled: {exc}", column=name,
                hint="cast the column to text or a number in the model SQL, or drop it",
            ) from exc
        protected = (counts < min_count).to_numpy() & counts.index.map(can_stand_in).to_numpy(bool)
        if public:
            protected &= ~counts.index.map(lambda v: str(v) in set(public)).to_numpy(bool)
        frequent = counts[~protected]
        over = frequent.iloc[max_categories - 1 :] if len(frequent) > max_categories else frequent.iloc[:0]
        kept = frequent.iloc[: len(frequent) - len(over)]
        rare = pd.concat([over, counts[protected]]) if protected.any() else over
        if len(over):
            logger.warning(
                "column %r has %d distinct values: kept the %d most frequent, bucketed %d rarer "
                "values (%d rows) and samples them from a pool of %d",
                name, len(counts), len(kept), len(rare), int(rare.sum()),
                min(pool_size, len(rare)),
            )
        if protected.any():
            logger.info(
                "column %r: %d values seen fewer than %d times (%d rows) are generated as "
                "stand-ins of their shape, never as they are",
                name, int(protected.sum()), min_count, int(counts[protected].sum()),
            )
        pool = rare.iloc[:pool_size]
        values = _pool_values(pool, set(over.index), counts.index, rng, min_count)
        weights = pool[[v is not None for v in values]]
        kept_values = kept.index.tolist()
        stand_ins = [v for v in values if v is not None]
        if not kept_values and stand_ins and len(counts) > 1:
            # every value is rare: a category of one stand-in (never seen in training)
            # keeps the column two codes wide, as a column of several values must be
            kept_values = stand_ins[:1]
        model = cls(
            name=name,
            values=kept_values,
            counts=[],
            has_other=bool(len(rare)),
            has_null=bool(series.isna().any()),
            pool=[v for v in values if v is not None],
            pool_weights=(weights / weights.sum()).tolist() if len(weights) else [],
        )
        model.counts = np.bincount(model.encode(series), minlength=model.width).tolist()
        return model

    # ---- encoding ---------------------------------------------------------------------

    def encode(self, series: pd.Series, *, unknown: str = "error") -> np.ndarray:
        """Codes of ``series``; values never seen go to the rare bucket when there is one.

        ``unknown`` says what happens to other unseen values: ``error`` raises,
        ``frequent`` maps them to the most frequent category, ``missing`` to -1.
        """
        values = series.astype(object).to_numpy()
        null = pd.isna(values)
        codes = self._index.get_indexer(values).astype(np.int64)
        codes[null] = self.null_code
        unseen = (codes < 0) & ~null
        if self.has_other:
            codes[unseen] = self.other_code
        elif unseen.any():
            codes[unseen] = self._unseen_code(values[unseen], unknown)
        if null.any() and not self.has_null:
            codes[null] = self._unseen_code(values[null][:1], unknown)
        return codes

    def _unseen_code(self, examples: np.ndarray, unknown: str) -> int:
        if unknown == "missing":
            return -1
        if unknown == "frequent" and self.values:
            logger.warning(
                "column %r has values the model never saw (e.g. %r): treated as %r",
                self.name, examples[0], self.values[0],
            )
            return 0
        raise TrainingError(
            f"value {examples[0]!r} was not among the training values", column=self.name,
            hint="retrain the model on data that includes it",
        )

    def code_of(self, value: Any) -> int:
        """The code a condition value maps to (-1 when never seen)."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return self.null_code
        found = int(self._index.get_indexer([value])[0])
        if found >= 0:
            return found
        in_pool = any(value == p for p in self.pool)
        return self.other_code if in_pool else -1

    # ---- decoding ---------------------------------------------------------------------

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(values, null)`` for ``codes``; rare-bucket rows drawn from the pool."""
        lookup = np.empty(self.width, dtype=object)
        lookup[: len(self.values)] = self.values
        values = lookup[codes]
        null = codes == self.null_code if self.has_null else np.zeros(len(codes), dtype=bool)
        if self.has_other:
            other = codes == self.other_code
            if other.any() and not self.pool:  # every rare value's shape was used up
                values[other] = self.values[0] if self.values else None
                null = null | (other & (not self.values))
            elif other.any():
                pool = np.empty(len(self.pool), dtype=object)
                pool[:] = self.pool
                values[other] = pool[rng.choice(len(pool), size=int(other.sum()), p=self.pool_weights)]
        return values, null

    # ---- state ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "values": [encode_value(v) for v in self.values],
            "counts": self.counts,
            "has_other": self.has_other,
            "has_null": self.has_null,
            "pool": [encode_value(v) for v in self.pool],
            "pool_weights": self.pool_weights,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoryModel:
        return cls(
            name=data["name"],
            values=[decode_value(v) for v in data["values"]],
            counts=list(data["counts"]),
            has_other=bool(data["has_other"]),
            has_null=bool(data["has_null"]),
            pool=[decode_value(v) for v in data["pool"]],
            pool_weights=list(data["pool_weights"]),
        )


def _pool_values(
    pool: pd.Series,
    frequent: set[Any],
    real: pd.Index,
    rng: np.random.Generator | None,
    min_count: int,
) -> list[Any]:
    """The pool's values: frequent ones as they are, rare ones as stand-ins (None: none left)."""
    rare = [v for v in pool.index if v not in frequent]
    if not rare:
        return pool.index.tolist()
    drawn = standins(
        rare, real=real.tolist(), rng=rng if rng is not None else np.random.default_rng(0), min_count=min_count
    )
    replaced = dict(zip(rare, drawn))
    return [v if v in frequent else replaced[v] for v in pool.index]
