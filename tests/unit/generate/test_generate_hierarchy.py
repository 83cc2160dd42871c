"""HierarchyModel (the forest a self-reference is grown as) and ParentRule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive_dbt.relations.hierarchy import HierarchyModel, ParentRule, _whole_trees
from synthohive_dbt.relations.linkage import CountDistribution


def _model(root_share: float = 0.1) -> HierarchyModel:
    children = {
        0: CountDistribution({2: 3, 3: 4, 4: 3}),
        1: CountDistribution({0: 3, 1: 3, 2: 2, 3: 2}),
        2: CountDistribution({0: 1}),
    }
    return HierarchyModel("manager_id__employees", root_share, children)


def _depth_of(parent: np.ndarray) -> np.ndarray:
    """Depth by walking up; raises on a cycle (a walk longer than the forest)."""
    depth = np.zeros(len(parent), dtype=np.int64)
    for i in range(len(parent)):
        node, steps = i, 0
        while parent[node] >= 0:
            node, steps = parent[node], steps + 1
            if steps > len(parent):
                raise AssertionError(f"cycle through node {i}")
        depth[i] = steps
    return depth


@pytest.mark.parametrize("rows", [1, 7, 250, 3000])
def test_grow_makes_exactly_the_rows_asked_for_as_a_forest(rows: int) -> None:
    parent, depth = _model().grow(rows, np.random.default_rng(5))
    assert len(parent) == len(depth) == rows
    assert (parent < np.arange(rows)).all()  # a parent always comes first: no cycle
    assert np.array_equal(_depth_of(parent), depth)
    assert (np.diff(depth) >= 0).all()  # ordered level by level
    assert depth.max() <= 2  # never deeper than the real hierarchy


def test_grow_follows_the_root_share_and_fan_out() -> None:
    model = _model()
    parent, depth = model.grow(20_000, np.random.default_rng(1))
    # expected per root: 1 + 3 children + 3 * 1.3 grandchildren = 7.9 nodes
    assert abs((depth == 0).mean() - 1 / 7.9) < 0.01
    children = np.bincount(parent[parent >= 0], minlength=len(parent))
    assert abs(children[depth == 0].mean() - 3.0) < 0.1
    assert abs(children[depth == 1].mean() - 1.3) < 0.1
    assert children[depth == 2].max() == 0


def test_grow_is_seeded_and_round_trips_through_json() -> None:
    model = _model()
    again = HierarchyModel.from_dict(model.to_dict())
    a = model.grow(500, np.random.default_rng(9))
    b = again.grow(500, np.random.default_rng(9))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_whole_trees_then_a_breadth_first_prefix_of_the_next() -> None:
    tree = np.array([0, 1, 0, 1, 0, 2, 1])  # three trees, nodes level by level
    keep = _whole_trees(tree, 5)
    assert keep.tolist() == [True, True, True, True, True, False, False]
    assert _whole_trees(tree, 7).all()


def test_parent_rules_are_found_where_the_data_shows_them() -> None:
    rng = np.random.default_rng(0)
    parents = pd.Series(rng.choice(["a", "b", "c"], 200))
    assert ParentRule.fit("dept", "categorical", parents.copy(), parents).rate == pytest.approx(1.0)
    unrelated = pd.Series(rng.choice(["a", "b", "c"], 200))
    assert ParentRule.fit("dept", "categorical", unrelated, parents) is None
    levels = pd.Series(rng.integers(1, 5, 200))
    rule = ParentRule.fit("level", "numeric", levels + 1, levels)
    assert (rule.kind, rule.offset, rule.rate) == ("offset", 1.0, 1.0)
    assert ParentRule.fit("level", "numeric", pd.Series(rng.normal(size=200)), levels) is None
    root = ParentRule.fit_roots("level", pd.Series([1] * 20))
    assert (root.kind, root.value) == ("root", 1)


def test_parent_rules_apply_to_rows() -> None:
    rng = np.random.default_rng(3)
    values = pd.DataFrame({"dept": ["x"] * 4, "level": [9, 9, 9, 9]})
    parents = pd.DataFrame({"dept": ["a", "b", None, "c"], "level": [1, 2, 3, None]})
    ParentRule("dept", "same", 1.0).apply(values, parents, rng)
    ParentRule("level", "offset", 1.0, offset=1.0).apply(values, parents, rng)
    assert values["dept"].tolist() == ["a", "b", "x", "c"]  # a null parent value: kept
    assert values["level"].tolist() == [2, 3, 4, 9]
    roots = pd.DataFrame({"level": [7.0, 8.0]})
    ParentRule("level", "root", 1.0, value=1).apply(roots, None, rng)
    assert roots["level"].tolist() == [1, 1]


def test_rows_an_inherited_value_makes_break_a_check_are_dropped() -> None:
    from types import SimpleNamespace

    from synthohive_dbt.generate.hierarchy import _drop_failing
    from synthohive_dbt.project.model import CheckConstraint, Column, Table
    from synthohive_dbt.relations.constraints import row_predicate
    from synthohive_dbt.relations.frames import ChunkCaster

    table = Table(
        "employees", "synth", "models/employees.sql", "", "",
        columns=[Column("dept", "VARCHAR"), Column("level", "INTEGER", kind="numeric")],
        checks=[CheckConstraint("dept <> 'research' OR level < 3")],
    )  # fmt: skip
    caster = ChunkCaster(table)
    try:
        stream = SimpleNamespace(table=table, caster=caster,
                                 predicate=row_predicate(table, ["dept", "level"]))  # fmt: skip
        values = pd.DataFrame({"dept": ["ops", "research", "research"], "level": [4, 4, 2]})
        kept, pos = _drop_failing(stream, values, np.array([10, 11, 12]))
    finally:
        caster.close()
    assert pos.tolist() == [10, 12]
    assert kept["dept"].tolist() == ["ops", "research"] and kept["level"].tolist() == [4, 2]
