"""The knobs of one table's CTGAN, validated, and the record handed to epoch callbacks.

:class:`SynthSettings` carries every setting the engine reads, with defaults that work
for a table of a few thousand to a few hundred thousand rows. The names match the keys a
model's ``config.synth`` accepts (``project/settings.py``), so the pipeline can pass that
mapping through :meth:`SynthSettings.from_mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import TrainingError, did_you_mean

Precision = Literal["auto", "float32", "bfloat16"]

#: engine settings the pipeline sets from the project's privacy settings
#: (``privacy.min_count``, the ``pii: {action: keep}`` columns), never from ``config.synth``
PRIVACY_FIELDS = ("min_count", "raw_columns", "public_values")


class SynthSettings(BaseModel):
    """Hyperparameters of the CTGAN engine; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # ---- training loop -------------------------------------------------------------
    epochs: int = Field(
        300, ge=1,
        description="epochs at most: an epoch is a pass over the training rows in batches, "
        "or epoch_steps steps when the table has more rows than that",
    )
    epoch_steps: int = Field(
        100, ge=1,
        description="generator steps per epoch at most: every batch is drawn at random "
        "(training-by-sampling), so a large table's epoch is a number of steps, not a pass; "
        "fidelity checks, patience and checkpoints count in these epochs, so a 300k-row "
        "table is checked as often as a 50k-row one",
    )
    batch_size: int = Field(500, ge=2, description="rows per step; a multiple of pac")
    discriminator_steps: int = Field(1, ge=1, description="critic updates per generator update")
    pac: int = Field(
        1, ge=1,
        description="rows the critic judges together (PacGAN): a pack of 10 averages each "
        "row's fit away, so pairs of columns (and a child's dependence on its parents) are "
        "learnt weakly; 1 judges every row on its own",
    )
    log_frequency: bool = Field(True, description="training-by-sampling with log category frequencies")
    # ---- networks and optimisers -----------------------------------------------------
    embedding_dim: int = Field(128, ge=1, description="size of the generator's noise input")
    generator_dim: tuple[int, ...] = Field((256, 256), description="residual layer widths")
    discriminator_dim: tuple[int, ...] = Field((256, 256), description="critic layer widths")
    generator_lr: float = Field(2e-4, gt=0)
    generator_decay: float = Field(1e-6, ge=0)
    discriminator_lr: float = Field(2e-4, gt=0)
    discriminator_decay: float = Field(1e-6, ge=0)
    gradient_penalty: float = Field(10.0, ge=0, description="WGAN-GP weight")
    generator_ema: float = Field(
        0.99, ge=0, lt=1,
        description="moving-average decay of the generator weights that are scored and "
        "sampled with; 0 uses the raw weights",
    )
    gumbel_tau: float = Field(0.2, gt=0, description="Gumbel-softmax temperature in training")
    context_uncond_fraction: float = Field(
        0.5, ge=0, le=1,
        description="share of rows trained without a conditional vector when a context is given; "
        "such a model samples children from the context alone",
    )
    # ---- transformer -----------------------------------------------------------------
    max_modes: int = Field(10, ge=1, description="mixture components per numeric column")
    mode_weight_threshold: float = Field(0.005, ge=0, lt=1, description="drop lighter modes")
    gmm_sample_rows: int = Field(20_000, ge=50, description="most rows the mixture is fitted on")
    max_categories: int = Field(
        100, ge=2, description="categories kept per column; rarer values share one bucket"
    )
    rare_pool_size: int = Field(1000, ge=1, description="bucketed values kept to sample from")
    min_count: int = Field(
        5, ge=1,
        description="a category seen fewer times is rare: sampled as a generated stand-in of "
        "its shape, never as it is (privacy.min_count); 1 keeps every value",
    )
    public_values: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="per column, values the user wrote (accepted_values): kept however rare",
    )
    raw_columns: tuple[str, ...] = Field(
        (),
        description="columns whose rare values are kept as they are (pii: {action: keep})",
    )
    # ---- fidelity checkpoints and early stopping -----------------------------------------
    eval_every: int | None = Field(
        None, ge=1, description="epochs between fidelity checks; None: about every 25 steps"
    )
    eval_rows: int = Field(5000, ge=50, description="most held-out rows scored")
    holdout_fraction: float = Field(0.1, gt=0, lt=1, description="training rows held out to score")
    patience: int | None = Field(
        10, ge=1, description="fidelity checks without improvement before stopping; None: never"
    )
    min_delta: float = Field(0.001, ge=0, description="smallest fidelity gain that counts")
    min_steps: int = Field(
        2000, ge=0,
        description="generator steps trained before early stopping may end training: a GAN's "
        "first checks often score above the next ones (marginals are learnt before the "
        "adversarial game starts on the joint), so patience alone stops it before it climbs",
    )
    # ---- machine -----------------------------------------------------------------------
    threads: int | None = Field(None, ge=1, description="torch threads; None: half the CPUs available (see runtime.default_threads)")
    device: str = Field("cpu", description="torch device: cpu, cuda, cuda:1, auto")
    precision: Precision = Field(
        "auto", description="sampling matmul precision; auto: bfloat16 where the CPU has it"
    )
    # ---- sampling ------------------------------------------------------------------------
    sample_batch_rows: int = Field(2048, ge=1, description="rows per generator forward pass")
    max_resample_rounds: int = Field(
        10, ge=0, description="times rows breaking a bound or condition are drawn again"
    )
    enforce_observed_bounds: bool = Field(
        True, description="clip numeric and datetime output to the training min and max"
    )

    @model_validator(mode="after")
    def _batch_fits_pac(self) -> SynthSettings:
        if self.batch_size % self.pac:
            raise ValueError(
                f"batch_size {self.batch_size} must be a multiple of pac {self.pac}"
            )
        if not self.generator_dim or not self.discriminator_dim:
            raise ValueError("generator_dim and discriminator_dim need at least one layer")
        return self

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, ignore_unknown: bool = True) -> SynthSettings:
        """Settings from a ``config.synth`` mapping; keys of other stages are skipped.

        With ``ignore_unknown=False`` an unknown key is an error naming the close match.
        Invalid values raise :class:`TrainingError` with pydantic's message.
        """
        known = set(cls.model_fields)
        picked = {k: v for k, v in values.items() if k in known and v is not None}
        if not ignore_unknown:
            for key in values:
                if key not in known:
                    raise TrainingError(
                        f"unknown synth setting {key!r}",
                        hint=did_you_mean(key, known) or "see docs/synth.md for the settings",
                    )
        try:
            return cls(**picked)
        except ValidationError as exc:
            raise TrainingError(
                f"invalid synth settings: {exc.errors()[0]['msg']}",
                hint="see docs/synth.md for each setting's range",
            ) from exc


@dataclass(frozen=True)
class EpochInfo:
    """What ``on_epoch_end`` receives after each epoch; return True from it to stop."""

    epoch: int  # 1-based, counted on across resumes
    epochs: int  # the epoch this fit will end at if nothing stops it
    loss_g: float
    loss_d: float
    steps: int  # generator steps in this epoch (each after discriminator_steps critic steps)
    seconds: float  # wall time of this epoch, fidelity check included
    check_seconds: float  # of which the fidelity check (0 when the epoch had none)
    score: float | None  # fidelity measured after this epoch, None when not checked
    best_score: float | None
    best_epoch: int | None
