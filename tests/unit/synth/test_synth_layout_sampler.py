"""Span layout and conditional sampling: the vectorised ops match a per-column reference."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from synthohive_dbt.synth.layout import SpanLayout
from synthohive_dbt.synth.sampler import ConditionalSampler

CPU = torch.device("cpu")


def make_layout() -> SpanLayout:
    # a width of 1 needs no span; the others share six padded widths
    return SpanLayout([3, 1, 5], [2, 13, 1, 4, 7, 8, 6, 14], CPU)


def test_spans_are_bucketed_with_masked_padding():
    layout = make_layout()
    assert len(layout.span_start) == 9
    assert layout.mode_span[1] == -1 and layout.discrete_span[2] == -1
    assert [b.width for b in layout.buckets] == [2, 3, 4, 6, 8, 16]
    assert layout.cond_columns == [0, 1, 3, 4, 5, 6, 7]
    assert layout.cond_dim == 2 + 13 + 4 + 7 + 8 + 6 + 14


def test_activation_sums_to_one_per_span_and_zero_on_padding():
    layout = make_layout()
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(64, layout.data_dim, generator=generator)
    out = layout.activate(logits, generator, tau=0.2)
    assert out.shape == logits.shape
    used = torch.zeros(layout.data_dim, dtype=torch.bool)
    used[: layout.n_values] = True
    for start, width in zip(layout.span_start, layout.span_width):
        torch.testing.assert_close(out[:, start : start + width].sum(dim=1), torch.ones(64))
        used[start : start + width] = True
    assert out[:, ~used].abs().max() < 1e-6


def test_choose_never_picks_padding():
    layout = make_layout()
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(2000, layout.data_dim, generator=generator) * 5
    values, choices = layout.choose(logits, generator)
    assert values.abs().max() <= 1
    widths = torch.tensor(layout.span_width)
    assert (choices >= 0).all() and (choices < widths).all()
    assert (choices == widths - 1).any(dim=0).all()  # every last real slot does get picked


def test_conditional_loss_matches_per_span_cross_entropy():
    layout = make_layout()
    generator = torch.Generator().manual_seed(2)
    rows = 32
    logits = torch.randn(rows, layout.data_dim, generator=generator)
    cond_spans = [layout.discrete_span[j] for j in layout.cond_columns]
    pick = torch.randint(len(cond_spans), (rows,), generator=generator)
    category = torch.tensor([
        int(torch.randint(layout.span_width[cond_spans[p]], (1,), generator=generator)) for p in pick
    ])
    weight = (torch.rand(rows, generator=generator) < 0.7).float()
    starts = torch.tensor([layout.span_start[cond_spans[p]] for p in pick])
    got = layout.cond_loss(logits, starts + category, weight)
    expected = torch.zeros(())
    for i in range(rows):  # the slow reference: one cross-entropy per row and span
        span = cond_spans[pick[i]]
        start, width = layout.span_start[span], layout.span_width[span]
        ce = F.cross_entropy(logits[i : i + 1, start : start + width], category[i : i + 1])
        expected = expected + ce * weight[i]
    torch.testing.assert_close(got, expected / rows)


def sampler_over(codes: torch.Tensor, widths: list[int], log_frequency: bool = True) -> ConditionalSampler:
    offsets = [sum(widths[:k]) for k in range(len(widths))]
    return ConditionalSampler(codes, widths, offsets, log_frequency=log_frequency, device=CPU)


def test_matching_rows_carry_the_condition():
    generator = torch.Generator().manual_seed(0)
    codes = torch.stack([torch.randint(3, (500,), generator=generator),
                         torch.randint(5, (500,), generator=generator)], dim=1)
    sampler = sampler_over(codes, [3, 5])
    draw = sampler.draw(1000, generator)
    rows = sampler.matching_rows(draw, generator)
    assert (codes[rows, draw.column] == draw.category).all()
    vectors = sampler.vectors(draw)
    assert (vectors.sum(dim=1) == 1).all()
    offsets = torch.tensor([0, 3])
    assert (vectors.argmax(dim=1) == offsets[draw.column] + draw.category).all()


def test_inactive_conditions_give_zero_vectors_and_any_row():
    generator = torch.Generator().manual_seed(0)
    codes = torch.zeros(300, 1, dtype=torch.long)
    codes[:3] = 1  # a rare category
    sampler = sampler_over(codes, [2])
    draw = sampler.draw(4000, generator, active_fraction=0.5)
    vectors = sampler.vectors(draw)
    assert (vectors[~draw.active] == 0).all() and (vectors[draw.active].sum(dim=1) == 1).all()
    rows = sampler.matching_rows(draw, generator)
    inactive_rare = (rows[~draw.active] < 3).float().mean().item()
    assert inactive_rare < 0.05  # drawn uniformly: about 1% of rows are rare


def test_log_frequency_lifts_rare_categories():
    generator = torch.Generator().manual_seed(0)
    codes = torch.zeros(1000, 1, dtype=torch.long)
    codes[:10] = 1  # 1% of rows
    log_share = (sampler_over(codes, [2]).draw(5000, generator).category == 1).float().mean()
    raw_share = (sampler_over(codes, [2], False).draw(5000, generator).category == 1).float().mean()
    assert log_share > 0.2 and raw_share < 0.03  # log(11) / (log(11) + log(991)) = 0.26


def test_choose_draws_categories_by_their_softmax_probability():
    layout = SpanLayout([], [3, 5], CPU)
    probs = [torch.tensor([0.7, 0.2, 0.1]), torch.tensor([0.1, 0.1, 0.2, 0.25, 0.35])]
    logits = torch.zeros(20000, layout.data_dim)
    for span, p in zip(layout.discrete_span, probs):
        start = layout.span_start[span]
        logits[:, start : start + len(p)] = torch.log(p) + 3.0  # softmax ignores the shift
    _, choices = layout.choose(logits, torch.Generator().manual_seed(0))
    for span, p in zip(layout.discrete_span, probs):
        freq = torch.bincount(choices[:, span], minlength=len(p)).float() / len(choices)
        torch.testing.assert_close(freq, p, atol=0.015, rtol=0)
