"""Small shared pieces of the steps: the target adapter and the stored profile."""

from __future__ import annotations

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
