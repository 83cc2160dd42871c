"""``TableSynthesizer``: fit a CTGAN on a DataFrame, sample from it, save and load it.

This is the one class the pipeline and Python users touch. It wires the transformer,
the trainer, the fidelity loop and the sampler together, holds the seeded random
generators, and turns foreign exceptions into the library's errors.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import torch

from ..errors import GenerationError, TrainingError
from . import persistence
from .constraints import ClipTally, Requirements, build_requirements, declared_bounds
from .ctgan import CTGANTrainer, GeneratorAverage
from .fidelity import fidelity_score
from .frames import check_frames, context_chunks
from .loop import FidelityTracker, run_epochs
from .networks import build_networks
from .runtime import resolve_device, torch_threads
from .sampling import SamplingEngine, generate_frame
from .settings import EpochInfo, SynthSettings
from .transformer import DataTransformer, EncodedFrame, resolve_kinds

logger = logging.getLogger(__name__)

Bounds = Mapping[str, tuple[Any, Any]]
#: tables smaller than this are scored against a slice of their training rows
_MIN_ROWS_TO_HOLD_OUT = 5000


class TableSynthesizer:
    """A CTGAN for one table, optionally conditioned on a parent context."""

    def __init__(self, settings: SynthSettings | None = None, seed: int | None = None) -> None:
        self._engine: SamplingEngine | None = None
        self.settings = settings or SynthSettings()
        self.seed = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % 2**62)
        self.transformer: DataTransformer | None = None
        self.context_transformer: DataTransformer | None = None
        self.column_kinds: dict[str, str] = {}
        self.context_kinds: dict[str, str] = {}
        self.bounds: dict[str, tuple[float | None, float | None]] = {}
        self._device = resolve_device(self.settings.device)
        self._tracker = FidelityTracker(self.settings.patience, self.settings.min_delta)
        self._epochs_trained = 0
        self._last_state: dict[str, torch.Tensor] | None = None
        self._ema = GeneratorAverage(self.settings.generator_ema)
        self._optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None = None
        self._holdout: tuple[pd.DataFrame, pd.DataFrame | None] | None = None
        self._sample_calls = 0
        self._rng = torch.Generator(device=self._device).manual_seed(self.seed)

    @property
    def settings(self) -> SynthSettings:
        return self._settings

    @settings.setter
    def settings(self, value: SynthSettings) -> None:
        """New settings reach the sampling engine too (precision, batch rows, redraws)."""
        self._settings = value
        if self._engine is not None:
            self._engine = self._sampling_engine()

    def _sampling_engine(self) -> SamplingEngine:
        return SamplingEngine(
            self._fitted(), self.generator_net, self.settings, has_context=self.context_transformer is not None
        )

    # ---- what a fitted model tells ---------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        return self.transformer is not None

    @property
    def columns(self) -> list[str]:
        return self._fitted().columns

    @property
    def context_columns(self) -> list[str]:
        return self.context_transformer.columns if self.context_transformer else []

    @property
    def fidelity_history(self) -> list[dict[str, Any]]:
        return list(self._tracker.history)

    @property
    def best_epoch(self) -> int | None:
        return self._tracker.best_epoch

    @property
    def best_score(self) -> float | None:
        return self._tracker.best_score

    @property
    def epochs_trained(self) -> int:
        return self._epochs_trained

    def _fitted(self) -> DataTransformer:
        if self.transformer is None:
            raise GenerationError("the model is not fitted", hint="call fit() or TableSynthesizer.load()")
        return self.transformer

    # ---- training ------------------------------------------------------------------------------

    def fit(
        self,
        data: pd.DataFrame,
        *,
        column_kinds: Mapping[str, str] | None = None,
        context: pd.DataFrame | None = None,
        context_kinds: Mapping[str, str] | None = None,
        bounds: Bounds | None = None,
        on_epoch_end: Callable[[EpochInfo], bool | None] | None = None,
        progress: bool = True,
        resume: bool = False,
    ) -> TableSynthesizer:
        """Fit on ``data`` (row i conditioned on ``context`` row i for a child table).

        ``resume=True`` continues a fitted or loaded model for ``settings.epochs`` more
        epochs instead, keeping its transformers and counting epochs on.
        """
        if resume:
            return self.resume(self.settings.epochs, data, context=context, on_epoch_end=on_epoch_end, progress=progress)
        check_frames(data, context)
        started = time.perf_counter()
        with torch_threads(self.settings):
            self._setup(data, column_kinds, context, context_kinds, bounds)
            self._train(data, context, self.settings.epochs, on_epoch_end, progress)
        logger.info(
            "trained %d rows x %d columns for %d epochs in %.1fs; best fidelity %.4f at epoch %s",
            len(data), data.shape[1], self._epochs_trained, time.perf_counter() - started,
            self.best_score or 0.0, self.best_epoch,
        )
        return self

    def resume(
        self,
        extra_epochs: int,
        data: pd.DataFrame,
        *,
        context: pd.DataFrame | None = None,
        on_epoch_end: Callable[[EpochInfo], bool | None] | None = None,
        progress: bool = True,
    ) -> TableSynthesizer:
        """Train ``extra_epochs`` more epochs from the last weights and optimiser state."""
        if self.transformer is None or self._optimizers is None or self._last_state is None:
            raise TrainingError(
                "there is no training state to resume",
                hint="fit the model first, or load an artifact saved with its training state",
            )
        if extra_epochs < 1:
            raise TrainingError(f"extra_epochs must be at least 1, not {extra_epochs}")
        check_frames(data, context)
        if (context is None) != (self.context_transformer is None):
            raise TrainingError(
                "resume needs the same kind of input as the first fit",
                hint="pass context= exactly when the model was trained with one",
            )
        with torch_threads(self.settings):
            self._train(data, context, extra_epochs, on_epoch_end, progress)
        return self

    def _setup(
        self, data: pd.DataFrame, column_kinds: Mapping[str, str] | None,
        context: pd.DataFrame | None, context_kinds: Mapping[str, str] | None, bounds: Bounds | None,
    ) -> None:
        """Fit the transformers and build fresh networks and optimisers."""
        settings, device = self.settings, self._device
        rng = np.random.default_rng([self.seed, 1])
        self.column_kinds = resolve_kinds(data, column_kinds)
        self.transformer = DataTransformer.fit(data, self.column_kinds, settings, rng, device)
        if self.transformer.data_dim == 0:
            # every column all null or of one value: the generator would output nothing
            raise TrainingError(
                "nothing to learn: every column is null throughout or holds one value",
                hint="such columns need no model; drop them from the frame and fill their "
                "one value in after sampling (the shive pipeline does this itself)",
            )
        self.context_transformer = None
        if context is not None:
            self.context_kinds = resolve_kinds(context, context_kinds, "context column")
            self.context_transformer = DataTransformer.fit(context, self.context_kinds, settings, rng, device)
        self.bounds = declared_bounds(self._fitted(), bounds or {})
        self._build_networks()
        self._tracker = FidelityTracker(settings.patience, settings.min_delta)
        self._epochs_trained = 0
        self._last_state = None
        self._ema = GeneratorAverage(settings.generator_ema)
        self._rng = torch.Generator(device=device).manual_seed(self.seed)

    def _network_dims(self) -> dict[str, int]:
        transformer = self._fitted()
        context_dim = self.context_transformer.data_dim if self.context_transformer else 0
        cond_dim = transformer.layout.cond_dim
        return {
            "data_dim": transformer.data_dim,
            "generator_input": self.settings.embedding_dim + cond_dim + context_dim,
            "critic_input": transformer.data_dim + cond_dim + context_dim,
        }

    def _build_networks(self) -> None:
        settings, dims = self.settings, self._network_dims()
        self.generator_net, self.critic = build_networks(
            dims["generator_input"], dims["data_dim"], dims["critic_input"],
            generator_dim=tuple(settings.generator_dim), discriminator_dim=tuple(settings.discriminator_dim),
            pac=settings.pac, seed=self.seed, device=self._device,
        )
        self._optimizers = (
            torch.optim.Adam(self.generator_net.parameters(), lr=settings.generator_lr,
                             betas=(0.5, 0.9), weight_decay=settings.generator_decay),
            torch.optim.Adam(self.critic.parameters(), lr=settings.discriminator_lr,
                             betas=(0.5, 0.9), weight_decay=settings.discriminator_decay),
        )
        self._engine = self._sampling_engine()

    def _split(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Training rows and the held-out slice fidelity is scored against (seeded)."""
        order = np.random.default_rng([self.seed, 2]).permutation(rows)
        size = min(self.settings.eval_rows, math.ceil(rows * self.settings.holdout_fraction))
        if rows >= _MIN_ROWS_TO_HOLD_OUT:
            return np.sort(order[size:]), np.sort(order[:size])
        return np.arange(rows), np.sort(order[: min(rows, self.settings.eval_rows)])

    def _train(
        self, data: pd.DataFrame, context: pd.DataFrame | None, epochs: int,
        on_epoch_end: Callable[[EpochInfo], bool | None] | None, progress: bool,
    ) -> None:
        transformer = self._fitted()
        train_rows, holdout_rows = self._split(len(data))
        encoded = transformer.encode_frame(data.iloc[train_rows], unknown="frequent")
        context_vectors = None
        holdout_context = None
        if context is not None and self.context_transformer is not None:
            context_vectors = self._encode_context(context.iloc[train_rows])
            holdout_context = context.iloc[holdout_rows].reset_index(drop=True)
        self._holdout = (data.iloc[holdout_rows].reset_index(drop=True), holdout_context)
        if self._last_state is not None:
            self.generator_net.load_state_dict(self._last_state)
        trainer = self._trainer(encoded, context_vectors)
        eval_every = self.settings.eval_every or max(1, math.ceil(25 / trainer.steps_per_epoch))
        try:
            self._epochs_trained = run_epochs(
                trainer, start_epoch=self._epochs_trained, epochs=epochs, eval_every=eval_every,
                evaluate=self._score_weights, tracker=self._tracker,
                on_epoch_end=on_epoch_end, progress=progress,
            )
        except RuntimeError as exc:
            raise TrainingError(f"training failed: {exc}", hint="check the data, or lower the learning rates") from exc
        self._last_state = _clone(self.generator_net.state_dict())
        if self._tracker.best_state is not None:
            self.generator_net.load_state_dict(self._tracker.best_state)

    def _trainer(self, encoded: EncodedFrame, context_vectors: torch.Tensor | None) -> CTGANTrainer:
        if self._optimizers is None:
            raise TrainingError("no optimisers to train with", hint="fit the model first")
        return CTGANTrainer(
            self.settings, self._fitted(), encoded.tensors(self._device), context_vectors,
            self.generator_net, self.critic, self._optimizers, self._rng, self._ema,
        )

    def _score_weights(self, state: dict[str, torch.Tensor]) -> dict[str, Any]:
        """The fidelity check of the training loop: ``state`` scored on the held-out slice."""
        with self._swapped(state):
            return self.evaluate(*self._holdout, seed=self.seed)

    @contextlib.contextmanager
    def _swapped(self, state: Mapping[str, torch.Tensor] | None) -> Iterator[None]:
        """The generator holds ``state`` inside the block (None: as it is), then its own again."""
        if state is None:
            yield
            return
        kept = _clone(self.generator_net.state_dict())
        self.generator_net.load_state_dict(state)
        try:
            yield
        finally:
            self.generator_net.load_state_dict(kept)

    def _encode_context(self, context: pd.DataFrame) -> torch.Tensor:
        if self.context_transformer is None:
            raise GenerationError("this model was trained without a context", hint="drop context=")
        missing = [c for c in self.context_transformer.columns if c not in context.columns]
        if missing:
            raise GenerationError(
                f"context lacks column {missing[0]!r} the model was trained with",
                column=missing[0], hint="pass the parent columns: " + ", ".join(self.context_columns),
            )
        return self.context_transformer.encode_context(context)

    # ---- fidelity --------------------------------------------------------------------------------

    def evaluate(
        self, real: pd.DataFrame | None = None, context: pd.DataFrame | None = None, *,
        seed: int | None = None, weights: Literal["current", "best", "last"] = "current",
    ) -> dict[str, Any]:
        """Fidelity of as many sampled rows as ``real`` has (default: the held-out slice of
        the last fit), sampled with ``weights`` (see :meth:`using_weights`)."""
        if real is None:
            if self._holdout is None:
                raise GenerationError("no held-out rows in memory", hint="pass real= rows to score against")
            real, context = self._holdout
        with self.using_weights(weights):
            # scoring samples clip quietly: an early model breaks bounds, that is expected
            synth = self.sample(
                len(real), context=context, seed=self.seed if seed is None else seed, clip_tally=ClipTally()
            )
        return fidelity_score(real, synth, self.column_kinds)

    @contextlib.contextmanager
    def using_weights(self, weights: Literal["current", "best", "last"] = "current") -> Iterator[None]:
        """Sample and score with other generator weights inside the block: ``current`` (the
        weights in place: after fit or load the best checkpoint, inside an ``on_epoch_end``
        callback those being trained), ``best`` (the kept checkpoint) or ``last`` (the
        weights training ended with, as sampling would use them: their moving average).
        The weights in place are put back after."""
        final = self._ema.average if self._ema.average is not None else self._last_state
        chosen = {"current": None, "best": self._tracker.best_state, "last": final}[weights]
        if weights != "current" and chosen is None:
            raise GenerationError(f"no {weights} weights in memory", hint="use weights='current'")
        with self._swapped(chosen):
            yield

    # ---- sampling ------------------------------------------------------------------------------------

    def sample(
        self, n: int, *, context: pd.DataFrame | None = None, conditions: Mapping[str, Any] | None = None,
        seed: int | None = None, strict: bool = False, clip_tally: ClipTally | None = None,
    ) -> pd.DataFrame:
        """``n`` synthetic rows (one per ``context`` row for a child model).

        Rows still breaking a declared bound after the redraws are clipped with a warning,
        or counted into ``clip_tally`` for a caller that reports many calls at once."""
        chunks = list(self.sample_batches(
            n, chunk_size=max(n, 1), context=context, seed=seed, conditions=conditions, strict=strict,
            clip_tally=clip_tally,
        ))
        if not chunks:
            transformer = self._fitted()
            return transformer.materialize(transformer.decode(*_empty_output(transformer)), np.random.default_rng(0))
        return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)

    def sample_batches(
        self, n: int, *, chunk_size: int = 100_000,
        context: pd.DataFrame | Iterable[pd.DataFrame] | None = None, seed: int | None = None,
        as_arrow: bool = False, conditions: Mapping[str, Any] | None = None, strict: bool = False,
        clip_tally: ClipTally | None = None,
    ) -> Iterator[pd.DataFrame | pa.RecordBatch]:
        """Stream ``n`` rows as chunks of at most ``chunk_size`` rows (memory bounded by a
        chunk); ``context`` may itself be a stream of DataFrames."""
        transformer = self._fitted()
        if n < 0 or chunk_size < 1:
            raise GenerationError(f"need n >= 0 and chunk_size >= 1, got {n} and {chunk_size}")
        if (context is None) != (self.context_transformer is None):
            raise GenerationError(
                "this model was trained with a parent context" if context is None
                else "this model was trained without a context",
                hint="pass context= with one parent row per child row" if context is None else "drop context=",
            )
        if isinstance(context, pd.DataFrame) and len(context) != n:
            raise GenerationError(
                f"context has {len(context)} rows for n={n}", hint="pass one context row per row to generate"
            )
        req = build_requirements(
            transformer, self.bounds, conditions, observed=self.settings.enforce_observed_bounds, strict=strict
        )
        rng, np_rng = self._sampling_rngs(seed)
        return self._stream(
            context_chunks(n, chunk_size, context), req, rng, np_rng, strict, as_arrow, clip_tally
        )

    def _stream(
        self, chunks: Iterator[tuple[int, pd.DataFrame | None]], req: Requirements,
        rng: torch.Generator, np_rng: np.random.Generator, strict: bool, as_arrow: bool,
        clip_tally: ClipTally | None = None,
    ) -> Iterator[pd.DataFrame | pa.RecordBatch]:
        for rows, context in chunks:
            with torch_threads(self.settings):
                vectors = self._encode_context(context) if context is not None else None
                frame = generate_frame(
                    self._engine, rows, context=vectors, req=req, rng=rng, np_rng=np_rng, strict=strict,
                    clip_tally=clip_tally,
                )
            yield pa.RecordBatch.from_pandas(frame, preserve_index=False) if as_arrow else frame

    def _sampling_rngs(self, seed: int | None) -> tuple[torch.Generator, np.random.Generator]:
        if seed is None:
            seed = int(np.random.default_rng([self.seed, 3, self._sample_calls]).integers(2**62))
            self._sample_calls += 1
        return torch.Generator(device=self._device).manual_seed(int(seed)), np.random.default_rng(int(seed))

    # ---- persistence --------------------------------------------------------------------------------

    def save(self, path: str | Path, *, training_state: bool = True) -> Path:
        """Write the model artifact (see :mod:`.checkpoint`); ``training_state=False``
        leaves out what only resuming needs."""
        self._fitted()
        return persistence.save(self, Path(path), training_state=training_state)

    @classmethod
    def load(cls, path: str | Path) -> TableSynthesizer:
        """A model from an artifact; raises ArtifactError when it cannot be trusted."""
        return persistence.load(cls, Path(path))


def _empty_output(transformer: DataTransformer) -> tuple[torch.Tensor, torch.Tensor]:
    spans = len(transformer.layout.span_start)
    return torch.zeros(0, transformer.layout.n_values), torch.zeros(0, spans, dtype=torch.long)


def _clone(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in state.items()}
