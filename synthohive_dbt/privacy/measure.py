"""One privacy measurement of a table: exact copies and nearest distances, against real rows.

:func:`measure_privacy` takes a sample of the real rows (as training saw them: after
the PII actions) and a sample of the synthetic rows, on the columns the model learned,
and measures both against the real sample:

* the share of rows equal to some real row (:func:`exact_match_share`);
* the distance to the closest real row (DCR, Gower, :func:`nearest_distances`).

The baseline is the real rows themselves, each held out in turn and measured against
the *other* real rows (:func:`duplicate_share`, :func:`nearest_other_distances`). A
real row against the rest of the sample is a fresh row of the population against a
sample of it, which is what a synthetic row should look like if the generator copies
nothing: fresh rows repeat a real row now and then (a table of a few categories
repeats them often), and a generator is suspect only when it does so markedly more.
Every real row serves both as reference and, in turn, as holdout, so a copy of every
real row shows as 100 % copies and no row of the sample is wasted.

The verdict is left to the caller (``datatests.privacy`` applies the project's
thresholds); this module returns plain numbers and no value of the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .checks import (
    check_columns,
    distance_stats,
    duplicate_share,
    exact_match_share,
    nearest_distances,
    nearest_other_distances,
    subsample,
)

#: rows of each side the quadratic distance search uses at most
DCR_ROWS = 2000
#: a categorical column with more distinct values than this share of its rows is identifier-like
ID_DISTINCT_SHARE = 0.5
_NUMERIC_KINDS = ("numeric", "datetime")


def measure_privacy(
    real: pd.DataFrame,
    synth: pd.DataFrame,
    columns: list[str],
    column_kinds: dict[str, str],
    *,
    seed: int,
    dcr_rows: int = DCR_ROWS,
    dcr_columns: list[str] | None = None,
) -> dict[str, Any]:
    """Exact-match shares and DCR quantiles of ``synth`` and of the real rows, JSON-ready.

    Exact matches use every row and ``columns``. Distances use at most ``dcr_rows``
    rows of each side (drawn with ``seed``) and ``dcr_columns`` (default ``columns``;
    see :func:`identifier_like`); ``column_kinds`` marks numeric and datetime columns.

    Returns ``columns``, ``dcr_columns``, ``rows`` (``real``, ``synthetic``, and
    ``dcr``: the rows the distances used), ``exact_match`` (``synthetic_share``;
    ``holdout_share``: real rows equal to another real row) and ``dcr`` (``synthetic``
    and ``holdout``: ``p05``, ``p10``, ``p25``, ``p50``, ``p75``, ``mean``,
    ``zero_share``; ``closer``: see :func:`closer_shares`; None when a side has too
    few rows or no distance column is left).
    """
    check_columns(real, synth, columns)
    dcr_columns = list(columns if dcr_columns is None else dcr_columns)
    rows: dict[str, Any] = {"real": len(real), "synthetic": len(synth)}
    out: dict[str, Any] = {
        "columns": list(columns),
        "dcr_columns": dcr_columns,
        "rows": rows,
        "exact_match": {"synthetic_share": None, "holdout_share": None},
        "dcr": {"synthetic": None, "holdout": None, "closer": None},
    }
    if len(real) < 2 or len(synth) == 0:
        return out
    out["exact_match"] = {
        "synthetic_share": exact_match_share(real, synth, columns),
        "holdout_share": duplicate_share(real, columns),
    }
    if not dcr_columns:
        return out
    rng = np.random.default_rng(seed)
    reference, synth_part = subsample(real, dcr_rows, rng), subsample(synth, dcr_rows, rng)
    rows["dcr"] = {"real": len(reference), "synthetic": len(synth_part)}
    holdout_dcr = nearest_other_distances(reference, dcr_columns, column_kinds)
    (synth_dcr,) = nearest_distances(reference, [synth_part], dcr_columns, column_kinds)
    holdout_stats = distance_stats(holdout_dcr)
    out["dcr"] = {
        "synthetic": distance_stats(synth_dcr),
        "holdout": holdout_stats,
        "closer": closer_shares(synth_dcr, holdout_dcr, holdout_stats),
    }
    return out


def closer_shares(
    synth_dcr: np.ndarray, holdout_dcr: np.ndarray, holdout_stats: dict[str, float]
) -> dict[str, Any]:
    """Shares of synthetic and real rows closer to a real row than a cut-off the real rows set.

    The cut-off is the real (leave-one-out) distances' 5th percentile; when that is 0
    (5 % or more of real rows equal another real row) it is their smallest positive
    distance, and 0 when there is none. Both shares use the same strict cut-off, so
    ties count alike on both sides: real rows give the baseline (about 5 % at the 5th
    percentile), a generator that copies rows with small changes gives many more. Any
    cut-off gives a fair comparison; the lowest positive one sees near-copies best.
    """
    if holdout_stats["p05"] > 0:
        quantile, cut = "p05", holdout_stats["p05"]
    else:
        positive = holdout_dcr[holdout_dcr > 0]
        quantile, cut = ("min", float(positive.min())) if len(positive) else ("zero", 0.0)
    return {
        "quantile": quantile,
        "distance": cut,
        "synthetic_share": float(np.mean(synth_dcr < cut)),
        "holdout_share": float(np.mean(holdout_dcr < cut)),
    }


def identifier_like(real: pd.DataFrame, columns: list[str], column_kinds: dict[str, str]) -> list[str]:
    """Categorical ``columns`` with more than half of their non-null values distinct in ``real``.

    A model learns such a column (a hashed e-mail, a masked card number) as categories
    and replays values it saw, so synthetic rows share them with the real sample far
    more often than other real rows can, whatever the rest of the row. That says
    nothing about copying *rows*, so distances leave these columns out; exact matches
    keep them (a row equal on every column, identifier included, is a copy).
    """
    out = []
    for name in columns:
        if column_kinds.get(name) in _NUMERIC_KINDS:
            continue
        values = real[name].dropna()
        if len(values) and values.nunique() > ID_DISTINCT_SHARE * len(values):
            out.append(name)
    return out
