"""The table transformer: pandas rows to the generator's data vectors and back.

``fit`` describes every column (:mod:`.columns`), fits a mixture per continuous column
(:mod:`.continuous`) and a category list per discrete one (:mod:`.discrete`), and lays
the spans out (:mod:`.layout`). ``encode_frame`` turns a DataFrame into three arrays once
(standardised values, null flags, category codes); ``encode_rows`` builds a batch of
data vectors from them, drawing each value's mode from its posterior afresh, so the
mode a row is trained with is soft, not a fixed argmax. Generation goes the other way:
``decode`` to raw arrays (where bounds are enforced), then ``materialize`` to a
DataFrame of the input's exact dtypes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..errors import TrainingError, known_names_hint
from .columns import (
    ColumnSpec,
    describe_column,
    empty_series,
    from_continuous,
    from_values,
    infer_kind,
    observed_range,
    snap,
    to_continuous,
)
from .continuous import ModeModel, PackedModes, fit_modes
from .discrete import CategoryModel
from .layout import SpanLayout
from .settings import SynthSettings

logger = logging.getLogger(__name__)


@dataclass
class EncodedFrame:
    """A DataFrame as model arrays: ``values``/``null`` (rows, continuous), ``codes`` (rows, discrete)."""

    values: np.ndarray
    null: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    def tensors(self, device: torch.device) -> EncodedFrame:
        return EncodedFrame(
            torch.as_tensor(self.values, device=device),
            torch.as_tensor(self.null, device=device),
            torch.as_tensor(self.codes, device=device),
        )


@dataclass
class RawBatch:
    """Decoded generator output before dtypes: snapped continuous values and codes."""

    values: np.ndarray  # (rows, continuous) float64 in column units
    null: np.ndarray  # (rows, continuous) bool
    codes: np.ndarray  # (rows, discrete) int64

    def __len__(self) -> int:
        return len(self.values)

    def take(self, rows: np.ndarray) -> RawBatch:
        return RawBatch(self.values[rows], self.null[rows], self.codes[rows])

    def put(self, rows: np.ndarray, other: RawBatch) -> None:
        self.values[rows], self.null[rows], self.codes[rows] = other.values, other.null, other.codes


def resolve_kinds(frame: pd.DataFrame, kinds: Mapping[str, str] | None, what: str = "column") -> dict[str, str]:
    """Every column's kind: the declared one, else inferred from the data."""
    kinds = dict(kinds or {})
    for name in kinds:
        if name not in frame.columns:
            raise TrainingError(
                f"column_kinds names unknown {what} {name!r}",
                hint=known_names_hint(name, map(str, frame.columns), what),
            )
    return {str(c): kinds.get(c) or infer_kind(frame[c]) for c in frame.columns}


class DataTransformer:
    """Fitted column models plus the span layout of one table (or one context)."""

    def __init__(
        self,
        specs: list[ColumnSpec],
        modes: dict[str, ModeModel],
        categories: dict[str, CategoryModel],
        observed: dict[str, tuple[float | None, float | None]],
        null_counts: dict[str, list[int]],
        device: torch.device,
    ) -> None:
        self.specs = specs
        self.observed = observed
        self.null_counts = null_counts
        self.device = device
        self.continuous = [s for s in specs if s.continuous and not s.all_null]
        self.discrete = [s for s in specs if not s.continuous and not s.all_null]
        self.mode_models = [modes[s.name] for s in self.continuous]
        self.category_models = [categories[s.name] for s in self.discrete]
        self.packed = PackedModes(self.mode_models, device)
        # a nullable continuous column's null flag is a two-category discrete column of its
        # own, after the real ones, so it joins the conditional vector like any category
        self.nullable = [i for i, s in enumerate(self.continuous) if s.nullable]
        discrete_widths = [c.width for c in self.category_models] + [2] * len(self.nullable)
        self.layout = SpanLayout([m.n_modes for m in self.mode_models], discrete_widths, device)
        self._index_tensors()

    def _index_tensors(self) -> None:
        layout, device = self.layout, self.device
        starts = layout.span_start + [layout.data_dim]  # a missing span points at a spare slot
        self._mode_start = torch.tensor([starts[i] for i in layout.mode_span], dtype=torch.long, device=device)
        self._mode_has_span = torch.tensor([i >= 0 for i in layout.mode_span], device=device)
        self._disc_start = torch.tensor([starts[i] for i in layout.discrete_span], dtype=torch.long, device=device)
        self._disc_has_span = torch.tensor([i >= 0 for i in layout.discrete_span], device=device)
        spare = len(layout.span_start)  # choices gain a zero column at this index
        self._mode_choice = torch.tensor([i if i >= 0 else spare for i in layout.mode_span], dtype=torch.long, device=device)
        self._disc_choice = torch.tensor([i if i >= 0 else spare for i in layout.discrete_span], dtype=torch.long, device=device)

    # ---- fitting ----------------------------------------------------------------------------

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, kinds: Mapping[str, str], settings: SynthSettings,
        rng: np.random.Generator, device: torch.device,
    ) -> DataTransformer:
        """Describe and fit every column of ``frame``."""
        specs: list[ColumnSpec] = []
        modes: dict[str, ModeModel] = {}
        categories: dict[str, CategoryModel] = {}
        observed: dict[str, tuple[float | None, float | None]] = {}
        null_counts: dict[str, list[int]] = {}
        for column in frame.columns:
            series = frame[column]
            spec = describe_column(series, kinds[str(column)])
            specs.append(spec)
            if spec.all_null:
                continue
            if spec.continuous:
                values, null = to_continuous(series, spec)
                observed[spec.name] = observed_range(values, null)
                null_counts[spec.name] = [int((~null).sum()), int(null.sum())]
                modes[spec.name] = fit_modes(
                    values[~null], max_modes=settings.max_modes,
                    weight_threshold=settings.mode_weight_threshold,
                    sample_rows=settings.gmm_sample_rows, rng=rng,
                )
            else:
                raw = spec.name in settings.raw_columns  # pii: {action: keep}
                categories[spec.name] = CategoryModel.fit(
                    series, max_categories=settings.max_categories, pool_size=settings.rare_pool_size,
                    min_count=1 if raw else settings.min_count, rng=rng,
                    public=settings.public_values.get(spec.name, ()),
                )
        return cls(specs, modes, categories, observed, null_counts, device)

    @property
    def columns(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def data_dim(self) -> int:
        return self.layout.data_dim

    # ---- encoding -----------------------------------------------------------------------------

    def encode_frame(self, frame: pd.DataFrame, *, unknown: str = "error") -> EncodedFrame:
        """Model arrays for ``frame`` (which must hold every fitted column)."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise TrainingError(
                f"data lacks column {missing[0]!r} the model was fitted on",
                column=missing[0], hint="pass the same columns as in training",
            )
        rows = len(frame)
        raw = np.zeros((rows, len(self.continuous)))
        null = np.zeros((rows, len(self.continuous)), dtype=bool)
        for i, spec in enumerate(self.continuous):
            raw[:, i], null[:, i] = to_continuous(frame[spec.name], spec)
        values = self.packed.standardise(np.where(null, 0.0, raw)) if len(self.continuous) else raw.astype(np.float32)
        values[null] = 0.0
        codes = np.zeros((rows, len(self.discrete) + len(self.nullable)), dtype=np.int64)
        for j, model in enumerate(self.category_models):
            codes[:, j] = model.encode(frame[model.name], unknown=unknown)
        codes[:, len(self.discrete) :] = null[:, self.nullable]
        return EncodedFrame(values, null, codes)

    def discrete_counts(self, j: int) -> list[int]:
        """Training rows per code of discrete column ``j`` (null flags included)."""
        if j < len(self.category_models):
            return self.category_models[j].counts
        return self.null_counts[self.continuous[self.nullable[j - len(self.category_models)]].name]

    def encode_rows(
        self, data: EncodedFrame, rows: torch.Tensor, generator: torch.Generator | None
    ) -> torch.Tensor:
        """Data vectors of ``rows`` of tensor-held ``data``; modes drawn with ``generator``
        (the posterior's argmax when None)."""
        count = rows.shape[0]
        out = torch.zeros(count, self.data_dim + 1, device=self.device)
        positions = []
        if self.continuous:
            x, null = data.values[rows], data.null[rows]
            modes = self.packed.choose_modes(x, generator)
            out[:, : len(self.continuous)] = self.packed.normalise(x, modes).masked_fill(null, 0.0)
            positions.append(torch.where(self._mode_has_span, self._mode_start + modes, self.data_dim))
        if self.layout.discrete_widths:
            codes = data.codes[rows]
            valid = self._disc_has_span & (codes >= 0)
            positions.append(torch.where(valid, self._disc_start + codes, self.data_dim))
        if positions:
            out.scatter_(1, torch.cat(positions, dim=1), 1.0)
        return out[:, : self.data_dim]

    def transform(self, frame: pd.DataFrame, *, seed: int = 0, chunk_rows: int = 65_536) -> np.ndarray:
        """The full ``(rows, data_dim)`` matrix of ``frame``, modes drawn with ``seed``."""
        data = self.encode_frame(frame).tensors(self.device)
        generator = torch.Generator(device=self.device).manual_seed(seed)
        rows = torch.arange(len(frame), device=self.device)
        chunks = [self.encode_rows(data, part, generator) for part in rows.split(chunk_rows)]
        return torch.cat(chunks).cpu().numpy() if chunks else np.zeros((0, self.data_dim), np.float32)

    def encode_context(self, frame: pd.DataFrame) -> torch.Tensor:
        """Deterministic vectors for context rows: each value's most likely mode; values
        never seen in training encode as no category."""
        data = self.encode_frame(frame, unknown="missing").tensors(self.device)
        rows = torch.arange(len(frame), device=self.device)
        return self.encode_rows(data, rows, None)

    # ---- decoding ----------------------------------------------------------------------------

    def decode(self, values: torch.Tensor, choices: torch.Tensor) -> RawBatch:
        """Snapped raw values and codes from generator ``values`` and span ``choices``."""
        rows = values.shape[0]
        padded = torch.cat([choices, choices.new_zeros(rows, 1)], dim=1)
        modes = padded[:, self._mode_choice]
        raw = self.packed.denormalise(values, modes).cpu().numpy() if self.continuous else np.zeros((rows, 0))
        for i, spec in enumerate(self.continuous):
            raw[:, i] = snap(raw[:, i], spec)
        codes = padded[:, self._disc_choice].cpu().numpy()
        null = np.zeros(raw.shape, dtype=bool)
        null[:, self.nullable] = codes[:, len(self.discrete) :] == 1
        return RawBatch(raw, null, codes)

    def materialize(self, raw: RawBatch, rng: np.random.Generator) -> pd.DataFrame:
        """A DataFrame of the fitted columns, in order, with their exact dtypes."""
        columns: dict[str, pd.Series] = {}
        cont = {s.name: i for i, s in enumerate(self.continuous)}
        disc = {s.name: j for j, s in enumerate(self.discrete)}
        for spec in self.specs:
            if spec.all_null:
                columns[spec.name] = empty_series(len(raw), spec)
            elif spec.name in cont:
                i = cont[spec.name]
                columns[spec.name] = from_continuous(raw.values[:, i], raw.null[:, i], spec)
            else:
                j = disc[spec.name]
                values, null = self.category_models[j].decode(raw.codes[:, j], rng)
                columns[spec.name] = from_values(values, null, spec)
        frame = pd.DataFrame(columns)
        frame.columns = self.columns
        return frame

    # ---- state --------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """A JSON-safe description from which :meth:`from_state` rebuilds this transformer."""
        return {
            "columns": [s.to_dict() for s in self.specs],
            "modes": {s.name: m.to_dict() for s, m in zip(self.continuous, self.mode_models)},
            "categories": {m.name: m.to_dict() for m in self.category_models},
            "observed": {k: list(v) for k, v in self.observed.items()},
            "null_counts": self.null_counts,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], device: torch.device) -> DataTransformer:
        specs = [ColumnSpec.from_dict(d) for d in state["columns"]]
        modes = {k: ModeModel.from_dict(v) for k, v in state["modes"].items()}
        categories = {k: CategoryModel.from_dict(v) for k, v in state["categories"].items()}
        observed = {k: (v[0], v[1]) for k, v in state["observed"].items()}
        null_counts = {k: list(v) for k, v in state["null_counts"].items()}
        return cls(specs, modes, categories, observed, null_counts, device)
