"""Generation: the generator in eval mode, large batches, constraints, a DataFrame out.

A table model without context draws each row's conditional vector the way the data is
distributed (a column uniformly, a category by its true frequency); a child model with a
context samples in its unconditioned mode, steered by the parent's attributes; a
condition on a discrete value fixes the vector. Rows that break a declared bound or a
condition are drawn again (:mod:`.constraints`), only those rows, with their own
context rows.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from ..errors import ConstraintViolation
from .constraints import Requirements
from .networks import Generator
from .runtime import sampling_dtype
from .settings import SynthSettings
from .transformer import DataTransformer, RawBatch

logger = logging.getLogger(__name__)


class SamplingEngine:
    """Turns noise (and context) into raw decoded rows of one table."""

    def __init__(
        self, transformer: DataTransformer, generator_net: Generator, settings: SynthSettings,
        *, has_context: bool,
    ) -> None:
        self.transformer = transformer
        self.layout = transformer.layout
        self.generator_net = generator_net
        self.settings = settings
        self.device = transformer.device
        self.dtype = sampling_dtype(settings, self.device) or torch.float32
        self.unconditioned = has_context and settings.context_uncond_fraction > 0
        columns = self.layout.cond_columns
        self.offsets = torch.tensor(self.layout.cond_offsets, dtype=torch.long, device=self.device)
        widths = [self.layout.discrete_widths[j] for j in columns]
        probs = torch.zeros(len(columns), max(widths, default=1), dtype=torch.float64, device=self.device)
        for k, j in enumerate(columns):
            counts = torch.tensor(transformer.discrete_counts(j), dtype=torch.float64)
            probs[k, : len(counts)] = counts / counts.sum().clamp_min(1)
        #: per conditional column, the cumulative true frequency of its categories
        self.cumulative = probs.cumsum(dim=1)
        for k, width in enumerate(widths):
            self.cumulative[k, width - 1 :] = 1.0  # no rounding can reach a padding slot

    def _generator_input(
        self, rows: int, cond: tuple[int, int] | None, context: torch.Tensor | None,
        rng: torch.Generator,
    ) -> torch.Tensor:
        """Noise, conditional vectors and context, written into one buffer."""
        emb, dim = self.settings.embedding_dim, self.layout.cond_dim
        width = emb + dim + (context.shape[1] if context is not None else 0)
        out = torch.zeros(rows, width + 1, device=self.device)
        out[:, :emb].normal_(generator=rng)
        if context is not None:
            out[:, emb + dim : width] = context
        spare = torch.full((rows,), width, dtype=torch.long, device=self.device)
        if not self.layout.cond_columns:
            position = spare
        elif cond is not None:
            position = spare.fill_(emb + int(self.offsets[cond[0]]) + cond[1])
        elif self.unconditioned:
            position = spare
        else:  # a column uniformly, a category by its true frequency (inverse CDF)
            column = torch.randint(len(self.layout.cond_columns), (rows,), generator=rng, device=self.device)
            uniform = torch.rand(rows, 1, generator=rng, device=self.device)
            category = (self.cumulative[column] < uniform).sum(dim=1)
            position = emb + self.offsets[column] + category
        out.scatter_(1, position.unsqueeze(1), 1.0)
        return out[:, :width]

    @torch.inference_mode()
    def raw(
        self, rows: int, *, context: torch.Tensor | None, cond: tuple[int, int] | None,
        rng: torch.Generator,
    ) -> RawBatch:
        """``rows`` decoded rows; ``context`` holds one encoded context row per output row."""
        self.generator_net.eval()
        net = self.generator_net.folded(self.dtype)
        values, choices = [], []
        step = self.settings.sample_batch_rows
        for start in range(0, rows, step):
            count = min(step, rows - start)
            part = context[start : start + count] if context is not None else None
            logits = net(self._generator_input(count, cond, part, rng))
            batch_values, batch_choices = self.layout.choose(logits, rng)
            values.append(batch_values)
            choices.append(batch_choices)
        if not values:
            spans = len(self.layout.span_start)
            empty = torch.zeros(0, self.layout.n_values), torch.zeros(0, spans, dtype=torch.long)
            return self.transformer.decode(*empty)
        return self.transformer.decode(torch.cat(values), torch.cat(choices))


def generate_frame(
    engine: SamplingEngine, rows: int, *, context: torch.Tensor | None, req: Requirements,
    rng: torch.Generator, np_rng: np.random.Generator, strict: bool,
) -> pd.DataFrame:
    """``rows`` rows meeting ``req``: offending rows redrawn, then clipped or refused."""
    raw = engine.raw(rows, context=context, cond=req.cond, rng=rng)
    req.settle(raw)
    bad = req.violations(raw)
    rounds = 0
    while bad.any() and rounds < engine.settings.max_resample_rounds:
        rounds += 1
        redo = np.flatnonzero(bad)
        sub_context = context[torch.as_tensor(redo, device=context.device)] if context is not None else None
        fresh = engine.raw(len(redo), context=sub_context, cond=req.cond, rng=rng)
        req.settle(fresh)
        raw.put(redo, fresh)
        bad[redo] = req.violations(fresh)
    if bad.any():
        detail = req.explain(raw, bad, engine.transformer)
        message = f"{int(bad.sum())} of {rows} rows break a constraint after {rounds} redraws: {detail}"
        if strict:
            raise ConstraintViolation(
                message,
                hint="loosen the bound or condition, retrain with more epochs, or pass strict=False to clip",
            )
        logger.warning("%s; clipped to comply", message)
        req.force(raw, np.flatnonzero(bad))
    frame = engine.transformer.materialize(raw, np_rng)
    req.write_forced(frame, engine.transformer)
    return frame
