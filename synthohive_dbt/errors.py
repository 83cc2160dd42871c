"""The one error tree of synthohive_dbt.

Every failure the library reports on purpose is a :class:`ShiveError`. The tree is
deliberately shallow, one branch per pipeline stage, so a caller can catch a stage
without knowing its internals::

    ShiveError
     ├── ProjectError        shive_project.yml, profiles.yml, schema yml, SQL models,
     │    │                  the table graph, --select / --vars
     │    └── ProjectBusy    another shive process holds the project's (or output's) lock
     ├── ProfileError        the real data: missing source, empty table, duplicate
     │    │                  primary keys, orphan foreign keys
     │    └── SourceUnavailable  a source's data cannot be reached (file, database,
     │                       Spark sample): steps that work from trained artifacts
     │                       fall back to the recorded manifest
     ├── PrivacyError        PII declarations and actions (a missing HMAC secret, ...)
     ├── TrainingError       fitting a model
     │    └── ArtifactError  a saved model that cannot be loaded (truncated, corrupt,
     │                       newer format)
     ├── GenerationError     sampling, keys, linkage
     │    └── ConstraintViolation  a declared constraint or key the output breaks
     ├── TargetError         an output adapter: unknown type, missing extra, I/O
     └── DataTestError       emitting or running SQL tests

An error carries *what* is wrong in its message, *where* (``path``, ``line``,
``table``, ``column``) and *how to fix it* (``hint``); ``str(err)`` joins them into
the line the CLI prints. Foreign exceptions are translated at the boundary with
``raise ... from exc`` so ``--debug`` still shows the original traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class ShiveError(Exception):
    """Root of every error synthohive_dbt raises on purpose."""

    #: exit code the CLI uses for this error (2: bad usage / configuration)
    exit_code: int = 2

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | Path | None = None,
        line: int | None = None,
        table: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None
        self.line = line
        self.table = table
        self.column = column

    @property
    def location(self) -> str:
        """``file:line`` and ``table.column`` joined, or an empty string."""
        parts: list[str] = []
        if self.path:
            parts.append(f"{self.path}:{self.line}" if self.line else self.path)
        if self.table:
            parts.append(f"{self.table}.{self.column}" if self.column else self.table)
        elif self.column:
            parts.append(self.column)
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        if self.location:
            text = f"{text} [{self.location}]"
        if self.hint:
            text = f"{text}\n  hint: {self.hint}"
        return text


class ProjectError(ShiveError):
    """The project's configuration, models or table graph are invalid."""


class ProjectBusy(ProjectError):
    """Another shive process is working on the same project or output (see ``locking``)."""

    exit_code = 1


class ProfileError(ShiveError):
    """The real data cannot be profiled or breaks a declared key."""

    exit_code = 1


class SourceUnavailable(ProfileError):
    """A source's data cannot be reached: a missing file, database or Spark sample."""


class PrivacyError(ShiveError):
    """A PII declaration or action cannot be carried out safely."""


class TrainingError(ShiveError):
    """A model could not be fitted."""

    exit_code = 1


class ArtifactError(TrainingError):
    """A saved model is truncated, corrupt, or of a format this version cannot read."""


class GenerationError(ShiveError):
    """Synthetic rows could not be generated."""

    exit_code = 1


class ConstraintViolation(GenerationError):
    """Generated output breaks a declared constraint or key."""

    def __init__(self, message: str, *, count: int | None = None, **where: object) -> None:
        super().__init__(message, **where)  # type: ignore[arg-type]
        #: how many rows break it, when known
        self.count = count


class TargetError(ShiveError):
    """An output target could not be created, written or read."""

    exit_code = 1


class DataTestError(ShiveError):
    """SQL tests could not be emitted or run."""

    exit_code = 1


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean ...?" hint for a misspelt ``name``, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(repr(m) for m in matches) + "?"


def known_names_hint(name: str, candidates: Iterable[str], kind: str = "name") -> str:
    """A hint naming close matches for ``name`` or else listing every known ``kind``."""
    names = sorted(set(candidates))
    close = did_you_mean(name, names)
    if close:
        return close
    if not names:
        return f"no {kind}s are defined"
    return f"known {kind}s: " + ", ".join(names)
