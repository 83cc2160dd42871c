"""Fit one table's synthesizer, checkpointing as it goes and resuming after a kill.

Every ``checkpoint_every`` epochs the in-progress model is saved to
``checkpoint.pt`` with ``checkpoint.json`` naming the fingerprint of the inputs it was
trained on. A later train of the same inputs loads that checkpoint and continues at
its epoch (the synthesizer's resume support) instead of starting over; a checkpoint
of other inputs is discarded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ArtifactError
from .artifacts import TableArtifacts

if TYPE_CHECKING:
    from ..synth import SynthSettings, TableSynthesizer

logger = logging.getLogger(__name__)

#: checkpoints per fit when ``synth.checkpoint_every`` is not set
CHECKPOINTS_PER_FIT = 10


@dataclass
class FitRequest:
    """Everything one table's fit needs."""

    frame: pd.DataFrame
    context: pd.DataFrame | None
    settings: SynthSettings
    seed: int
    column_kinds: Mapping[str, str]
    context_kinds: Mapping[str, str] | None
    bounds: Mapping[str, Any] | None
    fingerprint: str
    checkpoint_every: int | None = None
    progress: bool = True


def fit_model(request: FitRequest, artifacts: TableArtifacts) -> tuple[TableSynthesizer, int]:
    """The fitted synthesizer and the epoch it resumed from (0: a fresh fit)."""
    from ..synth import TableSynthesizer

    synth, start = _resume_point(request, artifacts)
    if synth is None:
        synth = TableSynthesizer(request.settings, seed=request.seed)
    every = request.checkpoint_every or max(1, request.settings.epochs // CHECKPOINTS_PER_FIT)

    def on_epoch_end(info: Any) -> bool:
        epoch = int(getattr(info, "epoch", 0))
        if epoch % every == 0 and epoch < request.settings.epochs:
            _save_checkpoint(synth, artifacts, request.fingerprint, epoch)
        return False

    synth.fit(
        request.frame,
        column_kinds=dict(request.column_kinds),
        context=request.context,
        context_kinds=dict(request.context_kinds) if request.context_kinds else None,
        bounds=dict(request.bounds) if request.bounds else None,
        on_epoch_end=on_epoch_end,
        progress=request.progress,
    )
    return synth, start


def _resume_point(
    request: FitRequest, artifacts: TableArtifacts
) -> tuple[TableSynthesizer | None, int]:
    """A checkpoint of these exact inputs to continue from, if one was left behind."""
    from ..synth import TableSynthesizer

    meta = artifacts.read_checkpoint_meta()
    if meta is None or not artifacts.checkpoint_path.exists():
        artifacts.clear_checkpoint()
        return None, 0
    if meta.get("fingerprint") != request.fingerprint:
        logger.info("%s: discarding a checkpoint of other inputs", artifacts.table)
        artifacts.clear_checkpoint()
        return None, 0
    try:
        synth = TableSynthesizer.load(artifacts.checkpoint_path)
    except ArtifactError as exc:
        logger.warning("%s: cannot resume from checkpoint (%s); training afresh", artifacts.table, exc)
        artifacts.clear_checkpoint()
        return None, 0
    epoch = int(meta.get("epoch", synth.epochs_trained))
    logger.info("%s: resuming training at epoch %d", artifacts.table, epoch)
    return synth, epoch


def _save_checkpoint(
    synth: TableSynthesizer, artifacts: TableArtifacts, fingerprint: str, epoch: int
) -> None:
    with artifacts.staging(artifacts.checkpoint_path) as tmp:
        synth.save(tmp)
    artifacts.write_json(artifacts.checkpoint_meta_path, {"fingerprint": fingerprint, "epoch": epoch})
    logger.debug("%s: checkpoint at epoch %d", artifacts.table, epoch)
