"""Find a project's files and read them: shive_project.yml, SQL models, schema yml.

Everything here is about the text the user wrote; nothing touches DuckDB. Model names
come from SQL file names; sources and model declarations from every ``*.yml`` /
``*.yaml`` under the model paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ProjectError
from ..targets.base import PLAIN_NAME
from .declared import Declared
from .diagnostics import validation_error
from .formats import is_plugin_format, plugin_formats, source_format
from .jinja import render_config
from .model import SourceTable
from .schema import SchemaFile, SourceSpec, SourceTableSpec
from .settings import PROJECT_FILE, ProjectConfig
from .sources import RESERVED_SCHEMAS, database_source, file_source
from .yamlio import LineIndex, load_yaml


@dataclass
class Declarations:
    """Model and source declarations of all schema files, keyed by name."""

    models: dict[str, Declared] = field(default_factory=dict)
    sources: dict[str, Declared] = field(default_factory=dict)


def relative(path: Path, project_dir: Path) -> str:
    """``path`` relative to the project (posix), or as it is when outside it."""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def require_plain_name(
    name: str, what: str, *, path: Path | None = None, line: int | None = None
) -> str:
    """``name`` if it is a plain SQL name; otherwise a ProjectError (it is never put in SQL)."""
    if not isinstance(name, str) or not PLAIN_NAME.match(name):
        raise ProjectError(
            f"{what} {name!r} is not a plain name",
            path=path,
            line=line,
            hint="use letters, digits and underscores, starting with a letter or underscore",
        )
    return name


# ---- shive_project.yml ----------------------------------------------------------------
def read_project_config(project_dir: Path) -> tuple[ProjectConfig, Path]:
    """Validate ``shive_project.yml`` of ``project_dir``."""
    path = project_dir / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(
            f"no {PROJECT_FILE} in {project_dir}",
            path=project_dir,
            hint="run shive from the project folder, pass --project-dir, or create one with 'shive init NAME'",
        )
    data, index = load_yaml(path)
    if not isinstance(data, dict):
        raise ProjectError(
            f"{PROJECT_FILE} must be a mapping of settings",
            path=path,
            hint="start with 'name: my_project'",
        )
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, path=path, data=data, index=index, model=ProjectConfig) from exc
    require_plain_name(config.name, "project name", path=path, line=index.line_for(("name",)))
    return config, path


# ---- SQL models --------------------------------------------------------------------------
def find_model_files(
    project_dir: Path, model_paths: list[str]
) -> tuple[dict[str, Path], list[Path]]:
    """SQL models by name and schema yml files under the model paths."""
    sql: dict[str, Path] = {}
    yml: list[Path] = []
    for entry in model_paths:
        folder = project_dir / entry
        if not folder.is_dir():
            raise ProjectError(
                f"model path {entry!r} is not a folder",
                path=project_dir / PROJECT_FILE,
                hint=f"create {folder} or fix 'model-paths' in {PROJECT_FILE}",
            )
        for file in sorted(folder.rglob("*.sql")):
            name = require_plain_name(file.stem, "model name (the SQL file name)", path=file)
            if name in sql:
                raise ProjectError(
                    f"two SQL files define model {name!r}: {sql[name]} and {file}",
                    path=file,
                    hint="model names are file names and must be unique across model paths",
                )
            sql[name] = file
        yml.extend(sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]))
    return sql, yml


# ---- schema yml ----------------------------------------------------------------------------
def read_schema_files(files: list[Path], vars: Mapping[str, Any] | None = None) -> Declarations:
    """Parse, render and validate every schema file, collecting models and sources by name.

    Strings are rendered as dbt renders yml: ``{{ env_var('X') }}`` and ``{{ var('x') }}``
    (with the project's ``vars``) before validation; descriptions stay as written.
    """
    found = Declarations()
    for path in files:
        data, index = load_yaml(path)
        if data is None:
            continue
        data = render_config(data, path=path, vars=vars or {}, line_of=index.line_for)
        if not isinstance(data, dict):
            raise ProjectError(
                f"{path.name} must be a mapping with 'version: 2', 'sources:' and 'models:'",
                path=path,
            )
        try:
            schema = SchemaFile.model_validate(data)
        except ValidationError as exc:
            raise validation_error(
                exc, path=path, data=data, index=index, model=SchemaFile
            ) from exc
        _collect(found.models, schema.models, "models", "model", path, index)
        _collect(found.sources, schema.sources, "sources", "source", path, index)
    return found


def _collect(
    into: dict[str, Declared], specs: list[Any], key: str, what: str, path: Path, index: LineIndex
) -> None:
    for i, spec in enumerate(specs):
        here = Declared(spec, path, index, (key, i))
        if spec.name in into:
            other = into[spec.name]
            raise here.error(
                f"{what} {spec.name!r} is declared twice",
                "name",
                hint=f"it is also declared in {other.path} line {other.line('name')}; merge the two",
            )
        into[spec.name] = here


# ---- sources ------------------------------------------------------------------------------
def resolve_sources(declared: dict[str, Declared], project_dir: Path) -> dict[str, SourceTable]:
    """Every enabled source table as a SourceTable, keyed ``"source.table"``.

    A ``format:`` other than a file's is read by the plug-in that registered it
    (:mod:`.formats`).
    """
    result: dict[str, SourceTable] = {}
    for name, decl in declared.items():
        spec: SourceSpec = decl.spec
        require_plain_name(name, "source name", path=decl.path, line=decl.line("name"))
        if name in RESERVED_SCHEMAS:
            raise decl.error(
                f"a source may not be called {name!r}",
                "name",
                hint="that schema name is DuckDB's or holds the models; rename the source",
            )
        if spec.schema_ is not None:
            require_plain_name(
                spec.schema_, "source schema", path=decl.path, line=decl.line("schema")
            )
        if not spec.config.enabled:
            continue
        seen: set[str] = set()
        for j, table in enumerate(spec.tables):
            if table.name in seen:
                raise decl.error(f"table {table.name!r} is listed twice", "tables", j, "name")
            seen.add(table.name)
            if table.config.enabled:
                result[f"{name}.{table.name}"] = _source_table(spec, table, decl, j, project_dir)
    return result


def _source_table(
    spec: SourceSpec,
    table: SourceTableSpec,
    decl: Declared,
    j: int,
    project_dir: Path,
) -> SourceTable:
    require_plain_name(
        table.name, "source table name", path=decl.path, line=decl.line("tables", j, "name")
    )
    identifier = table.identifier or table.name
    require_plain_name(
        identifier, "source table identifier", path=decl.path, line=decl.line("tables", j)
    )
    fmt = table.config.format or spec.config.format
    if is_plugin_format(fmt):
        return source_format(fmt).source_table(spec, table, decl, j, identifier, project_dir)
    location = (
        table.config.external_location
        or table.meta.get("external_location")
        or spec.config.external_location
        or spec.meta.get("external_location")
    )
    database_file = table.config.database_file or spec.config.database_file
    if table.config.external_location or table.meta.get("external_location"):
        database_file = None  # a table-level file overrides the source's database
    if database_file and not location:
        return database_source(
            spec.name,
            table.name,
            identifier=identifier,
            database_file=database_file,
            schema=spec.schema_ or "main",
            project_dir=project_dir,
        )
    if not location:
        raise decl.error(
            f"source table {spec.name}.{table.name} has no location",
            "tables",
            j,
            hint="set config: {external_location: 'data/{name}.parquet'} on the source "
            "or config: {database_file: data/raw.duckdb} with schema:",
        )
    return file_source(
        spec.name,
        table.name,
        identifier=identifier,
        location_template=str(location),
        file_format=table.config.format or spec.config.format,
        project_dir=project_dir,
        path=decl.path,
    )


def format_settings(declared: dict[str, Declared], used: dict[str, SourceTable]) -> dict[str, Any]:
    """The ``Manifest.settings`` keys the plug-in formats of the ``used`` sources add."""
    settings: dict[str, Any] = {}
    for fmt, group in plugin_formats(used.values()).items():
        mine = {k: st for k, st in used.items() if st in group}
        settings.update(fmt.run_settings(declared, mine))
    return settings
