"""Privacy checks on generated data: exact copies and distance to the closest record.

* :func:`exact_match_share`: the share of synthetic rows equal to some real row on
  the given (non-key) columns. A generator that memorised rows shows it here first.
* :func:`dcr_summary`: for each synthetic row, the Gower distance to the closest real
  row (DCR), compared with the same distance for real rows held out from the
  reference set. Synthetic rows should be no closer to the real rows than unseen
  real rows are; markedly closer means the model copies.

The building blocks (:func:`nearest_distances`, :func:`distance_stats`) and the
leave-one-out baselines (:func:`duplicate_share`, :func:`nearest_other_distances`)
serve :func:`~synthohive_dbt.privacy.measure.measure_privacy`, which the ``privacy``
data tests run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from synthohive_dbt.dtypes import as_float64
from synthohive_dbt.errors import PrivacyError

from .transforms import as_text

#: verdict thresholds (documented in docs/privacy.md)
EXCESS_ZERO_SHARE = 0.10  # more exact copies than real-vs-real, by this share
CLOSER_SHARE = 0.15  # share of synthetic rows closer than the holdout's 5th percentile
MEDIAN_RATIO = 0.5  # synthetic median DCR below half the holdout's
_MIN_ROWS = 4
_CHUNK = 256
#: the distance quantiles reported
QUANTILES = {"p05": 0.05, "p10": 0.10, "p25": 0.25, "p50": 0.5, "p75": 0.75}


def check_columns(real: pd.DataFrame, synth: pd.DataFrame, columns: list[str]) -> None:
    """Raise PrivacyError unless ``columns`` is non-empty and both frames have every one."""
    if not columns:
        raise PrivacyError("no columns to compare", hint="pass the table's non-key columns")
    missing = [c for c in columns if c not in real.columns or c not in synth.columns]
    if missing:
        raise PrivacyError(
            f"columns missing from the real or synthetic rows: {', '.join(missing)}",
            hint="compare only columns both frames have",
        )


# ---- exact matches ------------------------------------------------------------------------


def _canonical(real: pd.Series, synth: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both columns in one comparable dtype (an INTEGER and a DOUBLE 3 are equal)."""
    if ptypes.is_numeric_dtype(real.dtype) and ptypes.is_numeric_dtype(synth.dtype):
        return pd.Series(as_float64(real), index=real.index), pd.Series(as_float64(synth), index=synth.index)
    if ptypes.is_datetime64_any_dtype(real.dtype) and ptypes.is_datetime64_any_dtype(synth.dtype):
        return pd.Series(_epoch_ns(real)), pd.Series(_epoch_ns(synth))
    return as_text(real).astype("string"), as_text(synth).astype("string")


def _epoch_ns(series: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (NaT becomes the minimum int64, equal to itself)."""
    return pd.to_datetime(series).to_numpy(dtype="datetime64[ns]").view("int64")


def row_hashes(
    real: pd.DataFrame, synth: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the rows of both frames over ``columns``, comparable across frames."""
    pairs = [
        _canonical(real[c].reset_index(drop=True), synth[c].reset_index(drop=True)) for c in columns
    ]
    left = pd.concat([p[0] for p in pairs], axis=1, keys=columns)
    right = pd.concat([p[1] for p in pairs], axis=1, keys=columns)
    return (
        pd.util.hash_pandas_object(left, index=False).to_numpy(),
        pd.util.hash_pandas_object(right, index=False).to_numpy(),
    )


def exact_match_share(real: pd.DataFrame, synth: pd.DataFrame, columns: list[str]) -> float:
    """Share of synthetic rows equal to at least one real row on ``columns`` (nulls equal nulls)."""
    check_columns(real, synth, columns)
    if len(synth) == 0:
        return 0.0
    real_hash, synth_hash = row_hashes(real, synth, columns)
    return float(np.isin(synth_hash, real_hash).mean())


def duplicate_share(real: pd.DataFrame, columns: list[str]) -> float:
    """Share of rows of ``real`` equal to at least one *other* of its rows on ``columns``.

    The leave-one-out baseline of :func:`exact_match_share`: a real row measured
    against the other real rows is a fresh row of the population measured against a
    sample of it, exactly what a synthetic row that copies nothing should look like.
    """
    check_columns(real, real, columns)
    if len(real) == 0:
        return 0.0
    hashes, _ = row_hashes(real, real.iloc[:0], columns)
    return float(pd.Series(hashes).duplicated(keep=False).mean())


# ---- distance to closest record -----------------------------------------------------------


def dcr_summary(
    real: pd.DataFrame,
    synth: pd.DataFrame,
    columns: list[str],
    column_kinds: dict[str, str],
    *,
    seed: int,
    max_rows: int = 5000,
) -> dict[str, Any]:
    """Synthetic-to-real DCR quantiles against holdout-to-real, with a verdict.

    The real rows are split in half at random (``seed``): a reference set and a
    holdout. Each synthetic row and each holdout row is measured against the
    reference set. Every part is capped at ``max_rows`` rows. The verdict is
    ``"too close"``, ``"ok"`` or ``"insufficient data"``; ``reasons`` says why.
    """
    check_columns(real, synth, columns)
    rng = np.random.default_rng(seed)
    reference, holdout = split_holdout(real, rng)
    reference, holdout = reference.iloc[:max_rows], holdout.iloc[:max_rows]
    synth = subsample(synth, max_rows, rng)
    summary: dict[str, Any] = {
        "columns": list(columns),
        "rows": {"reference": len(reference), "holdout": len(holdout), "synthetic": len(synth)},
    }
    if min(len(reference), len(holdout)) < _MIN_ROWS // 2 or len(synth) == 0:
        return {**summary, "verdict": "insufficient data", "reasons": ["too few rows to compare"]}
    holdout_dcr, synth_dcr = nearest_distances(reference, [holdout, synth], columns, column_kinds)
    return {**summary, **_compare(synth_dcr, holdout_dcr)}


def split_holdout(real: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``real`` shuffled by ``rng`` and cut in half: (reference, holdout).

    The holdout plays "unseen real rows": how close they come to the reference set is
    the yardstick for how close synthetic rows may come.
    """
    order = rng.permutation(len(real))
    half = len(real) // 2
    return real.iloc[order[:half]], real.iloc[order[half:]]


def subsample(frame: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """At most ``rows`` rows of ``frame``, drawn by ``rng`` without replacement, in order."""
    if len(frame) <= rows:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), rows, replace=False))]


def nearest_distances(
    reference: pd.DataFrame,
    queries: list[pd.DataFrame],
    columns: list[str],
    column_kinds: dict[str, str],
) -> list[np.ndarray]:
    """For each frame of ``queries``, each row's Gower distance to its closest ``reference`` row.

    Numeric and datetime columns (``column_kinds``) are scaled by the reference range
    and capped at 1; other columns count 0 or 1 on equality; nulls equal nulls.
    """
    if len(reference) == 0:
        raise PrivacyError("no reference rows to measure distances to", hint="pass a non-empty real sample")
    encoded = _encode([reference, *queries], columns, column_kinds)
    return [_nearest(query, encoded[0]) for query in encoded[1:]]


def nearest_other_distances(
    real: pd.DataFrame, columns: list[str], column_kinds: dict[str, str]
) -> np.ndarray:
    """Each row's Gower distance to the closest *other* row of ``real`` (leave one out).

    The baseline of :func:`nearest_distances`: how close a fresh real row comes to a
    sample of real rows. Needs at least two rows.
    """
    if len(real) < 2:
        raise PrivacyError("need at least two real rows to measure distances between them")
    (encoded,) = _encode([real], columns, column_kinds)
    return _nearest(encoded, encoded, skip_diagonal=True)


def distance_stats(dcr: np.ndarray) -> dict[str, float]:
    """Quantiles (``p05`` ... ``p75``), ``mean`` and ``zero_share`` (exact copies) of distances."""
    stats = {name: float(np.quantile(dcr, q)) for name, q in QUANTILES.items()}
    stats["mean"] = float(dcr.mean())
    stats["zero_share"] = float(np.mean(dcr == 0))
    return stats


def _encode(
    frames: list[pd.DataFrame], columns: list[str], kinds: dict[str, str]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per frame: numeric columns scaled to [0, 1] by the reference range, and category codes."""
    numeric = [c for c in columns if kinds.get(c) in ("numeric", "datetime")]
    categorical = [c for c in columns if c not in numeric]
    nums = [
        np.column_stack([as_float64(f[c]) for c in numeric]) if numeric else np.zeros((len(f), 0))
        for f in frames
    ]
    if numeric:
        low = np.nanmin(nums[0], axis=0)
        span = np.nanmax(nums[0], axis=0) - low
        span = np.where(np.isfinite(span) & (span > 0), span, 1.0)
        low = np.where(np.isfinite(low), low, 0.0)
        nums = [(n - low) / span for n in nums]
    cats = [np.zeros((len(f), 0), dtype=np.int64) for f in frames]
    if categorical:
        stacked = pd.concat([f[categorical] for f in frames], ignore_index=True)
        codes = np.column_stack(
            [pd.factorize(as_text(stacked[c]), use_na_sentinel=False)[0] for c in categorical]
        )
        bounds = np.cumsum([0, *(len(f) for f in frames)])
        cats = [codes[bounds[i] : bounds[i + 1]] for i in range(len(frames))]
    return list(zip(nums, cats))


def _nearest(
    query: tuple[np.ndarray, np.ndarray],
    ref: tuple[np.ndarray, np.ndarray],
    *,
    skip_diagonal: bool = False,
) -> np.ndarray:
    """Gower distance from each query row to its closest reference row.

    ``skip_diagonal``: query row i *is* reference row i, which must not count as its
    own closest record.
    """
    (q_num, q_cat), (r_num, r_cat) = query, ref
    n_cols = q_num.shape[1] + q_cat.shape[1]
    out = np.empty(len(q_num))
    r_nan = np.isnan(r_num)
    for start in range(0, len(q_num), _CHUNK):
        stop = min(start + _CHUNK, len(q_num))
        dist = np.zeros((stop - start, len(r_num)))
        for j in range(q_num.shape[1]):
            dist += _numeric_distance(q_num[start:stop, j], r_num[:, j], r_nan[:, j])
        for j in range(q_cat.shape[1]):
            dist += q_cat[start:stop, j, None] != r_cat[None, :, j]
        if skip_diagonal:
            rows = np.arange(stop - start)
            dist[rows, rows + start] = np.inf
        out[start:stop] = dist.min(axis=1) / n_cols
    return out


def _numeric_distance(q: np.ndarray, r: np.ndarray, r_nan: np.ndarray) -> np.ndarray:
    q_nan = np.isnan(q)[:, None]
    diff = np.minimum(np.abs(q[:, None] - r[None, :]), 1.0)
    one_missing = q_nan ^ r_nan[None, :]
    both_missing = q_nan & r_nan[None, :]
    return np.where(both_missing, 0.0, np.where(one_missing, 1.0, diff))


def _compare(synth_dcr: np.ndarray, holdout_dcr: np.ndarray) -> dict[str, Any]:
    synth, holdout = distance_stats(synth_dcr), distance_stats(holdout_dcr)
    closer = float(np.mean(synth_dcr < holdout["p05"]))
    ratio = synth["p50"] / holdout["p50"] if holdout["p50"] > 0 else None
    reasons: list[str] = []
    if synth["zero_share"] - holdout["zero_share"] > EXCESS_ZERO_SHARE:
        reasons.append(
            f"{synth['zero_share']:.1%} of synthetic rows copy a real row, "
            f"against {holdout['zero_share']:.1%} for unseen real rows"
        )
    if holdout["p05"] > 0 and closer > CLOSER_SHARE:
        reasons.append(
            f"{closer:.1%} of synthetic rows are closer to a real row than 95% of unseen real rows"
        )
    if ratio is not None and ratio < MEDIAN_RATIO:
        reasons.append(f"median distance is {ratio:.2f}x that of unseen real rows")
    return {
        "synthetic_to_real": synth,
        "holdout_to_real": holdout,
        "ratio_p50": ratio,
        "closer_than_holdout_p05": closer,
        "verdict": "too close" if reasons else "ok",
        "reasons": reasons,
    }
