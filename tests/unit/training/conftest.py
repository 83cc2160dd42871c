"""Fixtures shared with the generation tests (tests/unit/generate/genkit.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generate"))

from genkit import (
    _isolated_profiles,
    manifest,
    open_target,
    real_con,
    shop_dir,
    standin,
)

__all__ = ["_isolated_profiles", "manifest", "open_target", "real_con", "shop_dir", "standin"]
