"""Mode-specific normalisation of continuous columns.

Each numeric or datetime column gets a Bayesian Gaussian mixture (scikit-learn, a
Dirichlet-process prior so unneeded modes fade) fitted on a bounded random sample of
its standardised values. A value is then represented by one of the mixture's modes,
drawn from the posterior over modes, and its offset from that mode's mean in units of
four standard deviations. :class:`PackedModes` holds every column's mixture as padded
tensors so encoding a batch, or decoding one, is a handful of tensor operations for all
columns at once.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

#: a value sits within four standard deviations of its mode's mean
STD_MULTIPLIER = 4.0
#: smallest mode width, in standardised units, used to score the posterior
_MIN_STD = 1e-3
#: rows and iterations of the mixture's two fitting stages
_INIT_ROWS = 2000
_INIT_ITERATIONS = 100
_REFINE_ITERATIONS = 10


@dataclass
class ModeModel:
    """One column's mixture: standardisation plus modes in standardised units."""

    loc: float
    scale: float
    means: list[float]
    stds: list[float]  # 0 for a constant column: every value decodes to ``loc``
    weights: list[float]

    @property
    def n_modes(self) -> int:
        return len(self.means)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ModeModel:
        return cls(**data)  # type: ignore[arg-type]


def fit_modes(
    values: np.ndarray, *, max_modes: int, weight_threshold: float, sample_rows: int,
    rng: np.random.Generator,
) -> ModeModel:
    """Fit the mixture of one column's non-null ``values`` on at most ``sample_rows`` rows.

    The mixture is fitted in two stages: 100 iterations on a small random subset
    (``_INIT_ROWS``) find the modes cheaply, then ``_REFINE_ITERATIONS`` more on the whole
    bounded sample settle them on more data. This costs about what 100 iterations on 5,000
    rows would, and gave clearly better fidelity in our benchmarks.
    """
    finite = values[np.isfinite(values)]
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        return ModeModel(loc=lo, scale=1.0, means=[0.0], stds=[0.0], weights=[1.0])
    if finite.size > sample_rows:
        finite = rng.choice(finite, size=sample_rows, replace=False)
    else:
        finite = rng.permutation(finite)
    loc, scale = float(finite.mean()), float(finite.std()) or 1.0
    standard = ((finite - loc) / scale).reshape(-1, 1)
    distinct = np.unique(standard).size
    mixture = BayesianGaussianMixture(
        n_components=max(1, min(max_modes, distinct)),
        covariance_type="diag",  # one dimension: the same model as "full", and cheaper
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=1e-3,
        init_params="k-means++",
        max_iter=_INIT_ITERATIONS,
        warm_start=True,
        random_state=int(rng.integers(2**31 - 1)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture.fit(standard[:_INIT_ROWS])
        if len(standard) > _INIT_ROWS:
            mixture.max_iter = _REFINE_ITERATIONS
            mixture.fit(standard)
    weights = mixture.weights_
    keep = weights > weight_threshold
    if not keep.any():
        keep = weights == weights.max()
    kept = weights[keep] / weights[keep].sum()
    return ModeModel(
        loc=loc,
        scale=scale,
        means=mixture.means_[keep, 0].tolist(),
        stds=np.maximum(np.sqrt(mixture.covariances_[keep, 0]), _MIN_STD).tolist(),
        weights=kept.tolist(),
    )


class PackedModes:
    """All continuous columns' modes as ``(columns, max_modes)`` tensors."""

    def __init__(self, models: list[ModeModel], device: torch.device) -> None:
        count = len(models)
        width = max((m.n_modes for m in models), default=1)
        means = np.zeros((count, width))
        stds = np.ones((count, width))
        log_w = np.full((count, width), -np.inf)
        for i, model in enumerate(models):
            k = model.n_modes
            means[i, :k] = model.means
            stds[i, :k] = model.stds
            log_w[i, :k] = np.log(np.asarray(model.weights))
        self.n_modes = torch.tensor([m.n_modes for m in models], dtype=torch.long, device=device)
        self.loc = torch.tensor([m.loc for m in models], dtype=torch.float64, device=device)
        self.scale = torch.tensor([m.scale for m in models], dtype=torch.float64, device=device)
        self.means = torch.tensor(means, dtype=torch.float32, device=device)
        self.stds = torch.tensor(stds, dtype=torch.float32, device=device)
        self.score_stds = self.stds.clamp_min(_MIN_STD)
        log_w = torch.tensor(log_w, dtype=torch.float32, device=device)
        self.log_prior = log_w - torch.log(self.score_stds)  # mode weight over its width

    def standardise(self, values: np.ndarray) -> np.ndarray:
        """``(rows, columns)`` raw float64 values in standardised units (float32)."""
        loc = self.loc.cpu().numpy()
        scale = self.scale.cpu().numpy()
        return ((values - loc) / scale).astype(np.float32)

    def choose_modes(
        self, x: torch.Tensor, generator: torch.Generator | None
    ) -> torch.Tensor:
        """A mode per value: drawn from the posterior, or its argmax when no generator."""
        z = (x.unsqueeze(-1) - self.means) / self.score_stds
        logits = self.log_prior - 0.5 * z * z
        if generator is not None:
            uniform = torch.rand(logits.shape, generator=generator, device=logits.device)
            logits = logits - torch.log(-torch.log(uniform.clamp(1e-7, 1 - 1e-7)))
        return logits.argmax(dim=-1)

    def normalise(self, x: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
        """Offsets of standardised ``x`` from their modes, in [-0.99, 0.99]."""
        mean = torch.gather(self.means.expand(x.shape[0], -1, -1), 2, modes.unsqueeze(-1))
        std = torch.gather(self.score_stds.expand(x.shape[0], -1, -1), 2, modes.unsqueeze(-1))
        value = (x - mean.squeeze(-1)) / (STD_MULTIPLIER * std.squeeze(-1))
        return value.clamp(-0.99, 0.99)

    def denormalise(self, value: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
        """Raw float64 values from offsets in [-1, 1] and mode indices."""
        rows = value.shape[0]
        index = modes.clamp_max(self.means.shape[1] - 1).unsqueeze(-1)
        mean = torch.gather(self.means.expand(rows, -1, -1), 2, index).squeeze(-1)
        std = torch.gather(self.stds.expand(rows, -1, -1), 2, index).squeeze(-1)
        standard = value.double() * STD_MULTIPLIER * std.double() + mean.double()
        return standard * self.scale + self.loc
