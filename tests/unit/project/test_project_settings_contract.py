"""The keys the project file accepts stay in step with the stages that read them."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
from pydantic import ValidationError

from synthohive_dbt.datatests.settings import Thresholds, column_thresholds, project_thresholds
from synthohive_dbt.project.settings import (
    DEFAULT_PAC,
    PIPELINE_KEYS,
    ColumnThresholds,
    DataTestSettings,
    SynthSettings,
)

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_the_engine_layer_keeps_the_engines_bounds_and_defaults_to_unset():
    from synthohive_dbt.synth.settings import PRIVACY_FIELDS
    from synthohive_dbt.synth.settings import SynthSettings as EngineSettings

    # set by the pipeline from privacy.min_count and the pii: {action: keep} columns
    assert set(EngineSettings.model_fields) - set(PRIVACY_FIELDS) <= set(SynthSettings.model_fields)
    assert not set(PRIVACY_FIELDS) & set(SynthSettings.model_fields)
    assert EngineSettings.model_fields["pac"].default == DEFAULT_PAC
    assert all(v is None for v in SynthSettings().model_dump().values())  # a layer: all unset
    for bad in ({"epochs": 0}, {"generator_ema": 1.5}, {"precision": "fp8"}, {"gumbel_tau": 0}):
        with pytest.raises(ValidationError):
            SynthSettings(**bad)
    assert SynthSettings(generator_dim=[64, 64]).generator_dim == (64, 64)


def test_config_synth_extras_are_known_to_some_stage():
    from synthohive_dbt.synth.settings import SynthSettings as EngineSettings

    pipeline = {"primary_parent", "checkpoint_every", "chunk_rows", "count_model", "partitions"}
    core = {"mode", "rows", "scale", "seed", "context_columns", "sample_rows"}
    assert pipeline | core == set(PIPELINE_KEYS)  # SynthConfig's fields, declared once
    unknown = set(SynthSettings.model_fields) - set(EngineSettings.model_fields) - set(PIPELINE_KEYS)
    assert not unknown


def _documented_synth_keys() -> set[str]:
    """Keys the docs show under config.synth: its table in docs/project.md, and every
    ``synth: {key: ...}`` written anywhere in the docs and the README."""
    project = (DOCS / "project.md").read_text()
    section = project.split("## `config.synth`", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].startswith("`"):
            keys.add(cells[1].strip("`"))
        elif len(cells) > 3 and cells[1] == "CTGAN engine settings":
            keys |= set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cells[3])))
    for page in [*DOCS.glob("*.md"), DOCS.parent / "README.md"]:
        for inline in re.findall(r"synth: \{([^}]*)\}", page.read_text()):
            keys |= set(re.findall(r"([a-z_]+):", inline))
    return keys


def test_every_documented_synth_key_is_accepted():
    keys = _documented_synth_keys()
    assert {"partitions", "epochs", "pac", "mode", "sample_rows"} <= keys  # the parse found them
    # a model's config.synth or a column's (its kind and test thresholds)
    accepted = set(SynthSettings.model_fields) | set(ColumnThresholds.model_fields)
    assert not keys - accepted, "documented but refused"


def test_data_test_settings_match_the_thresholds():
    names = {f.name for f in fields(Thresholds)}
    assert set(DataTestSettings.model_fields) - {"severity", "store_failures", "privacy"} == names
    assert set(ColumnThresholds.model_fields) - {"kind"} == names - {"integrity_severity"}


def test_every_project_setting_is_read_by_the_data_test_stage():
    settings = DataTestSettings(
        ks_threshold=0.3, severity={"integrity": "warn"}, store_failures=True, std_ratio_max=2.0
    ).model_dump(exclude_none=True)
    th = project_thresholds(settings)
    assert (th.ks_threshold, th.integrity_severity, th.std_ratio_max) == (0.3, "warn", 2.0)
    col = ColumnThresholds(kind="text", tvd_threshold=0.5).model_dump(exclude_none=True)
    assert column_thresholds(th, col, table="t", column="c").tvd_threshold == 0.5
