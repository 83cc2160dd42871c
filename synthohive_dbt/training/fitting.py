"""Fit one table's synthesizer, checkpointing as it goes and resuming after a kill.

A fit runs in segments of ``checkpoint_every`` epochs (default: a tenth of the epochs):
the first segment is ``fit``, each further one ``resume``, which continues with the
same weights, optimiser state and random generator. After each segment the model,
training state included, is saved to ``checkpoint.pt`` with ``checkpoint.json`` naming
the fingerprint of the inputs and the epoch. A later train of the same inputs loads
that checkpoint and resumes from its epoch instead of starting over; a checkpoint of
other inputs is discarded. Early stopping ends the segments.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ArtifactError
from ..faults import fault_point
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
    total = request.settings.epochs
    every = request.checkpoint_every or max(1, total // CHECKPOINTS_PER_FIT)
    synth, start = _resume_point(request, artifacts)
    if synth is None:
        synth = _first_segment(request, min(every, total))
        if not _segment_done(synth, min(every, total), artifacts, request.fingerprint):
            return synth, start
    while synth.epochs_trained < total:
        target = min(synth.epochs_trained + every, total)
        synth.resume(
            target - synth.epochs_trained,
            request.frame,
            context=request.context,
            progress=request.progress,
        )
        if not _segment_done(synth, target, artifacts, request.fingerprint):
            break
    return synth, start


def _segment_done(
    synth: TableSynthesizer, target: int, artifacts: TableArtifacts, fingerprint: str
) -> bool:
    """Checkpoint after a segment; False when the fit is over (early stop or last epoch)."""
    if synth.epochs_trained < target:
        return False  # stopped early: fidelity no longer improved
    if synth.epochs_trained < synth.settings.epochs:
        _save_checkpoint(synth, artifacts, fingerprint)
        return True
    return False


def _first_segment(request: FitRequest, epochs: int) -> TableSynthesizer:
    from ..synth import TableSynthesizer

    segment = request.settings.model_copy(update={"epochs": epochs})
    synth = TableSynthesizer(segment, seed=request.seed)
    synth.fit(
        request.frame,
        column_kinds=dict(request.column_kinds),
        context=request.context,
        context_kinds=dict(request.context_kinds) if request.context_kinds else None,
        bounds=dict(request.bounds) if request.bounds else None,
        progress=request.progress,
    )
    synth.settings = request.settings  # the full run's settings, as saved with the model
    return synth


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
        logger.warning(
            "%s: cannot resume from checkpoint (%s); training afresh", artifacts.table, exc
        )
        artifacts.clear_checkpoint()
        return None, 0
    if int(meta.get("epoch", -1)) != synth.epochs_trained:
        logger.info("%s: checkpoint does not match its record; training afresh", artifacts.table)
        artifacts.clear_checkpoint()
        return None, 0
    synth.settings = request.settings
    logger.info("%s: resuming training at epoch %d", artifacts.table, synth.epochs_trained)
    return synth, synth.epochs_trained


def _save_checkpoint(synth: TableSynthesizer, artifacts: TableArtifacts, fingerprint: str) -> None:
    epoch = synth.epochs_trained
    synth.save(artifacts.checkpoint_path)
    artifacts.write_json(
        artifacts.checkpoint_meta_path, {"fingerprint": fingerprint, "epoch": epoch}
    )
    logger.debug("%s: checkpoint at epoch %d", artifacts.table, epoch)
    fault_point("train.checkpoint")
