"""Benchmark: profile a 10-million-row table with ``profile_project``.

Generates, with DuckDB alone (``range()`` and hash-based pseudo-random expressions, so
the data is the same on every run), a parent table ``accounts`` (1M rows) and a child
table ``events`` (10M rows, eight columns: integers, a decimal, a double, a skewed
category, a high-cardinality e-mail, a timestamp, a boolean, a nullable integer) into
Parquet files under a temporary folder. Then profiles both in a fresh process per run
and prints wall time and peak RSS, next to the data's size on disk and uncompressed.

Runs: ``default`` (``ProfileOptions()``: exact up to its thresholds, sketches above),
``exact`` (exact quantiles, distinct counts and top values for every column) and
``approx`` (t-digest quantiles, HyperLogLog distinct counts and sketched top values for
every column).

    python bench/bench_profile.py [--rows 10000000] [--threads N]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow.parquet as pq

PARENTS_PER_CHILD = 10
T = TypeVar("T")


def quiet_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection without DuckDB's own progress bar (it would mix into the output)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def uniform(i: str, salt: int) -> str:
    """A deterministic uniform(0, 1) SQL expression of row number ``i``."""
    return f"((hash({i}, {salt}) % 1000000)::DOUBLE + 0.5) / 1000000"


def normal(i: str, salt: int) -> str:
    """A standard normal via Box-Muller from two deterministic uniforms."""
    return f"(sqrt(-2 * ln({uniform(i, salt)})) * cos(2 * pi() * {uniform(i, salt + 1)}))"


def generate(folder: Path, rows: int) -> dict[str, Path]:
    """Write ``accounts.parquet`` and ``events.parquet``; return their paths."""
    parents = max(rows // PARENTS_PER_CHILD, 1)
    con = quiet_connection()
    accounts = folder / "accounts.parquet"
    events = folder / "events.parquet"
    con.execute(
        f"""COPY (
            SELECT range AS account_id,
                   CASE WHEN {uniform("range", 1)} < 0.7 THEN 'consumer' ELSE 'business' END AS tier
            FROM range({parents})
        ) TO '{accounts}' (FORMAT parquet)"""
    )
    con.execute(
        f"""COPY (
            SELECT range AS event_id,
                   floor(pow({uniform("range", 2)}, 2) * {parents})::BIGINT AS account_id,
                   round(exp(3 + 0.8 * {normal("range", 3)}), 2)::DECIMAL(12, 2) AS amount,
                   CASE WHEN {uniform("range", 5)} < 0.6 THEN 10 + 2 * {normal("range", 6)}
                        ELSE 30 + 5 * {normal("range", 8)} END AS score,
                   'cat_' || floor(pow({uniform("range", 10)}, 3) * 20)::INT AS category,
                   'user' || (hash(range, 11) % 5000000) || '@example.com' AS email,
                   TIMESTAMP '2020-01-01' + to_seconds(floor({uniform("range", 12)} * 150000000)::BIGINT) AS created_at,
                   {uniform("range", 13)} < 0.3 AS flag,
                   CASE WHEN {uniform("range", 14)} < 0.1 THEN NULL
                        ELSE floor({uniform("range", 15)} * 100)::INT END AS rating
            FROM range({rows})
        ) TO '{events}' (FORMAT parquet)"""
    )
    con.close()
    return {"accounts": accounts, "events": events}


def manifest_for(files: dict[str, Path], con: duckdb.DuckDBPyConnection):
    """Views named by the models, and the Manifest describing them (as the loader would)."""
    from synthohive_dbt.profiling import infer_kind
    from synthohive_dbt.project.model import Column, ForeignKey, Manifest, PiiConfig, Table

    tables = {}
    for name, path in files.items():
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{path}')")
        described = con.execute(f'DESCRIBE "{name}"').fetchall()
        columns = [
            Column(c, t, kind=infer_kind(t), pii=PiiConfig(kind="email") if c == "email" else None)
            for c, t, *_ in described
        ]
        tables[name] = Table(name, "synth", f"models/{name}.sql", "", "", columns=columns)
    tables["accounts"].primary_key = ["account_id"]
    tables["events"].primary_key = ["event_id"]
    tables["events"].foreign_keys = [ForeignKey(["account_id"], "accounts", ["account_id"])]
    return Manifest(
        "bench", ".", "target", "bench", "dev", {}, 42, tables, {}, ["accounts", "events"]
    )


RUNS = {
    "default": {},
    "exact": {"exact_quantiles_up_to": 10**12, "max_exact_distinct": 10**12},
    "approx": {"exact_quantiles_up_to": 0, "max_exact_distinct": 0},
}


def profile_once(files: dict[str, Path], run: str, threads: int | None) -> dict[str, float]:
    """Profile in this (fresh) process; wall seconds and peak RSS before and after."""
    from synthohive_dbt.profiling import ProfileOptions, profile_project

    con = quiet_connection()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    manifest = manifest_for(files, con)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    options = ProfileOptions(**RUNS[run])
    started = time.perf_counter()
    profile = profile_project(manifest, con, progress=False, options=options)
    wall = time.perf_counter() - started
    events = profile["tables"]["events"]
    return {
        "wall_s": wall,
        "rss_before_mib": rss_before / 1024,
        "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
        "amount_median": events["columns"]["amount"]["quantiles"][50],
        "score_p99": events["columns"]["score"]["quantiles"][99],
        "account_zero_children": events["foreign_keys"][0]["child_count"]["histogram"].get("0", 0),
        "email_distinct": events["columns"]["email"]["distinct_count"],
    }


def in_fresh_process(fn: Callable[..., T], *args: object) -> T:
    """Run ``fn(*args)`` in a new spawned process, so peak RSS is that run's alone."""
    with cf.ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        return pool.submit(fn, *args).result()


def data_size(files: dict[str, Path]) -> tuple[int, int, int]:
    """(rows, bytes on disk, uncompressed bytes) of the Parquet files."""
    rows = disk = raw = 0
    for path in files.values():
        meta = pq.ParquetFile(path).metadata
        rows += meta.num_rows
        disk += path.stat().st_size
        raw += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return rows, disk, raw


def main() -> None:
    parser = argparse.ArgumentParser(description="profile_project on a 10M-row table")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--threads", type=int, default=None, help="DuckDB threads (default: all cores)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="shive-bench-") as tmp:
        started = time.perf_counter()
        files = in_fresh_process(generate, Path(tmp), args.rows)
        rows, disk, raw = data_size(files)
        print(f"data: {rows:,} rows in 2 tables ({args.rows:,} + {rows - args.rows:,}), "
              f"{disk / 2**20:.0f} MiB Parquet, {raw / 2**20:.0f} MiB uncompressed "
              f"(generated in {time.perf_counter() - started:.1f}s)")  # fmt: skip
        for label in RUNS:
            r = in_fresh_process(profile_once, files, label, args.threads)
            print(
                f"{label:7s}: {r['wall_s']:6.1f}s wall, {rows / r['wall_s'] / 1e6:5.2f}M rows/s, "
                f"peak RSS {r['rss_peak_mib']:6.0f} MiB (baseline {r['rss_before_mib']:.0f} MiB; "
                f"peak/uncompressed {r['rss_peak_mib'] * 2**20 / raw:.2f}), threads={r['threads']}; "
                f"amount p50={r['amount_median']:.2f}, score p99={r['score_p99']:.2f}, "
                f"accounts without events={r['account_zero_children']}, emails={r['email_distinct']:,}"
            )


if __name__ == "__main__":
    main()
