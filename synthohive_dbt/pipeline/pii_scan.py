"""Undeclared PII in the real data: what ``validate`` and ``profile`` find, and what ``run`` does.

A column without a ``config.pii`` declaration would reach training as it is. This scan
reads a small seeded sample of each synth model's real rows (only the undeclared, non-key
columns; DuckDB's reservoir sampling, so memory stays bounded by the sample) and runs
:func:`~synthohive_dbt.privacy.detect_pii` on it. What it finds is handled by the
project's ``privacy.undeclared`` (:func:`protect_undeclared`):

* ``protect`` (the default): the column is protected as if declared (fake for its kind,
  drop for free text; :func:`~synthohive_dbt.privacy.protect.protection_for`), and the
  decision is logged with the YAML that pins it;
* ``error``: the command stops until the columns are declared;
* ``warn``: a warning per column, and the raw values are trained on.

``privacy: {detect: false}`` in ``shive_project.yml`` turns the scan off. Findings carry
no value of the data (kind, share of matching values, the action), so they may be logged
and written to ``target/profile.json``, from where later commands (``train``, ``test``,
``report``, on a portable ``target/`` too) re-apply the same protections
(:func:`protect_recorded`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import PrivacyError, ProfileError
from ..log import event
from ..privacy.policy import detection_enabled, privacy_min_count, undeclared_policy
from ..project.sources import model_relation
from ..quoting import quote_identifier

if TYPE_CHECKING:
    from ..privacy import PiiFinding
    from ..project.model import Manifest, PiiConfig, Table

log = logging.getLogger(__name__)

#: rows sampled per table for detection (detection looks at most at 1000 values a column)
SAMPLE_ROWS = 1000
#: fields of a finding written to profile.json (``pii_findings``); none holds a value
FINDING_FIELDS = ("table", "column", "kind", "confidence", "reason", "suggestion",
                  "match_share", "sampled", "action")  # fmt: skip


def user_declared(table: Table) -> dict[str, PiiConfig]:
    """The columns whose ``config.pii`` the user wrote (protections detection added excluded)."""
    return {c.name: c.pii for c in table.columns if c.pii is not None and c.pii.source != "detected"}


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
    nor are columns with a ``config.pii`` the user wrote (any action: a declaration is
    authoritative); columns an earlier scan protected are examined again.
    ``seed`` (default: the project's seed) fixes the sample. Returns [] when detection
    is disabled.
    """
    if not detection_enabled(manifest):
        log.debug("PII detection is disabled (privacy: {detect: false})")
        return []
    from ..privacy import detect_pii

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
        findings += detect_pii(sample, declared=user_declared(table), table=table.name)
    return findings


def candidate_columns(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    """The model view's columns that detection examines: undeclared, not a PK/FK column."""
    skipped = set(table.primary_key) | set(user_declared(table))
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


# ---- acting on the findings ----------------------------------------------------------------
def protect_undeclared(findings: Sequence[PiiFinding], manifest: Manifest) -> None:
    """Carry out ``privacy.undeclared`` for ``findings`` and log what was decided.

    ``protect``: each flagged column gets the declaration its kind calls for on
    ``manifest`` (``source: detected``) and ``finding.action`` says which. ``error``:
    a :class:`PrivacyError` listing every column and the YAML to add. ``warn``: a
    warning per column; they are trained on as they are.
    """
    if not findings:
        return
    policy = undeclared_policy(manifest)
    if policy == "error":
        raise _undeclared_error(findings, manifest)
    if policy == "warn":
        log_pii_findings(findings, manifest)
        return
    for finding in findings:
        pii = _protect(finding, manifest)
        if pii is not None:
            _log_protection(finding, pii, manifest)


def protect_recorded(manifest: Manifest, profile: dict[str, Any] | None) -> int:
    """Re-apply the protections recorded in ``profile.json``'s ``pii_findings``; return how many.

    Commands that do not scan the real data (``train``, ``generate``, ``test``,
    ``report``, a portable ``target/`` without sources) protect the same columns the
    profile step did. A column the user has declared since keeps its declaration.
    """
    if not detection_enabled(manifest) or undeclared_policy(manifest) != "protect":
        return 0
    from ..privacy import PiiFinding

    applied = 0
    for record in (profile or {}).get("pii_findings") or []:
        if not isinstance(record, dict):
            continue
        known = {k: record[k] for k in FINDING_FIELDS if k in record}
        try:
            finding = PiiFinding(**known)
        except TypeError:
            log.debug("ignoring a malformed pii_findings entry in profile.json: %s", record)
            continue
        if _protect(finding, manifest) is not None:
            applied += 1
    if applied:
        log.debug("re-applied %d detected PII protection(s) recorded in profile.json", applied)
    return applied


def _protect(finding: PiiFinding, manifest: Manifest) -> PiiConfig | None:
    from ..privacy.protect import protection_for

    table = manifest.tables.get(finding.table or "")
    if table is None or finding.column not in table.column_names:
        return None
    column = table.column(finding.column)
    if column.pii is not None and column.pii.source != "detected":
        return None  # the user's declaration wins
    privacy = (manifest.settings or {}).get("privacy") or {}
    column.pii = protection_for(finding, column, table=table.name, locale=privacy.get("locale"))
    finding.action = column.pii.action
    return column.pii


def _undeclared_error(findings: Sequence[PiiFinding], manifest: Manifest) -> PrivacyError:
    entries = []
    for finding in findings:
        snippet = "\n".join(f"      {line}" for line in finding.as_yaml().splitlines())
        entries.append(f"  {finding.describe()}\n    in {_where_declared(manifest, finding.table)}:\n{snippet}")
    return PrivacyError(
        f"{len(findings)} undeclared column(s) look like personal data "
        "(privacy.undeclared: error):\n" + "\n".join(entries),
        hint="declare each in schema.yml as shown (or pii: {action: keep} to train on its raw "
        "values), or set privacy: {undeclared: protect} in shive_project.yml to protect them "
        "automatically",
        table=findings[0].table,
        column=findings[0].column,
    )


_DOING = {"fake": "replaced by fake values", "drop": "dropped (generated as nulls)"}


def _log_protection(finding: PiiFinding, pii: PiiConfig, manifest: Manifest) -> None:
    """The decision, the YAML that pins it, and the opt-out: one WARN line."""
    from ..privacy.protect import keep_yaml, pin_yaml

    where = f"{finding.table}.{finding.column}"
    kind = f" ({pii.kind})" if pii.action == "fake" else ""
    pin = "\n".join(f"      {line}" for line in pin_yaml(finding.column, pii).splitlines())
    keep = "\n".join(f"      {line}" for line in keep_yaml(finding.column).splitlines())
    share = (
        f"{finding.match_share:.0%} of {finding.sampled} sampled values, "
        if finding.match_share is not None
        else ""
    )
    event(
        f"[WARNING]: undeclared PII protected: {where} looks like {finding.kind} (by "
        f"{finding.reason}, {share}confidence {finding.confidence:.2f}); run trains without "
        f"its real values: it is {_DOING.get(pii.action, pii.action)}{kind} "
        f"(privacy.undeclared: protect)\n"
        f"    pin this in {_where_declared(manifest, finding.table)}:\n{pin}\n"
        f"    or, to train on its raw values:\n{keep}",
        level=logging.WARNING,
        event="pii_protected",
        **finding_record(finding),
    )


# ---- rare values ---------------------------------------------------------------------------
def log_rare_values(manifest: Manifest, con: duckdb.DuckDBPyConnection) -> int:
    """Per learned text column (not a key, not PII), say when some of its values are rare:
    ``run`` writes stand-ins of their shape instead (``privacy.min_count``). Returns how
    many columns have rare values. Counts only, no value."""
    k = privacy_min_count(manifest)
    found = 0
    for table in manifest.synth_tables():
        if table.synth.mode == "copy":
            continue  # copied as it is: the user's reference data
        for name in _rare_candidates(table):
            rare, rows, distinct = _rare_counts(con, table.name, name, k)
            if not rare:
                continue
            found += 1
            whole = " (all of them: the column is generated as stand-ins)" if rare == distinct else ""
            event(
                f"{table.name}.{name}: {rare} of {distinct} distinct values ({rows} rows) are seen "
                f"fewer than {k} times; run writes stand-ins of their shape instead{whole} "
                "(privacy.min_count; pii: {action: keep} keeps them)",
                event="rare_values",
                table=table.name,
                column=name,
                rare=rare,
                rows=rows,
                distinct=distinct,
            )
    return found


def _rare_candidates(table: Table) -> list[str]:
    from ..privacy import key_columns

    keys = key_columns(table)
    return [
        c.name
        for c in table.columns
        if c.kind in ("categorical", "text") and c.name not in keys and not c.unique and c.pii is None
    ]


def _rare_counts(con: duckdb.DuckDBPyConnection, table: str, column: str, k: int) -> tuple[int, int, int]:
    name = quote_identifier(column)
    sql = (
        f"SELECT count(*) FILTER (WHERE _n < {int(k)}), "
        f"coalesce(sum(_n) FILTER (WHERE _n < {int(k)}), 0), count(*) "
        f"FROM (SELECT {name}, count(*) AS _n FROM {model_relation(table)} "
        f"WHERE {name} IS NOT NULL GROUP BY ALL) AS _c"
    )
    rare, rows, distinct = _run(con, sql, table).fetchall()[0]
    return int(rare), int(rows), int(distinct)


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
    """The closing count: a WARN when anything was found, INFO otherwise; and what was done."""
    count = len(findings)
    scanned = (
        f"Scanned {scanned_tables} table{'' if scanned_tables == 1 else 's'} for undeclared PII"
    )
    if not count:
        event(f"{scanned}: none found", event="pii_summary", findings=0)
        return
    them = "it" if count == 1 else "them"
    protected = sum(1 for f in findings if f.action is not None)
    done = (
        f"protected {protected} (faked or dropped before training); pin {them} in schema.yml "
        "(config.pii), or opt out with pii: {action: keep}"
        if protected
        else f"declare {them} in schema.yml (config.pii), or opt out with pii: {{action: keep}}; "
        f"until then {them} {'is' if count == 1 else 'are'} trained on as found "
        "(privacy.undeclared: warn)"
    )
    event(
        f"{scanned}: {count} column{' looks' if count == 1 else 's look'} like personal data; "
        + done,
        level=logging.WARNING,
        event="pii_summary",
        findings=count,
    )
