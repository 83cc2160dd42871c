"""Undeclared PII in the real data: what ``validate`` and ``profile`` report, and the fix.

A column without a ``config.pii`` declaration reaches training as it is. This scan reads
a small seeded sample of each synth model's real rows (only the undeclared, non-key
columns; DuckDB's reservoir sampling, so memory stays bounded by the sample), runs
:func:`~synthohive_dbt.privacy.detect_pii` on it, and returns what looks like personal
data together with the declaration to add. It never fails a command: a finding is a
warning, and ``privacy: {detect: false}`` in ``shive_project.yml`` turns the scan off.

Findings carry no value of the data (kind, share of matching values, the suggestion),
so they may be logged and written to ``target/profile.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import ProfileError
from ..log import event
from .sources import model_relation, quote_identifier

if TYPE_CHECKING:
    from ..privacy import PiiFinding
    from .model import Manifest, Table

log = logging.getLogger(__name__)

#: rows sampled per table for detection (detection looks at most at 1000 values a column)
SAMPLE_ROWS = 1000
#: fields of a finding written to profile.json (``pii_findings``); none holds a value
FINDING_FIELDS = ("table", "column", "kind", "confidence", "reason", "suggestion",
                  "match_share", "sampled")  # fmt: skip


def detection_enabled(manifest: Manifest) -> bool:
    """False when ``shive_project.yml`` says ``privacy: {detect: false}``."""
    privacy = (manifest.settings or {}).get("privacy")
    if isinstance(privacy, dict):
        return privacy.get("detect", True) is not False
    return True


def scan_undeclared_pii(
    manifest: Manifest,
    con: duckdb.DuckDBPyConnection,
    *,
    sample_rows: int = SAMPLE_ROWS,
    seed: int | None = None,
    tables: Iterable[str] | None = None,
) -> list[PiiFinding]:
    """Findings for the undeclared columns of every synth model (or those in ``tables``).

    ``con`` holds each model as a view (``project.sources.open_real_connection``).
    Primary- and foreign-key columns are not examined (their values are generated),
    nor are columns with a ``config.pii`` (any action: a declaration is authoritative).
    ``seed`` (default: the project's seed) fixes the sample. Returns [] when detection
    is disabled.
    """
    if not detection_enabled(manifest):
        log.debug("PII detection is disabled (privacy: {detect: false})")
        return []
    from ..privacy import declared_pii, detect_pii

    seed = manifest.seed if seed is None else seed
    wanted = None if tables is None else set(tables)
    findings: list[PiiFinding] = []
    for table in manifest.synth_tables():
        if wanted is not None and table.name not in wanted:
            continue
        columns = candidate_columns(con, table)
        if not columns:
            continue
        sample = _sample(con, table.name, columns, sample_rows, seed)
        findings += detect_pii(sample, declared=declared_pii(table), table=table.name)
    return findings


def candidate_columns(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    """The model view's columns that detection examines: undeclared, not a PK/FK column."""
    skipped = set(table.primary_key) | {c.name for c in table.columns if c.pii is not None}
    for fk in table.foreign_keys:
        skipped.update(fk.columns)
    described = _run(con, f"DESCRIBE SELECT * FROM {model_relation(table.name)}", table.name).fetchall()
    return [row[0] for row in described if row[0] not in skipped and row[1] != "BOOLEAN"]


def _sample(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: int, seed: int
) -> Any:
    """A pandas frame of at most ``rows`` rows of ``columns``, the same for the same seed."""
    select = ", ".join(quote_identifier(c) for c in columns)
    sql = (
        f"SELECT {select} FROM {model_relation(table)} "
        f"USING SAMPLE reservoir({max(int(rows), 1)} ROWS) REPEATABLE ({int(seed) % 2**63})"
    )
    return _run(con, sql, table).df()


def _run(con: duckdb.DuckDBPyConnection, sql: str, table: str) -> duckdb.DuckDBPyConnection:
    log.debug("PII scan of %s:\n%s", table, sql)
    try:
        return con.execute(sql)
    except duckdb.Error as exc:
        raise ProfileError(
            f"could not sample model {table} for PII detection: {str(exc).strip().splitlines()[0]}",
            table=table,
            hint="check that the model's SQL runs against the real data (`shive validate`), "
            "or turn detection off with privacy: {detect: false} in shive_project.yml",
        ) from exc


# ---- reporting ----------------------------------------------------------------------------
def finding_record(finding: PiiFinding) -> dict[str, Any]:
    """The JSON entry of a finding in profile.json's ``pii_findings``: no data values."""
    data = finding.to_dict()
    return {key: data.get(key) for key in FINDING_FIELDS}


def log_pii_findings(findings: Sequence[PiiFinding], manifest: Manifest | None = None) -> None:
    """One WARN line per finding: where, what, why, and the YAML to paste under ``columns:``."""
    for finding in findings:
        snippet = "\n".join(f"      {line}" for line in finding.as_yaml().splitlines())
        event(
            f"[WARNING]: undeclared PII: {finding.describe()}\n"
            f"    add it to {_where_declared(manifest, finding.table)}:\n{snippet}",
            level=logging.WARNING,
            event="pii_finding",
            **finding_record(finding),
        )


def _where_declared(manifest: Manifest | None, table: str | None) -> str:
    """``the columns of model orders in models/schema.yml``: where the declaration goes."""
    model = manifest.tables.get(table) if manifest is not None and table else None
    where = f"the columns of model {table}" if table else "the model's columns"
    if model is not None and model.schema_path:
        return f"{where} in {model.schema_path}"
    return f"{where} in a schema yml"


def log_pii_summary(findings: Sequence[PiiFinding], *, scanned_tables: int) -> None:
    """The closing count: a WARN when anything was found, INFO otherwise."""
    count = len(findings)
    scanned = (
        f"Scanned {scanned_tables} table{'' if scanned_tables == 1 else 's'} for undeclared PII"
    )
    if not count:
        event(f"{scanned}: none found", event="pii_summary", findings=0)
        return
    event(
        f"{scanned}: {count} column{' looks' if count == 1 else 's look'} like personal data; "
        f"declare {'it' if count == 1 else 'them'} in schema.yml (config.pii), or opt out "
        "with pii: {action: keep}",
        level=logging.WARNING,
        event="pii_summary",
        findings=count,
    )
