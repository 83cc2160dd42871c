"""Fixtures: the mini shop project on disk, its manifest, real data and a DuckDB target."""

from __future__ import annotations

from genkit import _isolated_profiles, manifest, open_target, real_con, shop_dir, standin

__all__ = ["_isolated_profiles", "manifest", "open_target", "real_con", "shop_dir", "standin"]
