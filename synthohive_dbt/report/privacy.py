"""The report's privacy section: per table, the figures the privacy tests measured.

Everything comes from the test results (``run_results.json``): exact-match shares and
distance-to-closest-record quantiles are aggregates ``shive test`` computed against a
sample of the real rows; the report itself reads no real row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..datatests.runner import TestResult

#: the DCR quantiles shown, in order
QUANTILES = ("p05", "p25", "p50", "p75")


def privacy_summary(results: Iterable[TestResult]) -> dict[str, dict[str, Any]]:
    """``{table: {"exact_match": ..., "dcr": ...}}`` from the privacy test results, tables in run order."""
    out: dict[str, dict[str, Any]] = {}
    for result in results:
        if result.category != "privacy":
            continue
        entry = out.setdefault(result.table, {"exact_match": None, "dcr": None})
        entry[result.kind] = _figures(result)
    return out


def _figures(result: TestResult) -> dict[str, Any]:
    details = result.details or {}
    figures: dict[str, Any] = {
        "name": result.name,
        "status": result.status,
        "severity": result.severity,
        "message": result.message,
        "statistic": result.statistic,
        "threshold": result.threshold,
        "rows": details.get("rows"),
        "columns": details.get("columns"),
    }
    if result.kind == "exact_match":
        figures["synthetic_share"] = details.get("synthetic_share")
        figures["holdout_share"] = details.get("holdout_share")
    else:
        figures["dcr_columns"] = details.get("dcr_columns")
        figures["synthetic"] = _quantiles(details.get("synthetic"))
        figures["holdout"] = _quantiles(details.get("holdout"))
        figures["closer"] = details.get("closer")
    return figures


def _quantiles(stats: Any) -> dict[str, float | None] | None:
    if not isinstance(stats, dict):
        return None
    return {q: stats.get(q) for q in (*QUANTILES, "mean", "zero_share")}
