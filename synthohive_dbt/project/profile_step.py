"""``shive profile`` (and the profile step of ``shive run``): profile tables one by one.

Each table is its own numbered step, so one broken table is an ERROR line while the
others still run. With a partial selection the tables not profiled this time keep
their entries of the previous ``target/profile.json``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..errors import ShiveError
from ..log import RunReport, event
from .model import Manifest
from .sources import open_real_connection

log = logging.getLogger(__name__)

PROFILE_FILE = "profile.json"


def profile_tables(manifest: Manifest, tables: list[str], *, keep_others: bool = False) -> int:
    """Profile ``tables`` into ``target/profile.json``; return the exit code (1: a table failed)."""
    try:
        from ..profiling import profile_project, write_profile
    except ImportError as exc:
        raise ShiveError(f"the profiling stage is not available: {exc}") from exc
    # derived models are computed from the synthetic tables; they have no real data to learn
    tables = [t for t in tables if manifest.tables[t].materialized == "synth"]
    path = manifest.target_dir / PROFILE_FILE
    merged = previous_profile(path) if keep_others else None
    report = RunReport(total=len(tables))
    with open_real_connection(manifest) as con:
        for index, name in enumerate(tables, 1):
            with report.step(index, name, f"profiling {name}", f"profiled {name}") as step:
                part = profile_project(manifest, con, tables=[name], progress=False)
                merged = merge_profiles(merged, part, manifest.order)
                step.data["row_count"] = part.get("tables", {}).get(name, {}).get("row_count")
    if merged is not None:
        write_profile(merged, path)
        event(f"Wrote {path}", event="artifact", path=str(path))
    return report.summary()


def previous_profile(path: Path) -> dict[str, Any] | None:
    """The existing profile.json, or None when there is none (or it cannot be read)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.debug("ignoring unreadable %s (it is rewritten): %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def merge_profiles(
    merged: dict[str, Any] | None, part: dict[str, Any], order: list[str]
) -> dict[str, Any]:
    """``part``'s tables over ``merged``'s, in graph order; top-level fields from ``part``."""
    if merged is None:
        return part
    tables = {**merged.get("tables", {}), **part.get("tables", {})}
    ordered = {n: tables[n] for n in order if n in tables}
    ordered.update({n: t for n, t in tables.items() if n not in ordered})
    return {**merged, **part, "tables": ordered}
