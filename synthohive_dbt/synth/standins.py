"""Rare values and their stand-ins: no value copied that identifies a row.

A category seen fewer than ``min_count`` times in the real data (``privacy.min_count``
in ``shive_project.yml``, :data:`DEFAULT_MIN_COUNT` by default) can point at one person:
a member code, an order reference, a note. Such a value never appears verbatim in an
output or an artifact. Where a model would sample it back, it samples a *stand-in*
instead (:func:`standins`): a generated value of the same shape, with the same length,
the same character class at every position (digit, upper- or lower-case letter, drawn
from the characters of that class the column uses, so hex stays hex) and the same
separators, keeping only a prefix that at least ``min_count`` distinct real values
share (``MB-`` of ``MB-48213-X``): a prefix that many values have identifies none. A
stand-in never equals a real value; a frequent value (a city, a status) is kept as it is.

Near-unique text columns (every value rare) come out as stand-ins entirely.
"""

from __future__ import annotations

import string
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: a category seen fewer times than this is rare (the default of ``privacy.min_count``)
DEFAULT_MIN_COUNT = 5
#: longest shared prefix looked for
_MAX_PREFIX = 24
#: draws of one stand-in before its shape is given up as too small to avoid real values
_TRIES = 20
#: occurrences per character of a class before the characters a column never uses are left out
_EVIDENCE = 20
#: sorts after every character: ``prefix + _LAST`` bounds the values starting with ``prefix``
_LAST = "\U0010ffff"
_DIGITS = np.array(list(string.digits))
_UPPER = np.array(list(string.ascii_uppercase))
_LOWER = np.array(list(string.ascii_lowercase))


def can_stand_in(value: Any) -> bool:
    """Values a stand-in can replace: text and integers (not booleans, floats or dates)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (str, int, np.integer))


def shared_prefixes(
    values: Iterable[str], min_count: int, *, among: Iterable[str] | None = None
) -> dict[str, int]:
    """Per value of ``values``, the length of its longest proper prefix that at least
    ``min_count`` distinct values of ``among`` (default ``values``) share, cut back to a
    segment boundary (0: none). Counted by bisection in the sorted distinct values."""
    wanted = list(dict.fromkeys(values))
    ordered = sorted(set(wanted if among is None else among))
    out: dict[str, int] = {}
    for text in wanted:
        size = 0
        for length in range(1, min(len(text) - 1, _MAX_PREFIX) + 1):
            prefix = text[:length]
            shared = bisect_left(ordered, prefix + _LAST) - bisect_left(ordered, prefix)
            if shared < min_count:
                break  # a longer prefix is shared by no more values
            size = length
        out[text] = _boundary(text, size)
    return out


def _boundary(text: str, size: int) -> int:
    """``size`` cut back to where a segment of ``text`` ends (after a separator, or where
    letters turn to digits): ``MB-`` of a shared ``MB-4821``, so a stand-in is not a
    near-copy that differs from real values in its last characters only."""
    for end in range(size, 0, -1):
        before, after = text[end - 1], text[end] if end < len(text) else ""
        if not before.isalnum() or (after and _klass(before) != _klass(after)):
            return end
    return 0


def _klass(ch: str) -> str:
    return "digit" if ch.isdigit() else "letter" if ch.isalpha() else "other"


def standins(
    values: Sequence[Any],
    *,
    real: Iterable[Any],
    rng: np.random.Generator,
    min_count: int = DEFAULT_MIN_COUNT,
) -> list[Any]:
    """One stand-in per value of ``values`` (the rare ones), none equal to a value of ``real``.

    ``real`` is every distinct value of the column; the prefixes kept are those shared by
    ``min_count`` of them. Stand-ins are distinct from each other as far as their shape
    allows. A value whose shape has no free stand-in left (a one-letter code whose every
    letter is taken) gets None: the caller leaves it out.
    """
    taken = {_text(v) for v in real}
    texts = [_text(v) for v in values]
    known = [t for t in taken if t is not None]
    prefixes = shared_prefixes([t for t in texts if t is not None], min_count, among=known)
    alphabets = _alphabets(known)
    out: list[Any] = []
    for value, text in zip(values, texts):
        number = isinstance(value, (int, np.integer))
        drawn = (
            None
            if text is None
            else _draw(text, prefixes.get(text, 0), taken, rng, number, alphabets)
        )
        if drawn is not None:
            taken.add(drawn)
        out.append(None if drawn is None else _typed(drawn, value))
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return value if isinstance(value, str) else None


def _alphabets(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class, the ASCII characters the column's values use, when they show the class
    often enough (:data:`_EVIDENCE` times per character of it) for an unused character to
    mean something: hex stays hex, ``A``-``F`` codes stay so; otherwise the whole class."""
    counts = Counter("".join(texts))
    out = []
    for full in (_DIGITS, _UPPER, _LOWER):
        seen = sorted(ch for ch in full.tolist() if counts[ch])
        occurrences = sum(counts[ch] for ch in seen)
        enough = occurrences >= _EVIDENCE * len(full) and seen
        out.append(np.array(seen) if enough else full)
    return out[0], out[1], out[2]


def _draw(
    text: str,
    keep: int,
    taken: set[str | None],
    rng: np.random.Generator,
    number: bool,
    alphabets: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> str | None:
    head, tail = text[:keep], text[keep:]
    if not any(ch.isalnum() for ch in tail):
        return None  # punctuation only: no shape to vary
    for _ in range(_TRIES):
        candidate = head + _fill(tail, rng, alphabets)
        digits = candidate.lstrip("-")
        if number and len(digits) > 1 and digits[0] == "0":
            continue  # an integer keeps its number of digits
        if candidate not in taken:
            return candidate
    return None


def _fill(
    tail: str, rng: np.random.Generator, alphabets: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> str:
    """``tail`` with every digit and letter redrawn from its own class; the rest kept."""
    chars = np.array(list(tail), dtype=object)
    digits, upper, lower = alphabets
    for alphabet, pick in (
        (digits, [ch.isdigit() for ch in tail]),
        (upper, [ch.isalpha() and ch.isupper() for ch in tail]),
        (lower, [ch.isalpha() and not ch.isupper() for ch in tail]),
    ):
        where = np.flatnonzero(pick)
        if len(where):
            chars[where] = rng.choice(alphabet, size=len(where))
    return "".join(chars)


def _typed(text: str, like: Any) -> Any:
    return int(text) if isinstance(like, (int, np.integer)) else text


def rare_rows_as_standins(
    series: pd.Series, frequent: set[Any], *, rng: np.random.Generator
) -> pd.Series:
    """``series`` with every value outside ``frequent`` (text or integer, not null)
    replaced by a stand-in of its own, distinct per row.

    For a child's view of its parent (the context columns): a parent value repeats once
    per child, so its count among the child rows says nothing about how rare it is among
    parents. ``frequent`` is the set counted on the parent; a value outside it appears
    once per row here, which makes it rare to the model too.
    """
    values = series.astype(object)
    replace = values.notna().to_numpy() & ~values.isin(frequent).to_numpy()
    replace &= values.map(can_stand_in).to_numpy(bool)
    if not replace.any():
        return series
    drawn = standins(list(values[replace]), real=values.dropna().unique(), rng=rng, min_count=len(values) + 1)
    out = values.copy()
    out[replace] = drawn
    return out
