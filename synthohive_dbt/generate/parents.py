"""Generated parents, read back from the target for their children.

A child never holds its parent table. The *primary* parent is streamed back in batches
(its key columns and the context columns the child model and count model need), so
memory is one batch whatever the parent's size. A *secondary* parent is read once
into compact arrays, key columns and the attributes its link model bins on and the
child's context holds only, because any child row may point at any of its rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import GenerationError
from ..relations.frames import arrow_to_frame
from ..targets.base import TargetAdapter


def require_table(adapter: TargetAdapter, parent: str, child: str) -> None:
    """A parent must be generated before its children."""
    if not adapter.table_exists(parent):
        raise GenerationError(
            f"parent table {parent!r} of {child!r} is not in the target",
            table=child,
            hint=f"generate {parent} first: select it too (`--select +{child}`)",
        )


def count_rows(adapter: TargetAdapter, name: str) -> int:
    result = adapter.query(f"SELECT count(*) FROM {adapter.relation(name)}")
    return int(result.column(0)[0].as_py())


def stream_parent(
    adapter: TargetAdapter, parent: str, columns: list[str], batch_size: int
) -> Iterator[tuple[pd.DataFrame, pa.RecordBatch]]:
    """The parent's ``columns`` in batches of at most ``batch_size`` rows, in table order:
    as a frame (for the models) and as the Arrow batch (keys keep their exact type)."""
    for batch in adapter.read_table(
        parent, columns=list(dict.fromkeys(columns)), batch_size=batch_size
    ):
        if batch.num_rows:
            yield arrow_to_frame(batch), batch


@dataclass
class KeyTable:
    """A parent's key columns (as Arrow arrays) and a few attribute columns, in memory."""

    keys: dict[str, pa.Array]
    attributes: pd.DataFrame

    def __len__(self) -> int:
        return len(self.attributes)

    def take(self, rows: np.ndarray) -> dict[str, pa.Array]:
        """Key values of ``rows`` (-1: null)."""
        rows = np.asarray(rows, dtype=np.int64)
        missing = rows < 0
        indices = pa.array(np.where(missing, 0, rows), mask=missing)
        return {name: column.take(indices) for name, column in self.keys.items()}

    def attributes_at(self, rows: np.ndarray, columns: list[str]) -> pd.DataFrame:
        """The ``columns`` of parent ``rows`` (-1: nulls), one row each, index 0..n-1."""
        rows = np.asarray(rows, dtype=np.int64)
        missing = rows < 0
        if len(self) == 0:
            return pd.DataFrame({c: pd.Series([None] * len(rows), dtype=object) for c in columns})
        frame = self.attributes[columns].iloc[np.where(missing, 0, rows)].reset_index(drop=True)
        if missing.any():
            frame = frame.mask(np.broadcast_to(missing[:, None], frame.shape))
        return frame


def load_keys(
    adapter: TargetAdapter, parent: str, key_columns: list[str], attributes: list[str]
) -> KeyTable:
    """Read a secondary parent's keys and ``attributes`` from the target."""
    wanted = list(dict.fromkeys([*key_columns, *attributes]))
    batches = list(adapter.read_table(parent, columns=wanted))
    if batches:
        table = pa.Table.from_batches(batches)
    else:  # an empty parent: the right columns, no rows
        table = pa.table({c: pa.array([], pa.null()) for c in wanted})
    keys = {c: table.column(c).combine_chunks() for c in key_columns}
    attrs = (
        arrow_to_frame(table.select(attributes))
        if attributes
        else pd.DataFrame(index=range(table.num_rows))
    )
    return KeyTable(keys, attrs.reset_index(drop=True))
