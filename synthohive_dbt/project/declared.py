"""Where something was declared: a schema yml file, its line index, and the key path.

Every error about a model, column, constraint or test names the file and line the
user has to open; :class:`Declared` carries what is needed to say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from .diagnostics import format_key_path
from .yamlio import KeyPath, LineIndex


@dataclass
class Declared:
    """A model or source spec with the file and key path it came from."""

    spec: Any
    path: Path
    index: LineIndex
    loc: KeyPath  # e.g. ("models", 2)

    def line(self, *sub: Any) -> int | None:
        return self.index.line_for((*self.loc, *sub))

    def key_path(self, *sub: Any) -> str:
        return format_key_path((*self.loc, *sub))

    def error(
        self,
        message: str,
        *sub: Any,
        hint: str | None = None,
        table: str | None = None,
        column: str | None = None,
    ) -> ProjectError:
        """A ProjectError at ``sub`` (relative to this declaration), naming the key path."""
        return ProjectError(
            f"{message} ({self.key_path(*sub)})",
            path=self.path,
            line=self.line(*sub),
            hint=hint,
            table=table,
            column=column,
        )
