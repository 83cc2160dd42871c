"""Benchmark: the cost of rare-value protection when a model is fitted.

A near-unique code column (``MB-123456-X``) of ``--rows`` rows: how long
:func:`~synthohive_dbt.synth.standins.standins` takes to make a pool of ``--pool``
stand-ins against every distinct real value, and how long ``CategoryModel.fit`` takes
on the column with the protection on (``min_count`` 5) and off (1). Timings on a shared
machine move with its load; the script prints the load average.

    python bench/bench_standins.py [--rows 100000] [--pool 1000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from synthohive_dbt.synth.discrete import CategoryModel
from synthohive_dbt.synth.standins import standins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    numbers = rng.choice(10 * args.rows, args.rows, replace=False)
    codes = [f"MB-{n:06d}-{c}" for n, c in zip(numbers, rng.choice(list("XYZ"), args.rows))]
    print(f"load average {os.getloadavg()[0]:.2f}; {args.rows} distinct codes")

    began = time.perf_counter()
    pool = standins(codes[: args.pool], real=codes, rng=np.random.default_rng(1))
    print(f"standins: {args.pool} stand-ins in {time.perf_counter() - began:.2f} s "
          f"(e.g. {codes[0]} -> {pool[0]})")  # fmt: skip

    series = pd.Series(codes, name="code")
    for min_count in (1, 5):
        began = time.perf_counter()
        CategoryModel.fit(series, max_categories=100, pool_size=args.pool, min_count=min_count,
                          rng=np.random.default_rng(2))  # fmt: skip
        print(f"CategoryModel.fit min_count={min_count}: {time.perf_counter() - began:.2f} s")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
