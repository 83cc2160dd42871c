"""Child-count and secondary-parent models: fitted on data with known structure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthohive_dbt.generate.assignment import SecondaryAssigner
from synthohive_dbt.relations.linkage import ChildCountModel, CountDistribution
from synthohive_dbt.relations.secondary import SecondaryLinkModel

#: largest KS statistic accepted between real and generated count distributions
KS_BOUND = 0.06


@pytest.fixture
def customers() -> tuple[np.ndarray, pd.DataFrame]:
    """3000 customers; premium ones have ~6 orders, basic ones ~1; age has no effect."""
    rng = np.random.default_rng(1)
    n = 3000
    premium = rng.random(n) < 0.25
    frame = pd.DataFrame(
        {
            "segment": np.where(premium, "premium", "basic"),
            "age": rng.integers(18, 90, n),
        }
    )
    counts = rng.poisson(np.where(premium, 6.0, 1.0))
    return counts, frame


KINDS = {"segment": "categorical", "age": "numeric"}


def test_counts_follow_the_real_distribution(customers) -> None:
    counts, frame = customers
    model = ChildCountModel.fit(counts, frame, KINDS)
    drawn = model.sample(frame, np.random.default_rng(2))
    assert stats.ks_2samp(counts, drawn).statistic < KS_BOUND
    assert (drawn == 0).mean() == pytest.approx((counts == 0).mean(), abs=0.03)


def test_a_few_heavy_parents_are_neither_lost_nor_doubled() -> None:
    """Three airports hold all 26,115 weather rows among 1,458: drawn for 1,458 parents,
    every seed gives three heavy parents and the real total (independent draws give
    none, one, or five, and totals off by thousands)."""
    counts = CountDistribution({0: 1455, 8703: 1, 8706: 2})
    for seed in range(20):
        drawn = counts.sample(1458, np.random.default_rng(seed))
        assert (drawn > 0).sum() == 3 and drawn.sum() == 26_115


def test_each_count_comes_out_its_share_give_or_take_one() -> None:
    rng = np.random.default_rng(3)
    counts = CountDistribution.of(rng.negative_binomial(2, 0.2, 5000))
    total = sum(counts.histogram.values())
    for n, seed in [(997, 0), (5000, 1), (12_345, 2)]:
        drawn = counts.sample(n, np.random.default_rng(seed))
        values, freq = np.unique(drawn, return_counts=True)
        seen = dict(zip(values.tolist(), freq.tolist()))
        for value, weight in counts.histogram.items():
            assert abs(seen.get(value, 0) - n * weight / total) <= 1
    # the order is shuffled: which parent gets which count is random
    first = counts.sample(1000, np.random.default_rng(5))
    assert not np.array_equal(first, np.sort(first))


def test_parent_attribute_dependence_survives(customers) -> None:
    counts, frame = customers
    model = ChildCountModel.fit(counts, frame, KINDS)
    assert model.columns == ["segment"]  # age has no effect and is not used
    drawn = model.sample(frame, np.random.default_rng(3))
    premium = frame["segment"].to_numpy() == "premium"
    assert drawn[premium].mean() == pytest.approx(counts[premium].mean(), rel=0.1)
    assert drawn[~premium].mean() == pytest.approx(counts[~premium].mean(), rel=0.1)
    assert drawn[premium].mean() > 4 * drawn[~premium].mean()


def test_no_dependence_gives_one_global_distribution() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"segment": rng.choice(["a", "b"], 2000)})
    model = ChildCountModel.fit(rng.poisson(2.0, 2000), frame, {"segment": "categorical"})
    assert model.columns == [] and model.levels == []


def test_count_model_json_round_trip_samples_the_same(customers) -> None:
    counts, frame = customers
    model = ChildCountModel.fit(counts, frame, KINDS)
    again = ChildCountModel.from_dict(json.loads(json.dumps(model.to_dict())))
    a = model.sample(frame, np.random.default_rng(9))
    b = again.sample(frame, np.random.default_rng(9))
    assert np.array_equal(a, b)


def test_unseen_category_uses_the_global_distribution(customers) -> None:
    counts, frame = customers
    model = ChildCountModel.fit(counts, frame, KINDS)
    new = pd.DataFrame({"segment": ["martian"] * 2000, "age": [40] * 2000})
    drawn = model.sample(new, np.random.default_rng(5))
    assert drawn.mean() == pytest.approx(counts.mean(), rel=0.1)


# ---- secondary parents ---------------------------------------------------------------------
@pytest.fixture
def catalogue() -> dict:
    """300 products in 3 price tiers with heavy-tailed popularity; 6000 order lines whose
    unit price follows the product's price; 20% of lines have no product (nullable key)."""
    rng = np.random.default_rng(7)
    n_products, n_lines = 300, 6000
    category = rng.choice(["books", "tools", "tech"], n_products)
    price = np.array(
        [{"books": 10, "tools": 100, "tech": 1000}[c] for c in category]
    ) * rng.uniform(0.8, 1.2, n_products)
    popularity = rng.pareto(1.5, n_products) + 0.1
    product = rng.choice(n_products, n_lines, p=popularity / popularity.sum())
    is_null = rng.random(n_lines) < 0.2
    unit_price = price[product] * rng.uniform(0.95, 1.05, n_lines)
    lines = pd.DataFrame({"unit_price": unit_price, "quantity": rng.integers(1, 5, n_lines)})
    linked = pd.DataFrame({"category": category[product], "price": price[product]})
    linked[is_null] = None
    degrees = np.bincount(product[~is_null], minlength=n_products)
    products = pd.DataFrame({"category": category, "price": price})
    model = SecondaryLinkModel.fit(
        lines,
        linked,
        is_null,
        degrees,
        products,
        child_kinds={"unit_price": "numeric", "quantity": "numeric"},
        parent_kinds={"category": "categorical", "price": "numeric"},
    )
    return {
        "model": model,
        "lines": lines,
        "products": products,
        "degrees": degrees,
        "category": category,
        "real_category": category[product],
        "is_null": is_null,
    }


def _assign(data: dict, seed: int = 0) -> np.ndarray:
    assigner = SecondaryAssigner(
        data["model"],
        data["products"],
        np.random.default_rng(seed),
        expected_children=len(data["lines"]),
    )
    rng = np.random.default_rng(seed + 1)
    lines = data["lines"]
    return np.concatenate(
        [assigner.assign(lines.iloc[i : i + 1000], rng) for i in range(0, len(lines), 1000)]
    )


def test_secondary_keeps_the_degree_distribution(catalogue) -> None:
    rows = _assign(catalogue)
    degrees = np.bincount(rows[rows >= 0], minlength=len(catalogue["products"]))
    assert stats.ks_2samp(catalogue["degrees"], degrees).statistic < 0.1
    assert degrees.std() == pytest.approx(catalogue["degrees"].std(), rel=0.25)


def test_secondary_keeps_the_attribute_relationship(catalogue) -> None:
    model = catalogue["model"]
    assert "unit_price" in model.child_columns and "category" in model.parent_columns
    rows = _assign(catalogue)
    linked = (rows >= 0) & ~catalogue["is_null"]
    match = (catalogue["category"][rows[linked]] == catalogue["real_category"][linked]).mean()
    # a uniform draw would match about a third of the time
    assert match > 0.85


def test_secondary_keeps_the_null_rate(catalogue) -> None:
    rows = _assign(catalogue)
    assert (rows < 0).mean() == pytest.approx(catalogue["is_null"].mean(), abs=0.03)
    assert catalogue["model"].null_rate == pytest.approx(catalogue["is_null"].mean(), abs=1e-9)


def test_secondary_model_round_trips_and_is_seeded(catalogue) -> None:
    again = SecondaryLinkModel.from_dict(json.loads(json.dumps(catalogue["model"].to_dict())))
    same = dict(catalogue, model=again)
    assert np.array_equal(_assign(catalogue, seed=3), _assign(same, seed=3))
    assert not np.array_equal(_assign(catalogue, seed=3), _assign(catalogue, seed=4))


def test_assigner_refills_when_demand_outgrows_capacity(catalogue) -> None:
    assigner = SecondaryAssigner(
        catalogue["model"], catalogue["products"], np.random.default_rng(0), expected_children=100
    )
    lines = pd.concat([catalogue["lines"]] * 3, ignore_index=True)
    rows = assigner.assign(lines, np.random.default_rng(1))
    assert len(rows) == len(lines)
    assert rows.max() < len(catalogue["products"])


def test_negative_binomial_counts_keep_mean_and_spread_and_reach_past_the_max() -> None:
    rng = np.random.default_rng(11)
    counts = rng.negative_binomial(2.0, 0.25, 4000)  # mean 6, over-dispersed
    model = ChildCountModel.fit(counts, None, family="negative_binomial")
    again = ChildCountModel.from_dict(json.loads(json.dumps(model.to_dict())))
    drawn = again.sample(200_000, np.random.default_rng(12))
    assert drawn.mean() == pytest.approx(counts.mean(), rel=0.05)
    assert drawn.std() == pytest.approx(counts.std(), rel=0.1)
    assert drawn.max() > counts.max()
