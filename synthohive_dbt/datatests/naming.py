"""Names of emitted tests: readable, dbt-safe (file and node names) and unique."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from .model import EmittedTest

#: every emitted test's name starts with this, so it never collides with a user's test
PREFIX = "shive"
#: longest name kept whole; longer ones are cut and given a hash suffix
MAX_NAME = 100

_UNSAFE = re.compile(r"[^a-z0-9_]+")


def make_test_name(kind: str, table: str, parts: Sequence[str]) -> str:
    """``shive_<kind>_<table>_<parts...>`` lower-cased, with anything else turned into ``_``."""
    raw = "_".join([PREFIX, kind, table, *parts])
    name = _UNSAFE.sub("_", raw.lower()).strip("_")
    if len(name) > MAX_NAME:
        digest = hashlib.sha1(raw.encode()).hexdigest()[:8]
        name = name[: MAX_NAME - 9].rstrip("_") + "_" + digest
    return name


def deduplicate(tests: Iterable[EmittedTest]) -> list[EmittedTest]:
    """Give tests whose names clash (columns differing only in case or punctuation) a suffix."""
    out: list[EmittedTest] = []
    used: set[str] = set()
    for test in tests:
        name, n = test.name, 1
        while name in used:
            n += 1
            name = f"{test.name}_{n}"
        used.add(name)
        test.name = name
        out.append(test)
    return out
