"""The ``shive`` command line: parse flags, call the library, map errors to exit codes.

Exit codes: 0 success, 1 a table or test failed, 2 bad usage, bad configuration or an
unexpected error (``--debug`` shows its traceback).

Adding a command (train, generate, test, ... follow this shape)::

    @cli.command()
    @project_options            # --project-dir --profiles-dir -t --vars + logging flags
    @selection_options          # -s/--select --exclude
    @seed_option                # --seed
    @click.option("--epochs", type=int, help="...")
    @shive_command()            # builds the Invocation, sets up logs, maps errors
    def train(inv: Invocation, epochs: int | None) -> int:
        \"\"\"Help text shown by shive train --help.\"\"\"
        manifest = inv.load()
        report = RunReport(total=...)
        ...
        return report.summary()

The body returns the exit code (or None for 0) and raises ShiveError for failures.
"""

from __future__ import annotations

import functools
import json
import logging
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from . import __version__
from .errors import ShiveError
from .log import RunReport, attach_log_file, event, reset_logging, setup_logging

log = logging.getLogger("synthohive_dbt.cli")
F = TypeVar("F", bound=Callable[..., Any])

_LOGGING_KEYS = ("quiet", "log_format", "debug")
_PROJECT_KEYS = ("project_dir", "profiles_dir", "target", "vars")
_SELECTION_KEYS = ("select", "exclude")
_SEED_KEYS = ("seed",)
PROFILE_FILE = "profile.json"


# ---- the parsed common flags -----------------------------------------------------------------
@dataclass
class Invocation:
    """The flags every command shares, and helpers that use them."""

    project_dir: Path = Path(".")
    profiles_dir: str | None = None
    target: str | None = None
    vars: dict[str, Any] | None = None
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    seed: int | None = None
    quiet: bool = False
    log_format: str = "text"
    debug: bool = False

    def load(self) -> Any:
        """Load the project into a Manifest and write ``target/manifest.json``."""
        from .project import load_project, write_manifest

        manifest = load_project(
            self.project_dir,
            profiles_dir=self.profiles_dir,
            target=self.target,
            vars=self.vars,
            seed=self.seed,
        )
        write_manifest(manifest)
        return manifest

    def selected(self, manifest: Any) -> list[str]:
        """Tables picked by ``--select`` / ``--exclude``, in graph order."""
        from .project import select_tables

        return select_tables(manifest, self.select, self.exclude)


# ---- option groups ---------------------------------------------------------------------------
def _parse_vars(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        data = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise click.BadParameter(f"not YAML or JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise click.BadParameter("must be a mapping, e.g. --vars '{min_amount: 10}'")
    return data


def logging_options(func: F) -> F:
    """-q/--quiet, --log-format, --debug."""
    func = click.option("--debug", is_flag=True, help="Log debug lines and show tracebacks.")(func)
    func = click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="text: dbt-style lines; json: one JSON object per line.",
    )(func)
    return click.option("-q", "--quiet", is_flag=True, help="Print errors only.")(func)


def project_options(func: F) -> F:
    """--project-dir, --profiles-dir, -t/--target, --vars and the logging options."""
    func = click.option(
        "--vars",
        callback=_parse_vars,
        metavar="YAML",
        help="Override project vars, as a YAML/JSON mapping: --vars '{min_amount: 10}'.",
    )(func)
    func = click.option(
        "-t", "--target", help="Output of the profile to use (default: the profile's target)."
    )(func)
    func = click.option(
        "--profiles-dir",
        type=click.Path(file_okay=False),
        help="Folder with profiles.yml (default: $SHIVE_PROFILES_DIR, the project folder, ~/.shive).",
    )(func)
    func = click.option(
        "--project-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        envvar="SHIVE_PROJECT_DIR",
        show_default=True,
        help="Folder with shive_project.yml.",
    )(func)
    return logging_options(func)


def selection_options(func: F) -> F:
    """-s/--select and --exclude with dbt's graph operators."""
    func = click.option(
        "--exclude",
        multiple=True,
        metavar="SELECTOR",
        help="Tables to leave out (same syntax as --select).",
    )(func)
    return click.option(
        "-s",
        "--select",
        multiple=True,
        metavar="SELECTOR",
        help="Tables to include: name, +name (and ancestors), name+ (and descendants), "
        "2+name, @name, globs; several space separated or repeated.",
    )(func)


def seed_option(func: F) -> F:
    """--seed."""
    return click.option(
        "--seed", type=int, help="Seed of every random choice (default: the project's seed)."
    )(func)


# ---- running a command -------------------------------------------------------------------------
def shive_command(*, log_file: bool = True) -> Callable[[F], F]:
    """Wrap a command body ``f(inv, **own_options) -> int | None``.

    Builds the :class:`Invocation` from the shared flags, sets up console (and, with
    ``log_file``, ``target/logs/shive.log``) logging, runs the body and exits with its
    code, or with the code :func:`exit_code_for` gives an exception.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> None:
            inv = _invocation(kwargs)
            setup_logging(log_format=inv.log_format, quiet=inv.quiet, debug=inv.debug)
            try:
                if log_file:
                    _attach_project_log(inv)
                log.debug("running with shive=%s python=%s", __version__, platform.python_version())
                code = func(inv, **kwargs) or 0
            except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
                raise
            except Exception as exc:  # noqa: BLE001 - the CLI's last line: every error becomes an exit code
                code = exit_code_for(exc, debug=inv.debug)
            finally:
                reset_logging()
            click.get_current_context().exit(code)

        return wrapper  # type: ignore[return-value]

    return decorate


def _invocation(kwargs: dict[str, Any]) -> Invocation:
    """Pop the shared flags out of a command's keyword arguments."""
    shared = {}
    for key in (*_LOGGING_KEYS, *_PROJECT_KEYS, *_SELECTION_KEYS, *_SEED_KEYS):
        if key in kwargs:
            shared[key] = kwargs.pop(key)
    if "project_dir" in shared:
        shared["project_dir"] = Path(shared["project_dir"])
    return Invocation(**shared)


def _attach_project_log(inv: Invocation) -> None:
    """Log to ``<target-path>/logs/shive.log`` when the project file can be read."""
    from .project.files import read_project_config

    root = inv.project_dir.resolve()
    try:
        config, _ = read_project_config(root)
    except ShiveError as exc:
        log.debug("no log file: %s", exc.message)  # the command itself reports the problem
        return
    attach_log_file(root / config.target_path)


def exit_code_for(exc: BaseException, *, debug: bool = False) -> int:
    """Log ``exc`` for the user and return the exit code it maps to.

    A ShiveError prints its message, location and hint and exits with its
    ``exit_code``; anything else is a bug: a short message and exit 2, the traceback
    with ``--debug``.
    """
    if isinstance(exc, ShiveError):
        event(
            str(exc),
            level=logging.ERROR,
            event="error",
            error=type(exc).__name__,
            path=exc.path,
            line=exc.line,
            hint=exc.hint,
            exit_code=exc.exit_code,
        )
        if debug:
            log.debug("traceback", exc_info=exc)
        return exc.exit_code
    event(
        f"unexpected error: {type(exc).__name__}: {exc}"
        + ("" if debug else "\n  run again with --debug for the traceback"),
        level=logging.ERROR,
        event="error",
        error=type(exc).__name__,
        exit_code=2,
    )
    if debug:
        log.error("traceback", exc_info=exc)
    return 2


# ---- the group --------------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="shive")
def cli() -> None:
    """shive: dbt-style synthetic copies of relational data.

    Profile real tables with DuckDB, learn them with CTGAN, generate synthetic rows
    with every key intact, and prove it with SQL tests. Run 'shive COMMAND --help'
    for a command's flags.
    """


@cli.command()
@click.argument("name", type=click.Path(path_type=Path))
@logging_options
@shive_command(log_file=False)
def init(inv: Invocation, name: Path) -> int:
    """Create a new project NAME from the starter template.

    NAME is a folder (created; it must not exist or be empty); its last part becomes
    the project and profile name. The starter has two related tables read from CSV
    files, so 'shive validate --project-dir NAME' works right away.
    """
    from .project.scaffold import init_project

    dest = init_project(name)
    event(f"Created project {dest.resolve().name} at {dest}", event="init", path=str(dest))
    event(f"Next: cd {dest} && shive debug && shive validate")
    return 0


@cli.command()
@project_options
@shive_command()
def debug(inv: Invocation) -> int:
    """Show versions, the project and profile in use, and test the target connection."""
    from .project.debug import run_debug

    return run_debug(inv.project_dir, profiles_dir=inv.profiles_dir, target=inv.target)


@cli.command()
@project_options
@seed_option
@shive_command()
def validate(inv: Invocation) -> int:
    """Parse and check everything without training: YAML, SQL, columns, keys, types, cycles.

    Writes target/manifest.json. Also checks the real data's keys (duplicate primary
    keys, orphan foreign keys) when the profiling stage provides that check.
    """
    from .project import open_real_connection

    manifest = inv.load()
    with open_real_connection(manifest) as con:
        _check_real_keys(manifest, con)
    tables = list(manifest.tables.values())
    tests = sum(len(t.tests) + sum(len(c.tests) for c in t.columns) for t in tables)
    event(
        f"Found {_count(len(tables), 'model')} ({len(manifest.synth_tables())} synth, "
        f"{len(manifest.derived_tables())} derived), {_count(len(manifest.sources), 'source')}, "
        f"{_count(sum(len(t.foreign_keys) for t in tables), 'foreign key')}, "
        f"{_count(sum(len(t.checks) for t in tables), 'check constraint')}, "
        f"{_count(tests, 'data test')}",
        event="validated",
        order=manifest.order,
    )
    event(f"Wrote {manifest.target_dir / 'manifest.json'}")
    event("All checks passed.")
    return 0


def _check_real_keys(manifest: Any, con: Any) -> None:
    """Run profiling's key checks on the real data when that stage provides them."""
    try:
        from .profiling import check_keys
    except ImportError:
        log.debug("profiling.check_keys is not available; key checks on the real data skipped")
        return
    findings = check_keys(manifest, con) or []  # logs its warnings, raises ProfileError on errors
    warned = sum(1 for f in findings if getattr(f, "status", None) == "warn")
    event(
        f"Checked the real data's keys: {_count(len(findings), 'check')}, {_count(warned, 'warning')}",
        event="key_checks",
        checks=len(findings),
        warnings=warned,
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


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
    from .project import open_real_connection

    try:
        from .profiling import profile_project, write_profile
    except ImportError as exc:
        raise ShiveError(f"the profiling stage is not available: {exc}") from exc
    manifest = inv.load()
    tables = inv.selected(manifest)
    path = manifest.target_dir / PROFILE_FILE
    merged = _previous_profile(path) if (inv.select or inv.exclude) else None
    report = RunReport(total=len(tables))
    with open_real_connection(manifest) as con:
        for index, name in enumerate(tables, 1):
            with report.step(index, name, f"profiling {name}", f"profiled {name}") as step:
                part = profile_project(manifest, con, tables=[name])
                merged = _merge_profile(merged, part, manifest.order)
                step.data["row_count"] = part.get("tables", {}).get(name, {}).get("row_count")
    if merged is not None:
        write_profile(merged, path)
        event(f"Wrote {path}", event="artifact", path=str(path))
    return report.summary()


def _previous_profile(path: Path) -> dict[str, Any] | None:
    """The existing profile.json, kept for tables a partial --select does not re-profile."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.debug("ignoring unreadable %s (it is rewritten): %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def _merge_profile(
    merged: dict[str, Any] | None, part: dict[str, Any], order: list[str]
) -> dict[str, Any]:
    """``part``'s tables over ``merged``'s, in graph order; top-level fields from ``part``."""
    if merged is None:
        return part
    tables = {**merged.get("tables", {}), **part.get("tables", {})}
    ordered = {n: tables[n] for n in order if n in tables}
    ordered.update({n: t for n, t in tables.items() if n not in ordered})
    return {**merged, **part, "tables": ordered}


@cli.command(name="ls")
@project_options
@selection_options
@shive_command()
def ls_command(inv: Invocation) -> int:
    """List the tables in generation order with materialization, rows/mode and parents."""
    manifest = inv.load()
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


def _synth_summary(table: Any) -> str:
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
    from .project.scaffold import clean_project

    removed = clean_project(inv.project_dir)
    for path in removed:
        event(f"Removed {path}", event="clean", path=str(path))
    if not removed:
        event("Nothing to clean")
    return 0


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="shive")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
