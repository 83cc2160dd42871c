"""What the importer knows of a dbt project: its models, sources, seeds and tests.

Filled either from the project's files (:mod:`.reader`) or from ``target/manifest.json``
(:mod:`.dbt_manifest`); everything later reads only these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

#: what a test or constraint is about
NodeKind = Literal["model", "source", "seed"]


@dataclass(frozen=True)
class NodeRef:
    """A dbt node a test points at: a model or seed by name, a source by (source, table)."""

    kind: NodeKind
    name: str  # model/seed name, or "source.table"

    def __str__(self) -> str:
        if self.kind != "source":
            return self.name
        source, _, table = self.name.partition(".")
        return f"source('{source}', '{table}')"


@dataclass
class DbtSource:
    source_name: str
    name: str
    database: str | None  # None: the profile's database
    schema: str
    identifier: str
    external_location: str | None = None

    @property
    def key(self) -> str:
        return f"{self.source_name}.{self.name}"


@dataclass
class DbtSeed:
    name: str
    path: Path  # the CSV
    database: str | None
    schema: str
    alias: str


@dataclass
class DbtModel:
    name: str
    path: str  # as dbt reports it, relative to the dbt project
    raw_sql: str
    language: str = "sql"
    compiled_sql: str | None = None
    relation: tuple[str, str, str] | None = None  # (database, schema, alias), from a manifest


@dataclass
class DbtCheck:
    """One dbt test or constraint on one column.

    ``name`` is the test (``unique``, ``not_null``, ``accepted_values``, ``relationships``)
    or constraint (``primary_key``, ``foreign_key``, ...); anything else is kept so the
    import can say it was not traced.
    """

    name: str
    node: NodeRef
    column: str | None
    via: Literal["test", "constraint"] = "test"
    kwargs: dict[str, Any] = field(default_factory=dict)  # values, quote, to, field, to_columns
    where: str | None = None
    origin: str = ""  # the yml file it is declared in

    def describe(self) -> str:
        on = f"{self.node}.{self.column}" if self.column else str(self.node)
        return f"{self.via} {self.name} on {on}"


@dataclass
class DbtProject:
    name: str
    profile: str
    root: Path
    vars: dict[str, Any]
    models: dict[str, DbtModel]
    sources: dict[str, DbtSource]  # key "source.table"
    seeds: dict[str, DbtSeed]
    checks: list[DbtCheck]
    from_manifest: bool = False
