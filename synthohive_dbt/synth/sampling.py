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
from .constraints import ClipTally, Requirements
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

    def _fill_input(
        self, view: torch.Tensor, cond: tuple[int, int] | None, context: torch.Tensor | None,
        rng: torch.Generator,
    ) -> None:
        """Write noise, conditional vectors and context into the generator's input ``view``."""
        rows = view.shape[0]
        emb, dim = self.settings.embedding_dim, self.layout.cond_dim
        view[:, :emb] = torch.randn(rows, emb, generator=rng, device=self.device)
        view[:, emb:].zero_()
        if context is not None:
            view[:, emb + dim :] = context
        if not self.layout.cond_columns or (cond is None and self.unconditioned):
            return
        if cond is not None:
            view[:, emb + int(self.offsets[cond[0]]) + cond[1]] = 1.0
            return
        # a column uniformly, a category by its true frequency (inverse CDF)
        column = torch.randint(len(self.layout.cond_columns), (rows,), generator=rng, device=self.device)
        uniform = torch.rand(rows, 1, generator=rng, device=self.device)
        category = (self.cumulative[column] < uniform).sum(dim=1)
        position = emb + self.offsets[column] + category
        view.scatter_(1, position.unsqueeze(1), 1.0)

    @torch.inference_mode()
    def raw(
        self, rows: int, *, context: torch.Tensor | None, cond: tuple[int, int] | None,
        rng: torch.Generator,
    ) -> RawBatch:
        """``rows`` decoded rows; ``context`` holds one encoded context row per output row.

        The generator runs batch by batch (``sample_batch_rows``, cache-sized); sampling
        the spans and decoding then run once over all the rows. A short last batch is
        padded (with zero rows, no random draws) to a power of two: oneDNN caches a
        kernel per matrix shape, and one shape per possible remainder made that cache,
        and resident memory, grow with every differently sized call."""
        self.generator_net.eval()
        net = self.generator_net.folded(self.dtype)
        logits = []
        step = self.settings.sample_batch_rows
        for start in range(0, rows, step):
            count = min(step, rows - start)
            buffer, view = net.buffer(_padded_rows(count, step), self.device)
            part = context[start : start + count] if context is not None else None
            self._fill_input(view[:count], cond, part, rng)
            view[count:].zero_()
            logits.append(net.run(buffer)[:count])
        if not logits:
            spans = len(self.layout.span_start)
            empty = torch.zeros(0, self.layout.n_values), torch.zeros(0, spans, dtype=torch.long)
            return self.transformer.decode(*empty)
        values, choices = self.layout.choose(torch.cat(logits), rng)
        return self.transformer.decode(values, choices)


def _padded_rows(count: int, step: int) -> int:
    """``count`` rounded up to a power of two (at least 64, at most ``step``)."""
    if count >= step:
        return count
    return min(step, max(64, 1 << (count - 1).bit_length()))


def generate_frame(
    engine: SamplingEngine, rows: int, *, context: torch.Tensor | None, req: Requirements,
    rng: torch.Generator, np_rng: np.random.Generator, strict: bool,
    clip_tally: ClipTally | None = None,
) -> pd.DataFrame:
    """``rows`` rows meeting ``req``: offending rows redrawn, then clipped or refused.

    Clipped rows are logged as a warning, or added to ``clip_tally`` (and logged at
    debug level) when the caller summarises many calls itself."""
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
    if clip_tally is not None:
        clip_tally.add(rows, int(bad.sum()), req.broken(raw, bad, engine.transformer) if bad.any() else {})
    if bad.any():
        detail = req.explain(raw, bad, engine.transformer)
        message = f"{int(bad.sum())} of {rows} rows break a constraint after {rounds} redraws: {detail}"
        if strict:
            raise ConstraintViolation(
                message,
                hint="loosen the bound or condition, retrain with more epochs, or pass strict=False to clip",
            )
        logger.log(logging.WARNING if clip_tally is None else logging.DEBUG, "%s; clipped to comply", message)
        req.force(raw, np.flatnonzero(bad))
    frame = engine.transformer.materialize(raw, np_rng)
    req.write_forced(frame, engine.transformer)
    return frame
