"""Value transforms for ``hash`` and ``mask``: pure functions of a column of values.

Both work on each distinct value once and broadcast the result back, so a column
with few distinct values costs little however long it is, and nulls stay null.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

MASK_CHAR = "*"
_ALNUM = re.compile(r"[^\W_]")


def as_text(series: pd.Series) -> pd.Series:
    """Each value as the text it would print as; nulls stay None.

    Integral floats print without ``.0`` (a nullable integer column read as float
    must hash like the integer), so hashes do not depend on how a reader typed it.
    """
    values = series
    if ptypes.is_float_dtype(values.dtype):
        finite = values.dropna()
        if len(finite) and bool(np.all(np.mod(finite.to_numpy(), 1) == 0)):
            values = values.astype("Int64")
    present = values.notna()
    text = values.astype("string").astype(object)
    return text.where(present, None)


def map_distinct(texts: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """Apply ``fn`` once per distinct non-null text and broadcast back."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    mapped = np.asarray([fn(u) for u in uniques], dtype=object)
    out = np.full(len(texts), None, dtype=object)
    present = codes >= 0
    if present.any():
        out[present] = mapped[codes[present]]
    return pd.Series(out, index=texts.index, name=texts.name)


def hmac_hex(texts: pd.Series, secret: bytes, *, length: int | None = None) -> pd.Series:
    """HMAC-SHA256 of each text under ``secret``, as hex, optionally truncated.

    Keyed on purpose: a plain SHA-256 of an e-mail or phone number is reversed by
    hashing every candidate, an HMAC is not without the key.
    """

    def digest(text: str) -> str:
        hexed = hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()
        return hexed[:length] if length else hexed

    return map_distinct(texts, digest)


def mask_text(text: str, keep_last: int, char: str = MASK_CHAR) -> str:
    """Replace all but the last ``keep_last`` letters/digits by ``char``; keep separators.

    ``4111-1111-1111-1234`` -> ``****-****-****-1234``: length and punctuation (the
    format) survive, the identifying characters do not. At most half of a value's
    letters and digits are kept, so a short value (``Bob``, ``1234``) is never shown
    whole.
    """
    positions = [m.start() for m in _ALNUM.finditer(text)]
    shown = min(keep_last, len(positions) // 2)
    hidden = positions[: len(positions) - shown]
    chars = list(text)
    for pos in hidden:
        chars[pos] = char
    return "".join(chars)


def mask(texts: pd.Series, keep_last: int) -> pd.Series:
    """:func:`mask_text` over a column."""
    return map_distinct(texts, lambda t: mask_text(t, keep_last))
