"""Benchmark: generate the shop example at scale factors 1, 10 and 100 into DuckDB.

Copies ``examples/shop`` to a temporary folder, trains it once with few epochs (the
model's quality is not what is measured here), then generates the whole project at
each scale factor into a fresh DuckDB file, each in a fresh subprocess so that the
peak resident memory it prints is that scale's own. Generation streams chunks, so
peak memory should stay roughly flat while rows grow a hundredfold: it is the Python
process with torch and the models (about 0.6 GB), one chunk's working set, and DuckDB's
buffer pool, which ``memory_limit`` caps (cached blocks of the written tables, the hash
tables of the foreign-key checks; past the limit they spill to disk).

    python bench/bench_generate.py [--scales 1 10 100] [--epochs 3] [--chunk-size 100000]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "shop"


def train(project: Path, epochs: int, seed: int) -> float:
    """Train every table of the project with ``epochs`` epochs; return the seconds taken."""
    from synthohive_dbt.project import load_project, open_real_connection
    from synthohive_dbt.training import train_project

    manifest = load_project(project)
    for table in manifest.synth_tables():
        table.synth.epochs = epochs
    con = open_real_connection(manifest)
    started = time.perf_counter()
    try:
        train_project(manifest, con, None, seed=seed, progress=False)
    finally:
        con.close()
    return time.perf_counter() - started


def generate_once(
    project: Path, database: Path, scale: float, chunk_size: int, seed: int, memory_limit: str | None
) -> dict:
    """Generate the project at ``scale`` (run in its own process); rows, seconds, peak RSS.

    The clock covers ``generate_project`` only (loading the models included), not
    Python's imports.
    """
    import synthohive_dbt.privacy
    import synthohive_dbt.synth  # noqa: F401
    from synthohive_dbt.generate import generate_project
    from synthohive_dbt.project import load_project, open_real_connection
    from synthohive_dbt.targets.config import DuckDBTarget
    from synthohive_dbt.targets.duckdb import DuckDBAdapter

    manifest = load_project(project)
    limit = {"memory_limit": memory_limit} if memory_limit else {}
    adapter = DuckDBAdapter(DuckDBTarget(path=str(database), **limit), project)
    con = open_real_connection(manifest)
    started = time.perf_counter()
    try:
        with adapter:
            results = generate_project(
                manifest,
                adapter,
                scale=scale,
                chunk_size=chunk_size,
                seed=seed,
                progress=False,
                real_con=con,
            )
    finally:
        con.close()
    seconds = time.perf_counter() - started
    return {
        "scale": scale,
        "rows": sum(r.rows for r in results),
        "tables": {r.name: r.rows for r in results},
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_worker(
    project: Path, database: Path, scale: float, chunk_size: int, seed: int, memory_limit: str | None
) -> dict:
    """:func:`generate_once` in a fresh Python process."""
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--project",
        str(project),
        "--database",
        str(database),
        "--scale",
        str(scale),
        "--chunk-size",
        str(chunk_size),
        "--seed",
        str(seed),
        *(["--memory-limit", memory_limit] if memory_limit else []),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--memory-limit",
        default=None,
        help="the DuckDB target's memory_limit (default: the target's own default, 1GB)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.worker:
        print(
            json.dumps(
                generate_once(
                    args.project,
                    args.database,
                    args.scale,
                    args.chunk_size,
                    args.seed,
                    args.memory_limit,
                )
            )
        )
        return

    with tempfile.TemporaryDirectory(prefix="shive-bench-") as tmp:
        project = Path(tmp) / "shop"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("target"))
        seconds = train(project, args.epochs, args.seed)
        print(f"trained examples/shop ({args.epochs} epochs per table) in {seconds:.1f}s")
        limit = args.memory_limit or "1GB (default)"
        print(f"chunk size {args.chunk_size:,} rows; DuckDB memory_limit {limit}; each scale in a fresh process\n")
        print(
            f"{'scale':>7} {'rows':>12} {'seconds':>9} {'rows/s':>10} {'peak RSS MB':>12} {'RSS vs x1':>10}"
        )
        base = None
        for scale in args.scales:
            result = run_worker(
                project,
                Path(tmp) / f"scale_{scale:g}.duckdb",
                scale,
                args.chunk_size,
                args.seed,
                args.memory_limit,
            )
            base = base or result["peak_rss_mb"]
            rate = result["rows"] / result["seconds"]
            print(
                f"{scale:>7g} {result['rows']:>12,} {result['seconds']:>9.1f} {rate:>10,.0f} "
                f"{result['peak_rss_mb']:>12.0f} {result['peak_rss_mb'] / base:>9.2f}x"
            )
            print("        " + ", ".join(f"{k}={v:,}" for k, v in result["tables"].items()))


if __name__ == "__main__":
    main()
