"""Hierarchy tables generated as a forest, level by level, parents first.

The forest's shape comes from :class:`~synthohive_dbt.relations.hierarchy.HierarchyModel`
(see that module for the whole story): a row's context is its parent row's generated
attributes (null for a root) and its own depth; keys are drawn as each level is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..relations.hierarchy import DEPTH

if TYPE_CHECKING:
    from .chunks import TableStream, _Chunk

logger = logging.getLogger(__name__)


# ---- generation -------------------------------------------------------------------
def hierarchy_chunks(stream: TableStream) -> Iterator[_Chunk]:
    """The chunks of a hierarchy table, level by level (see the module docstring)."""
    from ..training.plan import foreign_key
    from .chunks import _Chunk, chunk_rng

    trained, table = stream.trained, stream.table
    model = trained.hierarchy
    fk = foreign_key(table, model.fk)
    key, ref = fk.parent_columns[0], fk.columns[0]
    parent, depth = model.grow(
        int(stream.rows or 0), chunk_rng(stream.seed, table.name + "/forest", 0)
    )
    attrs = [c for c in stream.plan.context_columns if c != DEPTH]
    prev = _Level.empty()
    index = 0
    for d in range(int(depth.max()) + 1 if len(depth) else 0):
        nodes = np.flatnonzero(depth == d)
        up = parent[nodes] - prev.start if d else np.full(len(nodes), -1)
        alive = prev.alive[up] if d else np.ones(len(nodes), dtype=bool)
        level = _Level(int(nodes[0]) if len(nodes) else 0, np.zeros(len(nodes), dtype=bool))
        for lo in range(0, len(nodes), stream.chunk_size):
            pos = np.flatnonzero(alive[lo : lo + stream.chunk_size]) + lo
            rng = chunk_rng(stream.seed, table.name, index)
            index += 1
            context = (
                _context(stream, prev, up[pos], attrs, d) if stream.plan.context_columns else None
            )
            values, keep = stream._sample(len(pos), context, rng)
            pos = pos[keep]
            if not len(pos):
                continue
            if model.rules:
                parents = prev.attrs_at(up[pos]) if d else None
                for rule in model.rules:
                    if (rule.kind == "root") == (d == 0):
                        rule.apply(values, parents, rng)
                values, pos = _drop_failing(stream, values, pos)
                if not len(pos):
                    continue
            keys = stream.sequences[key].take(
                len(pos), chunk_rng(stream.seed, table.name + "/tree", index)
            )
            level.record(pos, keys, values[attrs] if attrs else None)
            refs = prev.keys_at(up[pos]) if d else pd.Series([None] * len(pos), dtype=object)
            yield _Chunk(values, preset={key: keys, ref: refs})
        prev = level


def _drop_failing(
    stream: TableStream, values: pd.DataFrame, pos: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows a parent rule made break a check are dropped (with their subtrees)."""
    bad = stream.caster.failing_rows(values, stream.predicate)
    if not len(bad):
        return values, pos
    logger.warning(
        "%s: dropped %d rows whose inherited values break a check", stream.table.name, len(bad)
    )
    ok = np.ones(len(pos), dtype=bool)
    ok[bad] = False
    return values.iloc[ok].reset_index(drop=True), pos[ok]


@dataclass
class _Level:
    """One generated level: which nodes were written, their keys and attributes."""

    start: int
    alive: np.ndarray
    keys: np.ndarray | None = None
    attrs: pd.DataFrame | None = None
    _where: np.ndarray | None = None  # node offset -> row in keys / attrs

    @classmethod
    def empty(cls) -> _Level:
        return cls(0, np.zeros(0, dtype=bool))

    def record(self, pos: np.ndarray, keys: np.ndarray, attrs: pd.DataFrame | None) -> None:
        if self._where is None:
            self._where = np.full(len(self.alive), -1, dtype=np.int64)
        offset = 0 if self.keys is None else len(self.keys)
        self._where[pos] = np.arange(offset, offset + len(pos))
        self.alive[pos] = True
        self.keys = keys if self.keys is None else np.concatenate([self.keys, keys])
        if attrs is not None:
            attrs = attrs.reset_index(drop=True)
            self.attrs = (
                attrs if self.attrs is None else pd.concat([self.attrs, attrs], ignore_index=True)
            )

    def keys_at(self, offsets: np.ndarray) -> pd.Series:
        return pd.Series(self.keys[self._where[offsets]])

    def attrs_at(self, offsets: np.ndarray) -> pd.DataFrame:
        return self.attrs.iloc[self._where[offsets]].reset_index(drop=True)


def _context(
    stream: TableStream,
    prev: _Level,
    up: np.ndarray,
    attrs: list[str],
    depth: int,
) -> pd.DataFrame:
    """Each row's context: its parent's attributes (null for a root) and its depth."""
    n = len(up)
    if depth and attrs:
        frame = prev.attrs_at(up)
    else:
        frame = _root_context(stream, attrs, n)
    frame[DEPTH] = np.full(n, depth, dtype=np.int64)
    return frame[[c for c in stream.plan.context_columns]]


def _root_context(stream: TableStream, attrs: list[str], n: int) -> pd.DataFrame:
    """A root's parent attributes: ``n`` nulls of the dtypes the model was trained with
    (a root's parent columns were null in the training read too)."""
    from ..synth.columns import empty_series

    transformer = stream.trained.synth.context_transformer
    specs = {spec.name: spec for spec in transformer.specs} if transformer else {}
    columns = {}
    for name in attrs:
        spec = specs.get(name)
        columns[name] = (
            empty_series(n, spec).reset_index(drop=True)
            if spec is not None
            else pd.Series([None] * n, dtype=object)
        )
    return pd.DataFrame(columns, index=range(n))
