"""Commands that make and check synthetic data: train, generate, run, test, report."""

from __future__ import annotations

import click

from .core import (
    Invocation,
    cli,
    project_options,
    selection_options,
    shive_command,
)


@cli.command(name="test")
@project_options
@selection_options
@click.option(
    "--store-failures/--no-store-failures",
    default=None,
    help="Keep each failing test's rows in a table shive_test_failures__<test> on the target "
    "(default: the project's data_tests.store_failures).",
)
@click.option("-x", "--fail-fast", is_flag=True, help="Stop at the first failing test.")
@shive_command()
def test_command(inv: Invocation, store_failures: bool | None, fail_fast: bool) -> int:
    """Emit SQL tests into target/tests/ and run them on the target.

    Integrity tests (keys, relationships, not_null, accepted_values, checks) are
    errors; distribution tests (KS, moments, total variation, child counts) are
    warnings by default. Writes target/run_results.json; exits 1 when an
    error-severity test fails. The emitted files run unchanged under 'dbt test'.
    """
    from ..pipeline import test_step

    manifest = inv.load()
    tables = inv.selected(manifest) if (inv.select or inv.exclude) else None
    result = test_step(
        manifest,
        tables=tables,
        store_failures=store_failures,
        fail_fast=fail_fast,
        args={"select": list(inv.select), "exclude": list(inv.exclude), "target": inv.target},
    )
    return result.exit_code


@cli.command()
@project_options
@shive_command()
def report(inv: Invocation) -> int:
    """Write target/report.html (self-contained) and target/report.json.

    A pass/fail header and overall fidelity score, real-vs-synthetic distributions per
    column, correlation heatmaps, child-count distributions per foreign key, and the
    last 'shive test' results. Real data enters only through target/profile.json.
    """
    from ..pipeline import report_step

    report_step(inv.load())
    return 0
