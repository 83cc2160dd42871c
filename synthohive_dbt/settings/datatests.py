"""The data-test thresholds and severities: the one declaration of each setting.

:mod:`synthohive_dbt.datatests.settings` resolves them (defaults, project, column);
``project/settings.py`` derives the optional ``data_tests:`` layer from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warn"]

#: project-level keys that are not thresholds (``severity`` is unfolded, see below;
#: ``privacy`` is read by :mod:`synthohive_dbt.datatests.privacy_settings`)
PROJECT_ONLY_KEYS = ("store_failures", "severity", "privacy")
#: groups of ``severity:``; ``privacy`` is read by :mod:`synthohive_dbt.datatests.privacy_settings`
SEVERITY_GROUPS = ("integrity", "distribution", "privacy")
SEVERITIES = ("error", "warn")


def setting(default: Any, description: str, *, ge: float | None = None, le: float | None = None) -> Any:
    """A dataclass field declared with what it means and its range: the one declaration
    of a setting, from which the project's optional layer (``project/settings.py``) is
    generated and by which the values are checked (``datatests/settings.py``)."""
    return field(default=default, metadata={"description": description, "ge": ge, "le": le})


@dataclass(frozen=True)
class Thresholds:
    """The verdict rules of the distribution tests of one column (or one foreign key)."""

    distribution: bool = setting(True, "emit distribution tests at all (false turns them off for the scope)")
    distribution_severity: Severity = setting("warn", "distribution tests: warn reports, error fails the run")
    integrity_severity: Severity = setting("error", "integrity tests (keys, not-null, accepted values, checks)")
    ks_threshold: float = setting(
        0.2, "max Kolmogorov-Smirnov statistic against the profiled quantiles (numeric, datetime)", ge=0, le=1
    )
    tvd_threshold: float = setting(
        0.2, "max total variation distance against the profiled frequencies (categorical, boolean)", ge=0, le=1
    )
    mean_tolerance: float = setting(0.25, "max |synthetic mean - real mean| in real std units", ge=0)
    std_ratio_min: float = setting(0.6, "synthetic std / real std must be at least this", ge=0)
    std_ratio_max: float = setting(1.6, "synthetic std / real std must be at most this", ge=0)
    null_rate_tolerance: float = setting(0.05, "max |synthetic null rate - real null rate|", ge=0, le=1)
    child_count_ks_threshold: float = setting(
        0.15, "max KS statistic between the real and synthetic children-per-parent distributions", ge=0, le=1
    )
    correlation_tolerance: float = setting(
        0.3, "max |synthetic - real| Pearson correlation over the numeric column pairs of a table", ge=0
    )
