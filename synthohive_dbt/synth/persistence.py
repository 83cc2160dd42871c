"""What a :class:`TableSynthesizer` puts into its artifact and how it is rebuilt from one.

The file format itself lives in :mod:`.checkpoint`; this module decides the content:
the sampling state (settings, transformers, bounds, best generator weights, fidelity
record) and, unless left out, the training state (last generator weights, critic,
both optimisers, the training RNG), so ``resume`` continues exactly where ``fit`` ended.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from pydantic import ValidationError

from ..errors import ArtifactError
from .checkpoint import flatten_optimizer, read_artifact, unflatten_optimizer, write_artifact
from .ctgan import GeneratorAverage
from .loop import FidelityTracker
from .runtime import resolve_device
from .settings import SynthSettings
from .transformer import DataTransformer

if TYPE_CHECKING:
    from .synthesizer import TableSynthesizer

logger = logging.getLogger(__name__)


def save(model: TableSynthesizer, path: Path, *, training_state: bool) -> Path:
    """Write ``model`` to ``path``."""
    transformer = model.transformer
    context = model.context_transformer
    meta: dict[str, Any] = {
        "seed": model.seed,
        "settings": model.settings.model_dump(mode="json"),
        "columns": transformer.columns,
        "column_kinds": model.column_kinds,
        "context_columns": context.columns if context else [],
        "context_kinds": model.context_kinds,
        "transformer": transformer.state(),
        "context_transformer": context.state() if context else None,
        "bounds": {k: list(v) for k, v in model.bounds.items()},
        "networks": model._network_dims(),
        "fidelity": model._tracker.state(),
        "epochs_trained": model.epochs_trained,
        "sample_calls": model._sample_calls,
        "training_state": False,
    }
    tensors = _prefixed("generator", model.generator_net.state_dict())
    if training_state and model._last_state is not None and model._optimizers is not None:
        opt_g, opt_d = model._optimizers
        g_tensors, g_info = flatten_optimizer("opt_g", opt_g.state_dict())
        d_tensors, d_info = flatten_optimizer("opt_d", opt_d.state_dict())
        tensors.update(_prefixed("generator_last", model._last_state))
        if model._ema.average is not None:
            tensors.update(_prefixed("generator_ema", model._ema.average))
        meta["ema_steps"] = model._ema.steps
        tensors.update(_prefixed("critic", model.critic.state_dict()))
        tensors.update(g_tensors | d_tensors)
        tensors["rng.torch"] = model._rng.get_state()
        meta["optimizers"] = {"generator": g_info, "critic": d_info}
        meta["training_state"] = True
    return write_artifact(path, meta, tensors)


def load(cls: type[TableSynthesizer], path: Path) -> TableSynthesizer:
    """Rebuild a model from ``path``; an inconsistent artifact is an ArtifactError."""
    meta, tensors = read_artifact(path)
    try:
        settings = SynthSettings(**meta["settings"])
        if settings.device != "cpu" and not torch.cuda.is_available():
            logger.warning("model was trained on %s; loading it on the CPU", settings.device)
            settings = settings.model_copy(update={"device": "cpu"})
        model = cls(settings, seed=meta["seed"])
        _restore(model, meta, tensors)
    except ValidationError as exc:
        raise ArtifactError(f"model settings are invalid: {exc.errors()[0]['msg']}", path=path,
                            hint="retrain the table") from exc
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise ArtifactError(f"model artifact is inconsistent: {exc!r}", path=path,
                            hint="retrain the table (shive train --full-refresh)") from exc
    return model


def _restore(model: TableSynthesizer, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    device = resolve_device(model.settings.device)
    model.transformer = DataTransformer.from_state(meta["transformer"], device)
    if meta["context_transformer"] is not None:
        model.context_transformer = DataTransformer.from_state(meta["context_transformer"], device)
    model.column_kinds = dict(meta["column_kinds"])
    model.context_kinds = dict(meta["context_kinds"])
    model.bounds = {k: (v[0], v[1]) for k, v in meta["bounds"].items()}
    if model._network_dims() != meta["networks"]:
        raise ValueError(f"network sizes {meta['networks']} do not fit the transformer")
    model._build_networks()
    model.generator_net.load_state_dict(_unprefixed("generator", tensors))
    model._epochs_trained = int(meta["epochs_trained"])
    model._sample_calls = int(meta["sample_calls"])
    model._tracker = FidelityTracker(model.settings.patience, model.settings.min_delta)
    best = _unprefixed("generator", tensors)
    model._tracker.restore(meta["fidelity"], best)
    if meta.get("training_state"):
        model._last_state = _unprefixed("generator_last", tensors)
        if any(k.startswith("generator_ema.") for k in tensors):
            model._ema = GeneratorAverage(
                model.settings.generator_ema, _unprefixed("generator_ema", tensors), int(meta["ema_steps"])
            )
        model.critic.load_state_dict(_unprefixed("critic", tensors))
        opt_g, opt_d = model._optimizers
        opt_g.load_state_dict(unflatten_optimizer("opt_g", tensors, meta["optimizers"]["generator"]))
        opt_d.load_state_dict(unflatten_optimizer("opt_d", tensors, meta["optimizers"]["critic"]))
        model._rng.set_state(tensors["rng.torch"])
    else:
        model._optimizers = None


def _prefixed(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in state.items()}


def _unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    head = prefix + "."
    found = {k[len(head) :]: v for k, v in tensors.items() if k.startswith(head)}
    if not found:
        raise KeyError(f"no {prefix} weights")
    return found
