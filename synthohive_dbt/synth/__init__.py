"""The CTGAN engine: learn one table (optionally conditioned on its parent) and sample it.

Usable on its own from Python::

    from synthohive_dbt.synth import SynthSettings, TableSynthesizer

    model = TableSynthesizer(SynthSettings(epochs=100), seed=42).fit(frame)
    rows = model.sample(1_000)
    model.save("customers.shive")

Modules, in pipeline order: ``columns`` (kinds and dtypes), ``continuous`` and
``discrete`` (column encoders), ``layout`` and ``transformer`` (the data vector),
``sampler`` (conditional vector, training-by-sampling), ``networks`` and ``ctgan``
(WGAN-GP steps with context), ``loop`` (epochs, fidelity checkpoints), ``sampling`` and
``constraints`` (generation), ``checkpoint`` and ``persistence`` (the artifact),
``fidelity`` (the score), ``synthesizer`` (the public class).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .settings import EpochInfo, SynthSettings

if TYPE_CHECKING:
    from .constraints import ClipTally
    from .fidelity import fidelity_score
    from .synthesizer import TableSynthesizer

#: names imported on first use: torch loads only when the engine itself is needed, so
#: ``shive validate`` and the project layer (which read :class:`SynthSettings`) stay fast
_LAZY = {"ClipTally": "constraints", "fidelity_score": "fidelity", "TableSynthesizer": "synthesizer"}

__all__ = ["ClipTally", "EpochInfo", "SynthSettings", "TableSynthesizer", "fidelity_score"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
