"""Derived models (``materialized: derived``): SQL over the synthetic tables.

A derived model is never learned. Its SQL is rendered again with ``ref('x')`` pointing
at the synthetic relation of ``x`` in the target (``adapter.relation``), transpiled to
the target's dialect when that is not DuckDB, and materialised with
``adapter.create_table_as``; its declared constraints are then verified like any
generated table's. Inside a generation (``generate_step`` opens one around the synth
tables and the derived models) the refs are the staged tables and the derived tables
are staged with them, so they are swapped in with the tables they were computed from. ``source()`` is refused: it would read the real data into the
synthetic output.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot

from ..errors import GenerationError, ShiveError
from ..faults import fault_point
from ..project.jinja import render_model
from .constraints import verify_table
from .orchestrator import TableGenResult

if TYPE_CHECKING:
    from ..project.model import Manifest, Table
    from ..targets.base import TargetAdapter

logger = logging.getLogger(__name__)


def build_derived(
    manifest: Manifest,
    adapter: TargetAdapter,
    *,
    tables: Iterable[str] | None = None,
    check: bool = True,
    fail_fast: bool = True,
    on_table: Callable[[TableGenResult], None] | None = None,
) -> list[TableGenResult]:
    """Materialise the derived models (those in ``tables``, or all) in graph order."""
    wanted = set(tables) if tables is not None else None
    results: list[TableGenResult] = []
    with adapter.generation() as generation:
        for table in manifest.derived_tables():
            if wanted is not None and table.name not in wanted:
                continue
            result = _build_one(manifest, adapter, table, check=check, fail_fast=fail_fast)
            if result.status == "error":
                generation.discard(f"derived model {table.name} failed")
            else:
                fault_point("generate.derived")
            results.append(result)
            if on_table:
                on_table(result)
    return results


def _build_one(
    manifest: Manifest, adapter: TargetAdapter, table: Table, *, check: bool, fail_fast: bool
) -> TableGenResult:
    started = time.perf_counter()
    try:
        sql = render_derived(manifest, adapter, table)
        rows = adapter.create_table_as(table.name, sql)
        if check:
            verify_table(adapter, manifest, table)
        result = TableGenResult(table.name, "derived", rows=rows)
    except ShiveError as exc:
        if fail_fast:
            raise
        logger.error("%s: %s", table.name, exc)
        result = TableGenResult(table.name, "error", message=str(exc), error=exc)
    result.seconds = time.perf_counter() - started
    return result


def render_derived(manifest: Manifest, adapter: TargetAdapter, table: Table) -> str:
    """The model's SQL with ``ref()`` resolved to synthetic relations, in the target's dialect."""
    path = Path(manifest.project_dir) / table.path

    def ref(name: str) -> str:
        if name not in manifest.tables:
            raise GenerationError(
                f"derived model {table.name} refs unknown model {name!r}",
                table=table.name,
                path=path,
                hint="known models: " + ", ".join(sorted(manifest.tables)),
            )
        if not adapter.table_exists(name):
            raise GenerationError(
                f"derived model {table.name} refs {name}, which is not in the target",
                table=table.name,
                path=path,
                hint=f"generate it first (`--select +{table.name}`)",
            )
        return _duckdb_relation(adapter, name)

    def source(source_name: str, table_name: str) -> str:
        raise GenerationError(
            f"derived model {table.name} reads source('{source_name}', '{table_name}'): "
            "that would put real rows into the synthetic output",
            table=table.name,
            path=path,
            hint="make it a synth model, or ref() the synth model built on that source",
        )

    target = {
        "name": manifest.target_name,
        "type": adapter.type,
        "profile_name": manifest.profile_name,
    }
    rendered = render_model(
        table.raw_sql, path=path, source=source, ref=ref, vars=manifest.vars, target=target
    )
    sql = rendered.sql.strip().rstrip(";")
    if adapter.dialect != "duckdb":
        try:
            sql = sqlglot.transpile(sql, read="duckdb", write=adapter.dialect)[0]
        except sqlglot.errors.SqlglotError as exc:
            raise GenerationError(
                f"cannot translate derived model {table.name} to {adapter.dialect}: {exc}",
                table=table.name,
                path=path,
                hint="write the model in SQL both dialects accept",
            ) from exc
    return sql


def _duckdb_relation(adapter: TargetAdapter, name: str) -> str:
    """The target's relation of ``name`` written as DuckDB SQL: the model is DuckDB SQL
    until it is transpiled, so a Spark `db`.`t` must reach sqlglot as "db"."t"."""
    relation = adapter.relation(name)
    if adapter.dialect == "duckdb":
        return relation
    return sqlglot.exp.to_table(relation, dialect=adapter.dialect).sql(dialect="duckdb")
