"""``target/profile.json``: build it from the real data, write it, read it back.

The structure is specified in ``docs/profile_json.md``. A profile holds aggregates
only; it is what training reads for bounds, what the data tests read for thresholds,
and what the report compares the synthetic copy against.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..atomic import write_text_atomic
from ..errors import ProfileError
from ..project.model import Manifest, Table
from .children import child_count_distribution
from .columns import ProfileOptions, column_specs, options_for, profile_columns
from .correlations import compute_correlations, correlation_columns
from .findings import KeyFinding
from .keys import check_keys
from .relations import orphan_action, selected_synth_tables, training_relation_sql

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

logger = logging.getLogger(__name__)

#: the version of the profile.json layout this code writes and reads
PROFILE_FORMAT_VERSION = 1


def profile_project(
    manifest: Manifest,
    con: DuckDBPyConnection,
    *,
    tables: Iterable[str] | None = None,
    progress: bool = True,
    options: ProfileOptions | None = None,
) -> dict[str, Any]:
    """Check the keys of every synth model (or ``tables``) and profile it.

    ``con`` must hold each model as a view named by the model (see
    ``project.sources.open_real_connection``). Raises ProfileError on an empty table,
    a null or duplicate primary key, or orphans under ``orphans: error``.
    """
    options = options or options_for(manifest)
    selected = selected_synth_tables(manifest, tables)
    findings = check_keys(manifest, con, tables=[t.name for t in selected])
    profile: dict[str, Any] = {
        "format_version": PROFILE_FORMAT_VERSION,
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "project": manifest.project_name,
        "tables": {},
    }
    with _progress_bar(progress) as bar:
        task = bar.add_task("profile", total=len(selected))
        for table in selected:
            bar.update(task, description=f"profiling {table.name}")
            profile["tables"][table.name] = profile_table(
                manifest, con, table, findings=findings, options=options
            )
            bar.advance(task)
    return profile


def profile_table(
    manifest: Manifest,
    con: DuckDBPyConnection,
    table: Table,
    *,
    findings: Sequence[KeyFinding],
    options: ProfileOptions | None = None,
) -> dict[str, Any]:
    """The profile of one synth model, over its training rows; ``findings`` from check_keys."""
    started = time.perf_counter()
    options = options or options_for(manifest)
    relation = training_relation_sql(manifest, table.name, findings=findings)
    specs = column_specs(con, table)
    rows, columns = profile_columns(con, table.name, relation, specs, options)
    source_rows = next(
        (f.row_count for f in findings if f.table == table.name and f.check == "rows"), rows
    )
    if rows == 0:
        raise ProfileError(
            f"model {table.name} has {source_rows} rows, but none is left once orphan rows are left out",
            table=table.name,
            hint="every row references a missing parent row: check the foreign keys' "
            "to_columns, or set orphans: null on the model if its keys may be null",
        )
    out = {
        "row_count": rows,
        "source_row_count": source_rows,
        "mode": table.synth.mode,
        "columns": columns,
        "primary_key": _primary_key(table, findings),
        "unique_keys": [_key_entry(f) for f in _table_findings(findings, table.name, "unique")],
        "foreign_keys": [
            _foreign_key(manifest, con, table, f, findings)
            for f in _table_findings(findings, table.name, "foreign_key")
        ],
        "correlations": compute_correlations(
            con,
            table.name,
            relation,
            correlation_columns(table, specs, options.max_correlation_columns),
        ),
    }
    logger.info(
        "profiled %s: %d rows, %d columns in %.2fs",
        table.name,
        rows,
        len(columns),
        time.perf_counter() - started,
    )
    return out


def _table_findings(findings: Sequence[KeyFinding], table: str, check: str) -> list[KeyFinding]:
    return [f for f in findings if f.table == table and f.check == check]


def _key_entry(finding: KeyFinding) -> dict[str, Any]:
    return {
        "columns": finding.columns,
        "duplicate_count": finding.duplicate_count,
        "null_count": finding.null_count,
        "unique": finding.duplicate_count == 0 and finding.null_count == 0,
    }


def _primary_key(table: Table, findings: Sequence[KeyFinding]) -> dict[str, Any] | None:
    found = _table_findings(findings, table.name, "primary_key")
    return _key_entry(found[0]) if found else None


def _foreign_key(
    manifest: Manifest,
    con: DuckDBPyConnection,
    table: Table,
    finding: KeyFinding,
    findings: Sequence[KeyFinding],
) -> dict[str, Any]:
    fk = next(k for k in table.foreign_keys if k.name == finding.fk_name)
    return {
        "name": fk.name,
        "columns": fk.columns,
        "parent": fk.parent,
        "parent_columns": fk.parent_columns,
        "null_count": finding.null_count,
        "null_rate": finding.null_count / finding.row_count if finding.row_count else 0.0,
        "orphan_count": finding.orphan_count,
        "orphan_policy": fk.orphan_policy,
        "orphan_action": orphan_action(fk) if finding.orphan_count else "none",
        "child_count": child_count_distribution(manifest, con, table.name, fk, findings=findings),
    }


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    )


# ---- files -----------------------------------------------------------------------------
def write_profile(profile: dict[str, Any], path: str | Path) -> Path:
    """Write ``profile`` as JSON to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    write_text_atomic(path, json.dumps(profile, indent=2, allow_nan=False) + "\n")
    logger.debug("wrote profile of %d tables to %s", len(profile.get("tables", {})), path)
    return path


def load_profile(path: str | Path) -> dict[str, Any]:
    """Read a profile written by :func:`write_profile`, checking its format version."""
    path = Path(path)
    try:
        profile = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(
            "no profile found", path=path, hint="run `shive profile` (or `shive run`) first"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(
            f"the profile cannot be read: {exc}",
            path=path,
            hint="delete it and run `shive profile` again",
        ) from exc
    version = profile.get("format_version") if isinstance(profile, dict) else None
    if not isinstance(version, int) or not isinstance(profile.get("tables"), dict):
        raise ProfileError("not a shive profile (no format_version or tables)", path=path,
                           hint="run `shive profile` to write a new one")  # fmt: skip
    if version > PROFILE_FORMAT_VERSION:
        raise ProfileError(
            f"the profile has format version {version}, newer than this shive reads ({PROFILE_FORMAT_VERSION})",
            path=path,
            hint="upgrade synthohive_dbt, or run `shive profile` again with this version",
        )
    return profile
