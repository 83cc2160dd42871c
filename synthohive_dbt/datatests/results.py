"""``target/run_results.json`` in dbt's shape, and the lines ``shive test`` prints.

The JSON keeps dbt's top-level keys (``metadata``, ``results``, ``elapsed_time``,
``args``) and per-result keys (``unique_id``, ``status``, ``timing``,
``execution_time``, ``message``, ``failures``, ...) so tools that read dbt's file read
this one; shive's own data (statistic, threshold, score, per-table summary) rides in
extra keys.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from .. import __version__ as _version
from ..atomic import write_text_atomic
from ..errors import DataTestError
from ..log import format_done
from .runner import STATUSES, TestResult, TestRunResult

SCHEMA = "https://synthohive.dev/schemas/run-results/v1.json"

#: the label dbt prints for each status
_LABEL = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "skipped": "SKIP"}


def run_results_dict(result: TestRunResult, *, project_name: str = "shive", args: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run_results.json document of ``result``."""
    return {
        "metadata": {
            "dbt_schema_version": SCHEMA,
            "generator": f"synthohive_dbt {_version}",
            "generated_at": result.generated_at,
            "invocation_id": str(uuid.uuid4()),
            "target": result.target,
        },
        "results": [_result_dict(r, project_name, result.generated_at) for r in result.results],
        "elapsed_time": round(result.elapsed, 6),
        "args": dict(args or {}),
        "summary": {
            "counts": result.counts,
            "success": result.success,
            "fidelity_score": result.fidelity_score,
            "tables": {
                name: {"counts": s.counts, "total": s.total, "score": s.score}
                for name, s in result.tables.items()
            },
        },
    }


def write_run_results(
    result: TestRunResult, path: str | Path, *, project_name: str = "shive", args: dict[str, Any] | None = None
) -> Path:
    """Write ``run_results.json`` atomically (a temporary file renamed over the old one)."""
    path = Path(path)
    document = run_results_dict(result, project_name=project_name, args=args)
    try:
        write_text_atomic(path, json.dumps(document, indent=2, default=str), private=False)
    except OSError as exc:
        raise DataTestError(f"cannot write {path}: {exc}", hint="check free space and permissions", path=path) from exc
    return path


def load_run_results(path: str | Path) -> TestRunResult:
    """Read back a run_results.json written by :func:`write_run_results` (for ``shive report``)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        results = [TestResult(**entry["shive"]) for entry in document["results"]]
    except FileNotFoundError as exc:
        raise DataTestError(f"{path} does not exist", hint="run `shive test` first", path=path) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataTestError(
            f"cannot read {path}: {exc}", hint="run `shive test` again to rewrite it", path=path
        ) from exc
    meta = document.get("metadata", {})
    return TestRunResult(
        results=results,
        elapsed=float(document.get("elapsed_time", 0.0)),
        generated_at=meta.get("generated_at", ""),
        target=meta.get("target", ""),
    )


def _result_dict(r: TestResult, project_name: str, generated_at: str) -> dict[str, Any]:
    return {
        "unique_id": f"test.{project_name}.{r.name}",
        "status": r.status,
        "timing": [{"name": "execute", "started_at": generated_at, "completed_at": generated_at}],
        "thread_id": "Thread-1",
        "execution_time": round(r.elapsed, 6),
        "adapter_response": {},
        "message": r.message,
        "failures": r.failures,
        "relation_name": r.failures_table,
        # shive's own fields: everything needed to rebuild the TestResult
        "shive": r.to_dict(),
    }


# ---- console lines (dbt's look) --------------------------------------------------------
def format_result_line(result: TestResult, index: int, total: int, width: int = 80) -> str:
    """``3 of 40 FAIL 2 shive_unique_orders_order_id ...... [FAIL 2 in 0.01s]``."""
    label = _LABEL[result.status]
    count = f" {result.failures}" if result.status in ("fail", "warn") else ""
    head = f"{index} of {total} {label}{count} {result.name} "
    tail = f" [{label}{count} in {result.elapsed:.2f}s]"
    dots = "." * max(3, width - len(head) - len(tail))
    return head + dots + tail


def format_summary(result: TestRunResult) -> list[str]:
    """The closing lines: per-table summaries, the fidelity score, dbt's ``Done.`` line."""
    lines = []
    for name, summary in result.tables.items():
        c = summary.counts
        score = f" score={summary.score:.3f}" if summary.score is not None else ""
        lines.append(
            f"{name}: PASS={c['pass']} WARN={c['warn']} FAIL={c['fail']} ERROR={c['error']} "
            f"SKIP={c['skipped']}{score}"
        )
    if result.fidelity_score is not None:
        lines.append(f"Fidelity score: {result.fidelity_score:.3f}")
    lines.append(done_line(result))
    return lines


def done_line(result: TestRunResult) -> str:
    """``Done. PASS=.. WARN=.. ERROR=.. SKIP=.. TOTAL=..`` (ERROR counts failed and errored tests)."""
    c = result.counts
    return format_done(
        c["pass"], c["warn"], c["fail"] + c["error"], c["skipped"], sum(c[s] for s in STATUSES)
    )
