"""Settings of the privacy tests: built-in defaults, ``data_tests.privacy``, per table.

::

    data_tests:
      severity: {privacy: error}          # both kinds, unless set per kind below
      privacy:
        sample_rows: 4000                 # real and synthetic rows read per table
        exact_match_tolerance: 0.05
        dcr_tolerance: 0.1
        tables:
          order_items: {enabled: false}
          customers: {exact_match_tolerance: 0.02, dcr_severity: error}

``privacy: false`` turns them off. The most specific level wins: a table's entry, the
project's ``privacy:`` keys, ``severity.privacy``, then the defaults of
:class:`PrivacyThresholds`. Unknown keys and tables are errors naming the close ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import DataTestError, known_names_hint
from ..settings.datatests import SEVERITIES
from ..settings.privacy_tests import PrivacyThresholds

DEFAULT_PRIVACY = PrivacyThresholds()
_KEYS = tuple(f.name for f in fields(PrivacyThresholds))
_MIN_SAMPLE_ROWS: int = {f.name: f for f in fields(PrivacyThresholds)}["sample_rows"].metadata["ge"]


@dataclass(frozen=True)
class PrivacySettings:
    """The project's privacy-test rules and the overrides of single tables."""

    base: PrivacyThresholds = DEFAULT_PRIVACY
    tables: Mapping[str, PrivacyThresholds] = field(default_factory=dict)

    def for_table(self, name: str) -> PrivacyThresholds:
        return self.tables.get(name, self.base)


def privacy_settings(settings: Mapping[str, Any] | None) -> PrivacySettings:
    """The privacy rules of the project's ``data_tests:`` mapping (``None``: defaults)."""
    settings = settings or {}
    values: dict[str, Any] = {}
    group = (settings.get("severity") or {}) if isinstance(settings.get("severity"), Mapping) else {}
    if group.get("privacy") is not None:
        values["exact_match_severity"] = values["dcr_severity"] = group["privacy"]
    raw = settings.get("privacy")
    if raw is None or raw is True:
        raw = {}
    if raw is False:
        return PrivacySettings(replace(DEFAULT_PRIVACY, **values, enabled=False))
    if not isinstance(raw, Mapping):
        raise _error(f"data_tests.privacy must be a mapping or false, got {raw!r}",
                     "write privacy: {exact_match_tolerance: 0.05} or privacy: false")  # fmt: skip
    tables_raw = raw.get("tables") or {}
    values.update(_known({k: v for k, v in raw.items() if k != "tables"}, "data_tests.privacy", extra=("tables",)))
    base = _checked(replace(DEFAULT_PRIVACY, **values), "data_tests.privacy")
    if not isinstance(tables_raw, Mapping):
        raise _error("data_tests.privacy.tables must map table names to settings",
                     "write tables: {orders: {enabled: false}}")  # fmt: skip
    tables = {}
    for name, overrides in tables_raw.items():
        where = f"data_tests.privacy.tables.{name}"
        if not isinstance(overrides, Mapping):
            raise _error(f"{where} must be a mapping, got {overrides!r}", "write {enabled: false} or thresholds")
        tables[str(name)] = _checked(replace(base, **_known(overrides, where)), where)
    return PrivacySettings(base, tables)


def check_table_names(settings: PrivacySettings, known: list[str]) -> None:
    """Raise a DataTestError for an override naming no model (it would be silently ignored)."""
    for name in settings.tables:
        if name not in known:
            raise DataTestError(
                f"data_tests.privacy.tables names an unknown model {name!r}",
                hint=known_names_hint(name, known, "model"),
                path="shive_project.yml",
            )


def _known(values: Mapping[str, Any], where: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if key not in _KEYS:
            raise DataTestError(
                f"unknown setting {key!r} in {where}",
                hint=known_names_hint(str(key), [*_KEYS, *extra], "setting"),
                path="shive_project.yml",
            )
        if value is not None:
            out[key] = value
    return out


def _checked(th: PrivacyThresholds, where: str) -> PrivacyThresholds:
    """Raise a DataTestError naming the setting when a value is out of range."""
    if not isinstance(th.enabled, bool):
        raise _error(f"{where}.enabled = {th.enabled!r} must be true or false", f"fix enabled in {where}")
    for key in ("exact_match_severity", "dcr_severity"):
        if getattr(th, key) not in SEVERITIES:
            raise _error(f"{where}.{key} = {getattr(th, key)!r} must be 'error' or 'warn'", f"fix {key} in {where}")
    rows = th.sample_rows
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < _MIN_SAMPLE_ROWS:
        raise _error(f"{where}.sample_rows = {rows!r} must be an integer of at least {_MIN_SAMPLE_ROWS}",
                     f"fix sample_rows in {where}")  # fmt: skip
    for key in ("exact_match_tolerance", "dcr_tolerance"):
        value = getattr(th, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and 0 <= value <= 1):
            raise _error(f"{where}.{key} = {value!r} must be between 0 and 1", f"fix {key} in {where}")
    return th


def _error(message: str, hint: str) -> DataTestError:
    return DataTestError(message, hint=hint, path="shive_project.yml")
