"""Small shared pieces of the steps: the target adapter, the stored profile, the lock."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ProfileError

if TYPE_CHECKING:
    from ..project.model import Manifest
    from ..targets.base import TargetAdapter

PROFILE_FILE = "profile.json"


def open_target(manifest: Manifest) -> TargetAdapter:
    """The (unconnected) adapter of the manifest's target; use it as a context manager."""
    from ..project.profiles import create_target_adapter, target_for_manifest

    return create_target_adapter(target_for_manifest(manifest), Path(manifest.project_dir))


def load_profile_for(manifest: Manifest) -> dict[str, Any]:
    """``target/profile.json``, or a ProfileError that says how to make it."""
    from ..profiling import load_profile

    path = manifest.target_dir / PROFILE_FILE
    if not path.is_file():
        raise ProfileError(
            f"no profile of the real data at {path}",
            hint="run 'shive profile' (or 'shive run') first",
        )
    return load_profile(path)


def project_lock(
    manifest: Manifest, command: str, timeout: float | None = None
) -> contextlib.AbstractContextManager[None]:
    """Hold the project's lock (``target/.shive.lock``) while a step writes.

    A second shive process on the same project waits up to ``timeout`` seconds (None:
    ``$SHIVE_LOCK_TIMEOUT``, else 0) and then fails with ProjectBusy naming the holder.
    Reentrant: ``run`` holds it through its train and generate steps.
    """
    from ..locking import PROJECT_LOCK_FILE, exclusive

    return exclusive(
        manifest.target_dir / PROJECT_LOCK_FILE,
        command,
        what=f"project {manifest.project_name} ({manifest.project_dir})",
        timeout=timeout,
    )
