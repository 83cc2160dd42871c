"""``shive validate`` beyond loading: the real data's key checks, undeclared PII, a summary.

Loading (:func:`~synthohive_dbt.project.load_project`) already refuses every
configuration error; this adds the checks that need the rows (duplicate or null
primary keys, orphan foreign keys, empty tables), which the profiling stage provides,
and reports columns that look like personal data but have no ``config.pii``
(:mod:`.pii_scan`), with the declaration to add.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..log import event
from ..project.formats import refresh_sources
from ..project.sources import open_real_connection
from .pii_scan import (
    detection_enabled,
    log_pii_summary,
    log_rare_values,
    protect_undeclared,
    scan_undeclared_pii,
)

if TYPE_CHECKING:
    import duckdb

    from ..privacy import PiiFinding
    from ..project.model import Manifest

log = logging.getLogger(__name__)


def plural(n: int, word: str) -> str:
    """``1 model``, ``2 models``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def describe_manifest(manifest: Manifest) -> str:
    """``Found 2 models (2 synth, 0 derived), 2 sources, 1 foreign key, ...``."""
    tables = list(manifest.tables.values())
    tests = sum(len(t.tests) + sum(len(c.tests) for c in t.columns) for t in tables)
    return (
        f"Found {plural(len(tables), 'model')} ({len(manifest.synth_tables())} synth, "
        f"{len(manifest.derived_tables())} derived), {plural(len(manifest.sources), 'source')}, "
        f"{plural(sum(len(t.foreign_keys) for t in tables), 'foreign key')}, "
        f"{plural(sum(len(t.checks) for t in tables), 'check constraint')}, "
        f"{plural(tests, 'data test')}"
    )


def check_real_keys(manifest: Manifest, con: duckdb.DuckDBPyConnection) -> list[Any]:
    """Run ``profiling.check_keys`` (when that stage is installed); ProfileError on a broken key."""
    try:
        from ..profiling import check_keys
    except ImportError:
        log.debug("profiling.check_keys is not available; key checks on the real data skipped")
        return []
    findings = list(check_keys(manifest, con) or [])  # logs its own warnings
    warned = sum(1 for f in findings if getattr(f, "status", None) == "warn")
    event(
        f"Checked the real data's keys: {plural(len(findings), 'check')}, {plural(warned, 'warning')}",
        event="key_checks",
        checks=len(findings),
        warnings=warned,
    )
    return findings


def check_undeclared_pii(manifest: Manifest, con: duckdb.DuckDBPyConnection) -> list[PiiFinding]:
    """Scan every synth model for undeclared PII and act on it (``privacy.undeclared``).

    Logs, per finding, what ``run`` will do (protect: fake or drop it, with the YAML that
    pins the decision; warn: train on it), then the count. With ``error`` it raises.
    """
    if not detection_enabled(manifest):
        log.debug("undeclared PII scan skipped: privacy: {detect: false}")
        return []
    findings = scan_undeclared_pii(manifest, con)
    protect_undeclared(findings, manifest)
    log_pii_summary(findings, scanned_tables=len(manifest.synth_tables()))
    return findings


def validate_project(manifest: Manifest) -> list[PiiFinding]:
    """Check the real data's keys, look for undeclared PII, log what the project contains.

    Logs, per learned text column with values seen fewer than ``privacy.min_count``
    times, that ``run`` writes stand-ins of them. Returns the PII findings
    (``privacy.PiiFinding``); with ``privacy.undeclared: protect``
    (the default) the manifest's flagged columns are protected from here on, with
    ``error`` a finding is a :class:`~synthohive_dbt.errors.PrivacyError`.
    """
    refresh_sources(manifest)  # plug-in sources (Spark): the rows checked are their samples
    with open_real_connection(manifest) as con:
        check_real_keys(manifest, con)
        findings = check_undeclared_pii(manifest, con)
        log_rare_values(manifest, con)
    event(describe_manifest(manifest), event="validated", order=manifest.order)
    return findings
