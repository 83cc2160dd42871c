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
    """``target/profile.json``, or a ProfileError that says how to make it.

    The profile records the undeclared PII the profile step protected; loading it
    protects the same columns of ``manifest`` (``privacy.undeclared: protect``), so every
    later step treats them as declared.
    """
    from ..profiling import load_profile
    from ..project.pii_scan import protect_recorded

    path = manifest.target_dir / PROFILE_FILE
    if not path.is_file():
        raise ProfileError(
            f"no profile of the real data at {path}",
            hint="run 'shive profile' (or 'shive run') first",
        )
    profile = load_profile(path)
    protect_recorded(manifest, profile)
    return profile


def protect_from_profile(manifest: Manifest) -> None:
    """Re-apply the PII protections ``target/profile.json`` records, when there is one
    (``generate``: a copied table is protected like a trained one)."""
    from ..profiling import load_profile
    from ..project.pii_scan import protect_recorded

    path = manifest.target_dir / PROFILE_FILE
    if path.is_file():
        protect_recorded(manifest, load_profile(path))
