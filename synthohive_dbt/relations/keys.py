"""Synthetic key values: unique primary keys in the source's own shape.

Keys are never learned by the model. A key column's *shape* is learned from a sample
of real values at training time (:func:`learn_key_spec`) and stored as a small
:class:`KeySpec` in the table's artifacts; generation then draws fresh values from a
:class:`KeySequence`, which remembers where it stopped so that values stay unique
across chunks.

Shapes:

* ``integer``: ``1, 2, 3, ...`` (integer and decimal key columns),
* ``pattern``: a fixed prefix and suffix around a zero-padded counter
  (``SKU-00042`` -> prefix ``SKU-``, width 5); a counter that outgrows the width just
  gets longer, which keeps values unique,
* ``uuid``: random version-4 UUIDs from the seeded generator,
* ``text``: any other text key, as ``<column>_<counter>``.

Composite keys such as ``(order_id, line_no)`` number the non-parent part within
each parent (:func:`within_group_sequence`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

KeyShape = Literal["integer", "pattern", "uuid", "text"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COUNTER = re.compile(r"^(.*?)(\d+)(\D*)$")
_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "INT",
    "DECIMAL",
    "NUMERIC",
)


@dataclass(frozen=True)
class KeySpec:
    """How to make fresh values for one key column."""

    shape: KeyShape
    prefix: str = ""
    suffix: str = ""
    width: int = 0
    upper: bool = False  # uuid: upper-case hex digits

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeySpec:
        return cls(**data)


def is_integer_type(data_type: str) -> bool:
    """Whether a DuckDB type holds whole numbers a counter can fill."""
    base = data_type.upper().split("(")[0].strip()
    return base in _INTEGER_TYPES


def learn_key_spec(
    values: Sequence[Any], data_type: str, *, column: str = "key", min_count: int = 1
) -> KeySpec:
    """Learn the shape of a key column from a sample of its real (non-null) values.

    Only a prefix/suffix that most sampled values share, and at least ``min_count`` of
    them (``privacy.min_count``: ``ACME-`` of a table of two rows could be someone's
    name), is kept (``SKU-``): a part that varies from value to value could be someone's
    data, so a key without a shared pattern becomes ``<column>_<counter>`` instead.
    """
    if is_integer_type(data_type):
        return KeySpec("integer")
    texts = [str(v) for v in values if v is not None]
    if data_type.upper() == "UUID" or (texts and all(_UUID.match(t) for t in texts)):
        return KeySpec("uuid", upper=any(c.isupper() for t in texts[:50] for c in t))
    matches = [_COUNTER.match(t) for t in texts]
    if len(texts) >= 2 and all(matches):
        shapes = Counter((m.group(1), m.group(3)) for m in matches if m)
        (prefix, suffix), seen = shapes.most_common(1)[0]
        if seen * 2 >= len(texts) and seen >= min_count:
            return KeySpec("pattern", prefix=prefix, suffix=suffix, width=_counter_width(matches))
    return KeySpec("text", prefix=f"{column}_")


def _counter_width(matches: Sequence[re.Match[str] | None]) -> int:
    """The zero-padded width of the counters: their common length, or that of padded ones."""
    digits = [m.group(2) for m in matches if m]
    lengths = Counter(len(d) for d in digits)
    if len(lengths) == 1:
        return next(iter(lengths))
    padded = Counter(len(d) for d in digits if d.startswith("0"))
    return padded.most_common(1)[0][0] if padded else 0


class KeySequence:
    """Fresh, unique values of one key column, drawn chunk after chunk."""

    def __init__(self, spec: KeySpec, start: int = 1) -> None:
        self.spec = spec
        self.next_value = start

    def take(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The next ``n`` values (int64 for integer keys, object strings otherwise)."""
        counters = np.arange(self.next_value, self.next_value + n, dtype=np.int64)
        self.next_value += n
        if self.spec.shape == "integer":
            return counters
        if self.spec.shape == "uuid":
            return _random_uuids(n, rng, upper=self.spec.upper)
        width = self.spec.width
        digits = [str(c).zfill(width) for c in counters.tolist()]
        return np.array([f"{self.spec.prefix}{d}{self.spec.suffix}" for d in digits], dtype=object)


def _random_uuids(n: int, rng: np.random.Generator, *, upper: bool) -> np.ndarray:
    """Version-4 UUID strings from the seeded generator (uniqueness: 122 random bits)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    out = np.empty(n, dtype=object)
    for i, row in enumerate(raw):
        h = row.tobytes().hex()
        text = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        out[i] = text.upper() if upper else text
    return out


def within_group_sequence(counts: np.ndarray, start: int = 1) -> np.ndarray:
    """``start .. start+k-1`` for each group of size k, concatenated: [2, 3] -> [1, 2, 1, 2, 3]."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    group_starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - group_starts + start
