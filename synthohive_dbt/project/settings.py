"""``shive_project.yml``: the validated project file and the synthesis settings it defaults.

The same :class:`SynthSettings` model validates the project-wide ``synth:`` defaults
and every model's ``config.synth``; a key left out falls through to the next level
(model SQL ``config()`` > schema yml > shive_project.yml > built-in default).
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator
from pydantic.fields import FieldInfo

from ..settings.datatests import SEVERITY_GROUPS, Severity, Thresholds
from ..settings.privacy_tests import PrivacyThresholds
from ..synth.settings import PRIVACY_FIELDS
from ..synth.settings import SynthSettings as EngineSettings
from .model import ColumnKind, OrphanPolicy, SynthConfig, pipeline_synth_fields

PROJECT_FILE = "shive_project.yml"
#: the CTGAN engine's default ``pac``: batch_size must be a multiple of it (checked at validate)
DEFAULT_PAC: int = EngineSettings.model_fields["pac"].default


class StrictModel(BaseModel):
    """Base of every YAML model: unknown keys are errors, aliases and names both accepted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _optional_fields(fields: dict[str, FieldInfo], exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """``fields`` but ``exclude``, each optional (None: fall through to the next level),
    with the same types, bounds and descriptions."""
    out: dict[str, Any] = {}
    for key, info in fields.items():
        if key in exclude:
            continue
        optional = copy.copy(info)
        optional.default = None
        optional.default_factory = None
        out[key] = (info.annotation | None, optional)
    return out


#: ``config.synth`` holds every CTGAN engine setting, optional: derived from the engine's
#: own model (synth/settings.py), so a setting the engine gains is accepted at once; the
#: ones set from the privacy settings are not (``privacy.min_count`` is project-wide).
#: the pipeline's own keys, declared once as the fields of :class:`SynthConfig`
PIPELINE_KEYS: tuple[str, ...] = tuple(pipeline_synth_fields())


_SynthLayer = create_model(
    "_SynthLayer",
    __base__=StrictModel,
    **_optional_fields(EngineSettings.model_fields, exclude=PRIVACY_FIELDS),
    **_optional_fields(pipeline_synth_fields()),
)


class SynthSettings(_SynthLayer):  # type: ignore[misc, valid-type]
    """Per-table synthesis settings (``config.synth``); every key optional so levels can
    be merged. The engine's keys are generated from the engine's model, the pipeline's
    from :class:`SynthConfig`: nothing is declared here."""

    @model_validator(mode="after")
    def _rows_or_scale(self) -> SynthSettings:
        if self.rows is not None and self.scale is not None:
            raise ValueError("set either rows or scale, not both")
        return self


#: ``data_tests.severity``: one optional severity per group the data-test stage knows
SeverityGroups = create_model(
    "SeverityGroups",
    __base__=StrictModel,
    **{
        group: (Severity | None, Field(None, description=f"severity of the {group} tests"))
        for group in SEVERITY_GROUPS
    },
)


def _optional_settings(cls: type, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a stage's settings dataclass (declared with ``settings.datatests.setting``:
    description and range), each optional, as pydantic fields."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        bounds = {k: f.metadata[k] for k in ("ge", "le") if f.metadata.get(k) is not None}
        out[f.name] = (
            hints[f.name] | None,
            Field(None, description=f.metadata.get("description"), **bounds),
        )
    return out


#: the data-test thresholds, optional: generated from the data-test stage's own
#: declaration (settings/datatests.Thresholds); integrity_severity is project-wide only
ThresholdSettings = create_model(
    "ThresholdSettings",
    __base__=StrictModel,
    __doc__="Verdict rules of the emitted tests; unset keys keep the data-test stage's defaults.",
    **_optional_settings(Thresholds, exclude=("integrity_severity",)),
)


#: the privacy-test rules, optional, project-wide or for one table: generated from
#: settings/privacy_tests.PrivacyThresholds
PrivacyTestThresholds = create_model(
    "PrivacyTestThresholds",
    __base__=StrictModel,
    __doc__="Verdict rules of the privacy tests (exact_match, dcr), project-wide or for one table.",
    **_optional_settings(PrivacyThresholds),
)


class PrivacyTestSettings(PrivacyTestThresholds):  # type: ignore[misc, valid-type]
    """``data_tests.privacy``: the project's privacy-test rules plus per-table overrides."""

    tables: dict[str, PrivacyTestThresholds] = Field(default_factory=dict)


_ProjectThresholds = create_model(
    "_ProjectThresholds",
    __base__=ThresholdSettings,
    **{k: v for k, v in _optional_settings(Thresholds).items() if k == "integrity_severity"},
)


class DataTestSettings(_ProjectThresholds):  # type: ignore[misc, valid-type]
    """Project-wide settings of the emitted data tests (``data_tests:``)."""

    severity: SeverityGroups | None = Field(
        None, description="{integrity: error, distribution: warn, privacy: error}"
    )
    store_failures: bool | None = None
    privacy: PrivacyTestSettings | None = Field(
        None, description="privacy tests against the real rows; false turns them off"
    )

    @field_validator("privacy", mode="before")
    @classmethod
    def _privacy_switch(cls, value: Any) -> Any:
        """``privacy: false`` / ``true`` as ``{enabled: false}`` / ``{}``."""
        return {"enabled": value} if isinstance(value, bool) else value


class ColumnThresholds(ThresholdSettings):  # type: ignore[misc, valid-type]
    """A column's ``config.synth``: its kind and overrides of the data-test thresholds."""

    kind: ColumnKind | None = Field(
        None, description="override the kind derived from the DuckDB type"
    )


class PrivacySettings(StrictModel):
    """Project-wide PII settings (``privacy:``)."""

    detect: bool = Field(True, description="look for undeclared PII by column name and content")
    secret_env: str = Field(
        "SHIVE_PII_SECRET", description="env var with the HMAC key for action: hash"
    )
    locale: str | None = Field(None, description="default faker locale for action: fake")
    undeclared: Literal["protect", "error", "warn"] = Field(
        "protect",
        description="undeclared columns that detection flags: protect (fake or drop them as "
        "their kind calls for), error (stop until they are declared) or warn (train on them)",
    )
    #: the engine's own setting (synth/settings.py), set project-wide here
    min_count: int = copy.copy(EngineSettings.model_fields["min_count"])


class ProjectConfig(StrictModel):
    """The contents of ``shive_project.yml``."""

    name: str
    version: str | None = None
    config_version: int | None = Field(None, alias="config-version")
    profile: str | None = Field(None, description="profile in profiles.yml; defaults to name")
    model_paths: list[str] = Field(default_factory=lambda: ["models"], alias="model-paths")
    target_path: str = Field("target", alias="target-path")
    clean_targets: list[str] | None = Field(None, alias="clean-targets")
    seed: int = Field(42, description="seed of every random choice, unless --seed is given")
    vars: dict[str, Any] = Field(default_factory=dict)
    orphans: OrphanPolicy = "warn"
    synth: SynthSettings = Field(default_factory=SynthSettings)
    data_tests: DataTestSettings = Field(default_factory=DataTestSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) else value

    @field_validator("model_paths", "clean_targets", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def profile_name(self) -> str:
        return self.profile or self.name


def merge_synth_layers(*layers: dict[str, Any]) -> dict[str, Any]:
    """Merge ``synth`` settings, later layers winning; ``rows`` and ``scale`` replace each other."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if "rows" in layer or "scale" in layer:
            merged.pop("rows", None)
            merged.pop("scale", None)
        merged.update(layer)
    return merged


def synth_config(merged: dict[str, Any]) -> SynthConfig:
    """The SynthConfig of merged settings: the pipeline's keys as fields, the engine's
    in ``engine``."""
    pipeline = {k: v for k, v in merged.items() if k in PIPELINE_KEYS and v is not None}
    engine = {k: v for k, v in merged.items() if k not in PIPELINE_KEYS}
    return SynthConfig(**pipeline, engine=engine)
