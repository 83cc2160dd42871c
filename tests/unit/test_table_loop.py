"""The graph-order loop training and generation share: skips, fail-fast, one log line."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from synthohive_dbt.errors import GenerationError, ShiveError
from synthohive_dbt.table_loop import failed_names, run_tables

PARENTS = {"a": [], "b": ["a"], "c": ["b"], "d": []}


@dataclass
class Result:
    name: str
    status: str
    seconds: float = 0.0
    message: str = ""
    error: ShiveError | None = field(default=None, repr=False)


def _step(name: str) -> Result:
    if name == "b":
        raise GenerationError("b broke", table="b")
    return Result(name, "done")


def test_descendants_of_a_failed_table_are_skipped_and_the_error_logged_once(caplog):
    seen = []
    with caplog.at_level(logging.ERROR, logger="synthohive_dbt"):
        results = run_tables(list(PARENTS), _step, Result, parents=PARENTS.__getitem__,
                             fail_fast=False, fault="test.table")  # fmt: skip
    assert [(r.name, r.status) for r in results] == [
        ("a", "done"), ("b", "error"), ("c", "skipped"), ("d", "done")
    ]
    assert results[2].message == "parent b failed" and "b broke" in results[1].message
    assert failed_names(results) == ["b", "c"]
    assert sum("b broke" in r.getMessage() for r in caplog.records) == 1
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="synthohive_dbt"):
        run_tables(list(PARENTS), _step, Result, parents=PARENTS.__getitem__, fail_fast=False,
                   fault="test.table", on_table=seen.append)  # fmt: skip
    assert len(seen) == 4 and not caplog.records  # the caller's reporter logs it


def test_fail_fast_raises_the_first_error():
    with pytest.raises(GenerationError, match="b broke"):
        run_tables(list(PARENTS), _step, Result, parents=PARENTS.__getitem__, fail_fast=True,
                   fault="test.table")  # fmt: skip
