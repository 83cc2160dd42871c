"""Fake values from faker: consistent replacements and generated columns.

Two uses, one rule: every value is a pure function of a seed, so the same inputs give
the same output and nothing has to be stored.

* :func:`consistent_fakes` replaces real values. The faker for each distinct value is
  seeded from an HMAC of the value under a per-run key held in memory only, so the
  same original gets the same fake within a run (joins across tables survive) while
  no mapping from originals to fakes is ever written down.
* :func:`generated_fakes` draws a column for synthetic rows. Rows are seeded in fixed
  blocks of the *global* row number, so a table generated in chunks of any size gets
  the same values; unique columns are made unique by construction from the row
  number (see :func:`make_unique`), which holds across chunks without remembering
  the values already drawn.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from synthohive_dbt.errors import PrivacyError

from . import fakepools
from .kinds import FakeKind
from .patterns import iban_check_digits, luhn_check_digit

logger = logging.getLogger(__name__)

#: rows per independently seeded block of generated values
BLOCK_ROWS = 1024
#: the default per-run key: random, in memory only, gone when the process ends
_PROCESS_RUN_KEY = secrets.token_bytes(32)
_MAX_REDRAWS = 5


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any parts (``hash()`` is salted per process; this is not)."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


@functools.lru_cache(maxsize=16)
def _faker(locale: str) -> Faker:
    try:
        return Faker(locale)
    except AttributeError as exc:
        raise PrivacyError(
            f"faker has no locale {locale!r}",
            hint="use a faker locale such as en_US, en_GB, de_DE, fr_FR, es_ES, nl_NL",
        ) from exc


def faker_for(locale: str | None) -> Faker:
    """A faker for ``locale`` (en_US when None); callers always reseed before drawing."""
    return _faker(locale or "en_US")


def _drawer(fk: Faker, kind: FakeKind) -> Callable[[], Any]:
    if kind.method == "lexify":
        return functools.partial(fk.lexify, "????????")
    if kind.method == "date_of_birth":
        return functools.partial(fk.date_of_birth, minimum_age=18, maximum_age=90)
    return getattr(fk, kind.method)


# ---- consistent replacement of real values -------------------------------------------


def _run_key_bytes(run_key: str | None) -> bytes:
    return _PROCESS_RUN_KEY if run_key is None else run_key.encode("utf-8")


def consistent_fakes(
    texts: pd.Series,
    kind: FakeKind,
    locale: str | None,
    *,
    seed: int,
    run_key: str | None,
    unique: bool,
) -> pd.Series:
    """Replace each distinct (non-null, stringified) value by a fake derived from it.

    ``run_key`` None uses a random key made when the process started: consistent
    within this run, unlinkable across runs. A given ``run_key`` makes the mapping
    repeatable across runs; it is a secret like any HMAC key.
    """
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    key = _run_key_bytes(run_key)
    prefix = f"{seed}\x1f{kind.name}\x1f{locale or ''}\x1f".encode()
    digests = [
        hmac.new(key, prefix + str(v).encode("utf-8"), hashlib.sha256).digest() for v in uniques
    ]
    fk = faker_for(locale)
    draw = _drawer(fk, kind)
    fakes: list[Any] = [None] * len(uniques)
    taken: set[Any] = set()
    # visiting in digest order makes collision handling independent of row order
    for i in sorted(range(len(uniques)), key=digests.__getitem__):
        fakes[i] = _draw_seeded(fk, draw, digests[i], kind, seed, taken if unique else None)
    out = np.empty(len(texts), dtype=object)
    present = codes >= 0
    out[present] = np.asarray(fakes, dtype=object)[codes[present]] if len(fakes) else []
    out[~present] = None
    return pd.Series(out, index=texts.index, name=texts.name)


def _draw_seeded(
    fk: Faker,
    draw: Callable[[], Any],
    digest: bytes,
    kind: FakeKind,
    seed: int,
    taken: set[Any] | None,
) -> Any:
    """One fake from a value's digest; under ``taken``, one not drawn before."""
    base = int.from_bytes(digest[:8], "big")
    for attempt in range(_MAX_REDRAWS):
        fk.seed_instance(base + attempt)
        value = draw()
        if taken is None:
            return value
        if value not in taken:
            taken.add(value)
            return value
    # a small pool (first names): tag the value with a number taken from the digest
    tag = np.array([int.from_bytes(digest[8:16], "big") % 10**_PERM_DIGITS], dtype=np.int64)
    value = make_unique([value], tag, kind, seed)[0]
    if value in taken:
        raise PrivacyError(
            "could not draw enough distinct fake values for a unique column",
            hint="use a kind with more possible values (email, uuid4) or action: hash",
        )
    taken.add(value)
    return value


# ---- generated columns ------------------------------------------------------------------


def generated_fakes(
    n_rows: int,
    kind: FakeKind,
    locale: str | None,
    *,
    seed: int,
    row_offset: int = 0,
    unique: bool = False,
    null_share: float = 0.0,
) -> list[Any]:
    """``n_rows`` fake values for global rows ``row_offset .. row_offset + n_rows - 1``."""
    rows = np.arange(row_offset, row_offset + n_rows, dtype=np.int64)
    values = _block_draws(rows, kind, locale, seed)
    if unique:
        values = make_unique(values, rows, kind, seed)
    if null_share > 0:
        nulls = _null_mask(rows, null_share, seed)
        values = [None if is_null else v for v, is_null in zip(values, nulls)]
    return values


def _block_draws(rows: np.ndarray, kind: FakeKind, locale: str | None, seed: int) -> list[Any]:
    out: list[Any] = []
    if len(rows) == 0:
        return out
    fk = faker_for(locale)
    draw = _drawer(fk, kind)
    pooled = fakepools.supports(kind.name, locale, seed)
    first, last = int(rows[0]), int(rows[-1])
    for block in range(first // BLOCK_ROWS, last // BLOCK_ROWS + 1):
        start = block * BLOCK_ROWS
        lo, hi = max(first, start), min(last, start + BLOCK_ROWS - 1)
        block_seed = derive_seed(seed, kind.name, locale, block)
        if pooled:  # names and e-mails: vectorised, always a whole block (prefix-stable)
            drawn = fakepools.draw_block(kind.name, BLOCK_ROWS, locale, seed, block_seed)[: hi - start + 1]
        else:
            fk.seed_instance(block_seed)
            drawn = [draw() for _ in range(hi - start + 1)]
        out.extend(drawn[lo - start :])
    return out


def _null_mask(rows: np.ndarray, share: float, seed: int) -> np.ndarray:
    out = np.empty(len(rows), dtype=bool)
    for block in np.unique(rows // BLOCK_ROWS):
        rng = np.random.default_rng(derive_seed(seed, "nulls", int(block)))
        draws = rng.random(BLOCK_ROWS) < share
        in_block = rows // BLOCK_ROWS == block
        positions = rows[in_block] - int(block) * BLOCK_ROWS
        out[np.flatnonzero(in_block)] = draws[positions]
    return out


# ---- uniqueness by construction ---------------------------------------------------------

_PERM_DIGITS = 9
_RANDOM_128_BITS = {"uuid4", "ipv6"}
_DIGIT_FORMATS = {
    "ssn",
    "phone_number",
    "credit_card_number",
    "iban",
    "passport_number",
    "postcode",
    "license_plate",
}


def _row_permutation(rows: np.ndarray, digits: int, seed: int) -> np.ndarray:
    """A seeded bijection of ``[0, 10**digits)`` applied to ``rows``.

    Affine map, digit reversal, affine map: each step is a bijection, and the middle
    one scatters consecutive rows so the output does not read as a counter.
    """
    modulus = 10**digits
    rng = np.random.default_rng(derive_seed(seed, "perm", digits))
    a1, a2 = (int(x) * 10 + d for x, d in zip(rng.integers(1, modulus // 10 + 1, 2), (3, 7)))
    b1, b2 = (int(x) for x in rng.integers(0, modulus, 2))
    x = (rows % modulus * (a1 % modulus) + b1) % modulus
    x = _reverse_digits(x, digits)
    return (x * (a2 % modulus) + b2) % modulus


def _reverse_digits(x: np.ndarray, digits: int) -> np.ndarray:
    out = np.zeros_like(x)
    rest = x.copy()
    for _ in range(digits):
        out = out * 10 + rest % 10
        rest //= 10
    return out


def make_unique(values: list[Any], rows: np.ndarray, kind: FakeKind, seed: int) -> list[Any]:
    """Rewrite fake values so that distinct global rows get distinct values.

    Digits of formatted kinds (ssn, phone, card, iban, ...) are refilled from a seeded
    permutation of the row number, keeping the format (and fixing Luhn / IBAN check
    digits); e-mails and text carry the row number in base 36 after a separator that
    the number never contains, so the mapping stays one-to-one.
    """
    texts = pd.Series([str(v) for v in values], dtype=object)
    if kind.name == "email":
        local = texts.str.rsplit("@", n=1).str[0]
        domain = texts.str.rsplit("@", n=1).str[1]
        return (local + "." + _base36(rows) + "@" + domain).tolist()
    if kind.name == "ipv4":
        return _unique_ipv4(rows, seed)
    if kind.name in _RANDOM_128_BITS:
        return values  # 122+ random bits: a collision is not a practical concern
    if kind.value_type == "date":
        logger.warning("a unique %s column cannot be unique by construction", kind.name)
        return values
    if kind.name in _DIGIT_FORMATS:
        refilled = _refill_digits(texts, rows, kind, seed)
        if refilled is not None:
            return refilled
    sep = "_" if kind.name == "user_name" else " "
    return (texts + sep + _base36(rows)).tolist()


def _base36(rows: np.ndarray) -> pd.Series:
    return pd.Series([np.base_repr(int(r), 36).lower() for r in rows], dtype=object)


def _unique_ipv4(rows: np.ndarray, seed: int) -> list[str]:
    perm = _row_permutation(rows, _PERM_DIGITS, seed) % (1 << 32)
    perm = (perm + derive_seed(seed, "ipv4") % (1 << 32)) % (1 << 32)
    octets = [(perm >> s) & 255 for s in (24, 16, 8, 0)]
    return [".".join(str(int(o[i])) for o in octets) for i in range(len(rows))]


def _refill_digits(
    texts: pd.Series, rows: np.ndarray, kind: FakeKind, seed: int
) -> list[str] | None:
    """Refill the last digit slots of each value from the row permutation, or None."""
    slots = texts.str.count(r"\d")
    fixed = 1 if kind.name == "credit_card_number" else 0
    usable = int((slots - fixed - (2 if kind.name == "iban" else 0)).min()) if len(texts) else 0
    digits = min(usable, _PERM_DIGITS)
    if digits < 1 or int(rows.max()) >= 10**digits:
        return None
    numbers = pd.Series(_row_permutation(rows, digits, seed).astype(str)).str.zfill(digits)
    out = [_fill_last_slots(text, number, fixed) for text, number in zip(texts, numbers)]
    if kind.name == "credit_card_number":
        return _fix_luhn(out)
    if kind.name == "iban":
        return [v[:2] + iban_check_digits(v[:2], v[4:]) + v[4:] for v in out]
    return out


def _fill_last_slots(text: str, number: str, skip_last: int) -> str:
    chars = list(text)
    positions = [i for i, ch in enumerate(chars) if ch.isdigit()]
    targets = positions[len(positions) - skip_last - len(number) : len(positions) - skip_last]
    for pos, digit in zip(targets, number):
        chars[pos] = digit
    return "".join(chars)


def _fix_luhn(values: list[str]) -> list[str]:
    payload = pd.Series([v[:-1] for v in values], dtype=object)
    check = luhn_check_digit(payload)
    return (payload + check).tolist()


def to_date(value: Any) -> Any:
    """Dates as ISO text when they fill a text column."""
    return value.isoformat() if isinstance(value, dt.date) else value
