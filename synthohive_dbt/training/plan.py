"""What a table's model learns and what generation fills in around it: :class:`TablePlan`.

A table's columns split three ways:

* **keys**, never given to the model: primary-key columns, foreign-key columns and
  non-PII ``unique`` columns; generation makes them (:mod:`..generate.keys`) or takes
  them from generated parents (:mod:`..generate.assignment`);
* **PII columns** the privacy step removes (``fake``, ``drop``), re-created after
  sampling;
* **model columns**: everything else, learned by the table's synthesizer.

A child table's row count follows its *primary* parent: the foreign key named by
``synth.primary_parent`` (a parent table or a foreign-key name), else the first
declared foreign key whose columns may not be null, else the first one (one draw of the
child-count model per parent row). Every other foreign key is *secondary*. The child is
conditioned on all of them: its context is the primary parent's non-key, non-PII
columns (``synth.context_columns`` overrides), by their own names, plus each secondary
parent's, named ``<foreign key>.<column>`` (:func:`secondary_context_name`) so that two
parents' columns of one name do not clash.

A table that references itself (``manager_id -> employee_id``) is a *hierarchy*: it has
no primary parent, its rows are grown as a forest (:mod:`..generate.hierarchy`), its
context is its own parent row's attributes plus the row's depth, and all its other
foreign keys are secondary.

The plan is computed at training time and stored in ``meta.json``, so generation uses
exactly the split the model was trained with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ProjectError, TrainingError, known_names_hint
from ..project.hierarchies import hierarchy_fk
from ..project.model import ForeignKey, Manifest, Table
from ..relations.keys import is_integer_type

#: column kinds that can condition a child model (free text cannot)
CONTEXT_KINDS = frozenset({"numeric", "categorical", "datetime", "boolean"})


@dataclass
class TablePlan:
    """How one table is split between the model, its keys and its PII columns."""

    table: str
    mode: str  # learn | copy
    primary_fk: str | None = None  # ForeignKey.name of the primary parent's key
    context_columns: list[str] = field(default_factory=list)  # parent columns
    secondary_fks: list[str] = field(default_factory=list)
    sequence_columns: list[str] = field(default_factory=list)  # fresh unique values
    group_sequence_columns: list[str] = field(default_factory=list)  # 1..k per parent
    key_columns: list[str] = field(default_factory=list)  # everything the model never sees
    hierarchy_fk: str | None = None  # ForeignKey.name of a self-reference: a forest
    #: per secondary foreign key, the parent columns in the context (a primary parent's child)
    secondary_context: dict[str, list[str]] = field(default_factory=dict)

    @property
    def model_context(self) -> list[str]:
        """Every context column of the model: the primary parent's (or a hierarchy's),
        then each secondary parent's as ``<foreign key>.<column>``."""
        named = [
            secondary_context_name(fk, c) for fk, cols in self.secondary_context.items() for c in cols
        ]
        return [*self.context_columns, *named]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # left out when unset, so plans (and fingerprints) of other tables are as before
        if data["hierarchy_fk"] is None:
            del data["hierarchy_fk"]
        if not data["secondary_context"]:
            del data["secondary_context"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TablePlan:
        return cls(**data)


def secondary_context_name(fk_name: str, column: str) -> str:
    """The context column of a secondary parent's ``column``: ``<foreign key>.<column>``."""
    return f"{fk_name}.{column}"


def foreign_key(table: Table, name: str) -> ForeignKey:
    """The foreign key called ``name`` (``<columns>__<parent>``) of ``table``."""
    for fk in table.foreign_keys:
        if fk.name == name:
            return fk
    raise KeyError(name)


def plan_table(
    manifest: Manifest,
    table: Table,
    context_columns: list[str] | None = None,
    secondary_context: dict[str, list[str]] | None = None,
) -> TablePlan:
    """The plan of ``table``; ``context_columns`` are the safe primary parent columns and
    ``secondary_context`` those of each secondary foreign key (see
    :func:`default_context_columns`), looked up by the caller through the privacy step.
    """
    if table.synth.mode == "copy":
        _require_copied_parents(manifest, table)
        return TablePlan(table.name, "copy", key_columns=list(table.column_names))
    fks = [fk for fk in table.foreign_keys if fk.parent != table.name]
    hierarchy = _hierarchy(table)
    # a hierarchy's rows come from its forest: every other parent is a secondary one
    primary = None if hierarchy else choose_primary_fk(table, fks)
    fk_columns = {c for fk in fks for c in fk.columns}
    sequence, grouped = _generated_key_columns(table, primary, fk_columns)
    own = list(hierarchy.columns) if hierarchy else []
    keys = list(dict.fromkeys([*table.primary_key, *sorted(fk_columns), *own, *sequence]))
    return TablePlan(
        table=table.name,
        mode="learn",
        hierarchy_fk=hierarchy.name if hierarchy else None,
        primary_fk=primary.name if primary else None,
        context_columns=list(context_columns or []),
        secondary_fks=[fk.name for fk in fks if primary is None or fk.name != primary.name],
        sequence_columns=[c for c in sequence if c not in grouped],
        group_sequence_columns=grouped,
        key_columns=[c for c in table.column_names if c in keys],
        secondary_context={k: list(v) for k, v in (secondary_context or {}).items() if v},
    )


def choose_primary_fk(table: Table, fks: list[ForeignKey]) -> ForeignKey | None:
    """The foreign key whose parent drives the row count (see the module docstring)."""
    if not fks:
        return None
    wanted = table.synth.primary_parent
    if wanted:
        for fk in fks:
            if wanted in (fk.parent, fk.name):
                return fk
        raise TrainingError(
            f"synth.primary_parent {wanted!r} names no foreign key of {table.name}",
            table=table.name,
            hint=known_names_hint(
                str(wanted), [fk.parent for fk in fks] + [fk.name for fk in fks], "parent"
            ),
        )
    for fk in fks:
        if all(not table.column(c).nullable for c in fk.columns):
            return fk
    return fks[0]


def default_context_columns(manifest: Manifest, parent: Table) -> list[str]:
    """Candidate context columns of ``parent``: not a key, not free text (PII is the
    privacy step's to remove)."""
    keys = set(parent.primary_key) | {c for fk in parent.foreign_keys for c in fk.columns}
    keys |= {c for uk in parent.unique_keys for c in uk}
    return [
        c.name
        for c in parent.columns
        if c.name not in keys and not c.unique and c.kind in CONTEXT_KINDS
    ]


def _generated_key_columns(
    table: Table, primary: ForeignKey | None, fk_columns: set[str]
) -> tuple[list[str], list[str]]:
    """(columns filled from a key sequence, those of them numbered within the parent)."""
    sequence: list[str] = []
    grouped: list[str] = []
    pk_has_parent = primary is not None and set(primary.columns) <= set(table.primary_key)
    for name in table.primary_key:
        if name in fk_columns:
            continue
        sequence.append(name)
        if pk_has_parent and is_integer_type(table.column(name).data_type):
            grouped.append(name)
    for column in table.columns:
        single_unique = column.unique or [column.name] in table.unique_keys
        free = column.name not in fk_columns and column.name not in sequence
        not_pii = column.pii is None or column.pii.action == "keep"
        if single_unique and free and not_pii:
            sequence.append(column.name)
    return sequence, grouped


def _hierarchy(table: Table) -> ForeignKey | None:
    """The self-reference ``table`` is generated as a forest by; shapes the forest
    cannot reproduce are refused when the project loads (:mod:`..project.hierarchies`),
    and again here for a manifest built by other means."""
    from ..project.hierarchies import check_self_references

    fk = hierarchy_fk(table)
    if fk is not None:
        try:
            check_self_references({table.name: table}, {})
        except ProjectError as exc:
            raise TrainingError(
                exc.message, table=table.name, column=fk.columns[0], hint=exc.hint
            ) from exc
    return fk


def _require_copied_parents(manifest: Manifest, table: Table) -> None:
    """A copied table keeps its real keys, so its parents must be copied too."""
    for fk in table.foreign_keys:
        parent = manifest.tables.get(fk.parent)
        if parent is not None and parent.name != table.name and parent.synth.mode != "copy":
            raise TrainingError(
                f"copy table {table.name} references {fk.parent}, which is learned: its "
                "real keys would not exist among the generated ones",
                table=table.name,
                column=fk.columns[0],
                hint=f"declare {fk.parent} `synth: {{mode: copy}}` too, or learn {table.name}",
            )
