"""The epoch loop: fidelity checks, the best checkpoint, early stopping, callbacks.

Every ``eval_every`` epochs (and after the last one) the loop samples as many rows as
the held-out slice has and scores them against it (:mod:`.fidelity`), using the
generator weights the model would sample with (their moving average, see
:mod:`.ctgan`). The weights with the best score so far are copied aside in memory; that
copy, not the last weights and never the one with the lowest generator loss, is what
the model samples with and what the artifact keeps as its best. ``patience`` checks without a gain of
``min_delta`` stop training early, once ``min_steps`` generator steps have been trained.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import torch

from .ctgan import CTGANTrainer
from .runtime import EpochProgress
from .settings import EpochInfo

logger = logging.getLogger(__name__)


class FidelityTracker:
    """The record of fidelity checks and the best generator weights seen."""

    def __init__(self, patience: int | None, min_delta: float) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.history: list[dict[str, Any]] = []
        self.best_score: float | None = None
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.stale = 0  # checks since the best one

    def record(
        self, epoch: int, scores: dict[str, Any], losses: tuple[float, float],
        state: dict[str, torch.Tensor],
    ) -> bool:
        """Add a check of the generator weights ``state``; keep them when they beat the
        best. True if they did."""
        score = float(scores["overall"])
        self.history.append({
            "epoch": epoch,
            "score": score,
            "shape": scores.get("shape"),
            "correlation": scores.get("correlation"),
            "loss_g": losses[0],
            "loss_d": losses[1],
        })
        if self.best_score is None or score > self.best_score:
            gained = self.best_score is None or score >= self.best_score + self.min_delta
            self.best_score, self.best_epoch = score, epoch
            self.best_state = {k: v.detach().clone() for k, v in state.items()}
            self.stale = 0 if gained else self.stale + 1
            return True
        self.stale += 1
        return False

    def exhausted(self) -> bool:
        return self.patience is not None and self.stale >= self.patience

    def state(self) -> dict[str, Any]:
        """The JSON part (weights travel separately)."""
        return {
            "history": self.history,
            "best_score": self.best_score,
            "best_epoch": self.best_epoch,
            "stale": self.stale,
        }

    def restore(self, state: dict[str, Any], best_weights: dict[str, torch.Tensor] | None) -> None:
        self.history = list(state["history"])
        self.best_score = state["best_score"]
        self.best_epoch = state["best_epoch"]
        self.stale = int(state["stale"])
        self.best_state = best_weights


def run_epochs(
    trainer: CTGANTrainer,
    *,
    start_epoch: int,
    epochs: int,
    eval_every: int,
    evaluate: Callable[[dict[str, torch.Tensor]], dict[str, Any]],
    tracker: FidelityTracker,
    on_epoch_end: Callable[[EpochInfo], bool | None] | None,
    progress: bool,
) -> int:
    """Train ``epochs`` more epochs after ``start_epoch``; return the last epoch run."""
    last = start_epoch + epochs
    epoch = start_epoch
    with EpochProgress(last, start_epoch, enabled=progress) as bar:
        while epoch < last:
            epoch += 1
            started = time.perf_counter()
            losses = trainer.run_epoch()
            checked = (epoch - start_epoch) % eval_every == 0 or epoch == last
            trained = time.perf_counter()
            score = _check(epoch, losses, evaluate, tracker, trainer) if checked else None
            stop_asked = False
            now = time.perf_counter()
            info = EpochInfo(
                epoch=epoch, epochs=last, loss_g=losses[0], loss_d=losses[1],
                steps=trainer.steps_per_epoch, seconds=now - started,
                check_seconds=now - trained if checked else 0.0,
                score=score, best_score=tracker.best_score, best_epoch=tracker.best_epoch,
            )
            bar.update(epoch, losses[0], losses[1], tracker.best_score)
            logger.debug("epoch %d: G %.4f D %.4f fidelity %s", epoch, *losses, score)
            if on_epoch_end is not None:
                stop_asked = on_epoch_end(info) is True
            if tracker.exhausted() and epoch * trainer.steps_per_epoch >= trainer.settings.min_steps:
                logger.info(
                    "early stop at epoch %d: fidelity %.4f at epoch %d not beaten in %d checks",
                    epoch, tracker.best_score, tracker.best_epoch, tracker.stale,
                )
                break
            if stop_asked:
                if not checked:
                    _check(epoch, losses, evaluate, tracker, trainer)
                logger.info("training stopped by on_epoch_end at epoch %d", epoch)
                break
    return epoch


def _check(
    epoch: int, losses: tuple[float, float],
    evaluate: Callable[[dict[str, torch.Tensor]], dict[str, Any]],
    tracker: FidelityTracker, trainer: CTGANTrainer,
) -> float:
    state = trainer.sampling_state()
    scores = evaluate(state)
    tracker.record(epoch, scores, losses, state)
    return float(scores["overall"])
