"""A generation: the set of tables one run writes, swapped into a target all at once.

Each table's write is atomic on its own (staging, then swap), but a run writes several
tables that belong together: children point at the parents they were generated with.
So a run opens a generation (:meth:`TargetAdapter.generation`): every table it writes
goes to a staging place of that generation, where the run itself reads it back (a
child reads its staged parent's keys, a derived model's SQL its staged refs, the
checks their staged tables), and only when every table is written and verified does
the adapter swap them all in, in one step where the target allows it:

- DuckDB: one transaction renames every staged table over its final one;
- Parquet: the new set is a new folder beside the old one, and one rename of a
  symbolic link makes it the current set;
- Spark/Hive: staged tables, then a rename per table; the staged tables are marked
  before the first rename so that a run killed during the renames is rolled forward
  by the next one.

A run that fails (or is killed) before the swap leaves the previous complete set, or,
the first time, no tables at all; what it staged is removed by the next generation.
Each adapter records the generation id of every table it swaps in
(:meth:`TargetAdapter.table_generations`), so a reader can check that all tables come
from one run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

#: prefix of every relation (table or file) that is the machinery's, never a user's
HIDDEN_PREFIX = "__shive_"
#: prefix of a table staged by a generation: ``__shive_gen_<id>_<table>``
STAGE_PREFIX = "__shive_gen_"
#: length of a generation id: 14 digits of UTC time and 6 hex digits
ID_LENGTH = 20


def new_generation_id() -> str:
    """A fresh id: sortable by time, unique, and a plain lower-case SQL name part."""
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:6]


def stage_name(generation_id: str, table: str) -> str:
    """The name table ``table`` is staged under in generation ``generation_id``."""
    return f"{STAGE_PREFIX}{generation_id}_{table}"


def parse_stage_name(name: str) -> tuple[str, str] | None:
    """``(generation id, table)`` of a staged name, or None for any other name."""
    if not name.lower().startswith(STAGE_PREFIX):
        return None
    rest = name[len(STAGE_PREFIX) :]
    if len(rest) <= ID_LENGTH + 1 or rest[ID_LENGTH] != "_":
        return None
    return rest[:ID_LENGTH], rest[ID_LENGTH + 1 :]


@dataclass
class Generation:
    """The tables one run has staged so far, and whether it may still be swapped in."""

    id: str
    #: table -> where it is staged (a relation name or a file path, the adapter's choice)
    staged: dict[str, str] = field(default_factory=dict)
    #: table -> rows written
    rows: dict[str, int] = field(default_factory=dict)
    #: why the generation must not be swapped in (a table failed); empty: it may
    problems: list[str] = field(default_factory=list)

    def discard(self, reason: str) -> None:
        """Keep the previous tables: this generation is not swapped in when it closes."""
        self.problems.append(reason)

    @property
    def complete(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class TableGeneration:
    """Which generation a table in the target comes from, and its rows then."""

    table: str
    generation_id: str
    rows: int
