"""A trained table as generation sees it: plan, model, PII plan and linkage, loaded.

Generation reads nothing of the real data for a learned table: everything it needs
is in ``target/models/<table>/`` (see :mod:`synthohive_dbt.training.artifacts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ArtifactError, PrivacyError
from ..relations.fixed import FixedValues
from ..relations.hierarchy import HierarchyModel
from ..relations.linkage import ChildCountModel
from ..relations.secondary import SecondaryLinkModel
from ..training.artifacts import TableArtifacts
from ..training.linking import LINKAGE_FORMAT_VERSION
from ..training.plan import TablePlan, foreign_key

if TYPE_CHECKING:
    from ..privacy import PiiPlan
    from ..project.model import Manifest, Table
    from ..synth import TableSynthesizer


@dataclass
class PrimaryLink:
    """The primary parent's foreign key, child-count model and null rate."""

    fk: str
    counts: ChildCountModel
    null_rate: float

    def expected_rows(self, parent_rows: int) -> float:
        """Child rows expected for ``parent_rows`` parents: the children linked to them
        (their mean count each) plus the share generated with a null key."""
        linked = parent_rows * self.counts.mean
        return linked / (1.0 - self.null_rate) if self.null_rate < 1 else linked


@dataclass
class TrainedTable:
    """Everything needed to generate one learned table."""

    table: Table
    meta: dict[str, Any]
    plan: TablePlan
    synth: TableSynthesizer | None
    pii_plan: PiiPlan | None
    primary: PrimaryLink | None
    secondary: dict[str, SecondaryLinkModel]
    key_specs: dict[str, dict[str, Any]]
    hierarchy: HierarchyModel | None = None  # a self-reference's forest shape

    @property
    def source_rows(self) -> int:
        return int(self.meta.get("source_rows", 0))

    @property
    def model_columns(self) -> list[str]:
        return list(self.meta.get("model_columns", []))

    def primary_columns(self) -> list[str]:
        """The primary parent's columns a child reads: keys, context, the count model's
        attributes and those its secondary parents are chosen by."""
        if self.primary is None:
            return []
        fk = foreign_key(self.table, self.primary.fk)
        chosen_by = [c for m in self.secondary.values() if m.by == "primary" for c in m.child_columns]
        columns = [*fk.parent_columns, *self.plan.context_columns, *self.primary.counts.columns]
        return list(dict.fromkeys([*columns, *chosen_by]))

    def secondary_columns(self, name: str) -> list[str]:
        """The secondary parent's attributes read for foreign key ``name``: those its link
        model bins on and those in the child's context."""
        model = self.secondary[name]
        return list(dict.fromkeys([*model.parent_columns, *self.plan.secondary_context.get(name, [])]))

    @property
    def fixed(self) -> FixedValues:
        """The model columns that hold one value (see :mod:`.fixed`)."""
        return FixedValues.from_dict(self.meta.get("fixed_values"))


def load_trained(manifest: Manifest, table: Table) -> TrainedTable:
    """Load ``table``'s artifacts; anything missing or corrupt is an ArtifactError."""
    artifacts = TableArtifacts(manifest.target_path, table.name)
    meta = artifacts.require_meta()
    plan = TablePlan.from_dict(meta["plan"])
    if plan.mode == "copy":
        return TrainedTable(table, meta, plan, None, None, None, {}, {})
    from ..privacy import PiiPlan
    from ..synth import TableSynthesizer

    # a table with nothing to learn has no model (meta.json names no model file)
    synth = TableSynthesizer.load(artifacts.model_path) if meta.get("model_file") else None
    try:
        pii_plan = PiiPlan.from_dict(artifacts.read_json(artifacts.pii_plan_path))
    except PrivacyError as exc:
        raise ArtifactError(str(exc.message), table=table.name, hint=exc.hint) from exc
    linkage = artifacts.read_json(artifacts.linkage_path)
    if linkage.get("secondary") and linkage.get("format_version", 1) < LINKAGE_FORMAT_VERSION:
        raise ArtifactError(
            f"linkage.json of table {table.name!r} has format {linkage.get('format_version', 1)}: "
            "it links secondary parents after the values, this version chooses them first "
            "and conditions the values on them",
            table=table.name,
            path=artifacts.linkage_path,
            hint="retrain it with `shive train --full-refresh`",
        )
    primary = None
    if linkage.get("primary"):
        raw = linkage["primary"]
        primary = PrimaryLink(
            raw["fk"], ChildCountModel.from_dict(raw["counts"]), float(raw.get("null_rate", 0.0))
        )
    secondary = {
        name: SecondaryLinkModel.from_dict(doc)
        for name, doc in linkage.get("secondary", {}).items()
    }
    hierarchy = HierarchyModel.from_dict(linkage["hierarchy"]) if linkage.get("hierarchy") else None
    return TrainedTable(
        table,
        meta,
        plan,
        synth,
        pii_plan,
        primary,
        secondary,
        dict(linkage.get("keys", {})),
        hierarchy,
    )
