"""The generator and critic of CTGAN, with dropout and penalty drawn from a passed-in
generator so a seed fixes a whole training run."""

from __future__ import annotations

import torch
from torch import nn


class Residual(nn.Module):
    """Linear, batch norm, ReLU, and the input concatenated back on."""

    def __init__(self, width_in: int, width_out: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width_in, width_out)
        self.bn = nn.BatchNorm1d(width_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """Residual layers that grow the input, then a linear map to the data vector's logits."""

    def __init__(self, input_dim: int, widths: tuple[int, ...], data_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        dim = input_dim
        for width in widths:
            layers.append(Residual(dim, width))
            dim += width
        layers.append(nn.Linear(dim, data_dim))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)

    def folded(self, dtype: torch.dtype) -> FoldedGenerator:
        """An inference-only copy in ``dtype`` with each batch norm folded into its linear
        layer (eval-mode batch norm is an affine map), so sampling runs bare matmuls."""
        layers = []
        for module in self.seq:
            if isinstance(module, Residual):
                bn = module.bn
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                weight = module.fc.weight * scale.unsqueeze(1)
                bias = (module.fc.bias - bn.running_mean) * scale + bn.bias
            else:
                weight, bias = module.weight, module.bias
            # stored transposed: (in, out) rows feed addmm's fast path directly
            layers.append((weight.detach().t().contiguous().to(dtype), bias.detach().to(dtype)))
        return FoldedGenerator(layers, dtype)


class FoldedGenerator:
    """The generator as plain ``(weight transposed, bias)`` pairs, for fast eval-mode sampling.

    The residual concatenations are not copied: one buffer per batch holds, from the
    right, the input and then each layer's output, so every layer reads a contiguous
    column range ``[its input | earlier outputs]`` and writes its output just left of it.
    """

    def __init__(self, layers: list[tuple[torch.Tensor, torch.Tensor]], dtype: torch.dtype) -> None:
        self.layers = layers
        self.dtype = dtype
        self.widths = [weight.shape[1] for weight, _ in layers[:-1]]
        self.input_dim = layers[0][0].shape[0]
        self.total = sum(self.widths) + self.input_dim

    def buffer(self, rows: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """``(buffer, input view)``: write the generator input into the view, then ``run``."""
        buffer = torch.empty(rows, self.total, dtype=self.dtype, device=device)
        return buffer, buffer[:, self.total - self.input_dim :]

    def run(self, buffer: torch.Tensor) -> torch.Tensor:
        end = self.total - self.input_dim
        for (weight, bias), width in zip(self.layers[:-1], self.widths):
            out = buffer[:, end - width : end]
            torch.addmm(bias, buffer[:, end:], weight, out=out)
            out.relu_()
            end -= width
        weight, bias = self.layers[-1]
        return torch.addmm(bias, buffer, weight)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        buffer, view = self.buffer(x.shape[0], x.device)
        view.copy_(x)
        return self.run(buffer)


class SeededDropout(nn.Module):
    """Dropout whose masks come from ``self.generator`` rather than torch's global RNG."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.p
        return x * keep / (1.0 - self.p)


class Discriminator(nn.Module):
    """A PacGAN critic: ``pac`` rows are judged together as one concatenated sample."""

    def __init__(self, input_dim: int, widths: tuple[int, ...], pac: int) -> None:
        super().__init__()
        self.pac = pac
        self.pac_dim = input_dim * pac
        layers: list[nn.Module] = []
        dim = self.pac_dim
        for width in widths:
            layers += [nn.Linear(dim, width), nn.LeakyReLU(0.2), SeededDropout(0.5)]
            dim = width
        layers.append(nn.Linear(dim, 1))
        self.seq = nn.Sequential(*layers)

    def use_generator(self, generator: torch.Generator) -> None:
        for module in self.modules():
            if isinstance(module, SeededDropout):
                module.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x.reshape(-1, self.pac_dim))

    def gradient_penalty(
        self, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator, weight: float
    ) -> torch.Tensor:
        """WGAN-GP: the critic's gradient norm on points between real and fake, pushed to 1."""
        groups = real.shape[0] // self.pac
        alpha = torch.rand(groups, 1, 1, generator=generator, device=real.device)
        alpha = alpha.expand(groups, self.pac, real.shape[1]).reshape(real.shape)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        scores = self(mixed)
        (grads,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
        norms = grads.reshape(groups, -1).norm(2, dim=1)
        return ((norms - 1) ** 2).mean() * weight


def build_networks(
    generator_input: int, data_dim: int, critic_input: int, *, generator_dim: tuple[int, ...],
    discriminator_dim: tuple[int, ...], pac: int, seed: int, device: torch.device,
) -> tuple[Generator, Discriminator]:
    """Both networks, initialised from ``seed`` without touching torch's global RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen = Generator(generator_input, generator_dim, data_dim)
        critic = Discriminator(critic_input, discriminator_dim, pac)
    return gen.to(device), critic.to(device)
