"""The resolved project: the nouns every later stage reads.

``project.loader`` turns the user's files into a :class:`Manifest`; profiling,
training, generation, targets and data tests only ever read these classes, never the
raw YAML. Everything here is plain data that round-trips through JSON
(``target/manifest.json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from ..settings.datatests import Severity

#: how a column is modelled, derived from its DuckDB type
ColumnKind = Literal["numeric", "categorical", "datetime", "boolean", "text"]
#: what a PII action does to a column before training
PiiAction = Literal["fake", "hash", "mask", "drop", "keep"]
#: learn: CTGAN; copy: reference table copied verbatim
SynthMode = Literal["learn", "copy"]
#: what happens to source rows whose foreign key has no parent
OrphanPolicy = Literal["warn", "error", "drop", "null"]


@dataclass
class PiiConfig:
    """A column's declared PII handling (``config.pii``)."""

    action: PiiAction = "fake"
    kind: str | None = None  # faker provider / detector kind: email, phone, name, ...
    locale: str | None = None
    consistent: bool = True  # the same original value gets the same replacement
    secret_env: str | None = None  # env var holding the HMAC key, for action=hash
    keep_last: int = 4  # for action=mask
    length: int | None = None  # hex digits of the HMAC kept (8-64), for action=hash; None: all 64
    #: declared: written in schema.yml; detected: added by PII detection (privacy.undeclared: protect)
    source: Literal["declared", "detected"] = "declared"


@dataclass
class DataTest:
    """A dbt-style generic test declared on a column or table."""

    name: Literal["unique", "not_null", "accepted_values", "relationships"]
    column: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # values, to, field, severity, ...
    severity: Severity = "error"


@dataclass
class CheckConstraint:
    """A SQL boolean expression every row must satisfy (``type: check``)."""

    expression: str
    column: str | None = None
    name: str | None = None


@dataclass
class Column:
    name: str
    data_type: str  # DuckDB type as DuckDB prints it: INTEGER, VARCHAR, DECIMAL(10,2), ...
    kind: ColumnKind = "categorical"
    nullable: bool = True  # False when a not_null or primary_key constraint is declared
    unique: bool = False
    description: str = ""
    pii: PiiConfig | None = None
    tests: list[DataTest] = field(default_factory=list)
    # per-column overrides of distribution-test thresholds and the like (``config.synth``)
    synth: dict[str, Any] = field(default_factory=dict)


@dataclass
class ForeignKey:
    """``columns`` of the child reference ``parent_columns`` of table ``parent``."""

    columns: list[str]
    parent: str  # table (model) name
    parent_columns: list[str]
    nullable: bool = True  # any FK column may be null in the source
    orphan_policy: OrphanPolicy = "warn"

    @property
    def name(self) -> str:
        return f"{'_'.join(self.columns)}__{self.parent}"


#: how children per parent are drawn: the empirical distribution or a negative binomial
CountModel = Literal["empirical", "negative_binomial"]


@pydantic_dataclass
class SynthConfig:
    """Per-table synthesis settings (``config.synth``), defaults from the project.

    The fields are the pipeline's own keys, declared here once: the project's optional
    layer (``project/settings.SynthSettings``) is generated from them. Every CTGAN engine
    key set for the table is in ``engine``, validated by the engine's model
    (``synth/settings.SynthSettings``), which holds their defaults.
    """

    mode: SynthMode = Field("learn", description="learn: CTGAN; copy: copy the table verbatim")
    rows: int | None = Field(None, ge=0, description="rows to generate")
    scale: float | None = Field(
        None, gt=0, description="rows to generate as a multiple of the source rows"
    )
    seed: int | None = None
    context_columns: list[str] | None = Field(
        None, description="parent columns the child is conditioned on (None: the parent's "
        "non-key, non-PII columns)"
    )
    sample_rows: int | None = Field(
        None, ge=1, description="train on at most this many source rows"
    )
    primary_parent: str | None = Field(
        None, description="parent table (or FK name) a child with several parents is conditioned on"
    )
    checkpoint_every: int | None = Field(None, ge=1, description="epochs between saved checkpoints")
    chunk_rows: int | None = Field(None, ge=1, description="rows generated per streamed chunk")
    count_model: CountModel = Field(
        "empirical",
        description="children per parent: the empirical distribution or a negative binomial",
    )
    partitions: int | None = Field(
        None, ge=1, description="parts a Spark target generates the table in (docs/spark.md)"
    )
    #: the CTGAN engine settings set for this table (keys of synth/settings.SynthSettings)
    engine: dict[str, Any] = Field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return int(self.engine.get("epochs", _engine_default("epochs")))

    @epochs.setter
    def epochs(self, value: int) -> None:
        self.engine["epochs"] = value

    @property
    def batch_size(self) -> int:
        return int(self.engine.get("batch_size", _engine_default("batch_size")))


#: SynthConfig fields that are not pipeline keys a user writes
_NOT_SETTINGS = ("engine",)


def pipeline_synth_fields() -> dict[str, Any]:
    """The pipeline's ``config.synth`` keys and their pydantic field declarations."""
    fields_ = SynthConfig.__pydantic_fields__  # type: ignore[attr-defined]
    return {k: v for k, v in fields_.items() if k not in _NOT_SETTINGS}


def _engine_default(key: str) -> Any:
    from ..synth.settings import SynthSettings as EngineSettings

    return EngineSettings.model_fields[key].default


@dataclass
class Table:
    name: str
    materialized: Literal["synth", "derived"]
    path: str  # the .sql file, relative to the project
    raw_sql: str
    compiled_sql: str  # rendered against the real data (sources registered in DuckDB)
    columns: list[Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    unique_keys: list[list[str]] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    tests: list[DataTest] = field(default_factory=list)  # table-level tests
    refs: list[str] = field(default_factory=list)  # models named by ref()
    sources: list[list[str]] = field(default_factory=list)  # [source, table] pairs used
    synth: SynthConfig = field(default_factory=SynthConfig)
    description: str = ""
    schema_path: str | None = None  # the schema yml that declares the model, relative
    tags: list[str] = field(default_factory=list)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass
class SourceTable:
    source: str
    name: str
    relation: str  # the quoted relation the source() macro renders to
    location: str | None = None  # resolved external file, when file-backed
    format: str = "parquet"  # parquet, csv, duckdb, view, or a plug-in format
    identifier: str = ""  # the table's name inside the file/database (default: name)
    schema: str | None = None  # schema inside the DuckDB database file, format duckdb


@dataclass
class Manifest:
    project_name: str
    project_dir: str
    target_path: str  # absolute path of target/
    profile_name: str
    target_name: str
    vars: dict[str, Any]
    seed: int
    tables: dict[str, Table]
    sources: dict[str, SourceTable]  # key "source.table"
    order: list[str]  # topological: parents before children, derived models last
    settings: dict[str, Any] = field(default_factory=dict)  # project-level defaults (tests, ...)
    target_type: str = ""  # ``type:`` of the selected output in profiles.yml
    profiles_path: str = ""  # the profiles.yml used; "" for the embedded default target

    # ---- graph -------------------------------------------------------------------
    def parents(self, name: str) -> list[str]:
        """Direct upstream tables: FK parents and ref()'d models."""
        table = self.tables[name]
        ups = [fk.parent for fk in table.foreign_keys] + list(table.refs)
        return sorted({u for u in ups if u != name})

    def children(self, name: str) -> list[str]:
        return sorted(t for t in self.tables if name in self.parents(t))

    def synth_tables(self) -> list[Table]:
        return [self.tables[n] for n in self.order if self.tables[n].materialized == "synth"]

    def derived_tables(self) -> list[Table]:
        return [self.tables[n] for n in self.order if self.tables[n].materialized == "derived"]

    @property
    def target_dir(self) -> Path:
        return Path(self.target_path)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Rebuild a manifest from :meth:`to_dict` output (e.g. ``target/manifest.json``)."""
        fields = dict(data)
        fields["tables"] = {name: _table_from_dict(t) for name, t in data["tables"].items()}
        fields["sources"] = {key: SourceTable(**s) for key, s in data["sources"].items()}
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in fields.items() if k in known})


def _table_from_dict(data: dict[str, Any]) -> Table:
    fields = dict(data)
    fields["columns"] = [
        Column(
            **{
                **c,
                "pii": PiiConfig(**c["pii"]) if c.get("pii") else None,
                "tests": [DataTest(**t) for t in c.get("tests", [])],
            }
        )
        for c in data.get("columns", [])
    ]
    fields["foreign_keys"] = [ForeignKey(**fk) for fk in data.get("foreign_keys", [])]
    fields["checks"] = [CheckConstraint(**c) for c in data.get("checks", [])]
    fields["tests"] = [DataTest(**t) for t in data.get("tests", [])]
    fields["synth"] = SynthConfig(**data.get("synth", {}))
    known = set(Table.__dataclass_fields__)
    return Table(**{k: v for k, v in fields.items() if k in known})
