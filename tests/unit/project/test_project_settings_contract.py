"""The keys the project file accepts stay in step with the stages that read them."""

from __future__ import annotations

from dataclasses import fields

from synthohive_dbt.datatests.settings import Thresholds, column_thresholds, project_thresholds
from synthohive_dbt.project.settings import (
    CORE_SYNTH_KEYS,
    DEFAULT_PAC,
    ColumnThresholds,
    DataTestSettings,
    SynthSettings,
)


def test_every_engine_setting_is_accepted_in_config_synth():
    from synthohive_dbt.synth.settings import SynthSettings as EngineSettings

    # set by the pipeline from privacy.min_count and the pii: {action: keep} columns
    from_privacy = {"min_count", "raw_columns"}
    missing = set(EngineSettings.model_fields) - set(SynthSettings.model_fields) - from_privacy
    assert not missing, f"config.synth does not accept engine settings {sorted(missing)}"
    assert EngineSettings.model_fields["pac"].default == DEFAULT_PAC


def test_config_synth_extras_are_known_to_some_stage():
    from synthohive_dbt.synth.settings import SynthSettings as EngineSettings

    pipeline = {"primary_parent", "checkpoint_every", "chunk_rows", "count_model", "partitions"}
    unknown = (
        set(SynthSettings.model_fields)
        - set(EngineSettings.model_fields)
        - set(CORE_SYNTH_KEYS)
        - pipeline
    )
    assert not unknown


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
