"""Training: one synthesizer per synth table, parents first, reused while unchanged.

* :func:`train_project` - plan, fingerprint, read, privacy step, fit (with checkpoints
  and resume), linkage models, artifacts under ``target/models/<table>/``;
* :class:`TablePlan` - which columns are keys, the primary parent and its context;
* :class:`TableArtifacts` - the artifact folder of one table.

See ``docs/generation.md``.
"""

from __future__ import annotations

from .artifacts import TableArtifacts
from .plan import TablePlan, plan_table
from .trainer import TableTrainResult, table_seed, train_project

__all__ = [
    "TableArtifacts",
    "TablePlan",
    "TableTrainResult",
    "plan_table",
    "table_seed",
    "train_project",
]
