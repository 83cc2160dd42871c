"""Benchmark: synthohive_dbt's CTGAN engine side by side with the reference ``ctgan``.

Both run in this one process on the same generated table (default 50,000 training rows,
12 columns: skewed and correlated categoricals, a boolean, bimodal and heavy-tailed
numbers, integers, a zero-inflated ratio) with the same epochs, batch size and network
sizes. Figures, each with the ratio reference / ours:

1. preprocessing: transformer fit + transform of the training rows;
2. one epoch at identical settings (ours includes its fidelity checks): the mean over
   the run and the fastest epoch, which is less at the mercy of other load;
3. fidelity at equal epochs: ``fidelity_score`` of 10,000 sampled rows against 10,000
   held-out real rows (ours samples from its best checkpoint);
4. time to the reference's fidelity: wall time from the start of ``fit`` until the
   checkpoint our model keeps first scores at least what the reference scored after its
   full run (the scoring done for the benchmark is not counted), against the
   reference's full ``fit``;
5. sampling throughput: rows per second for ``sample(n)``, best of three runs each,
   interleaved.

Timings on a shared machine move with its load; the script prints the load average at
its start and end, and where it can it interleaves or repeats the two sides.

Both sides use the same number of torch threads (``--threads``, by default what torch
picks, which is what the reference runs with; the library's own default is half the
CPUs, see ``runtime.default_threads``). The reference is installed with the ``bench`` extra (``pip install -e ".[bench]"``).

    python bench/bench_ctgan.py [--rows 50000] [--epochs 30] [--sample-rows 50000]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthohive_dbt.synth import EpochInfo, SynthSettings, TableSynthesizer, fidelity_score
from synthohive_dbt.synth.transformer import DataTransformer, resolve_kinds

DISCRETE = ["region", "segment", "plan", "channel", "is_active"]
TEST_ROWS = 10_000


def make_data(rows: int, seed: int) -> pd.DataFrame:
    """A customer-like table with multimodal numbers and correlated categoricals."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west", "central"], rows, p=[0.35, 0.25, 0.2, 0.15, 0.05])
    segment_p = {"north": [0.7, 0.2, 0.1], "south": [0.5, 0.4, 0.1], "east": [0.3, 0.4, 0.3],
                 "west": [0.6, 0.3, 0.1], "central": [0.2, 0.3, 0.5]}
    cumulative = np.array([np.cumsum(segment_p[r]) for r in region])
    segment = np.array(["retail", "smb", "enterprise"])[(rng.random(rows)[:, None] > cumulative).sum(1)]
    plan = np.where(
        segment == "enterprise", rng.choice(["gold", "platinum", "custom"], rows, p=[0.3, 0.5, 0.2]),
        np.where(segment == "smb", rng.choice(["basic", "pro", "gold"], rows, p=[0.3, 0.5, 0.2]),
                 rng.choice(["free", "basic", "pro"], rows, p=[0.5, 0.35, 0.15])),
    )
    channel = rng.choice([f"ch{i}" for i in range(8)], rows, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02])
    is_active = rng.random(rows) < np.where(plan == "free", 0.4, 0.85)
    age = np.where(rng.random(rows) < 0.6, rng.normal(32, 6, rows), rng.normal(58, 8, rows))
    income = np.exp(rng.normal(10.3, 0.5, rows)) * np.select([segment == "retail", segment == "smb"], [1.0, 3.0], 12.0)
    component = rng.choice(3, rows, p=[0.5, 0.3, 0.2])
    balance = np.choose(component, [rng.normal(1000, 200, rows), rng.normal(5000, 800, rows),
                                    rng.normal(15000, 3000, rows)]) + income * 0.02
    return pd.DataFrame({
        "region": region, "segment": segment, "plan": plan, "channel": channel, "is_active": is_active,
        "age": age.clip(18, 95).round().astype("int64"),
        "income": income, "balance": balance,
        "score": rng.beta(2, 5, rows) * 100,
        "tenure_days": rng.exponential(400, rows).round().astype("int64"),
        "txn_count": rng.poisson(np.select([plan == "free", plan == "basic"], [2, 8], 20)).astype("int64"),
        "ratio": np.where(rng.random(rows) < 0.3, 0.0, rng.gamma(2, 0.2, rows)),
    })


class Figures:
    """Collects and prints the benchmark's lines."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, name: str, ref: float, ours: float, unit: str, ratio: float, target: str) -> None:
        self.rows.append((name, f"{ref:.3f} {unit}", f"{ours:.3f} {unit}", f"{ratio:.2f}x", target))
        print(f"{name:<44} reference {ref:10.3f} {unit:<6} ours {ours:10.3f} {unit:<6} ratio {ratio:6.2f}x  ({target})", flush=True)


def reference_model(epochs: int, batch: int):
    """The reference CTGAN, instrumented: its transformer's time and each epoch's time."""
    import ctgan.synthesizers.ctgan as ref_module
    from ctgan import CTGAN

    timings: dict[str, Any] = {"prep": 0.0, "epochs": []}

    class TimedTransformer(ref_module.DataTransformer):
        """The reference transformer, timed where CTGAN.fit calls it."""

        def fit(self, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return super().fit(*args, **kwargs)
            finally:
                timings["prep"] += time.perf_counter() - started

        def transform(self, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return super().transform(*args, **kwargs)
            finally:
                timings["prep"] += time.perf_counter() - started

    def timed_epochs(iterable: Any, **_: Any) -> Any:
        """Stands in for the tqdm bar CTGAN.fit loops over: times every epoch."""
        for epoch in iterable:
            started = time.perf_counter()
            yield epoch
            timings["epochs"].append(time.perf_counter() - started)

    ref_module.DataTransformer = TimedTransformer
    ref_module.tqdm = timed_epochs
    model = CTGAN(epochs=epochs, batch_size=batch, embedding_dim=128, generator_dim=(256, 256),
                  discriminator_dim=(256, 256), pac=10, enable_gpu=False)
    return model, timings


def time_reference_preprocessing(train: pd.DataFrame) -> float:
    from ctgan.data_transformer import DataTransformer as RefTransformer

    started = time.perf_counter()
    transformer = RefTransformer()
    transformer.fit(train, DISCRETE)
    transformer.transform(train)
    return time.perf_counter() - started


def time_our_preprocessing(train: pd.DataFrame, seed: int) -> float:
    started = time.perf_counter()
    kinds = resolve_kinds(train, None)
    transformer = DataTransformer.fit(
        train, kinds, SynthSettings(), np.random.default_rng(seed), torch.device("cpu")
    )
    transformer.transform(train, seed=seed)
    return time.perf_counter() - started


def throughputs(samplers: dict[str, Any], rows: int, repeats: int = 3) -> dict[str, float]:
    """Best rows per second of each sampler, runs interleaved so load hits both alike."""
    best = dict.fromkeys(samplers, np.inf)
    for _ in range(repeats):
        for name, sample in samplers.items():
            started = time.perf_counter()
            sample(rows)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: rows / seconds for name, seconds in best.items()}


class FidelityWatch:
    """An ``on_epoch_end`` callback that scores the model against the test rows after each
    epoch, keeping its own time out of the training clock."""

    def __init__(self, model: TableSynthesizer, test: pd.DataFrame, target: float | None, seed: int) -> None:
        self.model, self.test, self.target, self.seed = model, test, target, seed
        self.started = time.perf_counter()
        self.excluded = 0.0
        self.reached: tuple[int, float, float] | None = None  # epoch, seconds, score
        self.epoch_seconds: list[float] = []
        self.scores: list[float] = []

    def __call__(self, info: EpochInfo) -> None:
        self.epoch_seconds.append(info.seconds)
        clock = time.perf_counter() - self.started - self.excluded
        paused = time.perf_counter()
        if self.target is not None and self.reached is None:
            # the checkpoint the model would deliver if training stopped now
            score = self.model.evaluate(self.test, seed=self.seed, weights="best")["overall"]
            self.scores.append(score)
            if score >= self.target:
                self.reached = (info.epoch, clock, score)
        self.excluded += time.perf_counter() - paused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="training rows")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--sample-rows", type=int, default=50_000, help="rows per throughput run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=torch.get_num_threads(),
        help="torch threads for both sides (default: torch's own default, which the reference uses)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    data = make_data(args.rows + TEST_ROWS, args.seed)
    train, test = data.iloc[: args.rows].reset_index(drop=True), data.iloc[args.rows :].reset_index(drop=True)
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    print(f"data: {args.rows} training rows, {TEST_ROWS} test rows, {train.shape[1]} columns; "
          f"epochs {args.epochs}, batch {args.batch_size}, networks 256x256, embedding 128; "
          f"torch threads {torch.get_num_threads()}", flush=True)
    figures = Figures()

    # ---- the reference's full run -----------------------------------------------------------
    ref, ref_times = reference_model(args.epochs, args.batch_size)
    started = time.perf_counter()
    ref.fit(train, DISCRETE)
    ref_fit = time.perf_counter() - started
    ref_score = fidelity_score(test, ref.sample(TEST_ROWS))["overall"]
    print(f"reference: fit {ref_fit:.1f}s (preprocessing {ref_times['prep']:.1f}s), fidelity {ref_score:.4f}", flush=True)

    # ---- ours at identical settings -------------------------------------------------------------
    settings = SynthSettings(
        epochs=args.epochs, batch_size=args.batch_size, patience=None, threads=args.threads
    )
    ours = TableSynthesizer(settings, seed=args.seed)
    watch = FidelityWatch(ours, test, ref_score, args.seed)
    started = time.perf_counter()
    ours.fit(train, on_epoch_end=watch, progress=False)
    our_fit = time.perf_counter() - started - watch.excluded
    our_score = fidelity_score(test, ours.sample(TEST_ROWS, seed=args.seed))["overall"]
    print(f"ours: fit {our_fit:.1f}s, fidelity {our_score:.4f} (best epoch {ours.best_epoch}); "
          f"per-epoch bench scores {[round(s, 3) for s in watch.scores]}", flush=True)

    # ---- figures ------------------------------------------------------------------------------
    # the reference's preprocessing: inside its fit, and once more standalone between two
    # of ours, so a burst of load on this shared machine cannot decide the ratio alone
    ours_prep = [time_our_preprocessing(train, 1)]
    ref_prep = min(ref_times["prep"], time_reference_preprocessing(train))
    ours_prep.append(time_our_preprocessing(train, 2))
    our_prep = min(ours_prep)
    figures.add("preprocessing (fit + transform)", ref_prep, our_prep, "s", ref_prep / our_prep,
                "target >= 10x")
    ref_epochs, our_epochs = ref_times["epochs"], watch.epoch_seconds
    figures.add("one epoch, identical settings (mean)", float(np.mean(ref_epochs)),
                float(np.mean(our_epochs)), "s", np.mean(ref_epochs) / np.mean(our_epochs), "target >= 1x")
    figures.add("one epoch, identical settings (fastest)", min(ref_epochs), min(our_epochs), "s",
                min(ref_epochs) / min(our_epochs), "target >= 1x")
    figures.add(f"fidelity after {args.epochs} epochs (higher is better)", ref_score, our_score, "",
                our_score / ref_score, "target >= 1x")
    if watch.reached is not None:
        epoch, seconds, score = watch.reached
        figures.add(f"time to reference fidelity (ours: epoch {epoch})", ref_fit, seconds, "s",
                    ref_fit / seconds, "target >= 3x")
    else:
        print("time to reference fidelity: not reached within the run")
    rates = throughputs(
        {"ref": lambda n: ref.sample(n), "ours": lambda n: ours.sample(n, seed=1)}, args.sample_rows
    )
    figures.add("sampling throughput", rates["ref"] / 1e3, rates["ours"] / 1e3, "krow/s",
                rates["ours"] / rates["ref"], "target >= 5x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with other work)")


if __name__ == "__main__":
    main()
