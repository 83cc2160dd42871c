"""The shared machinery of the ``shive`` command line: flags, logging, exit codes.

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
import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml

from .. import __version__
from ..errors import ShiveError
from ..log import attach_log_file, event, reset_logging, setup_logging

if TYPE_CHECKING:
    from ..project.model import Manifest

log = logging.getLogger("synthohive_dbt.cli")
F = TypeVar("F", bound=Callable[..., Any])

_LOGGING_KEYS = ("quiet", "log_format", "debug")
_PROJECT_KEYS = ("project_dir", "profiles_dir", "target", "vars")
_SELECTION_KEYS = ("select", "exclude")
_SEED_KEYS = ("seed",)


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

    def load(self, *, trained: bool = False) -> Manifest:
        """Load the project into a Manifest and write ``target/manifest.json``.

        ``trained``: the command works from trained artifacts (generate, test, report,
        ls), so unreachable sources fall back to the recorded manifest.
        """
        from ..project import load_project, load_trained_project, write_manifest

        loader = load_trained_project if trained else load_project
        manifest = loader(
            self.project_dir,
            profiles_dir=self.profiles_dir,
            target=self.target,
            vars=self.vars,
            seed=self.seed,
        )
        write_manifest(manifest)
        return manifest

    def selected(self, manifest: Manifest) -> list[str]:
        """Tables picked by ``--select`` / ``--exclude``, in graph order."""
        from ..project import select_tables

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
    from ..project.files import read_project_config

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


# ---- the group ----------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="shive")
def cli() -> None:
    """shive: dbt-style synthetic copies of relational data.

    Profile real tables with DuckDB, learn them with CTGAN, generate synthetic rows
    with every key intact, and prove it with SQL tests. Run 'shive COMMAND --help'
    for a command's flags.
    """
