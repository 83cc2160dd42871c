"""Topological order, cycles and dbt-style selection."""

from __future__ import annotations

import pytest

from synthohive_dbt.errors import ProjectError
from synthohive_dbt.project.graph import find_cycle, select_tables, topological_order
from synthohive_dbt.project.model import ForeignKey, Manifest, Table


def _table(
    name: str, parents: list[str] = (), refs: list[str] = (), derived: bool = False
) -> Table:
    return Table(
        name=name,
        materialized="derived" if derived else "synth",
        path=f"models/{name}.sql",
        raw_sql="",
        compiled_sql="",
        foreign_keys=[ForeignKey([f"{p}_id"], p, ["id"]) for p in parents],
        refs=list(refs),
    )


@pytest.fixture
def manifest() -> Manifest:
    tables = [
        _table("customers"),
        _table("products"),
        _table("orders", ["customers"]),
        _table("order_items", ["orders", "products"]),
        _table("reviews", ["customers", "products"]),
        _table("ltv", refs=["orders", "customers"], derived=True),
    ]
    deps = {
        t.name: {**{fk.parent: "fk" for fk in t.foreign_keys}, **{r: "ref" for r in t.refs}}
        for t in tables
    }
    order = topological_order([t.name for t in tables], deps, late=lambda n: n == "ltv")
    return Manifest(
        project_name="p", project_dir="/p", target_path="/p/target", profile_name="p",
        target_name="dev", vars={}, seed=1, tables={t.name: t for t in tables}, sources={}, order=order,
    )  # fmt: skip


def test_order_parents_first_derived_last_ties_by_name(manifest: Manifest):
    assert manifest.order == ["customers", "orders", "products", "order_items", "reviews", "ltv"]


def test_self_reference_is_not_a_cycle():
    assert topological_order(["emp"], {"emp": {"emp": "fk"}}) == ["emp"]


def test_cycle_is_named_with_its_edges():
    deps = {
        "a": {"b": "foreign key b_id"},
        "b": {"c": "ref()"},
        "c": {"a": "foreign key a_id"},
        "d": {},
    }
    with pytest.raises(ProjectError) as info:
        topological_order(["a", "b", "c", "d"], deps)
    assert "a -> b -> c -> a" in info.value.message
    assert "a -> b (foreign key b_id)" in info.value.hint


def test_find_cycle_ignores_tails():
    parents = {"x": {"a"}, "a": {"b"}, "b": {"a"}}
    assert find_cycle(["x", "a", "b"], parents) == ["a", "b", "a"]


@pytest.mark.parametrize(
    ("select", "exclude", "expected"),
    [
        (None, None, ["customers", "orders", "products", "order_items", "reviews", "ltv"]),
        ("orders", None, ["orders"]),
        ("+orders", None, ["customers", "orders"]),
        ("orders+", None, ["orders", "order_items", "ltv"]),
        ("+order_items", None, ["customers", "orders", "products", "order_items"]),
        ("1+order_items", None, ["orders", "products", "order_items"]),
        ("customers+1", None, ["customers", "orders", "reviews", "ltv"]),
        ("+orders+", None, ["customers", "orders", "order_items", "ltv"]),
        ("@orders", None, ["customers", "orders", "products", "order_items", "ltv"]),
        ("orders reviews", None, ["orders", "reviews"]),
        (["orders", "reviews"], None, ["orders", "reviews"]),
        ("order*", None, ["orders", "order_items"]),
        ("customers+,+order_items", None, ["customers", "orders", "order_items"]),
        (None, "ltv products+", ["customers", "orders"]),
        ("+ltv", "customers", ["orders", "ltv"]),
    ],
)
def test_selectors(manifest: Manifest, select, exclude, expected):
    assert select_tables(manifest, select, exclude) == expected


def test_unknown_selector_suggests(manifest: Manifest):
    with pytest.raises(ProjectError) as info:
        select_tables(manifest, "+order")
    assert "matches no table" in info.value.message
    assert "did you mean 'orders'" in info.value.hint
    with pytest.raises(ProjectError, match="cannot read the selector"):
        select_tables(manifest, "orders++")
