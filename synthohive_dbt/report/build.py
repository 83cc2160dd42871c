"""``shive report``: ``report.html`` (self-contained) and ``report.json`` from the same data."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..atomic import write_text_atomic
from ..datatests.runner import STATUSES, TestResult, TestRunResult
from ..errors import DataTestError
from ..project.model import Manifest
from . import plots
from .collect import SAMPLE_ROWS, ColumnData, TableData, collect
from .privacy import QUANTILES, privacy_headline, privacy_summary
from .template import render_page

if TYPE_CHECKING:
    from ..targets.base import TargetAdapter

log = logging.getLogger(__name__)

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
FORMAT_VERSION = 1


@dataclass
class Plot:
    caption: str
    png: str  # base64


def build_report(
    manifest: Manifest,
    profile: Mapping[str, Any] | None,
    adapter: TargetAdapter,
    test_result: TestRunResult | None,
    out_dir: str | Path,
    *,
    sample_rows: int = SAMPLE_ROWS,
) -> Path:
    """Write ``<out_dir>/report.html`` and ``<out_dir>/report.json``; return the HTML path.

    ``adapter`` must be connected; it is read for synthetic aggregates and a sample of
    at most ``sample_rows`` rows per table. ``test_result`` (from ``run_tests`` or
    ``load_run_results``) supplies the verdicts and the score; None leaves them out.
    """
    out_dir = Path(out_dir)
    tables = collect(manifest, profile, adapter, sample_rows=sample_rows)
    results = test_result.results if test_result is not None else []
    document = report_dict(manifest, tables, test_result, adapter.describe())
    page = render_page(
        project=manifest.project_name,
        target=adapter.describe(),
        generated_at=document["generated_at"],
        verdict_class=_verdict(test_result)[0],
        verdict_text=_verdict(test_result)[1],
        score=document["fidelity_score"],
        headline=document["privacy_headline"],
        counts=test_result.counts if test_result is not None else None,
        tables=[_table_view(t, results, test_result) for t in tables],
        privacy=document["privacy"],
        quantiles=QUANTILES,
        results=results,
        sample_rows=sample_rows,
        version=__version__,
    )
    html_path = out_dir / REPORT_HTML
    _write_atomic(html_path, page)
    _write_atomic(out_dir / REPORT_JSON, json.dumps(document, indent=2, default=str))
    log.info("wrote %s", html_path)
    return html_path


# ---- report.json -----------------------------------------------------------------------
def report_dict(
    manifest: Manifest, tables: list[TableData], test_result: TestRunResult | None, target: str
) -> dict[str, Any]:
    """The machine-readable report: verdict, score, per-table aggregates, test results."""
    results = test_result.results if test_result is not None else []
    summaries = test_result.tables if test_result is not None else {}
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "project": manifest.project_name,
        "target": target,
        "passed": test_result.success if test_result is not None else None,
        "fidelity_score": test_result.fidelity_score if test_result is not None else None,
        "privacy_headline": privacy_headline(privacy_summary(results)) if test_result is not None else None,
        "counts": test_result.counts if test_result is not None else None,
        "tables": {
            t.name: {
                "score": summaries[t.name].score if t.name in summaries else None,
                "rows": {"real": t.real_rows, "synthetic": t.synthetic_rows},
                "error": t.error,
                "columns": {
                    c.name: {
                        "kind": c.kind,
                        "real": {k: c.real.get(k) for k in ("null_rate", "mean", "std", "distinct_count")},
                        "synthetic": c.synthetic,
                        "tests": [_brief(r) for r in _column_results(results, t.name, c.name)],
                    }
                    for c in t.columns
                },
                "foreign_keys": {
                    fk.name: {
                        "parent": fk.parent,
                        "columns": fk.columns,
                        "real_histogram": {str(k): v for k, v in sorted(fk.real_histogram.items())},
                        "synthetic_histogram": {str(k): v for k, v in sorted(fk.synthetic_histogram.items())},
                    }
                    for fk in t.foreign_keys
                },
                "correlations": {
                    "columns": t.correlation_columns,
                    "real": t.real_correlations,
                    "synthetic": t.synthetic_correlations,
                } if t.correlation_columns else None,
            }
            for t in tables
        },
        "privacy": privacy_summary(results) if test_result is not None else None,
        "tests": [r.to_dict() for r in results],
    }


def _brief(result: TestResult) -> dict[str, Any]:
    return {
        "name": result.name, "kind": result.kind, "status": result.status,
        "statistic": result.statistic, "threshold": result.threshold,
    }


def _column_results(results: list[TestResult], table: str, column: str) -> list[TestResult]:
    return [r for r in results if r.table == table and r.column == column]


# ---- the page ------------------------------------------------------------------------
def _verdict(test_result: TestRunResult | None) -> tuple[str, str]:
    if test_result is None:
        return "none", "NOT TESTED"
    return ("pass", "PASS") if test_result.success else ("fail", "FAIL")


def _table_view(table: TableData, results: list[TestResult], test_result: TestRunResult | None) -> dict[str, Any]:
    summary = test_result.tables.get(table.name) if test_result is not None else None
    return {
        "name": table.name,
        "real_rows": table.real_rows,
        "synthetic_rows": table.synthetic_rows,
        "error": table.error,
        "score": summary.score if summary else None,
        "counts": summary.counts if summary else dict.fromkeys(STATUSES, 0),
        "columns": [
            {"name": c.name, "kind": c.kind, "real": _stats(c.real), "synthetic": c.synthetic,
             "tests": _column_results(results, table.name, c.name)}
            for c in table.columns
        ],
        "plots": [p for p in (_column_plot(table.name, c, results) for c in table.columns) if p is not None],
        "correlation_plot": _correlation_plot(table),
        "child_plots": [
            Plot(
                f"{table.name}({', '.join(fk.columns)}) per {fk.parent} row" + _verdict_note(results, table.name, fk.columns, "child_count"),
                plots.child_count_plot(f"children per {fk.parent} row", fk.real_histogram, fk.synthetic_histogram),
            )
            for fk in table.foreign_keys
        ],
    }


def _stats(real: Mapping[str, Any]) -> dict[str, Any]:
    return {k: real.get(k) for k in ("null_rate", "mean", "std")}


def _column_plot(table: str, column: ColumnData, results: list[TestResult]) -> Plot | None:
    if column.sample is None:
        return None
    title = f"{table}.{column.name}"
    caption = f"{title} ({column.kind})" + _verdict_note(results, table, [column.name], None)
    quantiles = column.real.get("quantiles") or []
    top = column.real.get("top_values") or []
    if column.kind == "numeric" and len(quantiles) >= 2:
        return Plot(caption, plots.numeric_plot(title, quantiles, column.sample))
    if column.kind == "datetime" and len(quantiles) >= 2:
        return Plot(caption, plots.datetime_plot(title, quantiles, column.sample))
    if column.kind in ("categorical", "boolean") and top:
        return Plot(caption, plots.categorical_plot(title, top, column.sample, boolean=column.kind == "boolean"))
    return None


def _correlation_plot(table: TableData) -> str | None:
    if not table.correlation_columns or table.synthetic_correlations is None:
        return None
    return plots.correlation_plot(
        f"{table.name}: correlations", table.correlation_columns, table.real_correlations, table.synthetic_correlations
    )


def _verdict_note(results: list[TestResult], table: str, columns: list[str], kind: str | None) -> str:
    """`` — ks PASS 0.031 ≤ 0.2, ...`` for the scored tests of a column or key."""
    notes = []
    for r in results:
        if r.table != table or r.category != "distribution" or r.kind == "null_rate":
            continue
        if (kind is None and r.column == columns[0]) or (kind == r.kind and r.columns == columns):
            stat = f" {r.statistic:.3g}" if r.statistic is not None else ""
            notes.append(f"{r.kind} {r.status.upper()}{stat}")
    return " — " + ", ".join(notes) if notes else ""


def _write_atomic(path: Path, text: str) -> None:
    try:
        write_text_atomic(path, text, private=False)
    except OSError as exc:
        raise DataTestError(f"cannot write {path}: {exc}", hint="check free space and permissions", path=path) from exc
