"""One epoch of CTGAN: WGAN-GP critic steps and generator steps, with optional context.

A child table's model also sees an encoded *context* (its parent's attributes), appended
to the generator's and the critic's input. Each step draws its own context rows: the
critic's fake rows and the generator step take the contexts of freshly drawn training
rows that match their conditions, never the critic's real batch, so the generator learns
over the contexts' true spread even when training-by-sampling clumps the critic's batch.
With a context, a share of the rows (``context_uncond_fraction``) trains with no
condition and uniformly drawn rows; that is the mode children are sampled in, where the
context alone steers what is generated.
"""

from __future__ import annotations

import torch

from .layout import SpanLayout
from .networks import Discriminator, Generator
from .sampler import CondDraw, ConditionalSampler
from .settings import SynthSettings
from .transformer import DataTransformer, EncodedFrame


class CTGANTrainer:
    """Steps of one model over tensor-held training data."""

    def __init__(
        self,
        settings: SynthSettings,
        transformer: DataTransformer,
        data: EncodedFrame,
        context: torch.Tensor | None,
        generator_net: Generator,
        critic: Discriminator,
        optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
        rng: torch.Generator,
        ema: GeneratorAverage,
    ) -> None:
        self.settings = settings
        self.transformer = transformer
        self.layout: SpanLayout = transformer.layout
        self.data = data
        self.context = context
        self.generator_net = generator_net
        self.critic = critic
        self.opt_g, self.opt_d = optimizers
        self.rng = rng
        self.ema = ema
        self.device = transformer.device
        layout = self.layout
        widths = [layout.discrete_widths[i] for i in layout.cond_columns]
        self.sampler = ConditionalSampler(
            data.codes[:, layout.cond_columns], widths, layout.cond_offsets,
            log_frequency=settings.log_frequency, device=self.device,
        )
        spans = [layout.discrete_span[i] for i in layout.cond_columns]
        self.cond_starts = torch.tensor(
            [layout.span_start[s] for s in spans], dtype=torch.long, device=self.device
        )
        self.active_fraction = 1.0 if context is None else 1.0 - settings.context_uncond_fraction
        self.batch = settings.batch_size
        self.steps_per_epoch = max(1, min(len(data) // settings.batch_size, settings.epoch_steps))
        critic.use_generator(rng)

    # ---- inputs --------------------------------------------------------------------------

    def _conditions(self) -> tuple[CondDraw, torch.Tensor]:
        draw = self.sampler.draw(self.batch, self.rng, self.active_fraction)
        return draw, self.sampler.vectors(draw)

    def _join(self, parts: list[torch.Tensor], context_rows: torch.Tensor | None) -> torch.Tensor:
        if self.context is not None and context_rows is not None:
            parts = [*parts, self.context[context_rows]]
        return torch.cat(parts, dim=1)

    def _context_rows(self, draw: CondDraw) -> torch.Tensor | None:
        """Fresh rows whose contexts go with ``draw``: matching its conditions, drawn
        independently of any other batch."""
        if self.context is None:
            return None
        return self.sampler.matching_rows(draw, self.rng)

    def _noise(self) -> torch.Tensor:
        return torch.randn(
            self.batch, self.settings.embedding_dim, generator=self.rng, device=self.device
        )

    # ---- steps -----------------------------------------------------------------------------

    def discriminator_step(self) -> torch.Tensor:
        """One critic update; returns its Wasserstein loss (penalty excluded)."""
        draw, cond = self._conditions()
        real_rows = self.sampler.matching_rows(draw, self.rng)
        real = self.transformer.encode_rows(self.data, real_rows, self.rng)
        fake_rows = self._context_rows(draw)
        noise = self._noise()
        with torch.no_grad():
            logits = self.generator_net(self._join([noise, cond], fake_rows))
            fake = self.layout.activate(logits, self.rng, self.settings.gumbel_tau)
        real_in = self._join([real, cond], real_rows)
        fake_in = self._join([fake, cond], fake_rows)
        scores = self.critic(torch.cat([real_in, fake_in]))
        groups = self.batch // self.critic.pac
        loss = scores[groups:].mean() - scores[:groups].mean()
        penalty = self.critic.gradient_penalty(
            real_in, fake_in, self.rng, self.settings.gradient_penalty
        )
        self.opt_d.zero_grad(set_to_none=True)
        (loss + penalty).backward()
        self.opt_d.step()
        return loss.detach()

    def generator_step(self) -> torch.Tensor:
        """One generator update against the critic plus the conditional loss."""
        draw, cond = self._conditions()
        rows = self._context_rows(draw)
        logits = self.generator_net(self._join([self._noise(), cond], rows))
        fake = self.layout.activate(logits, self.rng, self.settings.gumbel_tau)
        self.critic.requires_grad_(False)
        try:
            score = self.critic(self._join([fake, cond], rows))
        finally:
            self.critic.requires_grad_(True)
        loss = -score.mean()
        if self.sampler.n_columns:
            positions = self.cond_starts[draw.column] + draw.category
            loss = loss + self.layout.cond_loss(logits, positions, draw.active.float())
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.ema.update(self.generator_net)
        return loss.detach()

    def run_epoch(self) -> tuple[float, float]:
        """``steps_per_epoch`` rounds of critic and generator updates; the last losses."""
        self.generator_net.train()
        self.critic.train()
        loss_d = loss_g = torch.zeros(())
        for _ in range(self.steps_per_epoch):
            for _ in range(self.settings.discriminator_steps):
                loss_d = self.discriminator_step()
            loss_g = self.generator_step()
        return float(loss_g), float(loss_d)

    def sampling_state(self) -> dict[str, torch.Tensor]:
        """The generator weights to score and sample with: the moving average when kept."""
        return self.ema.state(self.generator_net)


class GeneratorAverage:
    """An exponential moving average of the generator's weights (Polyak averaging).

    GAN weights oscillate from step to step; their average samples better and its
    fidelity rises steadily, which makes the best checkpoint and early stopping
    reliable. The decay ramps up as ``(1 + t) / (10 + t)`` so a short run is not stuck
    near its initial weights. Batch-norm statistics are taken from the live network.
    """

    def __init__(self, decay: float, state: dict[str, torch.Tensor] | None = None, steps: int = 0) -> None:
        self.decay = decay
        self.steps = steps
        self.average = state
        self._tracked: tuple[torch.nn.Module, list[torch.Tensor], list[torch.Tensor], list[tuple[torch.Tensor, torch.Tensor]]] | None = None

    def _pairs(self, net: torch.nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor], list[tuple[torch.Tensor, torch.Tensor]]]:
        """The averaged and live tensors of ``net``, paired once: floating weights to
        average, and batch-norm statistics and counters to copy. The live tensors share
        the parameters' storage, which the optimiser and ``load_state_dict`` update in
        place, so the pairing holds for the network's lifetime."""
        if self._tracked is None or self._tracked[0] is not net:
            live = net.state_dict()
            if self.average is None:
                self.average = {k: v.detach().clone() for k, v in live.items()}
            averaged, current, copied = [], [], []
            for key, value in live.items():
                if value.dtype.is_floating_point and not key.endswith(("running_mean", "running_var")):
                    averaged.append(self.average[key])
                    current.append(value)
                else:
                    copied.append((self.average[key], value))
            self._tracked = (net, averaged, current, copied)
        return self._tracked[1], self._tracked[2], self._tracked[3]

    def update(self, net: torch.nn.Module) -> None:
        if not self.decay:
            return
        averaged, current, copied = self._pairs(net)
        weight = 1.0 - min(self.decay, (1.0 + self.steps) / (10.0 + self.steps))
        with torch.no_grad():
            torch._foreach_lerp_(averaged, current, weight)
            for target, value in copied:
                target.copy_(value)
        self.steps += 1

    def state(self, net: torch.nn.Module) -> dict[str, torch.Tensor]:
        if not self.decay or self.average is None:
            return net.state_dict()
        return self.average
