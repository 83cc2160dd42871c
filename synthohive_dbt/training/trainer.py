"""Train every synth table of a project, parents first: :func:`train_project`.

Per table, in graph order:

1. plan the table (:mod:`.plan`): keys out, primary parent and its context columns;
2. fingerprint its inputs (:mod:`.fingerprint`); a table whose ``meta.json`` carries the
   same fingerprint is reused, not retrained;
3. read the training rows in DuckDB: the child's rows joined to the primary parent's
   context columns, orphans handled per policy, a seeded hash sample of at most
   ``synth.sample_rows`` rows, keys dropped;
4. the privacy step (:func:`~synthohive_dbt.privacy.apply_pii`);
5. fit the synthesizer, checkpointing and resuming (:mod:`.fitting`);
6. fit the linkage models and key shapes (:mod:`.linking`);
7. write the artifacts, ``meta.json`` last (:mod:`.artifacts`).

``mode: copy`` tables get a ``meta.json`` only: they are copied from the real source at
generation time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import duckdb

from ..errors import ShiveError
from ..privacy.policy import privacy_min_count
from ..profiling.relations import training_relation_sql
from ..project.model import Manifest, Table
from ..relations.constraints import accepted_values, check_bounds
from ..relations.fixed import FixedValues
from ..relations.hierarchy import DEPTH
from ..table_loop import run_tables
from .artifacts import ARTIFACT_FORMAT_VERSION, TableArtifacts
from .fingerprint import data_fingerprint, digest, table_inputs
from .fitting import FitRequest, fit_model
from .linking import LINKAGE_FORMAT_VERSION, fit_linkage
from .plan import (
    TablePlan,
    default_context_columns,
    foreign_key,
    plan_table,
    secondary_context_name,
)
from .rare import protect_rare_context, protect_rare_fixed
from .reading import read_training_rows

logger = logging.getLogger(__name__)

TrainStatus = Literal["trained", "resumed", "reused", "copy", "skipped", "error"]


@dataclass
class TableTrainResult:
    """What training did with one table."""

    name: str
    status: TrainStatus
    seconds: float = 0.0
    rows: int = 0  # training rows read
    epochs: int = 0
    resumed_from: int = 0
    best_score: float | None = None
    fingerprint: str | None = None
    artifact_dir: str | None = None
    message: str = ""
    error: ShiveError | None = field(default=None, repr=False)


def train_project(
    manifest: Manifest,
    con: duckdb.DuckDBPyConnection,
    profile: dict[str, Any] | None,
    *,
    tables: Iterable[str] | None = None,
    full_refresh: bool = False,
    seed: int,
    progress: bool = True,
    fail_fast: bool = True,
    on_start: Callable[[str, int, int], None] | None = None,
    on_table: Callable[[TableTrainResult], None] | None = None,
) -> list[TableTrainResult]:
    """Train the synth tables of ``manifest`` (those in ``tables``, or all) parents first.

    ``con`` is the real-data connection (:func:`~synthohive_dbt.project.sources.open_real_connection`);
    ``profile`` the ``profile.json`` document (numeric bounds). ``on_start(name, i, n)``
    and ``on_table(result)`` report progress. With ``fail_fast`` the first failing
    table raises; otherwise it is reported with status ``error`` and its descendants
    are ``skipped``.
    """
    run = _Run(
        manifest, con, profile or {}, seed=seed, full_refresh=full_refresh, progress=progress
    )
    wanted = set(tables) if tables is not None else None
    selected = [t.name for t in manifest.synth_tables() if wanted is None or t.name in wanted]
    return run_tables(
        selected,
        lambda name: run.train(manifest.tables[name]),
        TableTrainResult,
        parents=manifest.parents,
        fail_fast=fail_fast,
        fault="train.table",
        on_start=on_start,
        on_table=on_table,
    )


def table_seed(seed: int, table: Table) -> int:
    """The table's own seed: ``synth.seed``, else derived from the run seed and its name."""
    if table.synth.seed is not None:
        return int(table.synth.seed)
    raw = hashlib.sha256(f"{int(seed)}:{table.name}".encode()).digest()
    return int.from_bytes(raw[:4], "little")


def synth_settings(table: Table, *, min_count: int | None = None) -> Any:
    """The table's CTGAN settings (the engine keys of ``config.synth``), with
    the project's rare-value threshold (``privacy.min_count``) and the ``keep`` columns."""
    from ..synth import SynthSettings

    values = dict(table.synth.engine)
    values["min_count"] = min_count
    values["raw_columns"] = tuple(
        c.name for c in table.columns if c.pii is not None and c.pii.action == "keep"
    )
    # the user's own text: the values of declared accepted_values tests stay as they are
    values["public_values"] = {
        name: tuple(str(v) for v in accepted) for name, accepted in accepted_values(table).items()
    }
    return SynthSettings.from_mapping(values)


class _Run:
    """State shared by the tables of one ``train_project`` call."""

    def __init__(
        self,
        manifest: Manifest,
        con: duckdb.DuckDBPyConnection,
        profile: dict[str, Any],
        *,
        seed: int,
        full_refresh: bool,
        progress: bool,
    ) -> None:
        self.manifest = manifest
        self.con = con
        self.profile = profile
        self.seed = int(seed)
        self.full_refresh = full_refresh
        self.progress = progress
        self._data_fps: dict[str, dict[str, Any]] = {}

    # ---- one table -------------------------------------------------------------------
    def train(self, table: Table) -> TableTrainResult:
        artifacts = TableArtifacts(self.manifest.target_path, table.name)
        plan = plan_table(
            self.manifest, table, self._context_columns(table), self._secondary_context(table)
        )
        settings = (
            synth_settings(table, min_count=privacy_min_count(self.manifest))
            if plan.mode == "learn"
            else None
        )
        seed = table_seed(self.seed, table)
        inputs = table_inputs(
            table,
            plan,
            self.data_fingerprint(table.name),
            self._parent_fingerprints(table),
            seed=seed,
            settings=settings.model_dump(mode="json") if settings else {},
        )
        inputs["sample_rows"] = table.synth.sample_rows
        if plan.secondary_fks:  # linkage of another format is retrained, not reused
            inputs["linkage_format"] = LINKAGE_FORMAT_VERSION
        fingerprint = digest(inputs)
        if self.full_refresh:
            artifacts.clear()
        elif self._is_current(artifacts, fingerprint):
            logger.info("%s: unchanged, reusing its model", table.name)
            return TableTrainResult(
                table.name, "reused", fingerprint=fingerprint, artifact_dir=str(artifacts.dir)
            )
        artifacts.invalidate()
        if plan.mode == "copy":
            from ..relations.copying import write_snapshot

            write_snapshot(self.con, table, artifacts.rows_path, seed=seed)
            self._write_meta(artifacts, table, plan, inputs, fingerprint, {})
            return TableTrainResult(
                table.name, "copy", fingerprint=fingerprint, artifact_dir=str(artifacts.dir)
            )
        return self._learn(table, plan, settings, seed, inputs, fingerprint, artifacts)

    def _learn(
        self,
        table: Table,
        plan: TablePlan,
        settings: Any,
        seed: int,
        inputs: dict[str, Any],
        fingerprint: str,
        artifacts: TableArtifacts,
    ) -> TableTrainResult:
        from ..privacy import apply_pii

        frame, context = read_training_rows(self.con, self.manifest, table, plan, seed=seed)
        context = protect_rare_context(self.con, self.manifest, table, plan, context, seed=seed)
        frame, pii_plan = apply_pii(frame, table, seed=seed)
        fixed, learnable = FixedValues.split(frame)
        fixed = protect_rare_fixed(fixed, table, rows=len(frame), settings=settings, seed=seed)
        context = _informative_context(plan, context if learnable else None)
        request = FitRequest(
            frame=frame[learnable],
            context=context,
            settings=settings,
            seed=seed,
            column_kinds={c: table.column(c).kind for c in frame.columns},
            context_kinds=self._context_kinds(table, plan),
            bounds=self._bounds(table, list(frame.columns)),
            fingerprint=fingerprint,
            checkpoint_every=table.synth.checkpoint_every,
            progress=self.progress,
        )
        synth, resumed_from = fit_model(request, artifacts) if learnable else (None, 0)
        not_pii = [
            c
            for c in frame.columns
            if table.column(c).pii is None or table.column(c).pii.action == "keep"
        ]
        linkage = fit_linkage(
            self.con,
            self.manifest,
            table,
            plan,
            value_columns=not_pii,
            context_for=self._link_attributes(table),
            seed=seed,
        )
        if synth is not None:
            synth.save(artifacts.model_path, training_state=False)  # atomic on its own
        else:
            logger.info(
                "%s: no column varies in the real data, so no model is trained; its "
                "keys are generated and its other columns keep their one value",
                table.name,
            )
            artifacts.model_path.unlink(missing_ok=True)
        artifacts.write_json(artifacts.pii_plan_path, pii_plan.to_dict())
        artifacts.write_json(artifacts.linkage_path, linkage)
        extra = {
            "training_rows": len(frame),
            "model_columns": list(frame.columns),
            "fixed_values": fixed.to_dict(),
            "epochs_trained": synth.epochs_trained if synth else 0,
            "best_score": synth.best_score if synth else None,
        }
        self._write_meta(artifacts, table, plan, inputs, fingerprint, extra, model=synth is not None)
        artifacts.clear_checkpoint()
        status: TrainStatus = "resumed" if resumed_from else "trained"
        return TableTrainResult(
            table.name,
            status,
            rows=len(frame),
            epochs=synth.epochs_trained if synth else 0,
            resumed_from=resumed_from,
            best_score=synth.best_score if synth else None,
            message="" if synth else "no model: no column varies in the real data",
            fingerprint=fingerprint,
            artifact_dir=str(artifacts.dir),
        )

    # ---- inputs ----------------------------------------------------------------------
    def data_fingerprint(self, name: str) -> dict[str, Any]:
        """Row count and hash aggregate of a table's training relation (cached per run)."""
        if name not in self._data_fps:
            sql = training_relation_sql(self.manifest, name)
            self._data_fps[name] = data_fingerprint(self.con, sql, table=name)
        return self._data_fps[name]

    def _parent_fingerprints(self, table: Table) -> dict[str, str]:
        return {
            p: digest(self.data_fingerprint(p))
            for p in self.manifest.parents(table.name)
            if self.manifest.tables[p].materialized == "synth"
        }

    def _is_current(self, artifacts: TableArtifacts, fingerprint: str) -> bool:
        meta = artifacts.read_meta()
        if meta is None or meta.get("fingerprint") != fingerprint:
            return False
        if meta.get("plan", {}).get("mode") == "copy":
            return artifacts.rows_path.exists()
        # a learned table with nothing to learn has no model file to look for
        return meta.get("model_file") is None or artifacts.model_path.exists()

    def _context_columns(self, table: Table) -> list[str]:
        """The primary parent's columns the child is conditioned on."""
        if table.synth.mode == "copy" or not table.foreign_keys:
            return []
        probe = plan_table(self.manifest, table)
        if probe.hierarchy_fk:  # its own parent row's attributes, and its depth
            own = self._safe_attributes(table, table.synth.context_columns, child=table.name)
            return [*own, DEPTH]
        if probe.primary_fk is None:
            return []
        parent = self.manifest.tables[foreign_key(table, probe.primary_fk).parent]
        return self._safe_attributes(parent, table.synth.context_columns, child=table.name)

    def _secondary_context(self, table: Table) -> dict[str, list[str]]:
        """Per secondary foreign key of a primary parent's child, the secondary parent's
        safe columns the child is conditioned on too (chosen before its values)."""
        if table.synth.mode == "copy" or not table.foreign_keys:
            return {}
        probe = plan_table(self.manifest, table)
        if probe.primary_fk is None:  # a hierarchy links its secondary parents by its values
            return {}
        return {
            name: self._safe_attributes(
                self.manifest.tables[foreign_key(table, name).parent], None, child=table.name
            )
            for name in probe.secondary_fks
        }

    def _safe_attributes(
        self, parent: Table, requested: list[str] | None, *, child: str
    ) -> list[str]:
        from ..privacy import key_columns, safe_context_columns

        keys = key_columns(parent) | {c.name for c in parent.columns if c.unique}
        chosen = safe_context_columns(parent, requested, keys, child=child)
        if requested is None:
            allowed = set(default_context_columns(self.manifest, parent))
            chosen = [c for c in chosen if c in allowed]
        return chosen

    def _link_attributes(self, table: Table) -> dict[str, list[str]]:
        """Per parent, the safe attributes the linkage models may bin on."""
        parents = {fk.parent for fk in table.foreign_keys if fk.parent != table.name}
        return {
            p: self._safe_attributes(self.manifest.tables[p], None, child=table.name)
            for p in sorted(parents)
        }

    def _context_kinds(self, table: Table, plan: TablePlan) -> dict[str, str] | None:
        if plan.hierarchy_fk and plan.context_columns:
            return {c: "categorical" if c == DEPTH else table.column(c).kind for c in plan.context_columns}
        if not plan.primary_fk or not plan.model_context:
            return None
        parent = self.manifest.tables[foreign_key(table, plan.primary_fk).parent]
        kinds = {c: parent.column(c).kind for c in plan.context_columns}
        for name, columns in plan.secondary_context.items():
            other = self.manifest.tables[foreign_key(table, name).parent]
            kinds.update({secondary_context_name(name, c): other.column(c).kind for c in columns})
        return kinds

    def _bounds(
        self, table: Table, columns: list[str]
    ) -> dict[str, tuple[float | None, float | None]]:
        """Numeric bounds: declared range checks, narrowed by the profiled min and max."""
        numeric = {c for c in columns if table.column(c).kind == "numeric"}
        bounds = {c: b for c, b in check_bounds(table).items() if c in numeric}
        stats = self.profile.get("tables", {}).get(table.name, {}).get("columns", {})
        for name in sorted(numeric):
            info = stats.get(name) or {}
            if info.get("kind") != "numeric" or info.get("min") is None:
                continue
            low, high = bounds.get(name, (None, None))
            low = info["min"] if low is None else max(low, info["min"])
            high = info["max"] if high is None else min(high, info["max"])
            bounds[name] = (low, high)
        return bounds

    # ---- writing ---------------------------------------------------------------------
    def _write_meta(
        self,
        artifacts: TableArtifacts,
        table: Table,
        plan: TablePlan,
        inputs: dict[str, Any],
        fingerprint: str,
        extra: dict[str, Any],
        *,
        model: bool = False,
    ) -> None:
        meta = {
            "format_version": ARTIFACT_FORMAT_VERSION,
            "table": table.name,
            "fingerprint": fingerprint,
            "inputs": inputs,
            "plan": plan.to_dict(),
            "source_rows": inputs["data"]["rows"],
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model_file": artifacts.MODEL_FILE if model else None,
            **extra,
        }
        artifacts.write_json(artifacts.meta_path, meta)


def _informative_context(plan: TablePlan, context: Any) -> Any:
    """The parent context without columns that hold one value in every row (a parent of
    one row has only such columns): they tell the model nothing. ``plan`` is narrowed to
    the columns kept, so generation reads and passes exactly those."""
    if context is None:
        plan.context_columns = []
        plan.secondary_context = {}
        return None
    _, kept = FixedValues.split(context)
    plan.context_columns = [c for c in plan.context_columns if c in kept]
    narrowed = {
        name: [c for c in columns if secondary_context_name(name, c) in kept]
        for name, columns in plan.secondary_context.items()
    }
    plan.secondary_context = {name: columns for name, columns in narrowed.items() if columns}
    return context[plan.model_context] if plan.model_context else None
