"""Fast generated fakes for the common person kinds: names, user names, e-mails.

faker draws one value per call, and a call costs tens of microseconds (weighted choices
over long word lists), which made fake names and e-mails the slowest part of generating
a customer table. For these kinds the parts are drawn from faker once per (locale, seed),
into pools of first names, last names and safe e-mail domains, and each block of rows
then combines pool entries picked by a seeded numpy generator, vectorised:

* ``first_name`` / ``last_name``: one pool entry;
* ``name``: a first and a last name (``POOL_SIZE`` squared combinations);
* ``user_name``: a pattern (``first.last``, ``flast``, ``first42``, ...) over the names,
  lower-cased and reduced to ASCII letters;
* ``email``: a user name at one of faker's reserved example domains, so a fake address
  can never reach a real inbox.

Blocks are seeded by their global row block, as the per-row path is, so a table
generated in chunks of any size gets the same values. Locales whose names do not reduce
to ASCII (ja_JP, zh_CN, ...) keep the per-row faker path for user names and e-mails.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: entries per pool of first and of last names
POOL_SIZE = 2048
FAST_KINDS = frozenset({"name", "first_name", "last_name", "user_name", "email"})
_ASCII_KINDS = frozenset({"user_name", "email"})
#: share of pool names that must keep letters once reduced to ASCII
_MIN_ASCII_SHARE = 0.9


@dataclass(frozen=True)
class NamePools:
    """Name parts drawn from faker for one (locale, seed)."""

    first: np.ndarray
    last: np.ndarray
    first_ascii: np.ndarray
    last_ascii: np.ndarray
    domains: np.ndarray

    @property
    def ascii_ok(self) -> bool:
        kept = (pd.Series(self.first_ascii).str.len() > 0) & (pd.Series(self.last_ascii).str.len() > 0)
        return bool(kept.mean() >= _MIN_ASCII_SHARE)


def supports(kind_name: str, locale: str | None, seed: int) -> bool:
    """True when ``kind_name`` can be drawn from pools for ``locale``."""
    if kind_name not in FAST_KINDS:
        return False
    return kind_name not in _ASCII_KINDS or pools(locale, seed).ascii_ok


@functools.lru_cache(maxsize=32)
def pools(locale: str | None, seed: int) -> NamePools:
    """The pools of ``locale`` for ``seed`` (built once per process, about 0.15 s)."""
    from .faking import derive_seed, faker_for

    fk = faker_for(locale)
    fk.seed_instance(derive_seed(seed, "name-pools", locale))
    first = np.array([fk.first_name() for _ in range(POOL_SIZE)], dtype=object)
    last = np.array([fk.last_name() for _ in range(POOL_SIZE)], dtype=object)
    domains = np.array(sorted({fk.safe_domain_name() for _ in range(64)}), dtype=object)
    return NamePools(first, last, _ascii(first), _ascii(last), domains)


def _ascii(names: np.ndarray) -> np.ndarray:
    """Lower-case ASCII letters of each name (accents dropped, ``Grégoire`` -> ``gregoire``)."""
    out = []
    for name in names:
        plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
        out.append("".join(ch for ch in plain.lower() if ch.isalnum()))
    return np.array(out, dtype=object)


def draw_block(kind_name: str, size: int, locale: str | None, seed: int, block_seed: int) -> list[str]:
    """``size`` values of ``kind_name`` for one block, from a generator seeded by ``block_seed``."""
    pool = pools(locale, seed)
    rng = np.random.default_rng(block_seed)
    first = rng.integers(0, POOL_SIZE, size)
    last = rng.integers(0, POOL_SIZE, size)
    if kind_name == "first_name":
        return pool.first[first].tolist()
    if kind_name == "last_name":
        return pool.last[last].tolist()
    if kind_name == "name":
        return (pd.Series(pool.first[first]) + " " + pd.Series(pool.last[last])).tolist()
    users = _user_names(pool, first, last, rng)
    if kind_name == "user_name":
        return users.tolist()
    domains = pd.Series(pool.domains[rng.integers(0, len(pool.domains), size)])
    return (users + "@" + domains).tolist()


def _user_names(pool: NamePools, first: np.ndarray, last: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """One of a few common user-name patterns per row."""
    size = len(first)
    f = pd.Series(pool.first_ascii[first])
    l_ = pd.Series(pool.last_ascii[last])
    number = pd.Series(rng.integers(1, 100, size)).astype(str)
    pattern = rng.integers(0, 6, size)
    choices = [
        f + "." + l_,
        f + l_,
        f.str[:1] + l_,
        f + number,
        l_ + "." + f,
        l_ + f.str[:1] + number,
    ]
    out = choices[0].copy()
    for index in range(1, len(choices)):
        picked = pattern == index
        out[picked] = choices[index][picked]
    return out
