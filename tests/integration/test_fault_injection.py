"""Runs killed with SIGKILL at every phase leave one whole generation, and the next run heals.

Per target, a first ``shive run`` is killed half-way through generation (it must leave
no tables at all) and a second one completes: the *baseline* generation, 40 customers.
Each case copies that project, runs ``shive run`` or ``shive generate`` in a subprocess
with ``SHIVE_FAULT_AT`` naming a fault-injection point (:mod:`synthohive_dbt.faults`:
the process kills itself with SIGKILL there) and asks for 60 customers, then checks:

1. the process died of SIGKILL (so the point was reached);
2. the output is still exactly the baseline: every table carries the baseline's
   generation id with the baseline's row counts (or, killed after the swap, every table
   carries the new one) - never a mix; on a first run, no table at all;
3. the next ``shive run`` (50 customers) exits 0, resumes training where a checkpoint was
   left, and leaves one new generation whose foreign keys all resolve and whose derived
   model agrees with its refs.

The output is read here without the adapters: DuckDB's ``__shive_generations`` table,
the ``shive.generation_id`` key in each Parquet file's metadata.

Every phase of training and generation runs on at least one target, the swap itself and
the moment after it on both (the first runs cover ``generate.table`` on both); each
subprocess costs a few seconds (Python, torch, the project's checks), so the full matrix
of phases and targets is not run, and the lock test runs on Parquet only (the project
lock is the same on every target; Parquet adds a lock of its own).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow

PROJECT_YML = """
name: tiny
profile: tiny
seed: 1
synth: {epochs: 2, batch_size: 20, checkpoint_every: 1}
"""

PROFILES_YML = """
tiny:
  target: dev
  outputs:
    dev: {type: duckdb, path: target/synthetic.duckdb}
    files: {type: parquet, path: target/parquet}
"""

SCHEMA_YML = """
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}
    tables: [{name: customers}, {name: orders}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
      - name: segment
      - name: score
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}
      - name: amount
  - name: customer_orders
"""

MODELS = {
    "customers": "select * from {{ source('raw', 'customers') }}\n",
    "orders": "select * from {{ source('raw', 'orders') }}\n",
    "customer_orders": (
        "{{ config(materialized='derived') }}\n"
        "select c.customer_id, count(o.order_id) as order_count\n"
        "from {{ ref('customers') }} as c left join {{ ref('orders') }} as o\n"
        "  on o.customer_id = c.customer_id\ngroup by c.customer_id\n"
    ),
}
TABLES = ("customers", "orders", "customer_orders")
TARGET_FLAGS = {"duckdb": [], "parquet": ["-t", "files"]}
BASELINE_ROWS, KILLED_ROWS, RECOVERY_ROWS = 40, 60, 50

#: (target, fault point, killed command, its seed, a line the recovery run must print);
#: seed 2 retrains every model (the seed is one of a model's inputs), seed 1 reuses them
CASES = [
    ("duckdb", "train.checkpoint", "run", 2, "resumed training of customers"),
    ("parquet", "train.table", "run", 2, "reused customers"),
    # the second chunk is the child's first: its parent is staged whole (the case)
    ("duckdb", "generate.chunk:2", "generate", 1, None),
    ("duckdb", "generate.derived", "generate", 1, None),
    ("parquet", "generate.table", "run", 1, None),
    *[
        (target, point, "run", 1, None)
        for point in ("generate.commit", "generate.committed")
        for target in ("duckdb", "parquet")
    ],
]


def write_project(root: Path) -> Path:
    rng = np.random.default_rng(3)
    n = 60
    customers = pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype=np.int64),
        "segment": rng.choice(["retail", "smb"], n),
        "score": np.round(rng.normal(50, 10, n), 3),
    })  # fmt: skip
    per = rng.poisson(2.0, n)
    orders = pd.DataFrame({
        "order_id": np.arange(1, per.sum() + 1, dtype=np.int64),
        "customer_id": np.repeat(customers["customer_id"].to_numpy(), per),
        "amount": np.round(rng.gamma(2.0, 20.0, per.sum()) + 1, 2),
    })  # fmt: skip
    files = {"shive_project.yml": PROJECT_YML, "profiles.yml": PROFILES_YML,
             "models/schema.yml": SCHEMA_YML}  # fmt: skip
    files.update({f"models/{name}.sql": sql for name, sql in MODELS.items()})
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    (root / "data").mkdir()
    customers.to_parquet(root / "data" / "customers.parquet", index=False)
    orders.to_parquet(root / "data" / "orders.parquet", index=False)
    return root


def _command() -> list[str]:
    script = Path(sys.executable).with_name("shive")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from synthohive_dbt.cli import cli; cli(prog_name='shive')"]


def shive(project: Path, *args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``shive`` console script on ``project`` in a subprocess."""
    command = _command()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIVE_")}
    if fault:
        env["SHIVE_FAULT_AT"] = fault
    return subprocess.run(
        [*command, *args, "--project-dir", str(project), "--no-progress"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def shive_async(project: Path, *args: str) -> subprocess.Popen:
    """:func:`shive` started in the background, stdout and stderr in one text pipe."""
    command, env = _command(), {k: v for k, v in os.environ.items() if not k.startswith("SHIVE_")}
    return subprocess.Popen(
        [*command, *args, "--project-dir", str(project), "--no-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def run_ok(project: Path, *args: str) -> str:
    result = shive(project, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


# ---- reading the output without the adapters ------------------------------------------------
def snapshot(project: Path, target: str) -> dict[str, tuple[str | None, int]]:
    """Table -> (the generation id it carries, its rows counted in the data)."""
    if target == "duckdb":
        database = project / "target" / "synthetic.duckdb"
        if not database.exists():
            return {}
        with duckdb.connect(str(database), read_only=True) as con:
            names = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()]  # fmt: skip
            recorded: dict[str, tuple[str, int]] = {}
            if "__shive_generations" in names:
                for table, gen, rows in con.execute(
                    "SELECT table_name, generation_id, rows FROM __shive_generations"
                ).fetchall():
                    recorded[table] = (gen, rows)
            found = {}
            for name in names:
                if name.startswith("__shive_"):
                    continue
                rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                gen, noted = recorded.get(name, (None, None))
                assert noted == rows, f"{name}: {rows} rows, recorded {noted}"
                found[name] = (gen, rows)
            return found
    folder = project / "target" / "parquet"
    if not os.path.lexists(folder):
        return {}
    found = {}
    for path in folder.glob("*.parquet"):
        meta = pq.read_metadata(path)
        tag = (meta.metadata or {}).get(b"shive.generation_id")
        found[path.stem] = (tag.decode() if tag else None, meta.num_rows)
    return found


def assert_one_whole_generation(project: Path, target: str, customers: int) -> str:
    """All tables from one generation, the asked-for size, every key resolving."""
    state = snapshot(project, target)
    assert set(state) == set(TABLES), state
    [generation] = {gen for gen, _ in state.values()}
    assert generation is not None
    assert state["customers"][1] == customers
    assert state["customer_orders"][1] == customers
    con = duckdb.connect()
    for name in TABLES:
        if target == "duckdb":
            source = f"""(SELECT * FROM db."{name}")"""
        else:
            source = f"read_parquet('{project / 'target' / 'parquet' / name}.parquet')"
        if target == "duckdb" and name == TABLES[0]:
            con.execute(f"ATTACH '{project / 'target' / 'synthetic.duckdb'}' AS db (READ_ONLY)")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
    orphans = con.execute(
        "SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) "
        "WHERE c.customer_id IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    derived = con.execute(
        "SELECT count(*), sum(order_count), (SELECT count(*) FROM orders) FROM customer_orders"
    ).fetchone()
    assert derived[0] == customers and derived[1] == derived[2] == state["orders"][1]
    con.close()
    return generation


# ---- fixtures ----------------------------------------------------------------------------
@dataclass
class Baseline:
    project: Path
    state: dict[str, tuple[str | None, int]]
    #: what the killed first run left: its exit status and the output's state
    first_run: tuple[int, dict[str, tuple[str | None, int]], bool]


@pytest.fixture(scope="module")
def baselines(tmp_path_factory) -> Callable[[str], Baseline]:
    """``baselines(target)``: a project whose first run was killed (generating its second
    table) and whose second run completed; built once per target."""
    built: dict[str, Baseline] = {}

    def get(target: str) -> Baseline:
        if target not in built:
            project = write_project(tmp_path_factory.mktemp(f"baseline-{target}"))
            flags = [*TARGET_FLAGS[target], "--rows", str(BASELINE_ROWS)]
            killed = shive(project, "run", *flags, fault="generate.table:2")
            left = (killed.returncode, snapshot(project, target),
                    os.path.lexists(project / "target" / "parquet"))  # fmt: skip
            run_ok(project, "run", *flags)
            built[target] = Baseline(project, snapshot(project, target), left)
        return built[target]

    return get


def copy_of(baseline: Baseline, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(baseline.project, copy, symlinks=True)  # target/parquet stays a link
    return copy


# ---- the cases ---------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["duckdb", "parquet"])
def test_a_first_run_killed_leaves_nothing_that_looks_finished(baselines, target: str) -> None:
    baseline = baselines(target)
    status, state, parquet_folder = baseline.first_run
    assert status == -signal.SIGKILL
    assert state == {} and not parquet_folder  # no table, no <path>
    assert_one_whole_generation(baseline.project, target, BASELINE_ROWS)  # the next run's


@pytest.mark.parametrize(("target", "point", "command", "seed", "expect"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])  # fmt: skip
def test_a_killed_run_leaves_one_whole_generation_and_the_next_run_completes(
    baselines, tmp_path, target: str, point: str, command: str, seed: int, expect: str | None
) -> None:
    baseline = baselines(target)
    project, before = copy_of(baseline, tmp_path), baseline.state
    flags = [*TARGET_FLAGS[target], "--seed", str(seed)]
    killed = shive(project, command, *flags, "--rows", str(KILLED_ROWS), fault=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr

    after = snapshot(project, target)
    if point.startswith("generate.committed"):  # killed after the swap: the new set, whole
        assert_one_whole_generation(project, target, KILLED_ROWS)
        assert {gen for gen, _ in after.values()}.isdisjoint({gen for gen, _ in before.values()})
    else:
        assert after == before

    output = run_ok(project, "run", *flags, "--rows", str(RECOVERY_ROWS))
    if expect:
        assert expect in output, output
    generation = assert_one_whole_generation(project, target, RECOVERY_ROWS)
    assert generation not in {gen for gen, _ in before.values()}


HOLD_LOCK = """
import sys
from synthohive_dbt.project import load_project
from synthohive_dbt.pipeline.checks import project_lock
with project_lock(load_project(sys.argv[1]), "run"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_second_command_refuses_naming_the_first_or_waits_for_it(baselines, tmp_path) -> None:
    target = "parquet"
    baseline = baselines(target)
    project, before = copy_of(baseline, tmp_path), baseline.state
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(project)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        refused = shive(project, "generate", *TARGET_FLAGS[target], "--rows", "70")
        assert refused.returncode == 1
        message = refused.stdout + refused.stderr
        assert f"pid {holder.pid}, 'shive run'" in message, message
        assert snapshot(project, target) == before  # nothing was written
        waiting = shive_async(project, "generate", *TARGET_FLAGS[target], "--rows", "70",
                              "--lock-timeout", "120")  # fmt: skip
        line = waiting.stdout.readline()
        while line and "waiting up to" not in line:
            line = waiting.stdout.readline()
        assert f"pid {holder.pid}" in line  # it is blocked on the lock, and says by whom
        assert snapshot(project, target) == before
        holder.communicate("release\n", timeout=30)
        output, _ = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, output
    finally:
        for process in (holder, locals().get("waiting")):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert_one_whole_generation(project, target, 70)
