"""One learned table as a stream of record batches: :class:`TableStream`.

A root table is sampled ``chunk_size`` rows at a time. A child table walks its primary
parent back from the target in batches; each parent row draws its number of children
from the count model, the parent's context rows are repeated that many times, each
child row chooses its secondary parents (by the primary parent's attributes) and takes
their attributes into its context, and the child model samples one row per context row,
so children stay aligned with the parents they belong to. A chunk never splits one parent's children, which keeps
within-parent numbering (``line_no``) and composite keys local to the chunk.

Per chunk: sample values, resample rows failing a row rule (check expression,
not-null, accepted values), re-create PII columns, make keys (sequences, the primary
parent's key, the chosen secondary parents' keys; a hierarchy's secondary parents are
drawn here, by its values), cast to the declared types.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ConstraintViolation
from ..relations.constraints import row_predicate
from ..relations.frames import ChunkCaster
from ..relations.keys import KeySequence, KeySpec, within_group_sequence
from ..synth import ClipTally
from ..targets.base import TargetAdapter
from ..training.plan import foreign_key, secondary_context_name
from .assignment import SecondaryAssigner
from .hierarchy import hierarchy_chunks
from .parents import KeyTable, count_rows, load_keys, require_table, stream_parent
from .trained import TrainedTable

logger = logging.getLogger(__name__)

#: rounds of resampling rows that fail a row rule
MAX_RESAMPLE_ROUNDS = 10
#: rows still failing after the rounds are dropped (with a warning) up to this share
MAX_DROPPED_SHARE = 0.01
#: rounds of redrawing secondary keys that duplicate a composite primary key
MAX_DEDUPE_ROUNDS = 10
_PARENT = "__shive_parent"


@dataclass
class _Chunk:
    """Sampled values of one chunk and, per row, its primary parent (-1: none)."""

    values: pd.DataFrame
    parent_pos: np.ndarray | None = None
    parent_keys: dict[str, pa.Array] | None = None
    preset: dict[str, Any] | None = None  # key columns already made (a hierarchy's)
    #: per secondary foreign key chosen before the values, each row's parent row (-1: null)
    secondary_rows: dict[str, np.ndarray] | None = None
    #: each row's primary parent attributes those parents were chosen by (for redraws)
    known: pd.DataFrame | None = None


def chunk_rng(seed: int, table: str, chunk: int) -> np.random.Generator:
    """The generator of one chunk: independent of the chunks before it."""
    return np.random.default_rng([int(seed), zlib.crc32(table.encode()), chunk])


class TableStream:
    """Generates one learned table chunk by chunk (iterate :meth:`batches`)."""

    def __init__(
        self,
        trained: TrainedTable,
        adapter: TargetAdapter,
        *,
        rows: int | None,
        chunk_size: int,
        seed: int,
    ) -> None:
        self.trained = trained
        self.table = trained.table
        self.plan = trained.plan
        self.adapter = adapter
        self.rows = rows
        self.chunk_size = max(1, int(chunk_size))
        self.seed = int(seed)
        self.caster = ChunkCaster(self.table)
        self.predicate = row_predicate(self.table, trained.model_columns)
        self.fixed = trained.fixed
        self.sequences = {
            c: KeySequence(KeySpec.from_dict(trained.key_specs.get(c, {"shape": "integer"})))
            for c in self.plan.sequence_columns
        }
        self.rows_written = 0
        self.chunks = 0
        self.clipped = ClipTally()
        self._secondary: list[tuple[str, SecondaryAssigner, KeyTable]] = []

    @property
    def schema(self) -> pa.Schema:
        return self.caster.schema

    def close(self) -> None:
        self.caster.close()

    # ---- the stream ------------------------------------------------------------------
    def batches(self) -> Iterator[pa.RecordBatch]:
        """The table's rows as record batches of the declared schema."""
        for fk in self.table.foreign_keys:
            if fk.parent != self.table.name:
                require_table(self.adapter, fk.parent, self.table.name)
        self._prepare_secondaries()
        chunks = self._chunks()
        for chunk in chunks:
            frame = self._finish(chunk)
            self.chunks += 1
            self.rows_written += len(frame)
            logger.debug("%s: chunk %d, %d rows", self.table.name, self.chunks, len(frame))
            yield self.caster.to_batch(frame)
        if self.clipped.clipped:
            logger.warning(
                "%s: rows still out of a declared bound after %d redraws were clipped to it: %s",
                self.table.name,
                self.trained.synth.settings.max_resample_rounds,
                self.clipped.summary(),
            )

    def _chunks(self) -> Iterator[_Chunk]:
        if self.trained.hierarchy is not None:
            return hierarchy_chunks(self)
        return self._child_chunks() if self.trained.primary else self._root_chunks()

    def _root_chunks(self) -> Iterator[_Chunk]:
        total = int(self.rows or 0)
        for index, start in enumerate(range(0, total, self.chunk_size)):
            rng = chunk_rng(self.seed, self.table.name, index)
            n = min(self.chunk_size, total - start)
            values, _ = self._sample(n, None, rng)
            yield _Chunk(values)

    def _child_chunks(self) -> Iterator[_Chunk]:
        primary = self.trained.primary
        fk = foreign_key(self.table, primary.fk)
        columns = self.trained.primary_columns()
        # a batch of chunk_size parents, however many children each has (_groups cuts their
        # children into chunks): counts are drawn systematically per batch (linkage.py), so a
        # batch must hold many parents for a few heavy ones to come out as often as they are
        stream = stream_parent(self.adapter, fk.parent, columns, self.chunk_size)
        for index, (parents, batch) in enumerate(stream):
            rng = chunk_rng(self.seed, self.table.name, index)
            counts = primary.counts.sample(parents[primary.counts.columns], rng)
            for lo, hi in _groups(counts, self.chunk_size):
                keys = {c: batch.column(c).slice(lo, hi - lo) for c in fk.parent_columns}
                yield self._child_chunk(parents.iloc[lo:hi], counts[lo:hi], keys, rng)

    def _child_chunk(
        self,
        parents: pd.DataFrame,
        counts: np.ndarray,
        keys: dict[str, pa.Array],
        rng: np.random.Generator,
    ) -> _Chunk:
        parents = parents.reset_index(drop=True)
        pos = np.repeat(np.arange(len(parents)), counts)
        n_null = _null_rows(len(pos), self.trained.primary.null_rate, rng)
        context_pos = np.concatenate([pos, rng.integers(0, max(len(parents), 1), n_null)])
        known = parents.iloc[context_pos].reset_index(drop=True)
        # secondary parents first, by the primary parent's attributes; their attributes
        # then join the context the values are sampled with
        chosen = self._choose_secondaries(known, rng)
        context = None
        if self.plan.model_context:
            context = known[self.plan.context_columns]
            for name, rows in chosen.items():
                context = pd.concat([context, self._secondary_context(name, rows)], axis=1)
            context = context[self.plan.model_context]
        values, keep = self._sample(len(context_pos), context, rng)
        parent_pos = np.concatenate([pos, np.full(n_null, -1)])[keep]
        secondary_rows = {name: rows[keep] for name, rows in chosen.items()}
        known = known.iloc[keep].reset_index(drop=True)
        return _Chunk(values, parent_pos, keys, secondary_rows=secondary_rows, known=known)

    def _choose_secondaries(
        self, known: pd.DataFrame, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Per secondary foreign key chosen before the values, a parent row per child
        row (-1: a null key), drawn by the primary parent's attributes in ``known``."""
        return {
            name: assigner.assign(known, rng)
            for name, assigner, _ in self._secondary
            if assigner.model.by == "primary"
        }

    def _secondary_context(self, name: str, rows: np.ndarray) -> pd.DataFrame:
        """The context columns ``<fk>.<column>`` of the chosen secondary parent rows."""
        columns = self.plan.secondary_context.get(name, [])
        keys = next(k for n, _, k in self._secondary if n == name)
        frame = keys.attributes_at(rows, columns)
        return frame.rename(columns={c: secondary_context_name(name, c) for c in columns})

    # ---- values ----------------------------------------------------------------------
    def _sample(
        self, n: int, context: pd.DataFrame | None, rng: np.random.Generator
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """``n`` sampled rows passing the row rules, and which of the ``n`` were kept."""
        if n == 0:
            return self._empty_values(), np.zeros(0, dtype=bool)
        frame = self._draw(n, context, rng)
        bad = self.caster.failing_rows(frame, self.predicate)
        for _ in range(MAX_RESAMPLE_ROUNDS):
            if not len(bad):
                break
            redo_ctx = context.iloc[bad].reset_index(drop=True) if context is not None else None
            redo = self._draw(len(bad), redo_ctx, rng).set_axis(bad)
            frame = pd.concat([frame.drop(index=bad), redo]).sort_index()
            bad = bad[self.caster.failing_rows(redo.reset_index(drop=True), self.predicate)]
        keep = np.ones(n, dtype=bool)
        if len(bad):
            self._drop_failing(len(bad), n)
            keep[bad] = False
        return frame.iloc[keep].reset_index(drop=True), keep

    def _draw(self, n: int, context: pd.DataFrame | None, rng: np.random.Generator) -> pd.DataFrame:
        seed = int(rng.integers(0, 2**31 - 1))
        if self.trained.synth is None:  # nothing to learn: fixed values only
            return self.fixed.fill(pd.DataFrame(index=range(n)), n)
        frame = self.trained.synth.sample(n, context=context, seed=seed, clip_tally=self.clipped)
        return self.fixed.fill(frame, n)

    def _empty_values(self) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in self.trained.model_columns})

    def _drop_failing(self, failing: int, n: int) -> None:
        if failing > MAX_DROPPED_SHARE * n:
            raise ConstraintViolation(
                f"{failing} of {n} sampled rows of {self.table.name} still break its checks "
                f"after {MAX_RESAMPLE_ROUNDS} resampling rounds",
                table=self.table.name,
                hint="train longer (more epochs), or check that the real data meets the "
                "declared checks (`shive profile`)",
            )
        logger.warning(
            "%s: dropped %d of %d sampled rows that kept breaking a check",
            self.table.name,
            failing,
            n,
        )

    # ---- keys and the rest -----------------------------------------------------------
    def _finish(self, chunk: _Chunk) -> pd.DataFrame:
        """Sampled values plus PII columns and keys, in the table's column order."""
        from ..privacy import fill_generated_pii

        rng = chunk_rng(self.seed, self.table.name + "/keys", self.chunks)
        frame = chunk.values
        if self.trained.pii_plan is not None:
            frame = fill_generated_pii(
                frame,
                self.trained.pii_plan,
                self.table,
                seed=self.seed,
                row_offset=self.rows_written,
            )
        frame = frame.copy()
        self._add_sequences(frame, chunk, rng)
        if chunk.parent_keys is not None:
            fk = foreign_key(self.table, self.trained.primary.fk)
            for child_col, parent_col in zip(fk.columns, fk.parent_columns):
                frame[child_col] = _take(chunk.parent_keys[parent_col], chunk.parent_pos)
        self._add_secondaries(frame, chunk, rng)
        frame = self._dedupe_primary_key(frame, chunk, rng)
        for column in self.table.column_names:
            if column not in frame.columns:
                frame[column] = None
        return frame[self.table.column_names]

    def _add_sequences(self, frame: pd.DataFrame, chunk: _Chunk, rng: np.random.Generator) -> None:
        preset = chunk.preset or {}
        for column, sequence in self.sequences.items():
            if column not in preset:
                frame[column] = sequence.take(len(frame), rng)
        for column, values in preset.items():
            frame[column] = np.asarray(values)
        if self.plan.group_sequence_columns and chunk.parent_pos is not None:
            numbering = _numbering(chunk.parent_pos)
            for column in self.plan.group_sequence_columns:
                frame[column] = numbering

    def _prepare_secondaries(self) -> None:
        """Read each secondary parent's keys and attributes; draw their capacities."""
        expected = self._expected_rows()
        for name, model in self.trained.secondary.items():
            fk = foreign_key(self.table, name)
            keys = load_keys(
                self.adapter, fk.parent, fk.parent_columns, self.trained.secondary_columns(name)
            )
            rng = chunk_rng(self.seed, f"{self.table.name}/{name}", 0)
            assigner = SecondaryAssigner(
                model, keys.attributes, rng, expected_children=expected, fk_name=name
            )
            self._secondary.append((name, assigner, keys))

    def _expected_rows(self) -> float:
        primary = self.trained.primary
        if primary is None:
            return float(self.rows or 0)
        parent = foreign_key(self.table, primary.fk).parent
        return primary.expected_rows(count_rows(self.adapter, parent))

    def _add_secondaries(self, frame: pd.DataFrame, chunk: _Chunk, rng: np.random.Generator) -> None:
        chosen = chunk.secondary_rows or {}
        for name, assigner, keys in self._secondary:
            if keys.keys and len(keys) == 0 and assigner.model.null_rate < 1:
                logger.warning(
                    "%s: parent of %s has no rows; keys left null", self.table.name, name
                )
            # chosen before the values (a child of a primary parent), else by the values
            rows = chosen[name] if name in chosen else assigner.assign(frame, rng)
            frame[_PARENT + name] = rows
            fk = foreign_key(self.table, name)
            values = keys.take(rows)
            for child_col, parent_col in zip(fk.columns, fk.parent_columns):
                frame[child_col] = values[parent_col].to_pandas()

    def _dedupe_primary_key(
        self, frame: pd.DataFrame, chunk: _Chunk, rng: np.random.Generator
    ) -> pd.DataFrame:
        """Redraw secondary keys of rows that repeat a composite primary key."""
        pk = self.table.primary_key
        generated = set(self.plan.sequence_columns) | set(self.plan.group_sequence_columns)
        if not pk or generated & set(pk) or not self._secondary:
            return frame.drop(columns=[c for c in frame.columns if c.startswith(_PARENT)])
        for _ in range(MAX_DEDUPE_ROUNDS):
            dup = frame.duplicated(subset=pk, keep="first").to_numpy()
            if not dup.any():
                break
            self._redraw(frame, chunk, np.flatnonzero(dup), rng)
        dup = frame.duplicated(subset=pk, keep="first").to_numpy()
        if dup.any():
            logger.warning(
                "%s: dropped %d rows repeating primary key (%s)",
                self.table.name,
                int(dup.sum()),
                ", ".join(pk),
            )
            frame = frame.loc[~dup].reset_index(drop=True)
        return frame.drop(columns=[c for c in frame.columns if c.startswith(_PARENT)])

    def _redraw(
        self, frame: pd.DataFrame, chunk: _Chunk, rows: np.ndarray, rng: np.random.Generator
    ) -> None:
        """New secondary keys for ``rows`` (drawn as the first ones were: by the primary
        parent's attributes, or by the values; the values stay as sampled)."""
        for name, assigner, keys in self._secondary:
            fk = foreign_key(self.table, name)
            if not set(fk.columns) & set(self.table.primary_key):
                continue
            by_primary = assigner.model.by == "primary" and chunk.known is not None
            subset = chunk.known.iloc[rows] if by_primary else frame.iloc[rows]
            drawn = assigner.assign(subset, rng)
            values = keys.take(drawn)
            for child_col, parent_col in zip(fk.columns, fk.parent_columns):
                frame.iloc[rows, frame.columns.get_loc(child_col)] = (
                    values[parent_col].to_pandas().to_numpy()
                )


def _groups(counts: np.ndarray, chunk_size: int) -> Iterator[tuple[int, int]]:
    """Consecutive parent slices whose children fit a chunk (at least one parent each)."""
    lo, total = 0, 0
    for i, k in enumerate(counts.tolist()):
        if total and total + k > chunk_size:
            yield lo, i
            lo, total = i, 0
        total += k
    if lo < len(counts):
        yield lo, len(counts)


def _null_rows(linked: int, null_rate: float, rng: np.random.Generator) -> int:
    """How many rows with a null primary key go with ``linked`` rows that have one."""
    if null_rate <= 0 or linked == 0:
        return 0
    if null_rate >= 1:
        return linked
    return int(rng.poisson(linked * null_rate / (1 - null_rate)))


def _numbering(parent_pos: np.ndarray) -> np.ndarray:
    """1..k within each run of equal parent positions (children come grouped)."""
    if len(parent_pos) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, parent_pos[1:] != parent_pos[:-1]])
    sizes = np.diff(np.r_[starts, len(parent_pos)])
    return within_group_sequence(sizes)


def _take(column: pa.Array, positions: np.ndarray) -> pd.Series:
    missing = positions < 0
    indices = pa.array(np.where(missing, 0, positions), mask=missing)
    return column.take(indices).to_pandas()
