"""``shive train``, ``shive generate`` and ``shive run``: the steps that make synthetic data.

Each step numbers its tables in a :class:`~synthohive_dbt.log.RunReport`; ``run``
chains validate → profile → train → generate → derived models → tests and closes
with one ``Done.`` line over all of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..faults import fault_point
from ..log import RunReport, event
from .checks import ensure_profile, open_target, project_lock, protect_from_profile

if TYPE_CHECKING:
    from ..generate.orchestrator import TableGenResult
    from ..project.model import Manifest
    from ..targets.base import TargetAdapter
    from ..targets.generation import Generation
    from ..training.trainer import TableTrainResult

log = logging.getLogger(__name__)

_TRAIN_STATUS = {"trained": "pass", "resumed": "pass", "reused": "pass", "copy": "pass",
                 "skipped": "skip", "error": "error"}  # fmt: skip
_TRAIN_WORD = {"trained": "trained", "resumed": "resumed training of", "reused": "reused",
               "copy": "will copy", "skipped": "skipped", "error": "training"}  # fmt: skip
_GEN_STATUS = {"generated": "pass", "copied": "pass", "derived": "pass", "skipped": "skip",
               "error": "error"}  # fmt: skip


@dataclass
class GenerateOptions:
    """How many rows ``generate`` makes and how it streams them."""

    rows: Mapping[str, int] = field(default_factory=dict)  # per table
    scale: float | None = None  # every root table (children follow their count models)
    chunk_size: int | None = None
    check: bool = True


def train_step(
    manifest: Manifest,
    tables: list[str],
    *,
    full_refresh: bool = False,
    fail_fast: bool = True,
    progress: bool = True,
    report: RunReport | None = None,
    lock_timeout: float | None = None,
) -> int:
    """Train the selected synth tables in graph order; return the exit code.

    Holds the project's lock (see :func:`~.checks.project_lock`)."""
    with project_lock(manifest, "train", lock_timeout):
        return _train(manifest, tables, full_refresh=full_refresh, fail_fast=fail_fast,
                      progress=progress, report=report)  # fmt: skip


def _train(
    manifest: Manifest,
    tables: list[str],
    *,
    full_refresh: bool,
    fail_fast: bool,
    progress: bool,
    report: RunReport | None,
) -> int:
    from ..project.formats import refresh_sources
    from ..project.sources import open_real_connection
    from ..training import train_project

    profile = ensure_profile(manifest, tables)
    refresh_sources(manifest)  # plug-in sources (Spark): re-sample the tables that changed
    synth = [t for t in tables if manifest.tables[t].materialized == "synth"]
    own = report is None
    report = report or RunReport(total=len(synth))
    started: dict[str, tuple[int, float]] = {}

    def on_start(name: str, index: int, total: int) -> None:
        started[name] = (index, time.perf_counter())

    def on_table(result: TableTrainResult) -> None:
        index, began = started.get(result.name, (0, time.perf_counter()))
        text = f"{_TRAIN_WORD[result.status]} {result.name}"
        if result.status in ("trained", "resumed"):
            score = f", fidelity {result.best_score:.3f}" if result.best_score is not None else ""
            fit = f"{result.epochs} epochs{score}" if result.epochs else result.message or "0 epochs"
            text += f" ({result.rows} rows, {fit})"
        message = str(result.error) if result.error is not None else (result.message or None)
        report.record(index, result.name, _TRAIN_STATUS[result.status], text,  # type: ignore[arg-type]
                      time.perf_counter() - began, message=message)  # fmt: skip

    with open_real_connection(manifest) as con:
        train_project(
            manifest, con, profile, tables=synth, full_refresh=full_refresh, seed=manifest.seed,
            progress=progress, fail_fast=fail_fast, on_start=on_start, on_table=on_table,
        )  # fmt: skip
    return report.summary() if own else report.exit_code


def generate_step(
    manifest: Manifest,
    tables: list[str],
    options: GenerateOptions | None = None,
    *,
    fail_fast: bool = True,
    progress: bool = True,
    report: RunReport | None = None,
    lock_timeout: float | None = None,
) -> int:
    """Generate the selected synth tables, then the derived models; return the exit code.

    Both are one generation of the target: staged, then swapped in together only when
    every table and derived model is written and verified (see
    :mod:`synthohive_dbt.targets.generation`). Holds the project's lock.
    """
    with project_lock(manifest, "generate", lock_timeout):
        return _generate(manifest, tables, options or GenerateOptions(), fail_fast=fail_fast,
                         progress=progress, report=report)  # fmt: skip


def _generate(
    manifest: Manifest,
    tables: list[str],
    options: GenerateOptions,
    *,
    fail_fast: bool,
    progress: bool,
    report: RunReport | None,
) -> int:
    from ..generate import build_derived, generate_project

    protect_from_profile(manifest)
    synth = [t for t in tables if manifest.tables[t].materialized == "synth"]
    derived = [t for t in tables if manifest.tables[t].materialized == "derived"]
    own = report is None
    report = report or RunReport(total=len(synth) + len(derived))
    counter = {"i": 0}

    def on_table(result: TableGenResult) -> None:
        counter["i"] += 1
        verb = {"generated": "generated", "copied": "copied", "derived": "built derived"}
        text = f"{verb.get(result.status, result.status)} {result.name}"
        if result.status in ("generated", "copied", "derived"):
            text += f" ({result.rows:,} rows"
            text += f", {result.rows_per_second:,.0f} rows/s)" if result.seconds > 0 else ")"
        message = str(result.error) if result.error is not None else (result.message or None)
        report.record(counter["i"], result.name, _GEN_STATUS[result.status], text,  # type: ignore[arg-type]
                      result.seconds, message=message)  # fmt: skip

    extra: dict[str, Any] = {}
    if options.chunk_size:
        extra["chunk_size"] = options.chunk_size
    with open_target(manifest) as adapter:
        event(f"Writing to {adapter.describe()}", event="target")
        with adapter.generation() as generation:
            if synth:
                generate_project(
                    manifest, adapter, rows=dict(options.rows), scale=options.scale,
                    tables=synth, seed=manifest.seed, progress=progress, fail_fast=fail_fast,
                    check=options.check, on_table=on_table, **extra,
                )  # fmt: skip
            if derived and not report.failed:
                build_derived(manifest, adapter, tables=derived, check=options.check,
                              fail_fast=fail_fast, on_table=on_table)  # fmt: skip
            if report.failed:
                generation.discard("a table failed")
        _log_swap(adapter, generation)
    fault_point("generate.committed")
    return report.summary() if own else report.exit_code


def _log_swap(adapter: TargetAdapter, generation: Generation) -> None:
    """Say whether the run's tables replaced the target's, and as which generation."""
    if not generation.complete and not adapter.SUPPORTS_ATOMIC_RUN:
        event(f"{adapter.describe()} cannot swap a run's tables in together: the tables "
              "written before the failure replaced their previous versions",
              level=logging.WARNING, event="generation", swapped=False,
              generation_id=generation.id)  # fmt: skip
    elif not generation.complete:
        event(f"Kept the previous tables of {adapter.describe()}: this run's tables were "
              "not swapped in", level=logging.WARNING, event="generation", swapped=False,
              generation_id=generation.id)  # fmt: skip
    elif generation.staged:
        how = "together" if adapter.SUPPORTS_ATOMIC_RUN else "one by one"
        event(f"Swapped in {len(generation.staged)} table(s) {how} as generation "
              f"{generation.id}", event="generation", swapped=True,
              generation_id=generation.id)  # fmt: skip


def run_step(
    manifest: Manifest,
    tables: list[str],
    options: GenerateOptions | None = None,
    *,
    full_refresh: bool = False,
    fail_fast: bool = True,
    progress: bool = True,
    store_failures: bool | None = None,
    args: dict[str, Any] | None = None,
    lock_timeout: float | None = None,
) -> int:
    """validate → profile → train → generate → derived → test; return the exit code.

    Holds the project's lock from start to end (see :func:`~.checks.project_lock`)."""
    with project_lock(manifest, "run", lock_timeout):
        return _run(manifest, tables, options, full_refresh=full_refresh, fail_fast=fail_fast,
                    progress=progress, store_failures=store_failures, args=args)  # fmt: skip


def _run(
    manifest: Manifest,
    tables: list[str],
    options: GenerateOptions | None,
    *,
    full_refresh: bool,
    fail_fast: bool,
    progress: bool,
    store_failures: bool | None,
    args: dict[str, Any] | None,
) -> int:
    from .profile_step import profile_tables
    from .testing import test_step
    from .validate import validate_project

    began = time.perf_counter()
    totals = RunReport(total=0)
    synth = [t for t in tables if manifest.tables[t].materialized == "synth"]

    event("Validating the project and the real data's keys", event="stage", stage="validate")
    validate_project(manifest)
    stages = (
        ("Profiling", lambda r: profile_tables(manifest, tables, keep_others=True, report=r), len(synth)),
        ("Training", lambda r: train_step(manifest, tables, full_refresh=full_refresh,
                                          fail_fast=fail_fast, progress=progress, report=r), len(synth)),
        ("Generating", lambda r: generate_step(manifest, tables, options, fail_fast=fail_fast,
                                               progress=progress, report=r), len(tables)),
    )  # fmt: skip
    for title, stage, total in stages:
        event(f"{title} {total} table(s)", event="stage", stage=title.lower())
        report = RunReport(total=total)
        stage(report)
        _add_counts(totals, report.counts)
        if report.failed:
            event(f"{title} failed: later stages are skipped", level=logging.ERROR)
            return _close(totals, began)
    event("Testing the synthetic tables", event="stage", stage="test")
    result = test_step(manifest, tables=tables, store_failures=store_failures, args=args,
                       fail_fast=fail_fast, closing=False)  # fmt: skip
    _add_counts(totals, {"pass": result.counts["pass"], "warn": result.counts["warn"],
                         "error": result.counts["fail"] + result.counts["error"],
                         "skip": result.counts["skipped"]})  # fmt: skip
    return _close(totals, began)


def _add_counts(totals: RunReport, counts: Mapping[str, int]) -> None:
    for status, n in counts.items():
        totals.counts[status] = totals.counts.get(status, 0) + n


def _close(totals: RunReport, began: float) -> int:
    totals.started = began
    return totals.summary("node")
