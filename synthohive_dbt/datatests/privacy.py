"""Privacy tests: does the synthetic copy reproduce real records?

Two kinds per learned table, both measured against a seeded sample of the real rows
(as training saw them, after the PII actions) and judged relative to the real rows
themselves, each held out in turn against the others (see
:func:`~synthohive_dbt.privacy.measure.measure_privacy`):

* ``exact_match``: the share of synthetic rows equal to a real row on the learned
  columns, against the share of real rows equal to another real row. Fails when the
  synthetic share exceeds the real one by more than ``exact_match_tolerance`` plus a
  sampling-noise allowance of :data:`NOISE_Z` standard errors. Severity ``error`` by
  default.
* ``dcr``: distance to the closest real row (DCR). The real rows' 5th percentile is
  the cut-off "closer than 95 % of real rows come to each other" (their smallest
  positive distance when that is 0); fails when the share of synthetic rows below it
  exceeds the real rows' own share (about 5 %) by more than ``dcr_tolerance`` plus the
  same noise allowance. Near-copies (real rows with small changes) land there; fresh
  rows do not. Severity ``warn`` by default.

Neither can be SQL over the synthetic tables alone: both need real rows, which tests
may embed only as aggregates. ``shive test`` runs them in Python
(:mod:`.privacy_run`); ``target/tests`` gets a file replaying the recorded verdict for
dbt (:func:`~.writer.privacy_test_text`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..project.model import Manifest, Severity, Table
from .integrity import output_columns
from .model import Category
from .naming import make_test_name
from .privacy_settings import (
    PrivacyThresholds,
    check_table_names,
    privacy_settings,
)

log = logging.getLogger(__name__)

#: standard errors of the share difference allowed on top of the tolerance (one-sided,
#: about 1 in 700 for a generator that copies no more than real rows repeat each other)
NOISE_Z = 3.0
#: fewer real or synthetic rows than this: no verdict
MIN_ROWS = 10
#: PII actions whose columns leave the training frame (generation re-creates them)
_REMOVED = ("fake", "drop")


@dataclass
class PrivacyTest:
    """One privacy test of one table; run by :func:`~.privacy_run.run_privacy_tests`."""

    name: str
    table: str
    kind: str  # exact_match | dcr
    severity: Severity
    description: str
    columns: list[str]  # the learned columns compared
    threshold: float
    settings: PrivacyThresholds
    category: Category = "privacy"
    column: str | None = None
    relations: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    """What a measurement says under a test's thresholds; ``failed`` None: cannot tell."""

    failed: bool | None
    statistic: float | None
    threshold: float | None
    message: str
    details: dict[str, Any]


# ---- emission ----------------------------------------------------------------------------
def emit_privacy_tests(manifest: Manifest, *, settings: Mapping[str, Any] | None = None) -> list[PrivacyTest]:
    """The privacy tests of every learned synth table, in graph order.

    ``settings`` is the project's ``data_tests:`` mapping (None reads the manifest's).
    Copied tables (``synth: {mode: copy}``) are copies by design and derived models are
    SQL over synthetic tables, so neither is tested; nor is a table with no learned
    column left to compare.
    """
    if settings is None:
        from .emit import project_test_settings

        settings = project_test_settings(manifest)
    rules = privacy_settings(settings)
    check_table_names(rules, list(manifest.tables))
    tests: list[PrivacyTest] = []
    for table in manifest.synth_tables():
        th = rules.for_table(table.name)
        columns = learned_columns(table)
        if not th.enabled or table.synth.mode == "copy":
            continue
        if not columns:
            log.debug("%s: no learned column to compare, no privacy tests", table.name)
            continue
        tests.append(_exact_match_test(table, columns, th))
        tests.append(_dcr_test(table, columns, th))
    return tests


def learned_columns(table: Table) -> list[str]:
    """The columns whose values the model learns: no keys, no PII that is faked or dropped.

    Keys (primary, foreign, and single-column unique non-PII columns, which generation
    numbers afresh) never reach the model, nor do ``fake`` and ``drop`` columns; ``hash``
    and ``mask`` columns are learned in their transformed form, ``keep`` as they are.
    """
    keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    out = []
    for column in output_columns(table):
        pii = column.pii
        action = pii.action if pii is not None else None
        sequence = (column.unique or [column.name] in table.unique_keys) and action in (None, "keep")
        if column.name in keys or sequence or action in _REMOVED:
            continue
        out.append(column.name)
    return out


def _exact_match_test(table: Table, columns: list[str], th: PrivacyThresholds) -> PrivacyTest:
    return PrivacyTest(
        name=make_test_name("exact_match", table.name, []),
        table=table.name,
        kind="exact_match",
        severity=th.exact_match_severity,
        description=(
            f"share of synthetic {table.name} rows equal to a real row on their {len(columns)} learned "
            f"columns exceeds that of real rows equal to another real row by at most "
            f"{th.exact_match_tolerance:g} (plus sampling noise)"
        ),
        columns=list(columns),
        threshold=th.exact_match_tolerance,
        settings=th,
        relations=[table.name],
    )


def _dcr_test(table: Table, columns: list[str], th: PrivacyThresholds) -> PrivacyTest:
    return PrivacyTest(
        name=make_test_name("dcr", table.name, []),
        table=table.name,
        kind="dcr",
        severity=th.dcr_severity,
        description=(
            f"share of synthetic {table.name} rows closer to a real row than 95% of real rows come to "
            f"another exceeds that of real rows by at most {th.dcr_tolerance:g} (plus sampling noise)"
        ),
        columns=list(columns),
        threshold=th.dcr_tolerance,
        settings=th,
        relations=[table.name],
    )


# ---- verdicts ----------------------------------------------------------------------------
def judge(test: PrivacyTest, measurement: Mapping[str, Any]) -> Verdict:
    """The verdict of ``test`` on a :func:`measure_privacy` result."""
    if test.kind == "exact_match":
        return exact_match_verdict(measurement, test.settings.exact_match_tolerance)
    return dcr_verdict(measurement, test.settings.dcr_tolerance)


def share_excess(synthetic: float, holdout: float, n_s: int, n_h: int, tolerance: float) -> dict[str, float]:
    """``synthetic - holdout`` (shares of ``n_s`` and ``n_h`` rows) and what it may be:
    ``tolerance`` plus :data:`NOISE_Z` standard errors.

    The standard error is that of a difference of two proportions under the pooled
    share, so a small table (few rows, noisy shares) gets a wider allowance.
    """
    pooled = (synthetic * n_s + holdout * n_h) / (n_s + n_h)
    noise = NOISE_Z * math.sqrt(pooled * (1 - pooled) * (1 / n_s + 1 / n_h))
    return {"excess": synthetic - holdout, "noise_allowance": noise, "allowed": tolerance + noise}


def exact_match_verdict(measurement: Mapping[str, Any], tolerance: float) -> Verdict:
    """Synthetic exact-match share minus the real rows' own, against tolerance + noise allowance."""
    rows = measurement["rows"]
    shares = measurement["exact_match"]
    base = {"rows": rows, "columns": measurement["columns"], "tolerance": tolerance}
    n_s, n_h = rows["synthetic"], rows["real"]
    if min(n_s, n_h) < MIN_ROWS or shares["synthetic_share"] is None:
        return Verdict(None, None, None, _too_few(n_h, n_s), base)
    s, h = shares["synthetic_share"], shares["holdout_share"]
    excess = share_excess(s, h, n_s, n_h, tolerance)
    text = (
        f"{s:.1%} of {n_s} synthetic rows equal one of {n_h} real rows; {h:.1%} of the real rows "
        f"equal another (excess {excess['excess']:+.3f}, allowed {tolerance:g} + "
        f"{excess['noise_allowance']:.3f} sampling noise)"
    )
    details = {**base, "synthetic_share": s, "holdout_share": h, **excess}
    return Verdict(excess["excess"] > excess["allowed"], excess["excess"], excess["allowed"], text, details)


def dcr_verdict(measurement: Mapping[str, Any], tolerance: float) -> Verdict:
    """Share of synthetic rows closer than the real rows' low DCR quantile, minus the real rows' own."""
    rows = measurement["rows"]
    dcr = measurement["dcr"]
    dcr_columns = measurement.get("dcr_columns", measurement["columns"])
    base = {"rows": rows, "columns": measurement["columns"], "dcr_columns": dcr_columns,
            "tolerance": tolerance, "synthetic": dcr["synthetic"], "holdout": dcr["holdout"]}  # fmt: skip
    if not dcr_columns:
        return Verdict(None, None, None, (
            "every learned column is identifier-like (mostly distinct values): no distance to "
            "measure (exact_match covers this table)"
        ), base)  # fmt: skip
    used = rows.get("dcr") or {}
    n_s, n_h = used.get("synthetic", 0), used.get("real", 0)
    if min(n_s, n_h) < MIN_ROWS or dcr["synthetic"] is None:
        return Verdict(None, None, None, _too_few(n_h, n_s), base)
    closer = dcr["closer"]
    s, h = closer["synthetic_share"], closer["holdout_share"]
    excess = share_excess(s, h, n_s, n_h, tolerance)
    details = {**base, "closer": closer, **excess}
    if closer["quantile"] == "zero":
        text = (
            "every real row equals another real row on the compared columns, so no synthetic row "
            "can come closer (exact_match decides on copies)"
        )
        return Verdict(False, excess["excess"], excess["allowed"], text, details)
    where = "the p05" if closer["quantile"] == "p05" else "the smallest positive"
    text = (
        f"{s:.1%} of synthetic rows are closer to a real row than {closer['distance']:.3g}, {where} "
        f"distance of real rows to each other ({h:.1%} of them are closer); excess "
        f"{excess['excess']:+.3f}, allowed {tolerance:g} + {excess['noise_allowance']:.3f}"
    )
    if closer["quantile"] == "p05" and dcr["synthetic"] is not None:
        ratio = dcr["synthetic"]["p05"] / closer["distance"]
        details["p05_ratio"] = ratio
        text += f"; p05 distance synthetic / real {ratio:.2f}"
    return Verdict(excess["excess"] > excess["allowed"], excess["excess"], excess["allowed"], text, details)


def _too_few(real: int, synthetic: int) -> str:
    return f"too few rows to judge: {real} real and {synthetic} synthetic rows (at least {MIN_ROWS} each)"
