"""Networks: seeded without the global RNG, and the folded sampler equals eval mode."""

from __future__ import annotations

import torch

from synthohive_dbt.synth.networks import build_networks

CPU = torch.device("cpu")


def networks(seed: int = 0):
    return build_networks(
        20, 12, 30, generator_dim=(16, 16), discriminator_dim=(16,), pac=2, seed=seed, device=CPU
    )


def test_initialisation_is_seeded_and_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    first, _ = networks(3)
    assert torch.equal(torch.get_rng_state(), before)
    second, _ = networks(3)
    third, _ = networks(4)
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)
    assert not all(torch.equal(a, c) for a, c in zip(first.parameters(), third.parameters()))


def test_folded_generator_matches_eval_mode():
    generator, _ = networks()
    generator.train()
    generator(torch.randn(64, 20))  # move the batch-norm running statistics off their start
    generator.eval()
    x = torch.randn(32, 20)
    with torch.no_grad():
        expected = generator(x)
    torch.testing.assert_close(generator.folded(torch.float32)(x), expected, rtol=1e-5, atol=1e-5)
    half = generator.folded(torch.bfloat16)(x)
    assert half.dtype == torch.bfloat16
    torch.testing.assert_close(half.float(), expected, rtol=0.05, atol=0.05)


def test_critic_dropout_follows_its_generator():
    _, critic = networks()
    x = torch.randn(8, 30)
    outs = []
    for _ in range(2):
        critic.use_generator(torch.Generator().manual_seed(5))
        outs.append(critic(x))
    torch.testing.assert_close(outs[0], outs[1])
    critic.use_generator(torch.Generator().manual_seed(6))
    assert not torch.equal(critic(x), outs[0])


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    _, critic = networks()
    critic.eval()
    with torch.no_grad():
        for layer in critic.seq:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.zero_()
                layer.bias.zero_()
        first, last = critic.seq[0], critic.seq[-1]
        first.weight[0, 0] = 1.0  # the critic is x[0] passed through LeakyReLU, then copied out
        last.weight[0, 0] = 1.0
    real = torch.ones(4, 30)  # positive inputs: LeakyReLU is the identity, gradient norm 1
    penalty = critic.gradient_penalty(real, real.clone(), torch.Generator().manual_seed(0), 10.0)
    assert penalty.item() == 0.0
