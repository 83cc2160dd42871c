"""SQL tests of the synthetic output: emitted from the manifest and profile, run on a target.

::

    tests = emit_tests(manifest, profile)                      # integrity + distribution
    write_tests(tests, manifest.target_dir, manifest=manifest, target_config=config)
    result = run_tests(adapter, tests, store_failures=False)   # verdicts, statistics, score
    privacy = emit_privacy_tests(manifest)                     # exact_match + dcr per table
    result.results += run_privacy_tests(manifest, adapter, privacy)   # against the real rows
    write_run_results(result, manifest.target_dir / "run_results.json")

See ``docs/tests.md`` for the tests, their SQL, thresholds and configuration keys.
"""

from __future__ import annotations

from .dbt_project import scaffold_dbt_project
from .emit import emit_tests, project_test_settings
from .model import DISTRIBUTION_KINDS, INTEGRITY_KINDS, PRIVACY_KINDS, EmittedTest
from .privacy import PrivacyTest, emit_privacy_tests, learned_columns
from .privacy_run import run_privacy_tests
from .privacy_settings import DEFAULT_PRIVACY, PrivacySettings, PrivacyThresholds, privacy_settings
from .results import (
    done_line,
    format_result_line,
    format_summary,
    load_run_results,
    run_results_dict,
    write_run_results,
)
from .runner import (
    FAILURES_PREFIX,
    TableSummary,
    TestResult,
    TestRunResult,
    failures_table,
    filter_tests,
    render,
    run_tests,
)
from .settings import (
    DEFAULT_THRESHOLDS,
    Thresholds,
    column_thresholds,
    project_thresholds,
    store_failures_default,
)
from .sqlgen import SOURCE_NAME, render_for_target
from .writer import dbt_test_text, privacy_test_text, source_yaml, write_privacy_tests, write_tests

__all__ = [
    "DEFAULT_PRIVACY",
    "DEFAULT_THRESHOLDS",
    "DISTRIBUTION_KINDS",
    "FAILURES_PREFIX",
    "INTEGRITY_KINDS",
    "PRIVACY_KINDS",
    "SOURCE_NAME",
    "EmittedTest",
    "PrivacySettings",
    "PrivacyTest",
    "PrivacyThresholds",
    "TableSummary",
    "TestResult",
    "TestRunResult",
    "Thresholds",
    "column_thresholds",
    "dbt_test_text",
    "done_line",
    "emit_privacy_tests",
    "emit_tests",
    "failures_table",
    "filter_tests",
    "format_result_line",
    "format_summary",
    "learned_columns",
    "load_run_results",
    "privacy_settings",
    "privacy_test_text",
    "project_test_settings",
    "project_thresholds",
    "render",
    "render_for_target",
    "run_privacy_tests",
    "run_results_dict",
    "run_tests",
    "scaffold_dbt_project",
    "source_yaml",
    "store_failures_default",
    "write_privacy_tests",
    "write_run_results",
    "write_tests",
]
