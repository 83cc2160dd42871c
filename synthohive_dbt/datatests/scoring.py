"""The fidelity score: distribution statistics folded into one number in [0, 1].

Each distribution test scores ``1 - distance`` on its own scale (``ks``, ``tv``,
``child_count``), or the mean of its parts (``moments``: mean shift and std ratio), or
``1 - diff / 2`` (``correlation``, whose differences range over [0, 2]). A column's
score is the mean of its tests, a table's the mean of its columns, foreign keys and
correlation test, and the overall score the mean over tables, so a wide table does not
outweigh a narrow one. Null rates are tested but not scored: a column without nulls
would add a free 1.0. A distance becomes a score by the rules of
``synth/fidelity.py``, the ones training scores its checkpoints with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from statistics import fmean
from typing import Any, Protocol

from ..synth.fidelity import correlation_score, distance_score, spread_score

SCORED_KINDS = ("ks", "moments", "tv", "child_count", "correlation")


class Scored(Protocol):
    kind: str
    table: str
    column: str | None
    name: str
    score: float | None


def distribution_score(kind: str, details: Mapping[str, Any]) -> float | None:
    """The score in [0, 1] of one distribution test from its statistics, None if unscored."""
    if kind not in SCORED_KINDS:
        return None
    statistic = _number(details.get("statistic"))
    if statistic is None:
        return 0.0
    if kind == "moments":
        spread = spread_score(_number(details.get("std_ratio")))
        return _unit(fmean([1.0 - statistic, spread]))
    if kind == "correlation":
        return correlation_score(statistic)
    return distance_score(statistic)


def table_scores(results: Iterable[Scored]) -> dict[str, float]:
    """Score per table: the mean over its columns (each the mean of its tests) and other items."""
    items: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        if result.score is None:
            continue
        item = f"column:{result.column}" if result.column else f"test:{result.name}"
        items[result.table][item].append(result.score)
    return {table: fmean(fmean(s) for s in parts.values()) for table, parts in items.items()}


def overall_score(per_table: Mapping[str, float]) -> float | None:
    """The mean of the table scores, None when nothing was scored."""
    return fmean(per_table.values()) if per_table else None


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _unit(value: float) -> float:
    return max(0.0, min(1.0, value))
