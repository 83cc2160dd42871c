"""Where each column lives in the generator's output, and the per-span operations.

The data vector starts with one ``tanh`` value per continuous column, followed by the
softmax *spans*: a continuous column's mode and each discrete column's categories (a
nullable continuous column's null flag counts as a two-category discrete column). Spans are grouped into a few *buckets* by width, each span padded
to its bucket's width with slots that are masked out; a bucket is one contiguous block
that views as ``(rows, spans, width)``. Gumbel-softmax in training, sampling in
generation and the conditional loss are then one tensor operation per bucket, never a
Python loop over columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

#: masked logits: far below any real logit, finite so no NaN reaches a gradient
_MASKED = -1e9


def _bucket_widths(limit: int) -> list[int]:
    """2, 3, 4, 6, 8, 12, 16, ...: a span is padded by at most a third of its width."""
    widths, base = [2, 3], 2
    while widths[-1] < limit:
        base *= 2
        widths += [base, base * 3 // 2]
    return widths


@dataclass
class Bucket:
    """Spans sharing one padded width; ``lo``/``hi`` index the softmax region."""

    lo: int
    hi: int
    count: int
    width: int


class SpanLayout:
    """Positions of values and spans in the data vector, for one table."""

    def __init__(
        self, mode_widths: list[int], discrete_widths: list[int], device: torch.device
    ) -> None:
        self.n_values = len(mode_widths)
        self.mode_widths = list(mode_widths)
        self.discrete_widths = list(discrete_widths)
        owners = [("mode", i, w) for i, w in enumerate(mode_widths) if w >= 2]
        owners += [("discrete", i, w) for i, w in enumerate(discrete_widths) if w >= 2]
        limit = max((w for _, _, w in owners), default=2)
        ladder = _bucket_widths(limit)
        padded = [next(p for p in ladder if p >= w) for _, _, w in owners]
        order = sorted(range(len(owners)), key=lambda i: padded[i])
        self.mode_span = [-1] * len(mode_widths)
        self.discrete_span = [-1] * len(discrete_widths)
        self.span_start: list[int] = []
        self.span_width: list[int] = []
        self.buckets: list[Bucket] = []
        cursor = 0
        for rank, idx in enumerate(order):
            kind, column, width = owners[idx]
            (self.mode_span if kind == "mode" else self.discrete_span)[column] = rank
            self.span_start.append(self.n_values + cursor)
            self.span_width.append(width)
            cursor += padded[idx]
        self._build_buckets([padded[i] for i in order], [owners[i][2] for i in order], device)
        self.data_dim = self.n_values + cursor
        #: discrete columns that take part in the conditional vector, and their offsets
        self.cond_columns = [i for i, s in enumerate(self.discrete_span) if s >= 0]
        widths = [discrete_widths[i] for i in self.cond_columns]
        self.cond_offsets = [sum(widths[:k]) for k in range(len(widths))]
        self.cond_dim = sum(widths)
        self.device = device

    def _build_buckets(self, padded: list[int], widths: list[int], device: torch.device) -> None:
        pad = []
        i = start = 0
        while i < len(padded):
            j = i
            while j < len(padded) and padded[j] == padded[i]:
                j += 1
            width = padded[i]
            self.buckets.append(Bucket(start, start + (j - i) * width, j - i, width))
            start += (j - i) * width
            for real in widths[i:j]:
                pad += [0.0] * real + [_MASKED] * (width - real)
            i = j
        #: added to the softmax region: 0 on real slots, _MASKED on padding
        self._pad = torch.tensor(pad, dtype=torch.float32, device=device)

    # ---- per-bucket operations ------------------------------------------------------------
    # Masking and noise are applied to the whole softmax region at once; only the
    # softmax / argmax itself runs per bucket, on a (rows, spans, width) view.

    def _views(self, soft: torch.Tensor) -> list[torch.Tensor]:
        rows = soft.shape[0]
        return [soft[:, b.lo : b.hi].view(rows, b.count, b.width) for b in self.buckets]

    @staticmethod
    def _gumbel(shape: tuple[int, ...], generator: torch.Generator, device: torch.device) -> torch.Tensor:
        noise = torch.rand(shape, generator=generator, device=device).clamp_(1e-7, 1 - 1e-7)
        return noise.log_().neg_().log_().neg_()

    def activate(self, logits: torch.Tensor, generator: torch.Generator, tau: float) -> torch.Tensor:
        """Training activation: tanh on values, Gumbel-softmax on every span."""
        values = torch.tanh(logits[:, : self.n_values])
        if not self.buckets:
            return values
        soft = logits[:, self.n_values :]
        noisy = (soft + self._pad + self._gumbel(soft.shape, generator, logits.device)) / tau
        parts = [torch.softmax(view, dim=-1).flatten(1) for view in self._views(noisy)]
        return torch.cat([values, *parts], dim=1)

    def choose(
        self, logits: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Generation: ``(values, choices)``, a category drawn per span from its softmax.

        Inverse-CDF sampling with one uniform per span: cheaper than Gumbel-max, which
        needs a uniform and two logarithms per slot."""
        values = torch.tanh(logits[:, : self.n_values].float())
        rows = logits.shape[0]
        if not self.buckets:
            return values, torch.zeros(rows, 0, dtype=torch.long, device=logits.device)
        soft = logits[:, self.n_values :].float() + self._pad
        picks = []
        for view in self._views(soft):
            cumulative = (view - view.amax(dim=-1, keepdim=True)).exp_().cumsum_(dim=-1)
            uniform = torch.rand(view.shape[:2], generator=generator, device=logits.device)
            target = uniform.unsqueeze(-1) * cumulative[..., -1:]
            picks.append((cumulative < target).sum(dim=-1))
        return values, torch.cat(picks, dim=1)

    def cond_loss(
        self, logits: torch.Tensor, positions: torch.Tensor, weight: torch.Tensor
    ) -> torch.Tensor:
        """Cross-entropy of each row's conditioned category, averaged over the batch."""
        if not self.buckets:
            return logits.new_zeros(())
        masked = logits[:, self.n_values :] + self._pad
        log_probs = torch.cat(
            [torch.log_softmax(view, dim=-1).flatten(1) for view in self._views(masked)], dim=1
        )
        picked = log_probs.gather(1, (positions - self.n_values).unsqueeze(1)).squeeze(1)
        return -(picked * weight).sum() / logits.shape[0]
