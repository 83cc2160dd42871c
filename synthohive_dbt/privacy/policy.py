"""The project's ``privacy:`` settings as the stages read them from a Manifest."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..project.model import Manifest


def detection_enabled(manifest: Manifest) -> bool:
    """False when ``shive_project.yml`` says ``privacy: {detect: false}``."""
    privacy = (manifest.settings or {}).get("privacy")
    if isinstance(privacy, dict):
        return privacy.get("detect", True) is not False
    return True


def undeclared_policy(manifest: Manifest) -> str:
    """``privacy.undeclared`` of the project: protect (the default), error or warn."""
    privacy = (manifest.settings or {}).get("privacy")
    policy = privacy.get("undeclared") if isinstance(privacy, dict) else None
    return str(policy or "protect")


def privacy_min_count(manifest: Manifest) -> int:
    """``privacy.min_count``: categories seen fewer times are rare (never copied verbatim)."""
    from ..synth.standins import DEFAULT_MIN_COUNT

    privacy = (manifest.settings or {}).get("privacy")
    value = privacy.get("min_count") if isinstance(privacy, dict) else None
    return int(value) if value is not None else DEFAULT_MIN_COUNT
