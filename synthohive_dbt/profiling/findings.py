"""What a key check found: one :class:`KeyFinding` per table, key or foreign key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import ProfileError
from ..project.model import OrphanPolicy

#: rows: the table is not empty; primary_key / unique: no nulls (PK), no duplicates;
#: foreign_key: every non-null key has a parent row
KeyCheck = Literal["rows", "primary_key", "unique", "foreign_key"]
#: pass: nothing to do; warn: a problem handled by policy; error: profiling must stop
FindingStatus = Literal["pass", "warn", "error"]
#: what the training read does with the offending rows
OrphanAction = Literal["none", "drop", "null"]


@dataclass
class KeyFinding:
    """The outcome of one key check, with the counts behind it.

    ``message`` and ``hint`` are written for a person; the counts are for code
    (the profile, the report, the training stage's orphan handling).
    """

    table: str
    check: KeyCheck
    columns: list[str]
    status: FindingStatus
    message: str
    hint: str | None = None
    row_count: int = 0  # rows of the table the check read
    null_count: int = 0  # rows with a null in any key column
    duplicate_keys: int = 0  # distinct key values that occur more than once
    duplicate_count: int = 0  # rows beyond the first of every duplicated key value
    orphan_count: int = 0  # rows whose non-null foreign key has no parent row
    parent: str | None = None
    parent_columns: list[str] = field(default_factory=list)
    fk_name: str | None = None
    policy: OrphanPolicy | None = None
    action: OrphanAction = "none"

    @property
    def failed(self) -> bool:
        return self.status == "error"

    def to_error(self, suffix: str = "") -> ProfileError:
        """The ProfileError this finding stands for (only meaningful when it failed)."""
        column = self.columns[0] if len(self.columns) == 1 else None
        return ProfileError(self.message + suffix, hint=self.hint, table=self.table, column=column)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_foreign_keys(findings: Iterable[KeyFinding] | None) -> set[tuple[str, str]]:
    """``(table, fk name)`` of every foreign key a check found free of orphans.

    The training read can skip the anti-join of such a key: there is nothing to drop.
    """
    if findings is None:
        return set()
    return {
        (f.table, f.fk_name)
        for f in findings
        if f.check == "foreign_key" and f.fk_name is not None and f.orphan_count == 0
    }
