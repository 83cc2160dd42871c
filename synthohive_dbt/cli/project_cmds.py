"""Commands about the project itself: init, debug, validate, profile, ls, clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..log import event
from .core import (
    Invocation,
    cli,
    logging_options,
    project_options,
    seed_option,
    selection_options,
    shive_command,
)

if TYPE_CHECKING:
    from ..project.model import Table


@cli.command()
@click.argument("name", type=click.Path(path_type=Path))
@click.option(
    "--from-dbt",
    "from_dbt",
    type=click.Path(path_type=Path, file_okay=False),
    help="A dbt project folder: one model per raw table it reads, keys from its tests.",
)
@click.option("--dbt-target", help="With --from-dbt: the dbt profile output (default: its target).")
@click.option(
    "--profiles-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="With --from-dbt: the folder of the dbt profiles.yml (default: as dbt finds it).",
)
@logging_options
@shive_command(log_file=False)
def init(inv: Invocation, name: Path, from_dbt: Path | None, dbt_target: str | None) -> int:
    """Create a new project NAME from the starter template, or from a dbt project.

    NAME is a folder (created; it must not exist or be empty); its last part becomes
    the project and profile name. The starter has two related tables read from CSV
    files, so 'shive validate --project-dir NAME' works right away. With --from-dbt,
    NAME gets one model per raw table the dbt project reads, with the keys its tests
    show (docs/dbt.md).
    """
    if from_dbt is not None:
        return _init_from_dbt(name, from_dbt, dbt_target, inv.profiles_dir)
    if dbt_target or inv.profiles_dir:
        raise click.UsageError("--dbt-target and --profiles-dir go with --from-dbt")
    from ..pipeline.scaffold import init_project

    dest = init_project(name)
    event(f"Created project {dest.resolve().name} at {dest}", event="init", path=str(dest))
    event(f"Next: cd {dest} && shive debug && shive validate")
    return 0


def _init_from_dbt(name: Path, dbt_dir: Path, target: str | None, profiles_dir: str | None) -> int:
    from ..dbtimport import import_dbt_project

    result = import_dbt_project(name, dbt_dir, target=target, profiles_dir=profiles_dir)
    dest = result.path
    for plan in result.tables.values():
        raw = plan.raw
        event(f"Imported {raw.node} as model {raw.model} ({raw.schema}.{raw.identifier}, "
              f"{len(raw.columns)} columns, {raw.rows} rows)", event="import", table=raw.model)  # fmt: skip
    for finding in result.declared:
        event(f"  {finding.check} -> {finding.declared}")
    for finding in result.not_traced:
        event(f"  not traced: {finding.check}: {finding.reason}")
    for skipped in result.skipped:
        event(f"  not imported: {skipped.node}: {skipped.reason}")
    event(f"Created project {dest.resolve().name} at {dest} from dbt project {dbt_dir} "
          f"({len(result.declared)} checks declared, {len(result.not_traced)} not traced)",
          event="init", path=str(dest))  # fmt: skip
    event(f"Next: shive run --project-dir {dest}")
    return 0


@cli.command()
@project_options
@shive_command()
def debug(inv: Invocation) -> int:
    """Show versions, the project and profile in use, and test the target connection."""
    from ..pipeline.debug import run_debug

    return run_debug(inv.project_dir, profiles_dir=inv.profiles_dir, target=inv.target)


@cli.command()
@project_options
@seed_option
@shive_command()
def validate(inv: Invocation) -> int:
    """Parse and check everything without training: YAML, SQL, columns, keys, types, cycles.

    Writes target/manifest.json. Also checks the real data's keys (duplicate primary
    keys, orphan foreign keys) when the profiling stage provides that check, and looks
    for undeclared PII, saying what 'run' will do with it (privacy.undeclared: protect
    fakes or drops it, error stops here, warn trains on it).
    """
    from ..pipeline.validate import validate_project

    manifest = inv.load()
    findings = validate_project(manifest) or []
    event(f"Wrote {manifest.target_dir / 'manifest.json'}")
    protected = sum(1 for f in findings if getattr(f, "action", None))
    if protected:
        event(f"All checks passed ({protected} undeclared PII column(s) above will be "
              "protected by run).")  # fmt: skip
    elif findings:
        event(f"All checks passed ({len(findings)} undeclared PII warning(s) above).")
    else:
        event("All checks passed.")
    return 0


@cli.command()
@project_options
@selection_options
@seed_option
@shive_command()
def profile(inv: Invocation) -> int:
    """Profile the real data of the selected tables into target/profile.json.

    Column statistics, key checks, orphans and child counts, one table at a time; a
    table that fails is an ERROR line and the exit code is 1.
    """
    from ..pipeline.checks import project_lock
    from ..pipeline.profile_step import profile_tables

    manifest = inv.load()
    keep_others = bool(inv.select or inv.exclude)
    with project_lock(manifest, "profile"):
        return profile_tables(manifest, inv.selected(manifest), keep_others=keep_others)


@cli.command(name="ls")
@project_options
@selection_options
@shive_command()
def ls_command(inv: Invocation) -> int:
    """List the tables in generation order with materialization, rows/mode and parents."""
    manifest = inv.load(trained=True)
    rows = []
    for name in inv.selected(manifest):
        table = manifest.tables[name]
        rows.append(
            {
                "name": name,
                "materialized": table.materialized,
                "synth": _synth_summary(table),
                "parents": manifest.parents(name),
            }
        )
    for row in rows:
        if inv.log_format == "json":
            click.echo(json.dumps(row))
        else:
            parents = ", ".join(row["parents"]) or "-"
            click.echo(
                f"{row['name']:<24} {row['materialized']:<8} {row['synth']:<14} parents: {parents}"
            )
    return 0


def _synth_summary(table: Table) -> str:
    if table.materialized == "derived":
        return "sql"
    if table.synth.mode == "copy":
        return "copy"
    if table.synth.rows is not None:
        return f"rows={table.synth.rows}"
    return f"scale={table.synth.scale if table.synth.scale is not None else 1.0:g}"


@cli.command()
@project_options
@shive_command(log_file=False)
def clean(inv: Invocation) -> int:
    """Delete target/ (the project's clean-targets); never anything outside the project."""
    from ..pipeline.scaffold import clean_project

    removed = clean_project(inv.project_dir)
    for path in removed:
        event(f"Removed {path}", event="clean", path=str(path))
    if not removed:
        event("Nothing to clean")
    return 0
