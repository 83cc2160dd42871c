"""Thresholds and severities of the emitted tests: built-in defaults, project, column.

Three levels, the most specific winning: the defaults (declared once in
:mod:`synthohive_dbt.settings.datatests`, below the project stage), the project's
``data_tests:`` mapping in ``shive_project.yml`` (``Manifest.settings["data_tests"]``),
and a column's ``config.synth`` mapping (``Column.synth``). The key names are the same
at both levels (see ``docs/tests.md``), so a threshold moves from project to column
without being renamed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from ..errors import DataTestError, known_names_hint
from ..settings.datatests import (  # noqa: F401  (the one declaration, re-exported)
    PROJECT_ONLY_KEYS,
    SEVERITIES,
    SEVERITY_GROUPS,
    Severity,
    Thresholds,
    setting,
)

_FIELD_NAMES = tuple(f.name for f in fields(Thresholds))
#: older or dbt-flavoured spellings accepted for a key
_ALIASES = {
    "distribution_tests": "distribution",
    "tv_threshold": "tvd_threshold",
    "child_count_threshold": "child_count_ks_threshold",
}

DEFAULT_THRESHOLDS = Thresholds()


def project_thresholds(settings: Mapping[str, Any] | None) -> Thresholds:
    """Thresholds from the project's ``data_tests:`` mapping over the defaults.

    Unknown keys are errors naming the close ones, since a misspelt threshold would
    otherwise be silently ignored.
    """
    if not settings:
        return DEFAULT_THRESHOLDS
    values: dict[str, Any] = {}
    for key, value in settings.items():
        if value is None:  # an unset key of the project's settings model
            continue
        if key == "severity":
            values.update(_severity_mapping(value))
            continue
        name = _ALIASES.get(key, key)
        if name in ("store_failures", "privacy"):
            continue
        if name not in _FIELD_NAMES:
            raise DataTestError(
                f"unknown data_tests setting {key!r}",
                hint=known_names_hint(key, [*_FIELD_NAMES, *PROJECT_ONLY_KEYS], "setting"),
                path="shive_project.yml",
            )
        values[name] = value
    return _checked(replace(DEFAULT_THRESHOLDS, **values), where="data_tests")


def column_thresholds(base: Thresholds, synth: Mapping[str, Any] | None, *, table: str, column: str) -> Thresholds:
    """``base`` overridden by the threshold keys of a column's ``config.synth``.

    ``config.synth`` also holds keys of other stages (``kind``, ...), so keys this module
    does not know are left alone rather than rejected.
    """
    if not synth:
        return base
    values = {}
    for key, value in synth.items():
        name = _ALIASES.get(key, key)
        if name in _FIELD_NAMES and name != "integrity_severity" and value is not None:
            values[name] = value
    if not values:
        return base
    return _checked(replace(base, **values), where=f"{table}.{column} config.synth", table=table, column=column)


def store_failures_default(settings: Mapping[str, Any] | None) -> bool:
    """The project's ``data_tests.store_failures`` (False when unset)."""
    return bool(settings.get("store_failures", False)) if settings else False


def _severity_mapping(value: Any) -> dict[str, Any]:
    """``severity: {integrity: error, distribution: warn}`` as flat keys (privacy left out)."""
    if not isinstance(value, Mapping):
        raise DataTestError(
            f"data_tests.severity must be a mapping, got {value!r}",
            hint="write severity: {integrity: error, distribution: warn}",
            path="shive_project.yml",
        )
    out = {}
    for group, level in value.items():
        if level is None:
            continue
        if group not in SEVERITY_GROUPS:
            raise DataTestError(
                f"unknown severity group {group!r}",
                hint=known_names_hint(str(group), SEVERITY_GROUPS, "severity group"),
                path="shive_project.yml",
            )
        if group != "privacy":
            out[f"{group}_severity"] = level
    return out


def _checked(th: Thresholds, *, where: str, table: str | None = None, column: str | None = None) -> Thresholds:
    """Raise a DataTestError naming the setting when a value is out of range."""

    def bad(key: str, why: str) -> DataTestError:
        return DataTestError(
            f"{where}: {key} = {getattr(th, key)!r} {why}", hint=f"fix {key} in {where}", table=table, column=column
        )

    if not isinstance(th.distribution, bool):
        raise bad("distribution", "must be true or false")
    for key in ("distribution_severity", "integrity_severity"):
        if getattr(th, key) not in SEVERITIES:
            raise bad(key, "must be 'error' or 'warn'")
    for f in fields(Thresholds):
        value = getattr(th, f.name)
        if f.type not in ("float", float):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise bad(f.name, "must be a non-negative number")
        if f.metadata["le"] is not None and value > f.metadata["le"]:
            raise bad(f.name, f"must be at most {f.metadata['le']:g}")
    if th.std_ratio_min > th.std_ratio_max:
        raise bad("std_ratio_min", f"is above std_ratio_max ({th.std_ratio_max})")
    return th
