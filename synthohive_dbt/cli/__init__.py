"""The ``shive`` command line: parse flags, call the library, map errors to exit codes.

Exit codes: 0 success, 1 a table or test failed, 2 bad usage, bad configuration or an
unexpected error (``--debug`` shows its traceback). ``core`` holds the shared flags
and error mapping; each ``*_cmds`` module registers its commands on the group.
"""

from __future__ import annotations

import sys

from . import pipeline_cmds, project_cmds  # noqa: F401 - importing registers the commands
from .core import Invocation, cli, exit_code_for, shive_command

__all__ = ["Invocation", "cli", "exit_code_for", "main", "shive_command"]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="shive")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
