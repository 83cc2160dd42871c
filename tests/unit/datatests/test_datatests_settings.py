"""Thresholds: defaults, the project's data_tests mapping, column overrides, validation."""

from __future__ import annotations

import pytest

from synthohive_dbt.datatests import DEFAULT_THRESHOLDS, column_thresholds, project_thresholds
from synthohive_dbt.errors import DataTestError


def test_documented_defaults() -> None:
    th = DEFAULT_THRESHOLDS
    assert (th.ks_threshold, th.tvd_threshold, th.null_rate_tolerance) == (0.2, 0.2, 0.05)
    assert (th.mean_tolerance, th.std_ratio_min, th.std_ratio_max) == (0.25, 0.6, 1.6)
    assert (th.child_count_ks_threshold, th.correlation_tolerance) == (0.15, 0.3)
    assert (th.integrity_severity, th.distribution_severity, th.distribution) == ("error", "warn", True)


def test_project_settings_override_defaults_and_accept_severity_mapping() -> None:
    th = project_thresholds({"ks_threshold": 0.05, "severity": {"distribution": "error"}, "store_failures": True})
    assert th.ks_threshold == 0.05 and th.distribution_severity == "error"
    assert th.tvd_threshold == DEFAULT_THRESHOLDS.tvd_threshold
    assert project_thresholds({"tv_threshold": 0.3}).tvd_threshold == 0.3  # accepted alias


def test_unknown_project_key_names_the_close_one() -> None:
    with pytest.raises(DataTestError) as info:
        project_thresholds({"ks_treshold": 0.1})
    assert "ks_threshold" in info.value.hint


@pytest.mark.parametrize(
    "settings",
    [{"ks_threshold": 1.5}, {"mean_tolerance": -1}, {"tvd_threshold": "high"},
     {"std_ratio_min": 2.0}, {"severity": {"integrity": "fatal"}}, {"severity": {"shape": "warn"}},
     {"distribution": "yes"}],
)
def test_out_of_range_values_are_errors(settings: dict) -> None:
    with pytest.raises(DataTestError):
        project_thresholds(settings)


def test_column_keys_override_and_foreign_keys_are_ignored() -> None:
    base = project_thresholds({"ks_threshold": 0.1})
    th = column_thresholds(base, {"ks_threshold": 0.3, "kind": "numeric", "epochs": 5}, table="t", column="c")
    assert th.ks_threshold == 0.3 and th.tvd_threshold == base.tvd_threshold
    assert column_thresholds(base, {"distribution": False}, table="t", column="c").distribution is False
    assert column_thresholds(base, {"integrity_severity": "warn"}, table="t", column="c").integrity_severity == "error"
    with pytest.raises(DataTestError) as info:
        column_thresholds(base, {"ks_threshold": 3}, table="t", column="c")
    assert (info.value.table, info.value.column) == ("t", "c")
