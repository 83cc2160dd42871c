"""The table graph: topological order, cycles, and dbt's ``--select`` / ``--exclude``.

Edges run from a parent (an FK's referenced table, or a model named by ``ref()``) to
its child. Generation needs parents first, so the order is topological; ties go to
synthesized tables before derived ones, then by name, so the order is stable.

Selectors, several per flag (space separated) and flags repeatable, as in dbt::

    orders          the table           +orders    it and all its ancestors
    orders+         it and descendants  2+orders   ancestors up to two levels
    +orders+        both directions     @orders    descendants and all their ancestors
    stg_*           a glob              a,b        intersection of two selectors
"""

from __future__ import annotations

import fnmatch
import heapq
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import ProjectError, known_names_hint

if TYPE_CHECKING:
    from .model import Manifest

#: child -> {parent: why}, e.g. {"orders": {"customers": "foreign key customer_id"}}
Dependencies = Mapping[str, Mapping[str, str]]

_SELECTOR = re.compile(r"^(?P<at>@)?(?:(?P<up>\d*)\+)?(?P<name>[^+@]+?)(?:\+(?P<down>\d*))?$")


def topological_order(
    nodes: Iterable[str], deps: Dependencies, *, late: Callable[[str], bool] = lambda _: False
) -> list[str]:
    """Nodes with every parent before its children; a cycle is a ProjectError naming it.

    ``late(node)`` true puts the node after every other ready node (derived models).
    Self-references are not cycles (a table may reference itself).
    """
    names = sorted(set(nodes))
    parents = {n: {p for p in deps.get(n, {}) if p != n and p in names} for n in names}
    children: dict[str, list[str]] = {n: [] for n in names}
    for child, ups in parents.items():
        for parent in ups:
            children[parent].append(child)
    waiting = {n: len(ups) for n, ups in parents.items()}
    ready = [(late(n), n) for n in names if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for child in children[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (late(child), child))
    if len(order) < len(names):
        raise _cycle_error([n for n in names if waiting[n] > 0], parents, deps)
    return order


def _cycle_error(
    stuck: list[str], parents: dict[str, set[str]], deps: Dependencies
) -> ProjectError:
    cycle = find_cycle(stuck, parents)
    steps = [f"{a} -> {b} ({deps[a][b]})" for a, b in zip(cycle, cycle[1:])]
    return ProjectError(
        "cycle in the table graph: " + " -> ".join(cycle),
        table=cycle[0],
        hint="tables are generated parents first, so references may not go round in a circle: "
        + "; ".join(steps)
        + ". Drop one of these foreign_key constraints (keep the column as a plain column) "
        "or remove the ref()",
    )


def find_cycle(nodes: Sequence[str], parents: Mapping[str, set[str]]) -> list[str]:
    """One cycle among ``nodes`` as ``[a, b, ..., a]`` (each references the next)."""
    pool = set(nodes)
    for start in sorted(pool):
        path: list[str] = [start]
        seen = {start: 0}
        node = start
        while True:
            nxt = sorted(p for p in parents[node] if p in pool)
            if not nxt:
                break
            node = nxt[0]
            if node in seen:
                return path[seen[node] :] + [node]
            seen[node] = len(path)
            path.append(node)
    return sorted(pool)[:1] * 2


# ---- selection -------------------------------------------------------------------------
def select_tables(
    manifest: Manifest,
    select: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
) -> list[str]:
    """Names of the tables ``select`` picks minus those ``exclude`` picks, in graph order."""
    chosen = set(manifest.order)
    select_tokens = _tokens(select)
    if select_tokens:
        chosen = set().union(*(_resolve_token(manifest, t) for t in select_tokens))
    for token in _tokens(exclude):
        chosen -= _resolve_token(manifest, token)
    return [name for name in manifest.order if name in chosen]


def _tokens(value: Iterable[str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return [token for item in value for token in item.split()]


def _resolve_token(manifest: Manifest, token: str) -> set[str]:
    parts = token.split(",")
    result = _resolve_selector(manifest, parts[0], token)
    for part in parts[1:]:
        result &= _resolve_selector(manifest, part, token)
    return result


def _resolve_selector(manifest: Manifest, selector: str, token: str) -> set[str]:
    match = _SELECTOR.match(selector.strip())
    if not match:
        raise ProjectError(
            f"cannot read the selector {token!r}",
            hint="use name, +name, name+, +name+, 2+name, name+1, @name or a glob like stg_*",
        )
    base = _match_names(manifest, match["name"])
    result = set(base)
    if match["at"]:
        for name in base:
            for down in _walk(manifest.children, name, None):
                result |= _walk(manifest.parents, down, None)
        return result
    for name in base:
        if match["up"] is not None:
            result |= _walk(manifest.parents, name, int(match["up"]) if match["up"] else None)
        if match["down"] is not None:
            result |= _walk(manifest.children, name, int(match["down"]) if match["down"] else None)
    return result


def _match_names(manifest: Manifest, pattern: str) -> set[str]:
    if any(ch in pattern for ch in "*?["):
        found = set(fnmatch.filter(manifest.order, pattern))
    else:
        found = {pattern} if pattern in manifest.tables else set()
    if not found:
        raise ProjectError(
            f"selector {pattern!r} matches no table",
            hint=known_names_hint(pattern, manifest.order, "table"),
        )
    return found


def _walk(step: Callable[[str], list[str]], start: str, depth: int | None) -> set[str]:
    """``start`` and the tables reached by repeating ``step`` at most ``depth`` times."""
    seen = {start}
    frontier = [start]
    level = 0
    while frontier and (depth is None or level < depth):
        frontier = [n for node in frontier for n in step(node) if n not in seen]
        seen.update(frontier)
        level += 1
    return seen
