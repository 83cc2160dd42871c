"""The privacy-test rules (``data_tests.privacy``): the one declaration of each setting.

:mod:`synthohive_dbt.datatests.privacy_settings` resolves them per table;
``project/settings.py`` derives the optional layer from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .datatests import Severity, setting


@dataclass(frozen=True)
class PrivacyThresholds:
    """The verdict rules of one table's privacy tests (see ``docs/tests.md``)."""

    enabled: bool = setting(True, "run the privacy tests of the table at all")
    sample_rows: int = setting(4000, "real and synthetic rows read per table (seeded samples)", ge=20)
    exact_match_tolerance: float = setting(
        0.05,
        "allowed excess of the synthetic exact-match share over the real rows' own (each "
        "against the others), beyond sampling noise",
        ge=0,
        le=1,
    )
    dcr_tolerance: float = setting(
        0.1,
        "allowed excess of the share of synthetic rows closer than the real rows' 5th "
        "percentile distance over the real rows' own share, beyond sampling noise",
        ge=0,
        le=1,
    )
    exact_match_severity: Severity = setting(
        "error", "an exact copy of a real record is a disclosure: fail the run"
    )
    dcr_severity: Severity = setting("warn", "distances are evidence, not proof: report")
