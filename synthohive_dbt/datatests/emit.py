"""Emit every test for a project: integrity from the manifest, distributions from the profile."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..errors import DataTestError
from ..project.model import ForeignKey, Manifest, Table
from . import distribution
from .integrity import integrity_tests, output_columns
from .model import EmittedTest
from .naming import deduplicate
from .settings import Thresholds, column_thresholds, project_thresholds

log = logging.getLogger(__name__)

#: the profile.json format this module reads
PROFILE_FORMAT = 1


def emit_tests(
    manifest: Manifest, profile: Mapping[str, Any] | None, *, settings: Mapping[str, Any] | None = None
) -> list[EmittedTest]:
    """Every test of the project, tables in graph order, names unique.

    ``profile`` is the parsed ``target/profile.json`` (None: integrity tests only).
    ``settings`` is the project's ``data_tests:`` mapping; None reads it from
    ``manifest.settings``. Derived models get their declared integrity tests only,
    since the profile describes the synthesized tables.
    """
    base = project_thresholds(settings if settings is not None else project_test_settings(manifest))
    tables = _profile_tables(profile)
    tests: list[EmittedTest] = []
    for name in manifest.order:
        table = manifest.tables[name]
        tests.extend(integrity_tests(table, manifest, base.integrity_severity))
        table_profile = tables.get(name)
        if table_profile is not None and table.materialized == "synth":
            tests.extend(_distribution_tests(table, table_profile, base))
    log.debug("emitted %d tests for %d tables", len(tests), len(manifest.order))
    return deduplicate(tests)


def project_test_settings(manifest: Manifest) -> Mapping[str, Any]:
    """The ``data_tests:`` mapping of the project (``tests:`` accepted too), or {}."""
    settings = manifest.settings or {}
    found = settings.get("data_tests", settings.get("tests"))
    return found if isinstance(found, Mapping) else {}


def _profile_tables(profile: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not profile:
        return {}
    version = profile.get("format_version", PROFILE_FORMAT)
    if isinstance(version, int) and version > PROFILE_FORMAT:
        raise DataTestError(
            f"profile.json has format version {version}; this shive reads version {PROFILE_FORMAT}",
            hint="upgrade synthohive_dbt, or run `shive profile` again with this version",
        )
    return profile.get("tables") or {}


def _distribution_tests(table: Table, table_profile: Mapping[str, Any], base: Thresholds) -> list[EmittedTest]:
    """Column, foreign-key and table-level distribution tests of one synthesized table."""
    keys = set(table.primary_key)
    profiled_columns = table_profile.get("columns") or {}
    tests: list[EmittedTest] = []
    comparable = set()  # columns whose values are learned: neither keys nor private
    for column in output_columns(table):
        th = column_thresholds(base, column.synth, table=table.name, column=column.name)
        col_profile = profiled_columns.get(column.name)
        if not th.distribution or col_profile is None or column.name in keys:
            continue
        if _is_key_or_private(table, column.name, column.pii):
            rate = col_profile.get("null_rate")
            if rate is not None:
                tests.append(distribution.null_rate_test(table.name, column.name, float(rate), th))
            continue
        comparable.add(column.name)
        tests.extend(distribution.column_tests(table, column, col_profile, th))
    for fk in table.foreign_keys:
        test = _child_count(table, fk, table_profile, base)
        if test is not None:
            tests.append(test)
    correlations = table_profile.get("correlations")
    if correlations and base.distribution:
        test = distribution.correlation_test(table, correlations, comparable, base)
        if test is not None:
            tests.append(test)
    return tests


def _is_key_or_private(table: Table, name: str, pii: Any) -> bool:
    """FK columns and PII columns: their values are regenerated, only null rates compare."""
    in_fk = any(name in fk.columns for fk in table.foreign_keys)
    private = pii is not None and getattr(pii, "action", "keep") != "keep"
    return in_fk or private


def _child_count(table: Table, fk: ForeignKey, table_profile: Mapping[str, Any], base: Thresholds) -> EmittedTest | None:
    first = table.column(fk.columns[0]) if fk.columns[0] in table.column_names else None
    th = column_thresholds(base, first.synth if first else None, table=table.name, column=fk.columns[0])
    if not th.distribution:
        return None
    fk_profile = _fk_profile(fk, table_profile)
    if fk_profile is None or not fk_profile.get("child_count"):
        return None
    return distribution.child_count_test(table.name, fk, fk_profile["child_count"], th)


def _fk_profile(fk: ForeignKey, table_profile: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for entry in table_profile.get("foreign_keys") or []:
        if entry.get("name") == fk.name:
            return entry
        if entry.get("parent") == fk.parent and list(entry.get("columns") or []) == fk.columns:
            return entry
    return None
