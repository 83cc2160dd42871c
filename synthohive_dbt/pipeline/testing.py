"""``shive test`` and ``shive report``: emit SQL tests, run them on the target, report."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..log import event
from .checks import load_profile_for, open_target, project_lock

if TYPE_CHECKING:
    from ..datatests.runner import TestRunResult
    from ..project.model import Manifest

log = logging.getLogger(__name__)

RUN_RESULTS = "run_results.json"


def test_step(
    manifest: Manifest,
    *,
    tables: list[str] | None = None,
    store_failures: bool | None = None,
    fail_fast: bool = False,
    require_privacy: bool = False,
    args: dict[str, Any] | None = None,
    closing: bool = True,
    lock_timeout: float | None = None,
) -> TestRunResult:
    """Emit the tests into ``target/tests/`` and run those of ``tables`` on the target.

    SQL tests (integrity, distribution) run first, then the privacy tests, which read a
    bounded sample of the real rows (skipped, with the reason, when the sources cannot
    be opened). Writes ``target/run_results.json``. ``store_failures`` None takes the
    project's ``data_tests.store_failures`` setting. ``require_privacy`` turns privacy
    tests skipped for want of the real data into errors. ``closing`` False leaves dbt's
    ``Done.`` line to the caller (``shive run`` closes over all its stages). Holds the
    project's lock (the tests read the set of tables a generation swapped in, and may
    store failing rows in the target).
    """
    with project_lock(manifest, "test", lock_timeout):
        return _test(manifest, tables=tables, store_failures=store_failures,
                     fail_fast=fail_fast, require_privacy=require_privacy, args=args,
                     closing=closing)  # fmt: skip


def _test(
    manifest: Manifest,
    *,
    tables: list[str] | None,
    store_failures: bool | None,
    fail_fast: bool,
    require_privacy: bool,
    args: dict[str, Any] | None,
    closing: bool,
) -> TestRunResult:
    from ..datatests import (
        emit_privacy_tests,
        emit_tests,
        filter_tests,
        format_result_line,
        format_summary,
        project_test_settings,
        run_privacy_tests,
        run_tests,
        store_failures_default,
        write_privacy_tests,
        write_run_results,
        write_tests,
    )

    profile = load_profile_for(manifest)
    settings = project_test_settings(manifest)
    tests = emit_tests(manifest, profile, settings=settings)
    privacy = emit_privacy_tests(manifest, settings=settings)
    adapter = open_target(manifest)
    folder = write_tests(
        tests, manifest.target_dir, manifest=manifest, target_config=adapter.config
    )
    count = len(tests) + len(privacy)
    event(f"Wrote {count} tests to {folder}", event="tests_written", path=str(folder))
    if tables is not None:
        tests = filter_tests(tests, tables=tables)
    selected_privacy = filter_tests(privacy, tables=tables) if tables is not None else privacy
    if store_failures is None:
        store_failures = store_failures_default(settings)
    total = len(tests) + len(selected_privacy)

    def on_result(result: Any, index: int, _: int) -> None:
        level = logging.INFO if result.status in ("pass", "skipped") else logging.WARNING
        event(
            format_result_line(result, index, total),
            level=level,
            event="test",
            status=result.status,
        )
        if result.category == "privacy" and result.message:
            event(f"    {result.message}", level=level, event="test_detail", name=result.name)

    started = time.perf_counter()
    with adapter:
        result = run_tests(
            adapter, tests, store_failures=store_failures, fail_fast=fail_fast, on_result=on_result
        )
        stopped = fail_fast and not result.success
        privacy_results = run_privacy_tests(
            manifest, adapter, selected_privacy, on_result=on_result, start=len(tests), total=total,
            skip_reason="skipped after an earlier failure (--fail-fast)" if stopped else None,
        )  # fmt: skip
        if require_privacy and not stopped:
            _required(privacy_results)
        result.results += privacy_results
        result.elapsed = time.perf_counter() - started
    write_privacy_tests(privacy, result.results, manifest.target_dir, measured_at=result.generated_at)
    path = manifest.target_dir / RUN_RESULTS
    write_run_results(result, path, project_name=manifest.project_name, args=args)
    lines = format_summary(result)
    for line in lines if closing else lines[:-1]:
        event(line, event="summary")
    return result


def _required(results: list[Any]) -> None:
    """Privacy tests that were skipped (no real data) become errors (--require-privacy)."""
    for result in results:
        if result.status == "skipped":
            result.status = "error"
            result.message = f"required by --require-privacy: {result.message}"
            log.error("%s: %s", result.name, result.message)


def report_step(manifest: Manifest) -> Path:
    """Write ``target/report.html`` and ``target/report.json`` from the profile, target and last test run."""
    from ..datatests import load_run_results
    from ..report import build_report

    profile = load_profile_for(manifest)
    results_path = manifest.target_dir / RUN_RESULTS
    test_result = load_run_results(results_path) if results_path.is_file() else None
    if test_result is None:
        log.info("no %s yet: the report has no test results (run 'shive test' first)", results_path)
    with open_target(manifest) as adapter:
        html = build_report(manifest, profile, adapter, test_result, manifest.target_dir)
    event(f"Wrote {html} and {html.with_suffix('.json')}", event="report", path=str(html))
    return html
