"""The record of what the privacy stage did to a table: :class:`PiiPlan`.

Training saves it next to the model; generation reads it to re-create the columns
that never reached the model (``fake`` columns are drawn fresh, ``drop`` columns come
back as nulls) in the table's column order and types. It holds names, types, actions
and aggregates (a null share), never a value of the real data, never a key.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.project.model import PiiAction

PLAN_FORMAT_VERSION = 1


@dataclass
class ColumnPlan:
    """What happened to one declared PII column."""

    column: str
    action: PiiAction
    #: pandas dtype of the source column, restored when the column is re-created
    dtype: str
    #: the column's DuckDB type in the manifest
    data_type: str
    #: True when the column is absent from the training frame (fake, drop)
    removed: bool
    #: canonical fake kind (fake), or None
    kind: str | None = None
    locale: str | None = None
    consistent: bool = True
    unique: bool = False
    nullable: bool = True
    #: share of nulls in the source column: an aggregate, no values
    null_share: float = 0.0
    #: hash: the environment variable that held the key, and the key's fingerprint
    secret_env: str | None = None
    key_fingerprint: str | None = None
    hash_length: int | None = None
    #: mask: how many trailing letters/digits were kept
    keep_last: int | None = None


@dataclass
class PiiPlan:
    """Per-column privacy actions applied to one table before training."""

    table: str
    columns: list[ColumnPlan] = field(default_factory=list)
    #: the source frame's column order, restored after generation
    column_order: list[str] = field(default_factory=list)
    format_version: int = PLAN_FORMAT_VERSION

    def column(self, name: str) -> ColumnPlan:
        for plan in self.columns:
            if plan.column == name:
                return plan
        raise KeyError(name)

    @property
    def removed_columns(self) -> list[str]:
        """Columns missing from the training frame."""
        return [c.column for c in self.columns if c.removed]

    @property
    def regenerated(self) -> list[ColumnPlan]:
        """Columns generation re-creates: ``fake`` (drawn by faker) and ``drop`` (nulls)."""
        return [c for c in self.columns if c.removed and c.action in ("fake", "drop")]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PiiPlan:
        version = data.get("format_version", PLAN_FORMAT_VERSION)
        if not isinstance(version, int) or version > PLAN_FORMAT_VERSION:
            raise PrivacyError(
                f"PII plan format {version!r} is newer than this version reads "
                f"({PLAN_FORMAT_VERSION})",
                hint="upgrade synthohive_dbt or retrain with `shive train --full-refresh`",
                table=data.get("table"),
            )
        known = {f.name for f in fields(ColumnPlan)}
        try:
            columns = [
                ColumnPlan(**{k: v for k, v in c.items() if k in known}) for c in data["columns"]
            ]
            return cls(
                table=data["table"],
                columns=columns,
                column_order=list(data.get("column_order", [])),
                format_version=version,
            )
        except (KeyError, TypeError) as exc:
            raise PrivacyError(
                f"malformed PII plan: {exc}",
                hint="retrain the table with `shive train --full-refresh`",
                table=data.get("table"),
            ) from exc

    @classmethod
    def from_json(cls, text: str) -> PiiPlan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PrivacyError(
                f"PII plan is not valid JSON: {exc}",
                hint="retrain the table with `shive train --full-refresh`",
            ) from exc
        return cls.from_dict(data)
