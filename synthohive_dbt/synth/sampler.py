"""The conditional vector and training-by-sampling, a whole batch at a time.

For each row of a batch a discrete column is picked uniformly and one of its categories
by (log-)frequency; the conditional vector marks that category, and the real row shown
to the critic is drawn among the training rows that have it. Rows are found through one
index of row ids sorted by category per column, so drawing a batch is a few gathers:
no loop over rows or columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class CondDraw:
    """One batch of conditions: a column per row, a category in it, and whether it is used."""

    column: torch.Tensor  # (rows,) index into the conditional columns
    category: torch.Tensor  # (rows,) code within that column
    active: torch.Tensor  # (rows,) bool: False rows are trained without a condition


class ConditionalSampler:
    """Conditions and matching rows over one table's encoded category codes."""

    def __init__(
        self, codes: torch.Tensor, widths: list[int], offsets: list[int], *,
        log_frequency: bool, device: torch.device,
    ) -> None:
        """``codes``: (rows, conditional columns) category codes; ``widths``/``offsets``
        of those columns in the conditional vector."""
        self.rows = codes.shape[0]
        self.n_columns = codes.shape[1]
        self.device = device
        self.cond_dim = sum(widths)
        self.offsets = torch.tensor(offsets, dtype=torch.long, device=device)
        if not self.n_columns:
            return
        top = max(widths)
        counts = torch.zeros(self.n_columns, top, dtype=torch.float64, device=device)
        counts.scatter_add_(1, codes.T, torch.ones_like(codes.T, dtype=torch.float64))
        weights = torch.log1p(counts) if log_frequency else counts
        self.train_probs = (weights / weights.sum(dim=1, keepdim=True)).float()
        # row ids sorted by category, per column; a category's rows are one slice
        self.sorted_rows = torch.argsort(codes.T, dim=1, stable=True)
        ends = counts.cumsum(dim=1).long()
        self.cat_count = counts.long()
        self.cat_start = ends - self.cat_count

    def draw(self, rows: int, generator: torch.Generator, active_fraction: float = 1.0) -> CondDraw:
        """Conditions for a batch; ``active_fraction`` of the rows get one."""
        if not self.n_columns:
            empty = torch.zeros(rows, dtype=torch.long, device=self.device)
            return CondDraw(empty, empty, torch.zeros(rows, dtype=torch.bool, device=self.device))
        column = torch.randint(self.n_columns, (rows,), generator=generator, device=self.device)
        category = torch.multinomial(self.train_probs[column], 1, generator=generator).squeeze(1)
        if active_fraction >= 1.0:
            active = torch.ones(rows, dtype=torch.bool, device=self.device)
        else:
            active = torch.rand(rows, generator=generator, device=self.device) < active_fraction
        return CondDraw(column, category, active)

    def vectors(self, draw: CondDraw) -> torch.Tensor:
        """The ``(rows, cond_dim)`` one-hot conditional vectors; inactive rows are zero."""
        rows = draw.column.shape[0]
        out = torch.zeros(rows, self.cond_dim + 1, device=self.device)
        if self.n_columns:
            position = torch.where(draw.active, self.offsets[draw.column] + draw.category, self.cond_dim)
            out.scatter_(1, position.unsqueeze(1), 1.0)
        return out[:, : self.cond_dim]

    def matching_rows(self, draw: CondDraw, generator: torch.Generator) -> torch.Tensor:
        """A training row per condition that has the condition's category (any row when
        the condition is inactive)."""
        rows = draw.column.shape[0]
        anywhere = torch.randint(self.rows, (rows,), generator=generator, device=self.device)
        if not self.n_columns:
            return anywhere
        start = self.cat_start[draw.column, draw.category]
        count = self.cat_count[draw.column, draw.category]
        uniform = torch.rand(rows, generator=generator, device=self.device)
        offset = (uniform * count).long().clamp_max(count - 1)
        matched = self.sorted_rows[draw.column, start + offset]
        return torch.where(draw.active, matched, anywhere)
