"""The project stage: read the user's files and resolve them into a Manifest.

Public API::

    load_project(project_dir, *, profiles_dir=None, target=None, vars=None, seed=None) -> Manifest
    select_tables(manifest, select, exclude) -> list[str]      # graph order
    open_real_connection(manifest) -> duckdb.DuckDBPyConnection
    write_manifest(manifest, path=None) -> Path; read_manifest(path) -> Manifest
    render_model(...)  # jinja rendering with source/ref/var/env_var/config
"""

from __future__ import annotations

from ..quoting import quote_identifier
from .compile import compile_model
from .graph import select_tables, topological_order
from .jinja import RenderedModel, render_model
from .loader import load_project, load_trained_project
from .manifest import read_manifest, write_manifest
from .model import (
    CheckConstraint,
    Column,
    DataTest,
    ForeignKey,
    Manifest,
    PiiConfig,
    SourceTable,
    SynthConfig,
    Table,
)
from .profiles import ResolvedTarget, create_target_adapter, resolve_target, target_for_manifest
from .sources import model_relation, open_real_connection, source_relation

__all__ = [
    "CheckConstraint",
    "Column",
    "DataTest",
    "ForeignKey",
    "Manifest",
    "PiiConfig",
    "RenderedModel",
    "ResolvedTarget",
    "SourceTable",
    "SynthConfig",
    "Table",
    "compile_model",
    "create_target_adapter",
    "load_project",
    "load_trained_project",
    "model_relation",
    "open_real_connection",
    "quote_identifier",
    "read_manifest",
    "render_model",
    "resolve_target",
    "select_tables",
    "source_relation",
    "target_for_manifest",
    "topological_order",
    "write_manifest",
]
