"""Benchmark: synthohive_dbt's CTGAN engine against the reference ``ctgan``, judged by sdmetrics.

On public tables that ship offline inside packages (``bench/public_tables.py``: diamonds,
flights, txhousing), each split once into training rows and held-out test rows that
neither side trains on, for each seed (``--seeds``, at least two):

- the reference ``ctgan`` with its defaults (300 epochs, batch 500), seeded;
- shive as a user gets it: ``SynthSettings()`` defaults, its own early stopping on its
  own held-out slice of the training rows, no look at the test rows;
- optionally (``--high-effort``) shive with the higher-effort setting docs/synth.md
  documents (``min_steps: 8000, patience: 30``).

The judge is sdmetrics' single-table QualityReport (Column Shapes, Column Pair Trends
and their mean) of as many sampled rows as the test rows hold, against the test rows.
Printed side by side: preprocessing time, per-epoch time (shive's with and without its
fidelity checks) and its ratio to the *floor* (a pure-torch critic and generator step at
the same network widths, batch and thread count on random tensors, no data pipeline,
timed in the same run), sampling rows/s, final quality, wall time of the whole fit, and
shive's time to the reference's full-run quality. That last figure is measured after the
fact: whenever shive's kept checkpoint changes (at most every ~10% of the run) the
benchmark samples it aside, off the clock; once training is over the judge scores those
snapshots, and the first one at or above the reference's quality gives the time. Nothing
the judge sees reaches training.

Both sides run with the same torch thread count (``--threads``; default: the library's
own default, ``runtime.default_threads``). Timings move with the machine's load; the
load average is printed at start and end. Needs the ``bench`` extra
(``pip install -e ".[bench]"``).

    python bench/bench_ctgan.py [--tables diamonds,flights,txhousing] [--seeds 0,1]
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from public_tables import TABLES, load, sdtypes

from synthohive_dbt.synth import EpochInfo, SynthSettings, TableSynthesizer
from synthohive_dbt.synth.runtime import default_threads, torch_threads
from synthohive_dbt.synth.transformer import DataTransformer, resolve_kinds

#: the higher-effort setting docs/synth.md documents: a longer warm-up and more patience
HIGH_EFFORT = {"min_steps": 8000, "patience": 30}
TEST_SHARE = 0.2
MAX_TEST_ROWS = 10_000


# ---- the judge -------------------------------------------------------------------------------


def judge(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> dict[str, float]:
    """sdmetrics' QualityReport: overall, Column Shapes, Column Pair Trends."""
    from sdmetrics.reports.single_table import QualityReport

    report = QualityReport()
    metadata = {"columns": {c: {"sdtype": k} for c, k in kinds.items()}}
    report.generate(real, synthetic[list(real.columns)], metadata, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {"overall": float(report.get_score()), "shapes": float(props["Column Shapes"]),
            "pairs": float(props["Column Pair Trends"])}


# ---- the reference ---------------------------------------------------------------------------


def reference_frame(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """What a user of the reference has to feed it: numbers and categories only, no nulls
    in numbers. Datetimes become epoch seconds; a numeric column with nulls gets the
    median in their place and a ``<column>__null`` category that marks them (the null
    handling SDV builds around the same network)."""
    out = frame.copy()
    for column, kind in kinds.items():
        if kind == "datetime":
            out[column] = out[column].astype("datetime64[ns]").astype("int64") / 1e9
        if kind in ("numerical", "datetime") and out[column].isna().any():
            out[f"{column}__null"] = out[column].isna().map({True: "null", False: "value"})
            out[column] = out[column].fillna(out[column].median())
    return out


def from_reference(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for column, kind in kinds.items():
        flag = f"{column}__null"
        if flag in out.columns:
            out.loc[out[flag] == "null", column] = np.nan
            out = out.drop(columns=flag)
        if kind == "datetime":
            out[column] = pd.to_datetime(out[column], unit="s")
    return out[list(kinds)]


@dataclass
class Side:
    name: str
    fit_seconds: float = 0.0
    prep_seconds: float = 0.0
    epoch_seconds: list[float] = field(default_factory=list)
    train_epoch_seconds: list[float] = field(default_factory=list)
    quality: dict[str, float] = field(default_factory=dict)
    rows_per_second: float = 0.0
    epochs: int = 0
    to_reference: float | None = None
    floor_epoch: float | None = None


def run_reference(train: pd.DataFrame, test: pd.DataFrame, kinds: dict[str, str], seed: int,
                  epochs: int) -> tuple[Side, Any]:
    import ctgan.synthesizers.ctgan as ref_module
    from ctgan import CTGAN

    side = Side("reference ctgan")

    class TimedTransformer(ref_module.DataTransformer):
        def fit(self, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return super().fit(*args, **kwargs)
            finally:
                side.prep_seconds += time.perf_counter() - started

        def transform(self, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return super().transform(*args, **kwargs)
            finally:
                side.prep_seconds += time.perf_counter() - started

    def timed_epochs(iterable: Any, **_: Any) -> Any:
        for epoch in iterable:
            started = time.perf_counter()
            yield epoch
            side.epoch_seconds.append(time.perf_counter() - started)

    ref_module.DataTransformer = TimedTransformer
    ref_module.tqdm = timed_epochs
    prepared = reference_frame(train, kinds)
    discrete = [c for c in prepared.columns
                if c.endswith("__null") or kinds.get(c) in ("categorical", "boolean")]
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = CTGAN(epochs=epochs, enable_gpu=False)
    model.set_random_state(seed)
    started = time.perf_counter()
    model.fit(prepared, discrete)
    side.fit_seconds = time.perf_counter() - started
    side.epochs = epochs
    side.train_epoch_seconds = side.epoch_seconds
    side.quality = judge(test, from_reference(model.sample(len(test)), kinds), kinds)
    return side, model


# ---- shive ------------------------------------------------------------------------------------


class Snapshots:
    """``on_epoch_end``: the epoch times, and samples of the kept checkpoint taken aside
    (off the training clock) when it changes, at most every ~10% of the run so far."""

    def __init__(self, model: TableSynthesizer, rows: int, seed: int) -> None:
        self.model, self.rows, self.seed = model, rows, seed
        self.started = time.perf_counter()
        self.excluded = 0.0
        self.epochs: list[EpochInfo] = []
        self.taken: list[tuple[float, pd.DataFrame]] = []  # (training seconds, rows)
        self._last_epoch = 0

    def __call__(self, info: EpochInfo) -> None:
        self.epochs.append(info)
        if info.best_epoch != info.epoch or info.epoch < 1.1 * self._last_epoch:
            return
        clock = time.perf_counter() - self.started - self.excluded
        paused = time.perf_counter()
        with self.model.using_weights("best"):
            self.taken.append((clock, self.model.sample(self.rows, seed=self.seed)))
        self._last_epoch = info.epoch
        self.excluded += time.perf_counter() - paused


def run_shive(train: pd.DataFrame, test: pd.DataFrame, kinds: dict[str, str], seed: int,
              settings: SynthSettings, name: str) -> tuple[Side, TableSynthesizer, Snapshots]:
    side = Side(name)
    model = TableSynthesizer(settings, seed=seed)
    watch = Snapshots(model, len(test), seed + 1000)
    started = time.perf_counter()
    model.fit(train, on_epoch_end=watch, progress=False)
    side.fit_seconds = time.perf_counter() - started - watch.excluded
    side.epochs = model.epochs_trained
    side.epoch_seconds = [e.seconds for e in watch.epochs]
    side.train_epoch_seconds = [e.seconds - e.check_seconds for e in watch.epochs]
    side.quality = judge(test, model.sample(len(test), seed=seed + 2000), kinds)
    side.prep_seconds = time_preprocessing(train, settings, seed)
    return side, model, watch


def time_preprocessing(train: pd.DataFrame, settings: SynthSettings, seed: int) -> float:
    started = time.perf_counter()
    transformer = DataTransformer.fit(
        train, resolve_kinds(train, None), settings, np.random.default_rng(seed), torch.device("cpu")
    )
    transformer.encode_frame(train)
    return time.perf_counter() - started


def time_to_quality(watch: Snapshots, test: pd.DataFrame, kinds: dict[str, str], target: float) -> float | None:
    for seconds, rows in watch.taken:
        if judge(test, rows, kinds)["overall"] >= target:
            return seconds
    return None


# ---- the floor ---------------------------------------------------------------------------------


def floor_epoch_seconds(model: TableSynthesizer, settings: SynthSettings, steps: int, repeats: int = 3) -> float:
    """One epoch's worth of pure-torch WGAN-GP steps (critic then generator) with the
    model's own network shapes, batch and threads, on random tensors: no sampler, no
    encoding, no activation of the generator's output, no fidelity check."""
    generator = copy.deepcopy(model.generator_net).train()
    critic = copy.deepcopy(model.critic).train()
    gen_in = next(m for m in generator.modules() if isinstance(m, torch.nn.Linear)).in_features
    cond_dim = gen_in - settings.embedding_dim  # conditional vector and context
    data_dim = critic.pac_dim // critic.pac - cond_dim
    opt_g = torch.optim.Adam(generator.parameters(), lr=settings.generator_lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(critic.parameters(), lr=settings.discriminator_lr, betas=(0.5, 0.9))
    rng = torch.Generator().manual_seed(0)
    critic.use_generator(rng)
    batch = settings.batch_size
    real = torch.rand(batch, data_dim, generator=rng)
    cond = torch.rand(batch, cond_dim, generator=rng)

    def step() -> None:
        noise = torch.randn(batch, gen_in, generator=rng)
        with torch.no_grad():
            fake = generator(noise)[:, :data_dim]
        real_in, fake_in = torch.cat([real, cond], 1), torch.cat([fake, cond], 1)
        scores = critic(torch.cat([real_in, fake_in]))
        groups = batch // critic.pac
        loss = scores[groups:].mean() - scores[:groups].mean()
        loss = loss + critic.gradient_penalty(real_in, fake_in, rng, settings.gradient_penalty)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        out = generator(torch.randn(batch, gen_in, generator=rng))[:, :data_dim]
        critic.requires_grad_(False)
        g_loss = -critic(torch.cat([out, cond], 1)).mean()
        critic.requires_grad_(True)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

    best = np.inf
    with torch_threads(settings):
        for _ in range(5):
            step()
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(steps):
                step()
            best = min(best, time.perf_counter() - started)
    return best


def sampling_rate(sample: Any, rows: int, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        sample(rows)
        best = min(best, time.perf_counter() - started)
    return rows / best


# ---- the run ------------------------------------------------------------------------------------


def split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fixed split (seed 0 of the table), the same for every side and run seed."""
    order = np.random.default_rng(seed).permutation(len(frame))
    size = min(MAX_TEST_ROWS, int(len(frame) * TEST_SHARE))
    return (frame.iloc[np.sort(order[size:])].reset_index(drop=True),
            frame.iloc[np.sort(order[:size])].reset_index(drop=True))


def bench_table(name: str, seeds: list[int], args: argparse.Namespace) -> list[dict[str, Any]]:
    frame = load(name)
    train, test = split(frame, 0)
    kinds = sdtypes(frame)
    print(f"\n## {name}: {len(train):,} training rows, {len(test):,} test rows, {frame.shape[1]} columns "
          f"({', '.join(f'{c}:{k[:3]}' for c, k in kinds.items())}); nulls {int(frame.isna().sum().sum()):,}",
          flush=True)
    results = []
    for seed in seeds:
        sides: list[Side] = []
        if not args.no_reference:
            ref, ref_model = run_reference(train, test, kinds, seed, args.reference_epochs)
            ref.rows_per_second = sampling_rate(
                lambda n, m=ref_model: from_reference(m.sample(n), kinds), args.sample_rows)
            sides.append(ref)
        variants = [("shive defaults", SynthSettings(threads=args.threads))]
        if args.high_effort:
            variants.append(("shive higher effort", SynthSettings(threads=args.threads, **HIGH_EFFORT)))
        for label, settings in variants:
            side, model, watch = run_shive(train, test, kinds, seed, settings, label)
            side.floor_epoch = floor_epoch_seconds(model, settings, watch.epochs[-1].steps)
            side.rows_per_second = sampling_rate(lambda n, m=model: m.sample(n, seed=5), args.sample_rows)
            if not args.no_reference:
                side.to_reference = time_to_quality(watch, test, kinds, sides[0].quality["overall"])
            sides.append(side)
        print(f"\n{name}, seed {seed} (load average {os.getloadavg()[0]:.1f}):")
        print_sides(sides)
        results.append({"table": name, "seed": seed, "sides": sides})
    return results


def print_sides(sides: list[Side]) -> None:
    width = 22
    print("  " + " " * 34 + "".join(f"{s.name:>{width}}" for s in sides))

    def line(label: str, values: list[str]) -> None:
        print(f"  {label:<34}" + "".join(f"{v:>{width}}" for v in values))

    line("quality (sdmetrics overall)", [f"{s.quality['overall']:.4f}" for s in sides])
    line("  Column Shapes", [f"{s.quality['shapes']:.4f}" for s in sides])
    line("  Column Pair Trends", [f"{s.quality['pairs']:.4f}" for s in sides])
    line("fit wall time", [f"{s.fit_seconds:.1f} s" for s in sides])
    line("epochs", [str(s.epochs) for s in sides])
    line("preprocessing", [f"{s.prep_seconds:.2f} s" for s in sides])
    line("epoch, mean (with checks)", [f"{np.mean(s.epoch_seconds):.3f} s" for s in sides])
    line("epoch, mean (training only)", [f"{np.mean(s.train_epoch_seconds):.3f} s" for s in sides])
    line("floor epoch (pure torch)", [f"{s.floor_epoch:.3f} s" if s.floor_epoch else "-" for s in sides])
    line("epoch / floor (with checks)",
         [f"{np.mean(s.epoch_seconds) / s.floor_epoch:.2f}x" if s.floor_epoch else "-" for s in sides])
    line("epoch / floor (training only)",
         [f"{np.mean(s.train_epoch_seconds) / s.floor_epoch:.2f}x" if s.floor_epoch else "-" for s in sides])
    line("sampling", [f"{s.rows_per_second / 1e3:.0f} krow/s" for s in sides])
    if sides[0].name.startswith("reference"):
        ref = sides[0]
        line("time to reference's quality",
             [f"{ref.fit_seconds:.1f} s"] + [f"{s.to_reference:.1f} s" if s.to_reference is not None
                                             else "not reached" for s in sides[1:]])
        line("  reference time / ours",
             ["1.00x"] + [f"{ref.fit_seconds / s.to_reference:.2f}x" if s.to_reference else "-"
                          for s in sides[1:]])
        line("quality - reference", ["0"] + [f"{s.quality['overall'] - ref.quality['overall']:+.4f}"
                                            for s in sides[1:]])
        line("reference fit time / ours", ["1.00x"] + [f"{ref.fit_seconds / s.fit_seconds:.2f}x"
                                                      for s in sides[1:]])


def summary(results: list[dict[str, Any]]) -> None:
    print("\n## summary: mean over seeds (targets: quality >= reference in <= 1/5 of its time; "
          "high effort >= reference + 0.02; epoch within 1.3x of the floor)")
    frame = pd.DataFrame([
        {"table": r["table"], "side": s.name, "quality": s.quality["overall"], "fit_s": s.fit_seconds,
         "to_ref_s": s.to_reference, "epoch_vs_floor": (np.mean(s.epoch_seconds) / s.floor_epoch
                                                        if s.floor_epoch else np.nan)}
        for r in results for s in r["sides"]
    ])
    print(frame.groupby(["table", "side"], sort=False).mean(numeric_only=True).round(4).to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--reference-epochs", type=int, default=300, help="the reference's default")
    parser.add_argument("--no-reference", action="store_true", help="shive only (development)")
    parser.add_argument("--high-effort", action="store_true", help="also run the higher-effort setting")
    parser.add_argument("--sample-rows", type=int, default=20_000, help="rows per throughput run")
    parser.add_argument("--threads", type=int, default=default_threads(),
                        help="torch threads for both sides (default: the library's default)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    logging.getLogger("synthohive_dbt").setLevel(logging.WARNING)
    print(f"load average at the start: {os.getloadavg()[0]:.1f}; torch threads {args.threads} on "
          f"{os.cpu_count()} CPUs; torch {torch.__version__}")
    results = []
    for name in args.tables.split(","):
        results += bench_table(name, [int(s) for s in args.seeds.split(",")], args)
    summary(results)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
