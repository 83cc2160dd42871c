"""Generation: synthetic tables with intact keys, streamed chunk by chunk into a target.

* :func:`generate_project` - every synth table in graph order, atomic per table,
  constraints verified on the target afterwards;
* :func:`build_derived` - derived models as SQL over the synthetic tables;
* :mod:`.keys`, :mod:`.linkage`, :mod:`.assignment` - keys, child counts and secondary
  parents; :mod:`.constraints` - row rules while sampling, SQL checks after writing.

See ``docs/generation.md``. The names below are imported on first use: training
imports the model-fitting half of this package (keys, linkage) and generation reads
training's artifacts, so neither may import the other's entry points eagerly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .constraints import Violation, verify_table
    from .derived import build_derived, render_derived
    from .orchestrator import DEFAULT_CHUNK_SIZE, TableGenResult, generate_project

_EXPORTS = {
    "DEFAULT_CHUNK_SIZE": ".orchestrator",
    "TableGenResult": ".orchestrator",
    "generate_project": ".orchestrator",
    "build_derived": ".derived",
    "render_derived": ".derived",
    "Violation": ".constraints",
    "verify_table": ".constraints",
}

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "TableGenResult",
    "Violation",
    "build_derived",
    "generate_project",
    "render_derived",
    "verify_table",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
