"""Commands that make and check synthetic data: train, generate, run, test, report."""

from __future__ import annotations

from typing import Any

import click

from .core import (
    F,
    Invocation,
    cli,
    project_options,
    seed_option,
    selection_options,
    shive_command,
)


def lock_option(func: F) -> F:
    """--lock-timeout: how long to wait for another shive process on the project."""
    return click.option(
        "--lock-timeout",
        type=click.FloatRange(min=0),
        envvar="SHIVE_LOCK_TIMEOUT",
        default=0,
        show_default=True,
        metavar="SECONDS",
        help="Wait this long for another shive command on this project to finish "
        "(0: refuse at once, naming it). Also $SHIVE_LOCK_TIMEOUT.",
    )(func)


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
@click.option(
    "--require-privacy",
    is_flag=True,
    help="Fail (exit 1) when the privacy tests cannot run because the real data is not "
    "reachable, instead of skipping them with the reason.",
)
@lock_option
@shive_command()
def test_command(inv: Invocation, store_failures: bool | None, fail_fast: bool,
                 require_privacy: bool, lock_timeout: float) -> int:  # fmt: skip
    """Emit SQL tests into target/tests/ and run them on the target.

    Integrity tests (keys, relationships, not_null, accepted_values, checks) are
    errors; distribution tests (KS, moments, total variation, child counts) are
    warnings by default. Privacy tests compare a sample of synthetic rows with the
    real ones: the share of exact copies (an error) and the distance to the closest
    real row (a warning), each against what real rows do among themselves
    (data_tests.privacy in shive_project.yml sets them). Where the sources are not
    reachable (a trained target/ copied elsewhere) the SQL tests run from the recorded
    project and the privacy tests are skipped with the reason (--require-privacy makes
    that an error). Writes target/run_results.json; exits 1 when an error-severity test
    fails. The emitted files run unchanged under 'dbt test'.
    """
    from ..pipeline import test_step

    manifest = inv.load(trained=True)
    tables = inv.selected(manifest) if (inv.select or inv.exclude) else None
    result = test_step(
        manifest,
        tables=tables,
        store_failures=store_failures,
        fail_fast=fail_fast,
        require_privacy=require_privacy,
        args={"select": list(inv.select), "exclude": list(inv.exclude), "target": inv.target},
        lock_timeout=lock_timeout,
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

    report_step(inv.load(trained=True))
    return 0


def _parse_rows(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, int]:
    """``--rows 5000`` (every root table) or ``--rows customers=5000`` (repeatable)."""
    rows: dict[str, int] = {}
    for value in values:
        name, sep, number = value.rpartition("=")
        try:
            count = int(number)
        except ValueError as exc:
            raise click.BadParameter(f"{value!r}: expected N or TABLE=N") from exc
        if count < 0:
            raise click.BadParameter(f"{value!r}: a row count cannot be negative")
        rows[name if sep else "*"] = count
    return rows


def generation_options(func: F) -> F:
    """--rows, --scale, --chunk-size."""
    func = click.option(
        "--chunk-size",
        type=click.IntRange(min=1000),
        help="Rows generated and written per chunk; memory is bounded by it (default 100000).",
    )(func)
    func = click.option(
        "--scale",
        type=click.FloatRange(min=0, min_open=True),
        help="Multiply the real row counts of root tables (children follow their count models).",
    )(func)
    return click.option(
        "--rows",
        multiple=True,
        callback=_parse_rows,
        metavar="N|TABLE=N",
        help="Rows to generate: N for every root table, TABLE=N for one (repeatable).",
    )(func)


def training_options(func: F) -> F:
    """-f/--full-refresh, -x/--fail-fast, --no-progress."""
    func = click.option("--no-progress", is_flag=True, help="No progress bars (logs only).")(func)
    func = click.option("-x", "--fail-fast", is_flag=True, help="Stop at the first failing table.")(
        func
    )
    return click.option(
        "-f", "--full-refresh", is_flag=True, help="Retrain every selected table, changed or not."
    )(func)


def _options(
    manifest: Any, rows: dict[str, int], scale: float | None, chunk_size: int | None
) -> Any:
    from ..pipeline import GenerateOptions
    from ..project.hierarchies import root_table

    per_table = {k: v for k, v in rows.items() if k != "*"}
    if "*" in rows:
        for table in manifest.synth_tables():
            if root_table(table):
                per_table.setdefault(table.name, rows["*"])
    unknown = sorted(set(per_table) - set(manifest.tables))
    if unknown:
        from ..errors import ProjectError, known_names_hint

        raise ProjectError(f"--rows names an unknown table {unknown[0]!r}",
                           hint=known_names_hint(unknown[0], manifest.tables, "table"))  # fmt: skip
    return GenerateOptions(rows=per_table, scale=scale, chunk_size=chunk_size)


@cli.command()
@project_options
@selection_options
@seed_option
@training_options
@lock_option
@shive_command()
def train(inv: Invocation, full_refresh: bool, fail_fast: bool, no_progress: bool,
          lock_timeout: float) -> int:  # fmt: skip
    """Train a CTGAN per selected table, parents first (needs target/profile.json).

    Child tables are conditioned on their primary parent's context columns. Artifacts
    go to target/models/<table>/ with a fingerprint of their inputs: unchanged tables
    are reused, and a train that was killed resumes at the table and epoch where it
    stopped. -f retrains everything selected.
    """
    from ..pipeline import train_step

    manifest = inv.load()
    return train_step(manifest, inv.selected(manifest), full_refresh=full_refresh,
                      fail_fast=fail_fast, progress=not (no_progress or inv.quiet),
                      lock_timeout=lock_timeout)  # fmt: skip


@cli.command()
@project_options
@selection_options
@seed_option
@generation_options
@click.option("-x", "--fail-fast", is_flag=True, help="Stop at the first failing table.")
@click.option("--no-progress", is_flag=True, help="No progress bars (logs only).")
@lock_option
@shive_command()
def generate(inv: Invocation, rows: dict[str, int], scale: float | None, chunk_size: int | None,
             fail_fast: bool, no_progress: bool, lock_timeout: float) -> int:  # fmt: skip
    """Generate the selected tables into the target from the trained models.

    Tables stream to the target in chunks, parents first, into a staging area; each
    table's foreign keys and declared constraints are checked there (a violation fails
    the table), derived models are built by SQL over the staged tables, and only when
    all of them succeed are they swapped in together. A failed or killed run leaves
    the previous tables as they were.
    """
    from ..pipeline import generate_step

    manifest = inv.load(trained=True)
    options = _options(manifest, rows, scale, chunk_size)
    code = generate_step(manifest, inv.selected(manifest), options, fail_fast=fail_fast,
                         progress=not (no_progress or inv.quiet),
                         lock_timeout=lock_timeout)  # fmt: skip
    _dbt_profiles(manifest)
    return code


@cli.command()
@project_options
@selection_options
@seed_option
@training_options
@generation_options
@click.option("--store-failures/--no-store-failures", default=None,
              help="Keep failing test rows in tables on the target.")  # fmt: skip
@lock_option
@shive_command()
def run(inv: Invocation, full_refresh: bool, fail_fast: bool, no_progress: bool,
        rows: dict[str, int], scale: float | None, chunk_size: int | None,
        store_failures: bool | None, lock_timeout: float) -> int:  # fmt: skip
    """validate, profile, train what is stale, generate, build derived models, test.

    The whole job on the selected tables, closing with one dbt-style summary line;
    exit 1 when a table or an error-severity test fails.
    """
    from ..pipeline import run_step

    manifest = inv.load()
    options = _options(manifest, rows, scale, chunk_size)
    code = run_step(
        manifest, inv.selected(manifest), options, full_refresh=full_refresh,
        fail_fast=fail_fast, progress=not (no_progress or inv.quiet),
        store_failures=store_failures,
        args={"select": list(inv.select), "exclude": list(inv.exclude), "target": inv.target},
        lock_timeout=lock_timeout,
    )  # fmt: skip
    _dbt_profiles(manifest)
    return code


def _dbt_profiles(manifest: Any) -> None:
    """A project made by ``init --from-dbt`` gets target/dbt/profiles.yml (docs/dbt.md)."""
    from ..dbtimport import write_dbt_profiles

    write_dbt_profiles(manifest)
