"""Fault-injection points: the named places where the crash tests kill a run.

A run calls :func:`fault_point` at the boundaries of its phases (a checkpoint saved, a
table staged, the swap of a generation begun ...). It does nothing, at the cost of one
environment lookup, unless ``SHIVE_FAULT_AT`` names that point: then the process kills
itself with SIGKILL, the way an OOM killer or a lost machine would, with no ``finally``
blocks, no atexit handlers and no flushing. ``SHIVE_FAULT_AT=generate.table:2`` kills
at the second time the point is reached.

This is a test facility (``tests/integration/test_fault_injection.py``), not a
behaviour: with the variable unset nothing changes. The points, in run order:

``profile.written``      profile.json written, training not begun
``train.checkpoint``     a training checkpoint saved (more epochs to go)
``train.table``          a table's trained artifacts complete
``generate.chunk``       a chunk of rows handed to the target, the table half written
``generate.table``       a table staged and verified, later tables not yet written
``generate.derived``     a derived model staged
``generate.commit``      inside the swap of a generation, before it is complete
``generate.committed``   the generation swapped in, the tests not yet run
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections import Counter

log = logging.getLogger(__name__)

#: the environment variable naming the point to die at: ``name`` or ``name:n``
ENV = "SHIVE_FAULT_AT"
POINTS = (
    "profile.written",
    "train.checkpoint",
    "train.table",
    "generate.chunk",
    "generate.table",
    "generate.derived",
    "generate.commit",
    "generate.committed",
)

_hits: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Die here with SIGKILL when ``SHIVE_FAULT_AT`` names this point (and hit count)."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] < int(nth or 1):
        return
    log.warning("fault injection: killing the process at %s", name)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    kill = getattr(signal, "SIGKILL", None)
    if kill is None:  # Windows: no SIGKILL; an exit that skips every cleanup is as close
        os._exit(137)
    os.kill(os.getpid(), kill)
