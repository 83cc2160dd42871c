"""What an emitted test is: a named SQL query returning failing rows, plus its metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..project.model import Severity

#: integrity tests check declared facts; distribution tests compare with the profile;
#: privacy tests compare with a sample of the real rows (in Python, see ``privacy.py``)
Category = Literal["integrity", "distribution", "privacy"]

INTEGRITY_KINDS = ("unique", "not_null", "relationships", "accepted_values", "check")
DISTRIBUTION_KINDS = ("ks", "moments", "tv", "null_rate", "child_count", "correlation")
PRIVACY_KINDS = ("exact_match", "dcr")


@dataclass
class EmittedTest:
    """One SQL test over the synthetic output.

    ``sql`` follows dbt's convention: a query whose rows are the failures, empty when
    the test passes. It is DuckDB SQL in which every synthetic table is written as
    ``{{ source('shive_synth', '<table>') }}``, exactly what ``target/tests/<name>.sql``
    holds. Distribution tests also carry ``metrics_sql``: the same statistic as one
    row that always comes back, with a boolean ``failed`` column; ``sql`` is that row
    filtered on ``failed``, so both give the same verdict by construction, and the
    runner can score a passing test too.
    """

    name: str  # unique and dbt-safe: the file name of the singular test
    table: str  # the table the test is about (the child, for a foreign key)
    kind: str  # one of INTEGRITY_KINDS or DISTRIBUTION_KINDS
    category: Category
    severity: Severity
    sql: str
    description: str
    column: str | None = None
    columns: list[str] = field(default_factory=list)  # every column involved (composite keys)
    threshold: float | None = None
    metrics_sql: str | None = None
    relations: list[str] = field(default_factory=list)  # synthetic tables the SQL reads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmittedTest:
        return cls(**data)
