"""The real data in DuckDB: sources as views, and every model as a view over its SQL.

:func:`open_real_connection` gives profiling, training and ``validate`` one in-memory
DuckDB connection where ``source('raw', 'customers')`` is the view
``"raw"."customers"`` (over ``read_parquet`` / ``read_csv_auto`` of the resolved file,
over a table of a DuckDB file attached read-only, or over what a plug-in source format
selects, e.g. a cached sample) and ``SELECT * FROM "customers"`` reads the real rows of model ``customers``. Nothing is loaded into memory here: views
are lazy, DuckDB streams them when queried.

Names from configuration must be plain SQL names and are quoted as well; file paths
go into SQL only as escaped string literals; a model's SQL must be a single SELECT.
"""

from __future__ import annotations

import glob
import logging
import string
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb
import sqlglot
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType

from ..errors import ProfileError, ProjectError, SourceUnavailable, known_names_hint
from ..quoting import quote_identifier, quote_literal
from .formats import is_plugin_format, source_format
from .model import SourceTable

if TYPE_CHECKING:
    from .model import Manifest, Table

log = logging.getLogger(__name__)

#: the private folder of the project where plug-in sources cache their samples of real
#: rows (never under target/; ``shive clean`` removes it)
SAMPLES_DIR = ".shive-samples"

#: schema holding the real-data view of every model
MODEL_SCHEMA = "main"
#: schemas a source may not be named after (the model schema and DuckDB's own)
RESERVED_SCHEMAS = frozenset({"main", "temp", "system", "information_schema", "pg_catalog"})
_FORMATS: dict[str, Literal["parquet", "csv"]] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}


def model_relation(name: str) -> str:
    """The quoted relation of a model's real-data view."""
    return f"{quote_identifier(MODEL_SCHEMA)}.{quote_identifier(name)}"


def source_relation(source: str, table: str) -> str:
    """The quoted relation ``source('source', 'table')`` renders to."""
    return f"{quote_identifier(source)}.{quote_identifier(table)}"


# ---- resolving where a source table lives ----------------------------------------------
def file_source(
    source: str,
    table: str,
    *,
    identifier: str,
    location_template: str,
    file_format: str | None,
    project_dir: Path,
    path: Path | None = None,
) -> SourceTable:
    """A file-backed source table; ``{name}``/``{identifier}`` in the location are filled in."""
    location = _fill_location(location_template, table, identifier, source, path)
    fmt = file_format or _format_of(location, source, table, path)
    if "://" not in location:
        location = (
            str((project_dir / location).resolve())
            if not Path(location).is_absolute()
            else location
        )
    return SourceTable(
        source=source,
        name=table,
        relation=source_relation(source, table),
        location=location,
        format=fmt,  # type: ignore[arg-type]
        identifier=identifier,
    )


def database_source(
    source: str, table: str, *, identifier: str, database_file: str, schema: str, project_dir: Path
) -> SourceTable:
    """A source table inside a DuckDB database file (attached read-only)."""
    location = database_file
    if not Path(location).is_absolute():
        location = str((project_dir / location).resolve())
    return SourceTable(
        source=source,
        name=table,
        relation=source_relation(source, table),
        location=location,
        format="duckdb",
        identifier=identifier,
        schema=schema,
    )


def _fill_location(
    template: str, table: str, identifier: str, source: str, path: Path | None
) -> str:
    fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    unknown = sorted(fields - {"name", "identifier"})
    if unknown:
        raise ProjectError(
            f"external_location of source {source!r} uses {{{unknown[0]}}}",
            path=path,
            hint="only {name} and {identifier} are filled in; write other braces as {{ and }}",
        )
    return template.format(name=table, identifier=identifier)


def _format_of(
    location: str, source: str, table: str, path: Path | None
) -> Literal["parquet", "csv"]:
    lowered = location.lower().removesuffix(".gz").removesuffix(".zst")
    for suffix, fmt in _FORMATS.items():
        if lowered.endswith(suffix):
            return fmt
    raise ProjectError(
        f"cannot tell the file format of source {source}.{table} from {location!r}",
        path=path,
        hint="add 'format: parquet' or 'format: csv' to the source's config",
    )


# ---- registering in DuckDB --------------------------------------------------------------
def register_sources(con: duckdb.DuckDBPyConnection, sources: Iterable[SourceTable]) -> None:
    """Create the view of every source table (checking first that its data exists)."""
    attached: dict[str, str] = {}
    for st in sources:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(st.source)}")
        select = _source_select(con, st, attached)
        try:
            con.execute(f"CREATE OR REPLACE VIEW {st.relation} AS {select}")
        except duckdb.Error as exc:
            raise ProfileError(
                f"cannot read source {st.source}.{st.name} from {st.location}: {_first_line(exc)}",
                path=st.location,
                table=f"{st.source}.{st.name}",
                hint="check that the file is a valid "
                + (st.format or "data")
                + " file, or set 'format:' in the source's config",
            ) from exc


def _source_select(
    con: duckdb.DuckDBPyConnection, st: SourceTable, attached: dict[str, str]
) -> str:
    if st.format == "duckdb":
        alias = _attach(con, st, attached)
        _require_table(con, st, alias)
        return (
            f"SELECT * FROM {quote_identifier(alias)}.{quote_identifier(st.schema or 'main')}"
            f".{quote_identifier(st.identifier or st.name)}"
        )
    if is_plugin_format(st.format):
        return source_format(st.format).select_sql(st)
    _require_files(st)
    reader = "read_parquet" if st.format == "parquet" else "read_csv_auto"
    return f"SELECT * FROM {reader}({quote_literal(st.location or '')})"


def _require_files(st: SourceTable) -> None:
    location = st.location or ""
    if "://" in location:
        return  # remote: DuckDB reports it when the view is created
    found = (
        glob.glob(location)
        if glob.has_magic(location)
        else ([location] if Path(location).is_file() else [])
    )
    if not found:
        raise SourceUnavailable(
            f"source {st.source}.{st.name}: file not found: {location}",
            path=location,
            table=f"{st.source}.{st.name}",
            hint=f"create the file or fix 'external_location' of source {st.source!r} "
            "(relative paths start at the project folder)",
        )


def _attach(con: duckdb.DuckDBPyConnection, st: SourceTable, attached: dict[str, str]) -> str:
    location = st.location or ""
    if location in attached:
        return attached[location]
    if not Path(location).is_file():
        raise SourceUnavailable(
            f"source {st.source}.{st.name}: DuckDB database file not found: {location}",
            path=location,
            table=f"{st.source}.{st.name}",
            hint=f"fix 'database_file' of source {st.source!r} (relative paths start at the project folder)",
        )
    alias = f"shive_src_{len(attached)}"
    try:
        con.execute(f"ATTACH {quote_literal(location)} AS {quote_identifier(alias)} (READ_ONLY)")
    except duckdb.Error as exc:
        raise ProfileError(
            f"cannot open DuckDB database {location} of source {st.source!r}: {_first_line(exc)}",
            path=location,
            hint="is it a DuckDB file, of a DuckDB version this one can read, not locked by a writer?",
        ) from exc
    attached[location] = alias
    return alias


def _require_table(con: duckdb.DuckDBPyConnection, st: SourceTable, alias: str) -> None:
    schema = st.schema or "main"
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ?",
        [alias, schema],
    ).fetchall()
    names = sorted(r[0] for r in rows)
    identifier = st.identifier or st.name
    if identifier not in names:
        raise ProfileError(
            f"source {st.source}.{st.name}: no table {schema}.{identifier} in {st.location}",
            path=st.location,
            table=f"{st.source}.{st.name}",
            hint=known_names_hint(identifier, names, f"table in schema {schema}")
            + "; set 'identifier:' on the table or 'schema:' on the source",
        )


def check_single_select(
    sql: str, *, path: str | Path | None = None, model: str | None = None
) -> str:
    """``sql`` without a trailing semicolon, if it is exactly one SELECT statement."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ProjectError(
            f"SQL syntax error in model {model}: {_first_line(exc)}", path=path, table=model
        ) from exc
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        kinds = ", ".join(s.type.name for s in statements) or "nothing"
        raise ProjectError(
            f"model {model} must be a single SELECT statement, found: {kinds}",
            path=path,
            table=model,
            hint="a model is one query (WITH ... SELECT ...); remove other statements and semicolons",
        )
    return strip_trailing(sql)


def strip_trailing(sql: str) -> str:
    """``sql`` without trailing semicolons and comments, so callers may wrap it in ``( ... )``."""
    try:
        tokens = DuckDB().tokenize(sql)
    except sqlglot.errors.SqlglotError:
        return sql.strip().rstrip(";").rstrip()
    body = [t for t in tokens if t.token_type != TokenType.SEMICOLON]
    return sql[: body[-1].end + 1].strip() if body else sql.strip()


def register_models(con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> None:
    """Create the real-data view of every model, parents first (views bind when created)."""
    for table in tables:
        sql = check_single_select(table.compiled_sql, path=table.path, model=table.name)
        try:
            con.execute(f"CREATE OR REPLACE VIEW {model_relation(table.name)} AS {sql}")
        except duckdb.Error as exc:
            raise ProjectError(
                f"SQL error in model {table.name}: {_first_line(exc)}",
                path=table.path,
                table=table.name,
                hint="run the compiled SQL in target/manifest.json to see it in context",
            ) from exc


def open_real_connection(
    manifest: Manifest, *, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every source and model of ``manifest`` registered as a view."""
    con = duckdb.connect(":memory:")
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        register_sources(con, manifest.sources.values())
        register_models(con, (manifest.tables[name] for name in manifest.order))
    except BaseException:
        con.close()
        raise
    return con


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
