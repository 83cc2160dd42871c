"""Child tables: the context feeds both networks and the generator draws its own contexts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from synthohive_dbt.errors import GenerationError
from synthohive_dbt.synth import TableSynthesizer


def clumped_children(rows: int, seed: int, share_b: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Children whose ``kind`` and ``amount`` follow the parent ``tier``; a rare ``flag``
    value occurs only under tier B, so training-by-sampling over-draws B's children."""
    rng = np.random.default_rng(seed)
    tier = np.where(rng.random(rows) < share_b, "B", "A")
    is_b = tier == "B"
    agree = rng.random(rows) < 0.9
    kind = np.where(is_b == agree, "y", "x")
    flag = np.where(is_b & (rng.random(rows) < 0.15), "rare", "common")
    amount = np.round(np.where(is_b, rng.normal(30, 3, rows), rng.normal(10, 2, rows)), 2)
    children = pd.DataFrame({"kind": kind, "flag": flag, "amount": amount})
    return children, pd.DataFrame({"tier": tier})


def test_generator_step_draws_contexts_independently_of_the_critic_batch(make_settings):
    children, context = clumped_children(2000, 0, share_b=0.1)
    model = TableSynthesizer(make_settings(batch_size=200, pac=10), seed=3)
    model._setup(children, None, context, None, None)
    trainer = model._trainer(model.transformer.encode_frame(children), model._encode_context(context))
    b_slot = model.context_transformer.layout.span_start[0] + model.context_transformer.category_models[0].values.index("B")
    ctx_dim = model.context_transformer.data_dim
    cond_dim = model.transformer.layout.cond_dim
    emb = model.settings.embedding_dim
    seen: list[torch.Tensor] = []
    original = trainer.generator_net.forward
    trainer.generator_net.forward = lambda x: (seen.append(x.detach()), original(x))[1]
    critic_b, generator_b, generator_active_b = [], [], []
    for _ in range(15):
        draw = trainer.sampler.draw(trainer.batch, trainer.rng, trainer.active_fraction)
        real_rows = trainer.sampler.matching_rows(draw, trainer.rng)
        critic_b.append(trainer.context[real_rows[draw.active], b_slot].mean())
        seen.clear()
        trainer.generator_step()
        inputs = seen[0]
        cond = inputs[:, emb : emb + cond_dim]
        inactive = cond.sum(dim=1) == 0
        generator_b.append(inputs[inactive, -ctx_dim:][:, b_slot].mean())
        generator_active_b.append(inputs[~inactive, -ctx_dim:][:, b_slot].mean())
    marginal = (context["tier"] == "B").mean()
    assert float(torch.stack(critic_b).mean()) > 2 * marginal  # the critic's batch is clumped
    assert float(torch.stack(generator_b).mean()) == pytest.approx(marginal, abs=0.03)
    assert float(torch.stack(generator_active_b).mean()) > 2 * marginal  # conditions keep their contexts


@pytest.mark.slow
def test_children_follow_the_parent_marginal_despite_clumped_sampling(make_settings):
    children, context = clumped_children(1500, 1)
    settings = make_settings(
        epochs=40, batch_size=100, pac=10, embedding_dim=32, generator_dim=(64, 64),
        discriminator_dim=(64, 64), generator_lr=1e-3, discriminator_lr=1e-3, patience=None,
    )
    model = TableSynthesizer(settings, seed=4).fit(children, context=context, progress=False)
    parents = np.where(np.random.default_rng(9).random(3000) < 0.2, "B", "A")
    fresh = pd.DataFrame({"tier": parents})
    out = model.sample(len(fresh), context=fresh, seed=5)
    is_b = parents == "B"
    expected_y = 0.8 * 0.1 + 0.2 * 0.9
    assert (out["kind"] == "y").mean() == pytest.approx(expected_y, abs=0.08)
    assert (out.loc[is_b, "kind"] == "y").mean() > 0.65
    assert (out.loc[~is_b, "kind"] == "x").mean() > 0.75
    assert out["amount"].mean() == pytest.approx(0.8 * 10 + 0.2 * 30, abs=3)
    assert out.loc[is_b, "amount"].mean() > out.loc[~is_b, "amount"].mean() + 10


def test_context_is_required_and_checked(make_settings):
    children, context = clumped_children(200, 2)
    model = TableSynthesizer(make_settings(epochs=1), seed=1).fit(children, context=context, progress=False)
    assert model.context_columns == ["tier"]
    with pytest.raises(GenerationError, match="parent context"):
        model.sample(5)
    with pytest.raises(GenerationError, match="lacks column 'tier'"):
        model.sample(2, context=pd.DataFrame({"other": ["A", "B"]}))
    with pytest.raises(GenerationError, match="3 rows for n=2"):
        model.sample(2, context=pd.DataFrame({"tier": ["A", "B", "A"]}))
    stream = (pd.DataFrame({"tier": ["A"] * 30}) for _ in range(3))
    chunks = list(model.sample_batches(90, chunk_size=20, context=stream, seed=1))
    assert sum(len(c) for c in chunks) == 90 and max(len(c) for c in chunks) <= 20
    short = (pd.DataFrame({"tier": ["A"] * 10}) for _ in range(2))
    with pytest.raises(GenerationError, match="fewer rows"):
        list(model.sample_batches(30, context=short))
    unseen = model.sample(4, context=pd.DataFrame({"tier": ["Z"] * 4}), seed=1)
    assert len(unseen) == 4  # a parent value never seen encodes as no category
