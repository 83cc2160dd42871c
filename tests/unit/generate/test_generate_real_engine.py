"""The mini shop through the real CTGAN engine (few epochs): train, resume, generate."""

from __future__ import annotations

import genkit
import pandas as pd
import pytest

from synthohive_dbt.generate import build_derived, generate_project
from synthohive_dbt.project import load_project, open_real_connection
from synthohive_dbt.synth import TableSynthesizer
from synthohive_dbt.training import train_project

pytestmark = pytest.mark.slow

PROJECT = "name: minishop\nseed: 11\nsynth: {epochs: 4, batch_size: 50, eval_every: 2}\n"


class Killed(RuntimeError):
    pass


@pytest.fixture
def project(tmp_path):
    root = genkit.write_project(
        tmp_path / "shop", genkit.make_data(n_customers=150), project_yml=PROJECT
    )
    manifest = load_project(root)
    con = open_real_connection(manifest)
    yield manifest, con
    con.close()


def test_train_resume_generate_with_the_real_engine(project, open_target, monkeypatch) -> None:
    manifest, con = project
    manifest.tables["orders"].synth.checkpoint_every = 1
    resume = TableSynthesizer.resume
    calls = {"n": 0}

    def killed_in_the_third_segment_of_orders(self, *args, **kwargs):
        if self.context_columns:  # orders is the first child table trained
            calls["n"] += 1
            if calls["n"] == 2:
                raise Killed("train killed")
        return resume(self, *args, **kwargs)

    monkeypatch.setattr(TableSynthesizer, "resume", killed_in_the_third_segment_of_orders)
    with pytest.raises(Killed):
        train_project(manifest, con, None, seed=1, progress=False)
    monkeypatch.setattr(TableSynthesizer, "resume", resume)
    results = {r.name: r for r in train_project(manifest, con, None, seed=1, progress=False)}
    assert results["customers"].status == "reused"
    assert results["orders"].status == "resumed" and results["orders"].resumed_from == 2
    assert results["orders"].epochs == 4

    first, second = open_target("a.duckdb"), open_target("b.duckdb")
    for target in (first, second):
        generate_project(manifest, target, seed=3, progress=False, chunk_size=120, real_con=con)
        build_derived(manifest, target)  # constraints and foreign keys verified on the way
    for name in ["customers", "products", "promotions", "orders", "order_items", "customer_stats"]:
        # a table has no row order (DuckDB aggregates in parallel): compare sorted rows
        a = first.query(f"SELECT * FROM {first.relation(name)} ORDER BY ALL").to_pandas()
        b = second.query(f"SELECT * FROM {second.relation(name)} ORDER BY ALL").to_pandas()
        pd.testing.assert_frame_equal(a, b)
        assert len(a) > 0
    orphans = (
        first.query(
            "SELECT count(*) FROM main.order_items i LEFT JOIN main.orders o USING (order_id) "
            "WHERE o.order_id IS NULL"
        )
        .column(0)[0]
        .as_py()
    )
    assert orphans == 0
