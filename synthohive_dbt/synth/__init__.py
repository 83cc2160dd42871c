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

from .constraints import ClipTally
from .fidelity import fidelity_score
from .settings import EpochInfo, SynthSettings
from .synthesizer import TableSynthesizer

__all__ = ["ClipTally", "EpochInfo", "SynthSettings", "TableSynthesizer", "fidelity_score"]
