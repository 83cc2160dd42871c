"""Benchmark: generation throughput on Spark (``local[1]``, ``local[2]``) vs the DuckDB path.

Builds a two-table project (``customers`` -> ``orders``, about 1.9 orders per customer),
trains it once (a few epochs: the model's quality does not matter here, its size and
sampling cost do), then generates the same tables from the same artifacts:

* ``duckdb``: ``generate_project`` into a DuckDB file (one process, chunked stream);
* ``spark local[N]``: ``generate_table_distributed`` per table into a Spark (Hive)
  database, in a fresh process per master (Spark allows one context per process).

Every run first generates a small warm-up copy (Spark's Python workers start, torch and
the model load) and then times ``--repeat`` generations, keeping the fastest (the
machine may be shared); Spark's session start is not counted. Spark tasks sample with
one torch thread each, the DuckDB path with torch's threads over all CPUs. Prints rows,
seconds, rows/s, each run's ratio to the DuckDB path, and the machine's 1-minute load
average at the end of each run (the figures mean little on a loaded machine).

    python bench/bench_spark.py [--customers 100000] [--epochs 3] [--repeat 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 7
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
      - name: age
      - name: income
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}
      - name: channel
      - name: amount
      - name: items
"""


def write_project(root: Path, epochs: int) -> Path:
    """The project and 5 000 real customers with their orders."""
    rng = np.random.default_rng(0)
    n = 5_000
    premium = rng.random(n) < 0.3
    customers = pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype=np.int64),
        "segment": np.where(premium, "premium", "basic"),
        "age": rng.integers(18, 90, n).astype(np.int32),
        "income": np.round(rng.lognormal(10.5, 0.5, n), 2),
    })  # fmt: skip
    owner = np.repeat(customers["customer_id"].to_numpy(), rng.poisson(np.where(premium, 4.0, 1.0)))
    orders = pd.DataFrame({
        "order_id": np.arange(1, len(owner) + 1, dtype=np.int64),
        "customer_id": owner,
        "channel": rng.choice(["web", "store", "phone"], len(owner), p=[0.6, 0.3, 0.1]),
        "amount": np.round(rng.gamma(2.0, 30.0, len(owner)) + 1, 2),
        "items": (1 + rng.poisson(1.5, len(owner))).astype(np.int32),
    })  # fmt: skip
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "shive_project.yml").write_text(
        f"name: benchshop\nseed: {SEED}\nsynth: {{epochs: {epochs}, batch_size: 500}}\n",
        encoding="utf-8",
    )
    (root / "models/schema.yml").write_text(textwrap.dedent(SCHEMA_YML).lstrip(), encoding="utf-8")
    for name, frame in (("customers", customers), ("orders", orders)):
        (root / f"models/{name}.sql").write_text(
            f"select * from {{{{ source('raw', '{name}') }}}}\n"
        )
        frame.to_parquet(root / "data" / f"{name}.parquet", index=False)
    return root


def train(root: Path) -> None:
    from synthohive_dbt.profiling import profile_project
    from synthohive_dbt.project import load_project, open_real_connection
    from synthohive_dbt.training.trainer import train_project

    manifest = load_project(root)
    con = open_real_connection(manifest)
    try:
        profile = profile_project(manifest, con, progress=False)
        train_project(manifest, con, profile, seed=SEED, progress=False)
    finally:
        con.close()


def fastest(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest run, with the load average at the end of the timed runs."""
    return {**min(runs, key=lambda run: run["seconds"]), "load": os.getloadavg()[0]}


def run_duckdb(root: Path, customers: int, repeat: int) -> dict[str, float]:
    from synthohive_dbt.generate import generate_project
    from synthohive_dbt.project import load_project
    from synthohive_dbt.targets.config import DuckDBTarget
    from synthohive_dbt.targets.duckdb import DuckDBAdapter

    manifest = load_project(root)
    adapter = DuckDBAdapter(DuckDBTarget(path=str(root / "bench.duckdb")), root)
    adapter.connect()

    def generate(rows: int) -> dict[str, float]:
        started = time.perf_counter()
        results = generate_project(manifest, adapter, seed=SEED, rows={"customers": rows},
                                   progress=False, check=False)  # fmt: skip
        return {"rows": sum(r.rows for r in results), "seconds": time.perf_counter() - started}

    try:
        generate(2_000)  # warm-up: torch and the model load
        return fastest([generate(customers) for _ in range(repeat)])
    finally:
        adapter.close()


def run_spark(root: Path, master: str, customers: int, repeat: int) -> dict[str, float]:
    """Generate in a child process on ``master``; its last stdout line is the JSON result."""
    command = [sys.executable, __file__, "--worker", master, "--project", str(root),
               "--customers", str(customers), "--repeat", str(repeat)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"spark run on {master} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spark_worker(root: Path, master: str, customers: int, repeat: int) -> None:
    """(child process) warm up, then time the distributed generation of both tables."""
    from synthohive_dbt.project import load_project
    from synthohive_dbt.spark.cluster import shared_local_session
    from synthohive_dbt.spark.config import SparkTarget
    from synthohive_dbt.spark.distributed import run_distributed
    from synthohive_dbt.targets.spark import SparkAdapter
    from synthohive_dbt.training.trainer import table_seed

    spark_root = root / f"spark-{master.replace('[', '').replace(']', '')}"
    spark = shared_local_session(spark_root, master=master,
                                 conf={"spark.ui.showConsoleProgress": "false"})  # fmt: skip
    spark.sparkContext.setLogLevel("ERROR")
    manifest = load_project(root)
    adapter = SparkAdapter(SparkTarget(database="bench"), root, session=spark)
    adapter.connect()

    def generate(rows: int) -> dict[str, float]:
        started, total, parts = time.perf_counter(), 0, 0
        for name in ("customers", "orders"):
            table = manifest.tables[name]
            run = run_distributed(adapter, manifest, table, rows=rows if name == "customers" else None,
                                  seed=table_seed(SEED, table))  # fmt: skip
            total, parts = total + run.rows, max(parts, run.parts)
        return {"rows": total, "seconds": time.perf_counter() - started, "parts": parts}

    generate(2_000)  # warm-up: Python workers start, import torch, load the model
    print(json.dumps(fastest([generate(customers) for _ in range(repeat)])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="root rows to generate")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--repeat", type=int, default=2, help="timed runs each; the fastest is kept"
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spark_worker(args.project, args.worker, args.customers, args.repeat)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="shive-bench-spark-"))
    try:
        root = write_project(work / "project", args.epochs)
        started = time.perf_counter()
        train(root)
        print(f"trained in {time.perf_counter() - started:.1f}s; generating {args.customers:,} "
              f"customers and their orders on {os.cpu_count()} CPUs, load average "
              f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}\n")  # fmt: skip
        runs = {"duckdb (local path)": run_duckdb(root, args.customers, args.repeat)}
        for master in ("local[1]", "local[2]"):
            runs[f"spark {master}"] = run_spark(root, master, args.customers, args.repeat)
        report(runs)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def report(runs: dict[str, dict[str, float]]) -> None:
    base = runs["duckdb (local path)"]
    base_rate = base["rows"] / base["seconds"]
    print(f"{'run':<22}{'rows':>10}{'parts':>7}{'seconds':>10}{'rows/s':>10}{'vs duckdb':>11}"
          f"{'load':>7}")  # fmt: skip
    for name, run in runs.items():
        rate = run["rows"] / run["seconds"]
        parts = int(run.get("parts", 1))
        print(f"{name:<22}{int(run['rows']):>10,}{parts:>7}{run['seconds']:>10.1f}{rate:>10,.0f}"
              f"{rate / base_rate:>10.2f}x{run['load']:>7.2f}")  # fmt: skip
    one, two = runs["spark local[1]"], runs["spark local[2]"]
    speedup = (two["rows"] / two["seconds"]) / (one["rows"] / one["seconds"])
    print(f"\nlocal[2] / local[1]: {speedup:.2f}x")


if __name__ == "__main__":
    main()
