"""The raw tables a dbt project reads: its sources and the seeds its models use.

Each becomes one shive model. A raw table is read from the DuckDB file of the dbt
profile (attached read-only), a seed from that file when ``dbt seed`` put it there and
from its CSV otherwise. The synthetic copy is written to the same schema and name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import ProfileError
from ..project.sources import RESERVED_SCHEMAS
from ..quoting import quote_identifier, quote_literal
from ..targets.base import PLAIN_NAME
from .nodes import DbtProject, NodeRef
from .profile import DbtConnection
from .reader import parent_node
from .render import RenderedModel

log = logging.getLogger(__name__)

#: the catalog the real database is attached as, read-only
REAL = "__shive_real"


@dataclass
class RawTable:
    node: NodeRef
    model: str  # the shive model's name
    schema: str  # in the real database, and in the synthetic one
    identifier: str
    csv: Path | None = None  # a seed read from its CSV file
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, DuckDB type)
    rows: int = 0

    def select(self) -> str:
        """The SQL that reads the real rows."""
        if self.csv is not None:
            return f"SELECT * FROM read_csv_auto({quote_literal(str(self.csv))})"
        return f"SELECT * FROM {quote_identifier(REAL)}.{quote_identifier(self.schema)}.{quote_identifier(self.identifier)}"


@dataclass
class Skipped:
    node: NodeRef
    reason: str


def open_real(connection: DbtConnection) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the dbt profile's database attached read-only."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {quote_literal(str(connection.database_file))} AS {quote_identifier(REAL)} (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise ProfileError(
            f"cannot open the dbt project's DuckDB file {connection.database_file}: {exc}",
            path=connection.database_file,
            hint="is a dbt run or another process holding it open for writing?",
        ) from exc
    return con


def collect_raw_tables(
    project: DbtProject,
    rendered: dict[str, RenderedModel],
    connection: DbtConnection,
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[NodeRef, RawTable], list[Skipped]]:
    """Every source and seed some model or test reads, located and described; the rest with reasons."""
    used = [n for r in rendered.values() for n in r.depends_on if n.kind != "model"]
    for check in project.checks:
        parent = parent_node(check.kwargs.get("to"), project) if check.kwargs.get("to") else None
        used += [n for n in (check.node, parent) if n is not None and n.kind != "model"]
    used = [n for n in used if n.kind != "source" or n.name in project.sources]
    used = [n for n in used if n.kind != "seed" or n.name in project.seeds]
    existing = {
        (str(s), str(t)): (str(s), str(t))
        for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = ?",
            [REAL],
        ).fetchall()
    }
    lowered = {(s.lower(), t.lower()): v for (s, t), v in existing.items()}
    tables: dict[NodeRef, RawTable] = {}
    skipped: list[Skipped] = []
    names: set[str] = set()
    for node in sorted(dict.fromkeys(used), key=lambda n: (n.kind, n.name)):
        located = _locate(node, project, connection, lowered)
        if isinstance(located, str):
            skipped.append(Skipped(node, located))
            continue
        schema, identifier, csv = located
        if not (PLAIN_NAME.match(schema) and PLAIN_NAME.match(identifier)):
            skipped.append(Skipped(node, f"{schema}.{identifier} is not a plain SQL name"))
            continue
        table = RawTable(node, _model_name(node, names), schema, identifier, csv)
        _describe(con, table)
        tables[node] = table
    return tables, skipped


def _locate(
    node: NodeRef, project: DbtProject, connection: DbtConnection, existing: dict
) -> tuple[str, str, Path | None] | str:
    if node.kind == "source":
        source = project.sources[node.name]
        if source.external_location:
            return (f"an external source ({source.external_location}): shive writes the "
                    "synthetic tables into the DuckDB file, where dbt does not look for it")  # fmt: skip
        if source.database and source.database.lower() != connection.database.lower():
            return (f"it lives in database {source.database!r}, not the profile's "
                    f"{connection.database!r}; only the profile's own database file is imported")  # fmt: skip
        found = existing.get((source.schema.lower(), source.identifier.lower()))
        if found is None:
            return f"no table {source.schema}.{source.identifier} in {connection.database_file}"
        return found[0], found[1], None
    seed = project.seeds[node.name]
    found = existing.get((seed.schema.lower(), seed.alias.lower()))
    if found is not None:
        return found[0], found[1], None
    if not seed.path.is_file():
        return f"its CSV {seed.path} does not exist"
    return seed.schema, seed.alias, seed.path.resolve()


def _model_name(node: NodeRef, taken: set[str]) -> str:
    """A plain, unused shive model name: the table's own name when it is free."""
    source, _, table = node.name.rpartition(".")
    candidates = [table, f"{source}_{table}"] if source else [table, f"seed_{table}"]
    for raw in candidates:
        name = re.sub(r"\W", "_", raw)
        name = name if re.match(r"[A-Za-z_]", name) else f"t_{name}"
        if name not in taken and name.lower() not in RESERVED_SCHEMAS:
            taken.add(name)
            return name
    i = 2
    while f"{name}_{i}" in taken:
        i += 1
    taken.add(f"{name}_{i}")
    return f"{name}_{i}"


def _describe(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    rows = con.execute(f"DESCRIBE {table.select()}").fetchall()
    table.columns = [(str(r[0]), str(r[1])) for r in rows]
    table.rows = int(con.execute(f"SELECT count(*) FROM ({table.select()})").fetchone()[0])
