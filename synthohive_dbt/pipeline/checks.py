"""Small shared pieces of the steps: the target adapter, the stored profile, the lock."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ProfileError
from ..log import event

if TYPE_CHECKING:
    from ..project.model import Manifest
    from ..targets.base import TargetAdapter

PROFILE_FILE = "profile.json"
log = logging.getLogger(__name__)


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
    from .pii_scan import protect_recorded

    path = manifest.target_dir / PROFILE_FILE
    if not path.is_file():
        raise ProfileError(
            f"no profile of the real data at {path}",
            hint="run 'shive profile' (or 'shive run') first",
        )
    profile = load_profile(path)
    protect_recorded(manifest, profile)
    return profile


def ensure_profile(manifest: Manifest, tables: list[str]) -> dict[str, Any]:
    """The stored profile, after profiling whichever of ``tables`` (and their ancestors)
    it lacks: ``shive train`` on a project never profiled profiles what it needs."""
    from ..profiling import load_profile
    from .profile_step import profile_tables

    needed = _with_ancestors(manifest, tables)
    path = manifest.target_dir / PROFILE_FILE
    known = set(load_profile(path).get("tables", {})) if path.is_file() else set()
    missing = [t for t in manifest.order if t in needed and t not in known]
    if missing:
        event(
            f"Profiling {len(missing)} table(s) that target/profile.json lacks: "
            + ", ".join(missing),
            event="stage",
            stage="profiling",
        )
        if profile_tables(manifest, missing, keep_others=True):
            raise ProfileError(
                "profiling failed, so the tables cannot be trained",
                hint="see the errors above; 'shive profile' runs that step alone",
            )
    return load_profile_for(manifest)


def _with_ancestors(manifest: Manifest, tables: list[str]) -> set[str]:
    """``tables`` and every synth table they reach through foreign keys."""
    seen: set[str] = set()
    stack = [t for t in tables if manifest.tables[t].materialized == "synth"]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for fk in manifest.tables[name].foreign_keys:
            parent = manifest.tables.get(fk.parent)
            if parent is not None and parent.materialized == "synth":
                stack.append(fk.parent)
    return seen


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


def protect_from_profile(manifest: Manifest) -> None:
    """Re-apply the PII protections ``target/profile.json`` records, when there is one
    (``generate``: a copied table is protected like a trained one)."""
    from ..profiling import load_profile
    from .pii_scan import protect_recorded

    path = manifest.target_dir / PROFILE_FILE
    if path.is_file():
        protect_recorded(manifest, load_profile(path))
