"""``shive profile`` (and the profile step of ``shive run``): profile tables one by one.

Each table is its own numbered step, so one broken table is an ERROR line while the
others still run. With a partial selection the tables not profiled this time keep
their entries of the previous ``target/profile.json``.

Each table is scanned for undeclared PII (:mod:`.pii_scan`) before it is profiled: a
finding is acted on as ``privacy.undeclared`` says (by default the column is protected,
so its values stay out of the profile too), turns the table's step into a WARN, logs
the declaration that pins the decision, and is recorded in the profile's top-level
``pii_findings`` (no data values, only what was found and done).

With Spark sources, their samples are cached in ``.shive-samples/`` first (what the
DuckDB views read, for the PII scan and training), and every Spark-resident model is
profiled by Spark SQL aggregates over its whole table (:mod:`synthohive_dbt.spark`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ShiveError
from ..faults import fault_point
from ..log import RunReport, event
from ..project.formats import resident_profilers
from ..project.model import Manifest
from ..project.sources import open_real_connection
from .pii_scan import (
    detection_enabled,
    finding_record,
    log_pii_summary,
    protect_undeclared,
    scan_undeclared_pii,
)

if TYPE_CHECKING:
    from ..log import Step
    from ..privacy import PiiFinding

log = logging.getLogger(__name__)

PROFILE_FILE = "profile.json"


def profile_tables(
    manifest: Manifest,
    tables: list[str],
    *,
    keep_others: bool = False,
    report: RunReport | None = None,
) -> int:
    """Profile ``tables`` into ``target/profile.json``; return the exit code (1: a table failed).

    With ``report`` (a step of ``shive run``) the steps are numbered in it and the
    closing summary is left to the caller.
    """
    try:
        from ..profiling import profile_project, write_profile
    except ImportError as exc:
        raise ShiveError(f"the profiling stage is not available: {exc}") from exc
    # derived models are computed from the synthetic tables; they have no real data to learn
    tables = [t for t in tables if manifest.tables[t].materialized == "synth"]
    path = manifest.target_dir / PROFILE_FILE
    merged = previous_profile(path) if keep_others else None
    own_report = report is None
    if report is None:
        report = RunReport(total=len(tables))
    detect = detection_enabled(manifest)
    findings: list[PiiFinding] = []
    scanned: list[str] = []
    resident = resident_profilers(manifest)  # before the DuckDB views read their samples
    with open_real_connection(manifest) as con:
        for index, name in enumerate(tables, 1):
            with report.step(index, name, f"profiling {name}", f"profiled {name}") as step:
                if detect:  # first: a protected column's values stay out of the profile
                    findings += _scan_table(manifest, con, name, step)
                    scanned.append(name)
                if name in resident:
                    part = _resident_part(manifest, resident[name].profile, name, merged)
                else:
                    part = profile_project(manifest, con, tables=[name], progress=False)
                merged = merge_profiles(merged, part, manifest.order)
                step.data["row_count"] = part.get("tables", {}).get(name, {}).get("row_count")
    if detect and tables:
        log_pii_summary(findings, scanned_tables=len(scanned))
    if merged is not None:
        merged["pii_findings"] = merge_pii_findings(merged, findings, scanned) if detect else []
        write_profile(merged, path)
        event(f"Wrote {path}", event="artifact", path=str(path))
        fault_point("profile.written")
    return report.summary() if own_report else report.exit_code


def _resident_part(
    manifest: Manifest,
    profile: Callable[[str, Mapping[str, Any]], dict[str, Any]],
    name: str,
    merged: dict[str, Any] | None,
) -> dict[str, Any]:
    """The profile document of one model a plug-in profiles where its data lives (e.g.
    on Spark, over the whole table), shaped as profile_project's."""
    from ..profiling import PROFILE_FORMAT_VERSION

    known = (merged or {}).get("tables", {})
    entries = profile(name, known)
    return {
        "format_version": PROFILE_FORMAT_VERSION,
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "project": manifest.project_name,
        "tables": entries,
    }


def _scan_table(manifest: Manifest, con: Any, name: str, step: Step) -> list[PiiFinding]:
    """Undeclared PII of one table: acted on (``privacy.undeclared``), logged, and the step
    turned into a WARN when found."""
    found = scan_undeclared_pii(manifest, con, tables=[name])
    if found:
        protect_undeclared(found, manifest)
        columns = ", ".join(
            f"{f.column} ({'protected: ' + f.action if f.action else 'not protected'})"
            for f in found
        )
        step.warn(f"undeclared PII in {name}: {columns} (pin it in config.pii; see above)")
        step.data["pii_findings"] = len(found)
    return found


def merge_pii_findings(
    merged: dict[str, Any], findings: list[PiiFinding], scanned: list[str]
) -> list[dict[str, Any]]:
    """This run's findings, plus the previous ones of tables not scanned this time."""
    previous = merged.get("pii_findings") or []
    kept = [f for f in previous if isinstance(f, dict) and f.get("table") not in set(scanned)]
    return kept + [finding_record(f) for f in findings]


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
