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


def privacy_headline(summary: dict[str, dict[str, Any]] | None) -> dict[str, Any] | None:
    """The header's two privacy figures over every tested table, beside the fidelity score.

    ``exact_match``: the share of synthetic rows equal to a real row, and the same share
    of real rows among themselves (the baseline); ``closest_record``: the share of
    synthetic rows nearer to a real row than the real rows' cut-off, and the real rows'
    own share. Each is a mean over tables weighted by the rows measured; a status is the
    worst of the tables' verdicts. None when no privacy test ran.
    """
    if not summary:
        return None
    exact = [f for f in (t.get("exact_match") for t in summary.values()) if f]
    closer = [f for f in (t.get("dcr") for t in summary.values()) if f and f.get("closer")]
    if not exact and not closer:
        return None
    return {
        "exact_match": _weighted(exact, lambda f: f, _synthetic_rows) if exact else None,
        "closest_record": _weighted(closer, lambda f: f["closer"], _dcr_rows) if closer else None,
    }


_WORST = ("error", "fail", "warn", "pass", "skipped")


def _weighted(
    figures: list[dict[str, Any]], shares: Any, rows: Any
) -> dict[str, Any]:
    weights = [max(rows(f), 0) for f in figures]
    total = sum(weights) or len(figures)
    weights = weights if sum(weights) else [1] * len(figures)

    def mean(key: str) -> float | None:
        values = [(shares(f).get(key), w) for f, w in zip(figures, weights)]
        known = [(v, w) for v, w in values if isinstance(v, (int, float))]
        return sum(v * w for v, w in known) / sum(w for _, w in known) if known else None

    statuses = [str(f.get("status")) for f in figures]
    return {
        "synthetic_share": mean("synthetic_share"),
        "holdout_share": mean("holdout_share"),
        "status": min(statuses, key=lambda s: _WORST.index(s) if s in _WORST else len(_WORST)),
        "tables": len(figures),
        "rows": total,
    }


def _synthetic_rows(figures: dict[str, Any]) -> int:
    rows = figures.get("rows") or {}
    return int(rows.get("synthetic") or 0)


def _dcr_rows(figures: dict[str, Any]) -> int:
    rows = (figures.get("rows") or {}).get("dcr") or {}
    return int(rows.get("synthetic") or 0)


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
