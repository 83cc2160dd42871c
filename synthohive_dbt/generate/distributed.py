"""Generation that a target runs itself, on its own cluster.

A target adapter that can (``SUPPORTS_DISTRIBUTED_GENERATION``) gets its generator from
the plug-in that provides the target, which registers it here by the target's ``type``
(the Spark plug-in registers ``spark``). The target interface itself knows nothing of
generation: it reads and writes tables. A generator returns the rows it wrote, or None
when it cannot run here (it logs why); the orchestrator then streams the table locally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..errors import GenerationError
from ..plugins import load_plugins

if TYPE_CHECKING:
    from ..project.model import Manifest, Table
    from ..targets.base import TargetAdapter


class DistributedGenerator(Protocol):
    def __call__(
        self, adapter: TargetAdapter, manifest: Manifest, table: Table, *,
        rows: int | None, seed: int, chunk_size: int,
    ) -> int | None: ...  # fmt: skip


_GENERATORS: dict[str, DistributedGenerator] = {}


def register_distributed_generator(target_type: str, generator: DistributedGenerator) -> None:
    """Make ``generator`` the way learned tables are generated on ``target_type`` targets."""
    _GENERATORS[target_type] = generator


def distributed_generator(adapter: TargetAdapter) -> DistributedGenerator | None:
    """The generator of ``adapter``'s target, or None for a target that cannot run one."""
    if not adapter.SUPPORTS_DISTRIBUTED_GENERATION:
        return None
    if adapter.type not in _GENERATORS:
        load_plugins()
    if adapter.type not in _GENERATORS:
        raise GenerationError(
            f"the {adapter.type} target generates tables itself, but no plug-in registered "
            "its generator",
            hint="reinstall the package that provides this target",
        )
    return _GENERATORS[adapter.type]
