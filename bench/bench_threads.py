"""Benchmark: the engine's epoch time with half vs all of the CPUs as torch threads.

The default thread count (``runtime.default_threads``) is chosen from this measurement:
a few epochs of the default networks on a public table (``bench/public_tables.py``),
each count run ``--repeats`` times, interleaved so a burst of other load hits both
alike. Meaningful on an idle machine only: the load average is printed before and after.

    python bench/bench_threads.py [--table diamonds] [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np
from public_tables import load

from synthohive_dbt.synth import SynthSettings, TableSynthesizer
from synthohive_dbt.synth.runtime import available_cpus


def epoch_seconds(train, threads: int, epochs: int) -> float:
    seconds: list[float] = []
    settings = SynthSettings(threads=threads, epochs=epochs, patience=None, eval_every=10_000)
    model = TableSynthesizer(settings, seed=0)
    model.fit(train, on_epoch_end=lambda info: seconds.append(info.seconds - info.check_seconds),
              progress=False)
    return float(np.median(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", default="diamonds")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("synthohive_dbt").setLevel(logging.WARNING)
    cpus = available_cpus()
    counts = sorted({max(1, cpus // 2), cpus})
    train = load(args.table)
    print(f"load average at the start: {os.getloadavg()[0]:.2f}; {cpus} CPUs; {args.table} {len(train):,} rows")
    results: dict[int, list[float]] = {n: [] for n in counts}
    for _ in range(args.repeats):
        for threads in counts:
            started = time.perf_counter()
            results[threads].append(epoch_seconds(train, threads, args.epochs))
            print(f"  threads {threads}: epoch {results[threads][-1]:.3f} s "
                  f"(run {time.perf_counter() - started:.0f} s)", flush=True)
    base = float(np.median(results[counts[0]]))
    for threads in counts:
        median = float(np.median(results[threads]))
        print(f"threads {threads}: median epoch {median:.3f} s, {base / median:.2f}x the speed of "
              f"{counts[0]} thread(s)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
