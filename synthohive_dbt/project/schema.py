"""Schema yml files (``version: 2``): sources, models, columns, constraints, tests, PII.

The vocabulary is dbt's, so a dbt user reads it without a manual; keys dbt allows
that shive does not use (``meta``, ``tags``, ``quote``, ...) are accepted and ignored,
anything else is an error. Data tests are kept as written here and parsed by
:mod:`synthohive_dbt.project.tests`, where the name of the test decides its arguments.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import ProjectError
from .formats import format_config_keys, is_plugin_format, source_format
from .model import OrphanPolicy, PiiAction
from .settings import ColumnThresholds, StrictModel, SynthSettings

ConstraintType = Literal["primary_key", "foreign_key", "not_null", "unique", "check"]
#: a data test as written: ``unique`` or ``{accepted_values: {values: [...]}}``
RawTest = str | dict[str, Any]

#: top-level keys of dbt property files that shive accepts and ignores
IGNORED_TOP_LEVEL = (
    "seeds",
    "snapshots",
    "analyses",
    "macros",
    "exposures",
    "metrics",
    "semantic_models",
    "saved_queries",
    "unit_tests",
    "groups",
)


class ConstraintSpec(StrictModel):
    """One entry of ``constraints:`` on a column or (with ``columns:``) on a model."""

    type: ConstraintType
    name: str | None = None
    columns: list[str] | None = Field(None, description="model-level constraints: the columns")
    expression: str | None = Field(None, description="type: check, a SQL boolean expression")
    to: str | None = Field(
        None, description="type: foreign_key, \"ref('model')\" or \"source('s', 't')\""
    )
    to_columns: list[str] | None = None
    warn_unenforced: bool | None = None
    warn_unsupported: bool | None = None

    @model_validator(mode="after")
    def _required_per_type(self) -> ConstraintSpec:
        if self.type == "check" and not self.expression:
            raise ValueError("a check constraint needs 'expression: <SQL boolean expression>'")
        if self.type == "foreign_key" and not self.to:
            raise ValueError("a foreign_key constraint needs 'to: \"ref('<parent model>')\"'")
        if self.type != "foreign_key" and (self.to or self.to_columns):
            raise ValueError(f"'to' and 'to_columns' belong to foreign_key, not {self.type}")
        return self


class PiiSpec(StrictModel):
    """A column's ``config.pii``."""

    action: PiiAction = "fake"
    kind: str | None = Field(
        None, description="faker provider / detector kind: email, phone, name, ..."
    )
    locale: str | None = None
    consistent: bool = True
    secret_env: str | None = None
    keep_last: int = Field(4, ge=0)


class ColumnConfigSpec(StrictModel):
    pii: PiiSpec | None = None
    synth: ColumnThresholds | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


class ColumnSpec(StrictModel):
    name: str
    description: str = ""
    data_type: str | None = Field(None, description="informational; the type comes from DuckDB")
    quote: bool | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    data_tests: list[RawTest] = Field(default_factory=list)
    tests: list[RawTest] = Field(default_factory=list, description="dbt's older name of data_tests")
    config: ColumnConfigSpec = Field(default_factory=ColumnConfigSpec)


class ModelConfigSpec(StrictModel):
    """A model's ``config:`` (also what ``{{ config(...) }}`` in its SQL accepts)."""

    materialized: Literal["synth", "derived"] | None = None
    synth: SynthSettings | None = None
    orphans: OrphanPolicy | None = Field(
        None, description="what to do with source rows whose FK has no parent"
    )
    enabled: bool = True
    tags: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    contract: dict[str, Any] = Field(default_factory=dict)


class ModelSpec(StrictModel):
    name: str
    description: str = ""
    config: ModelConfigSpec = Field(default_factory=ModelConfigSpec)
    columns: list[ColumnSpec] = Field(default_factory=list)
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    data_tests: list[RawTest] = Field(default_factory=list)
    tests: list[RawTest] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    docs: dict[str, Any] = Field(default_factory=dict)


class SourceConfigSpec(StrictModel):
    """Where a source's tables live: files (``external_location``), a DuckDB file, or
    Spark (``format: spark``: the source's ``schema`` is the Spark database)."""

    external_location: str | None = Field(
        None, description="file path or glob; {name} / {identifier} become the table's"
    )
    format: str | None = Field(
        None,
        description="parquet or csv (default: from the file extension), or a format a "
        "plug-in reads, e.g. spark: a Spark (Hive) table",
    )
    database_file: str | None = Field(
        None, description="a DuckDB database file, attached read-only"
    )
    enabled: bool = True
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)

    format_options: dict[str, Any] = Field(
        default_factory=dict,
        description="the keys a plug-in format declares, written beside format: "
        "(e.g. the output whose session reads the source); collected here",
    )

    @classmethod
    def plugin_keys(cls) -> list[str]:
        """The keys the plug-in formats declare (accepted beside the fields above)."""
        return sorted(format_config_keys())

    @model_validator(mode="before")
    @classmethod
    def _format_keys(cls, data: Any) -> Any:
        """Move the keys a plug-in format declares into ``format_options``; any other
        unknown key stays an error. The plug-ins are loaded only when such a key is written."""
        if not isinstance(data, dict):
            return data
        fields = {f.alias or name for name, f in cls.model_fields.items()} | set(cls.model_fields)
        unknown = [key for key in data if key not in fields]
        declared = format_config_keys() if unknown else {}
        moved = {key: data[key] for key in unknown if key in declared}
        if not moved:
            return data
        rest = {key: value for key, value in data.items() if key not in moved}
        rest["format_options"] = {**(data.get("format_options") or {}), **moved}
        return rest

    @model_validator(mode="after")
    def _one_location(self) -> SourceConfigSpec:
        if self.external_location and self.database_file:
            raise ValueError("set either external_location or database_file, not both")
        if is_plugin_format(self.format) and (self.external_location or self.database_file):
            message = source_format(self.format).file_location_error
            if message:
                raise ValueError(message)
        return self

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        """A file format, or one a plug-in registered (unknown: the known ones listed)."""
        if is_plugin_format(value):
            try:
                source_format(value)
            except ProjectError as exc:
                raise ValueError(f"{exc.message} ({exc.hint})") from None
        return value


class SourceColumnSpec(StrictModel):
    """Source columns are documentation only."""

    name: str
    description: str = ""
    data_type: str | None = None
    quote: bool | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    data_tests: list[RawTest] = Field(default_factory=list)
    tests: list[RawTest] = Field(default_factory=list)


class SourceTableSpec(StrictModel):
    name: str
    identifier: str | None = Field(None, description="the table's name in the file or database")
    description: str = ""
    config: SourceConfigSpec = Field(default_factory=SourceConfigSpec)
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    columns: list[SourceColumnSpec] = Field(default_factory=list)
    data_tests: list[RawTest] = Field(default_factory=list)
    tests: list[RawTest] = Field(default_factory=list)
    loaded_at_field: str | None = None
    freshness: Any = None
    quoting: dict[str, Any] = Field(default_factory=dict)


class SourceSpec(StrictModel):
    name: str
    description: str = ""
    database: str | None = Field(None, description="ignored (dbt compatibility)")
    schema_: str | None = Field(
        None,
        alias="schema",
        description="schema inside database_file; the Spark database of a format: spark source",
    )
    loader: str | None = None
    config: SourceConfigSpec = Field(default_factory=SourceConfigSpec)
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    tables: list[SourceTableSpec] = Field(default_factory=list)
    loaded_at_field: str | None = None
    freshness: Any = None
    quoting: dict[str, Any] = Field(default_factory=dict)


class SchemaFile(StrictModel):
    """One schema yml file."""

    version: Literal[2] = 2
    sources: list[SourceSpec] = Field(default_factory=list)
    models: list[ModelSpec] = Field(default_factory=list)
    seeds: Any = None
    snapshots: Any = None
    analyses: Any = None
    macros: Any = None
    exposures: Any = None
    metrics: Any = None
    semantic_models: Any = None
    saved_queries: Any = None
    unit_tests: Any = None
    groups: Any = None
