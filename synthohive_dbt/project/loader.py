"""Load a project folder into a validated :class:`Manifest`.

The steps, each raising a ProjectError (or ProfileError for missing data) that names
the file, line and fix:

1. read ``shive_project.yml`` and pick the target from ``profiles.yml``;
2. find the SQL models and read every schema yml (sources, models, columns);
3. render each model with jinja (``source``/``ref``/``var``/``env_var``/``config``);
4. register sources and models as views in an in-memory DuckDB, parents first, and
   ask DuckDB for each model's columns and types (no rows are read); a Spark source
   is read through its cache in ``.shive-samples/``, so a missing one is first
   written as an empty file with the Spark table's types (the only time loading
   starts Spark);
5. attach declared keys, constraints and tests; resolve foreign keys across tables;
6. order the tables (parents first, derived models after their refs), refusing cycles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from pydantic import ValidationError

from ..errors import ProjectError, SourceUnavailable, known_names_hint
from .declared import Declared
from .diagnostics import validation_error
from .files import (
    Declarations,
    find_model_files,
    format_settings,
    read_project_config,
    read_schema_files,
    relative,
    resolve_sources,
)
from .formats import plugin_formats
from .graph import topological_order
from .hierarchies import check_self_references
from .jinja import RenderedModel, render_model
from .keys import (
    check_context_columns,
    check_pii_on_keys,
    resolve_foreign_keys,
    resolve_relationship_tests,
)
from .model import Manifest, OrphanPolicy, SourceTable, SynthConfig, Table
from .profiles import ResolvedTarget, resolve_target
from .schema import ModelConfigSpec
from .settings import DEFAULT_PAC, ProjectConfig, SynthSettings, merge_synth_layers, synth_config
from .sources import check_single_select, model_relation, register_models, register_sources
from .tables import attach_declarations, describe_columns
from .yamlio import LineIndex

log = logging.getLogger(__name__)


@dataclass
class _Model:
    """A model between rendering and its Table."""

    name: str
    sql_path: Path
    raw_sql: str
    rendered: RenderedModel
    config: ModelConfigSpec
    declared: Declared | None


def load_project(
    project_dir: str | Path = ".",
    *,
    profiles_dir: str | Path | None = None,
    target: str | None = None,
    vars: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Manifest:
    """Read, render and check the project in ``project_dir``; return its manifest.

    ``vars`` override the project's ``vars:``; ``seed`` overrides its ``seed:``.
    """
    root = Path(project_dir).resolve()
    config, _ = read_project_config(root)
    resolved = resolve_target(root, config.profile_name, profiles_dir=profiles_dir, target=target)
    all_vars = {**config.vars, **(vars or {})}
    sql_files, yml_files = find_model_files(root, config.model_paths)
    declarations = read_schema_files(yml_files, all_vars)
    _require_sql_for_declared(declarations, sql_files, root)
    target_path = (root / config.target_path).resolve()
    sources = resolve_sources(declarations.sources, root)
    models = _render_models(sql_files, declarations, sources, all_vars, resolved, root)
    tables = {m.name: _table(m, config, root) for m in models.values()}
    _require_enabled_refs(models, tables)
    used_sources = {key: st for key, st in sources.items() if _is_used(st, tables)}
    source_settings = format_settings(declarations.sources, used_sources)
    # describing a model reads its sources: a plug-in source made readable first
    for fmt, group in plugin_formats(used_sources.values()).items():
        fmt.prepare(root, resolved, source_settings, group)
    tables = _build_tables(tables, models, sources, used_sources, config)
    order = topological_order(
        tables, _dependencies(tables), late=lambda n: tables[n].materialized == "derived"
    )
    return Manifest(
        project_name=config.name,
        project_dir=str(root),
        target_path=str(target_path),
        profile_name=resolved.profile_name,
        target_name=resolved.target_name,
        vars=all_vars,
        seed=config.seed if seed is None else seed,
        tables={name: tables[name] for name in order},
        sources=dict(sorted(used_sources.items())),
        order=order,
        settings=_settings(config, source_settings),
        target_type=resolved.type,
        profiles_path=str(resolved.profiles_path or ""),
    )


def load_trained_project(
    project_dir: str | Path,
    *,
    profiles_dir: str | Path | None = None,
    target: str | None = None,
    vars: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Manifest:
    """The project for the steps that work from trained artifacts (generate, test, report).

    Loaded from its files like :func:`load_project` while its sources can be read; where
    they cannot (the project was copied, with its ``target/``, to a machine that cannot
    reach the production data), the manifest recorded in ``target/manifest.json`` by the
    last load stands in, re-rooted in ``project_dir`` and pointed at the target that
    ``profiles.yml`` here names. Only the privacy tests need the real rows; they say so.
    """
    try:
        return load_project(
            project_dir, profiles_dir=profiles_dir, target=target, vars=vars, seed=seed
        )
    except SourceUnavailable as exc:
        from .manifest import MANIFEST_FILE, read_manifest

        root = Path(project_dir).resolve()
        config, _ = read_project_config(root)
        recorded = (root / config.target_path).resolve() / MANIFEST_FILE
        if not recorded.is_file():
            exc.hint = (
                f"{exc.hint}; with no {MANIFEST_FILE} in the target folder there is no "
                "recorded project to generate from either: train where the sources are"
            )
            raise
        manifest = read_manifest(recorded)
        resolved = resolve_target(root, config.profile_name, profiles_dir=profiles_dir, target=target)
        manifest.project_dir = str(root)
        manifest.target_path = str(recorded.parent)
        manifest.target_name = resolved.target_name
        manifest.target_type = resolved.type
        manifest.profiles_path = str(resolved.profiles_path or "")
        if seed is not None:
            manifest.seed = seed
        if vars:
            log.warning("--vars is ignored: the project was recorded with its vars at training")
        log.warning(
            "sources not reachable (%s): working from the project recorded in %s",
            exc.message,
            recorded,
        )
        return manifest


# ---- steps -----------------------------------------------------------------------------
def _require_sql_for_declared(
    declarations: Declarations, sql_files: dict[str, Path], root: Path
) -> None:
    for name, decl in declarations.models.items():
        if name not in sql_files:
            raise decl.error(
                f"model {name!r} has no SQL file",
                "name",
                hint=known_names_hint(name, sql_files, "model")
                + f" (a model is a file <model-path>/{name}.sql)",
            )


def _render_models(
    sql_files: dict[str, Path],
    declarations: Declarations,
    sources: dict[str, SourceTable],
    vars: dict[str, Any],
    resolved: ResolvedTarget,
    root: Path,
) -> dict[str, _Model]:
    target_info = {
        "name": resolved.target_name,
        "type": resolved.type,
        "profile_name": resolved.profile_name,
    }
    models: dict[str, _Model] = {}
    for name, path in sql_files.items():
        raw_sql = path.read_text(encoding="utf-8")
        rendered = render_model(
            raw_sql,
            path=path,
            source=_source_lookup(sources, path),
            ref=_ref_lookup(sql_files, name, path),
            vars=vars,
            target=target_info,
        )
        declared = declarations.models.get(name)
        config = _model_config(rendered, declared, path, root)
        if config.enabled:
            models[name] = _Model(name, path, raw_sql, rendered, config, declared)
        else:
            log.debug("model %s is disabled", name)
    return models


def _source_lookup(sources: dict[str, SourceTable], path: Path) -> Callable[[str, str], str]:
    def lookup(source: str, table: str) -> str:
        key = f"{source}.{table}"
        if key not in sources:
            raise ProjectError(
                f"source('{source}', '{table}') is not declared (or is disabled)",
                path=path,
                hint=known_names_hint(key, sources, "source table")
                + "; sources are declared under 'sources:' in a schema yml",
            )
        return sources[key].relation

    return lookup


def _ref_lookup(sql_files: dict[str, Path], me: str, path: Path) -> Callable[[str], str]:
    def lookup(name: str) -> str:
        if name == me:
            raise ProjectError(f"model {me!r} refers to itself with ref()", path=path)
        if name not in sql_files:
            raise ProjectError(
                f"ref('{name}') names no model",
                path=path,
                hint=known_names_hint(name, sql_files, "model"),
            )
        return model_relation(name)

    return lookup


def _model_config(
    rendered: RenderedModel, declared: Declared | None, path: Path, root: Path
) -> ModelConfigSpec:
    """yml ``config:`` overlaid with the SQL's ``{{ config(...) }}`` (which wins, as in dbt)."""
    try:
        from_sql = ModelConfigSpec.model_validate(rendered.config)
    except ValidationError as exc:
        raise validation_error(
            exc,
            path=path,
            data=rendered.config,
            index=LineIndex(),
            model=ModelConfigSpec,
            what=f"config() in {relative(path, root)}",
        ) from exc
    base = declared.spec.config if declared else ModelConfigSpec()
    merged = base.model_dump(exclude_unset=True)
    for key, value in from_sql.model_dump(exclude_unset=True).items():
        if key == "synth" and isinstance(merged.get("synth"), dict) and isinstance(value, dict):
            merged["synth"] = merge_synth_layers(merged["synth"], value)
        else:
            merged[key] = value
    return ModelConfigSpec.model_validate(merged)


def _table(model: _Model, config: ProjectConfig, root: Path) -> Table:
    layers = [config.synth.model_dump(exclude_none=True)]
    if model.config.synth is not None:
        layers.append(model.config.synth.model_dump(exclude_none=True))
    merged = merge_synth_layers(*layers)
    _check_synth(merged, model, root)
    materialized = model.config.materialized or "synth"
    if materialized == "derived" and model.rendered.sources:
        source, table = model.rendered.sources[0]
        raise ProjectError(
            f"derived model {model.name!r} reads source('{source}', '{table}')",
            path=model.sql_path,
            hint="derived models are computed from the synthetic tables: select from "
            "ref('<model>') instead, or make it a synth model",
        )
    return Table(
        name=model.name,
        materialized=materialized,
        path=relative(model.sql_path, root),
        raw_sql=model.raw_sql,
        compiled_sql=check_single_select(model.rendered.sql, path=model.sql_path, model=model.name),
        refs=list(model.rendered.refs),
        sources=[list(s) for s in model.rendered.sources],
        synth=synth_config(merged),
        schema_path=relative(model.declared.path, root) if model.declared else None,
        tags=_tags(model),
    )


def _tags(model: _Model) -> list[str]:
    declared = model.declared.spec.tags if model.declared else []
    return list(dict.fromkeys([*declared, *model.config.tags]))


def _check_synth(merged: dict[str, Any], model: _Model, root: Path) -> None:
    batch, pac = merged.get("batch_size", SynthConfig().batch_size), merged.get("pac", DEFAULT_PAC)
    if batch % pac:
        where = model.declared
        message = f"batch_size {batch} of model {model.name!r} is not a multiple of pac {pac}"
        hint = f"use a batch_size divisible by {pac}, e.g. {batch - batch % pac or pac}"
        if where is not None:
            raise where.error(message, "config", "synth", hint=hint, table=model.name)
        raise ProjectError(message, path=model.sql_path, hint=hint, table=model.name)
    SynthSettings.model_validate(merged)


def _require_enabled_refs(models: dict[str, _Model], tables: dict[str, Table]) -> None:
    for model in models.values():
        for ref in model.rendered.refs:
            if ref not in tables:
                raise ProjectError(
                    f"model {model.name!r} refers to disabled model {ref!r}",
                    path=model.sql_path,
                    hint=f"enable {ref} or remove the ref()",
                )


def _is_used(source: SourceTable, tables: dict[str, Table]) -> bool:
    return any([source.source, source.name] in t.sources for t in tables.values())


def _build_tables(
    tables: dict[str, Table],
    models: dict[str, _Model],
    sources: dict[str, SourceTable],
    used_sources: dict[str, SourceTable],
    config: ProjectConfig,
) -> dict[str, Table]:
    """Columns from DuckDB, then declarations, then keys across tables."""
    ref_order = topological_order(
        tables, {n: {r: "ref()" for r in t.refs} for n, t in tables.items()}
    )
    con = duckdb.connect(":memory:")
    try:
        register_sources(con, used_sources.values())
        register_models(con, (tables[n] for n in ref_order))
        built = {}
        for name in ref_order:
            tables[name].columns = describe_columns(con, name)
            built[name] = attach_declarations(tables[name], models[name].declared, con, config)
    finally:
        con.close()
    declared = {n: m.declared for n, m in models.items() if m.declared is not None}
    orphans: dict[str, OrphanPolicy] = {
        n: models[n].config.orphans or config.orphans for n in tables
    }
    resolve_foreign_keys(
        tables, sources, [fk for b in built.values() for fk in b.foreign_keys], orphans
    )
    resolve_relationship_tests(
        tables, sources, [t for b in built.values() for t in b.relationship_tests]
    )
    check_context_columns(tables, declared)
    check_pii_on_keys(tables, declared)
    check_self_references(tables, declared)
    return tables


def _dependencies(tables: dict[str, Table]) -> dict[str, dict[str, str]]:
    deps: dict[str, dict[str, str]] = {}
    for name, table in tables.items():
        edges = {r: "ref()" for r in table.refs}
        for fk in table.foreign_keys:
            edges[fk.parent] = f"foreign key {', '.join(fk.columns)}"
        deps[name] = edges
    return deps


def _settings(config: ProjectConfig, source_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "synth": config.synth.model_dump(exclude_none=True),
        "data_tests": config.data_tests.model_dump(exclude_none=True),
        "privacy": config.privacy.model_dump(),
        "orphans": config.orphans,
    }
    settings.update(source_settings or {})  # the plug-in formats' own keys
    return settings
