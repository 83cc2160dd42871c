"""Which reader serves which source ``format:``: the file formats here, the others plug-ins.

The project stage reads a parquet, csv or DuckDB-file source itself
(:mod:`.sources`). Any other ``format:`` is a :class:`SourceFormat` a plug-in
registered (:mod:`synthohive_dbt.plugins`): the loader asks it for the source's
SourceTable and its run settings, DuckDB reads the source through the SELECT it gives,
and the stages that read real rows call its hooks (a sample refreshed, a profile taken
where the data lives). A format is looked up by name; an unknown name loads the
plug-ins once, then lists the known formats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ProjectError, did_you_mean

if TYPE_CHECKING:
    from .declared import Declared
    from .model import Manifest, SourceTable
    from .profiles import ResolvedTarget
    from .schema import SourceSpec, SourceTableSpec

#: the formats the project stage reads itself (files, DuckDB databases, model views)
FILE_FORMATS = ("parquet", "csv")
BUILTIN_FORMATS = (*FILE_FORMATS, "duckdb", "view")

_REGISTRY: dict[str, SourceFormat] = {}


@dataclass(frozen=True)
class ResidentProfiler:
    """Models profiled where a plug-in's data lives, over all their rows: ``profile(name,
    known)`` gives the profile entries of table ``name`` (``known``: the entries so far)."""

    tables: frozenset[str]
    profile: Callable[[str, Mapping[str, Any]], dict[str, Any]]


class SourceFormat:
    """A source ``format:`` a plug-in reads. Subclass, set :attr:`name`, register it with
    :func:`register_source_format` from the plug-in's ``register()``."""

    #: the ``format:`` value of the schema yml
    name: str = ""
    #: the error when a source of this format names a file (external_location or
    #: database_file); None: the format reads files
    file_location_error: str | None = None
    #: source config keys of this format (key -> what it means), written beside
    #: ``format:`` and read from ``SourceConfigSpec.format_options``
    config_keys: Mapping[str, str] = {}

    def source_table(
        self,
        spec: SourceSpec,
        table: SourceTableSpec,
        decl: Declared,
        j: int,
        identifier: str,
        project_dir: Path,
    ) -> SourceTable:
        """The SourceTable of table ``j`` of source ``spec`` (``decl``: its place, for errors)."""
        raise NotImplementedError

    def run_settings(
        self, declared: Mapping[str, Declared], used: Mapping[str, SourceTable]
    ) -> dict[str, Any]:
        """Keys this format adds to ``Manifest.settings`` from the used sources' declarations."""
        return {}

    def prepare(
        self,
        project_dir: Path,
        selected: ResolvedTarget,
        settings: Mapping[str, Any],
        sources: list[SourceTable],
    ) -> None:
        """Before the loader describes the models: make ``sources`` readable by DuckDB."""

    def select_sql(self, st: SourceTable) -> str:
        """The DuckDB SELECT the view of source ``st`` is made of."""
        raise NotImplementedError

    def refresh(self, manifest: Manifest) -> None:
        """Before a stage reads the real rows (validate, train): bring local copies up to date."""

    def resident_profiler(self, manifest: Manifest) -> ResidentProfiler | None:
        """Before profiling: the models profiled where this format's data lives, or None."""
        return None


def register_source_format(fmt: SourceFormat) -> None:
    """Make ``fmt`` the reader of ``format: <fmt.name>`` (a plug-in's ``register()`` calls it)."""
    if not fmt.name or fmt.name in BUILTIN_FORMATS:
        raise ProjectError(f"a source format may not be called {fmt.name!r}")
    _REGISTRY[fmt.name] = fmt


def known_formats() -> list[str]:
    """Every source ``format:``: the built-in ones and those of the installed plug-ins."""
    from ..plugins import load_plugins

    load_plugins()
    return sorted({*FILE_FORMATS, *_REGISTRY})


def format_config_keys() -> dict[str, str]:
    """The source config keys every plug-in format declares (key -> what it means)."""
    known_formats()  # loads the plug-ins
    return {key: text for fmt in _REGISTRY.values() for key, text in fmt.config_keys.items()}


def source_format(name: str) -> SourceFormat:
    """The plug-in format ``name``; an unknown name is a ProjectError listing the known."""
    if name not in _REGISTRY:
        known = known_formats()
        if name not in _REGISTRY:
            close = did_you_mean(name, known)
            listing = "known formats: " + ", ".join(known)
            raise ProjectError(
                f"unknown source format {name!r}",
                hint=(f"{close} ({listing})" if close else listing)
                + "; a plug-in adds one (entry-point group synthohive_dbt.plugins)",
            )
    return _REGISTRY[name]


def is_plugin_format(name: str | None) -> bool:
    """True when ``name`` is a format a plug-in reads (not one of :data:`BUILTIN_FORMATS`)."""
    return bool(name) and name not in BUILTIN_FORMATS


def plugin_formats(sources: Iterable[SourceTable]) -> dict[SourceFormat, list[SourceTable]]:
    """The plug-in formats among ``sources``, each with its sources, in first-seen order."""
    found: dict[str, list[SourceTable]] = {}
    for st in sources:
        if is_plugin_format(st.format):
            found.setdefault(st.format, []).append(st)
    return {source_format(name): group for name, group in found.items()}


def refresh_sources(manifest: Manifest) -> None:
    """Call :meth:`SourceFormat.refresh` of every plug-in format ``manifest``'s sources use."""
    for fmt in plugin_formats(manifest.sources.values()):
        fmt.refresh(manifest)


def resident_profilers(manifest: Manifest) -> dict[str, ResidentProfiler]:
    """The models profiled by a plug-in (table -> its profiler), after their hooks ran."""
    out: dict[str, ResidentProfiler] = {}
    for fmt in plugin_formats(manifest.sources.values()):
        profiler = fmt.resident_profiler(manifest)
        if profiler is not None:
            out.update(dict.fromkeys(profiler.tables, profiler))
    return out
