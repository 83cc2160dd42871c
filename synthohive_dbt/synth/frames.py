"""Checks on the frames handed to ``fit`` and the chunking of sample contexts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd

from ..errors import GenerationError, TrainingError


def check_frames(data: pd.DataFrame, context: pd.DataFrame | None) -> None:
    """Training input: a non-empty DataFrame with unique string names; context row-aligned."""
    if not isinstance(data, pd.DataFrame):
        raise TrainingError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if data.empty or not len(data.columns):
        raise TrainingError("cannot train on an empty table", hint="check the model's SQL returns rows")
    for frame, what in ((data, "data"), (context, "context")):
        if frame is None:
            continue
        if frame.columns.duplicated().any() or not all(isinstance(c, str) for c in frame.columns):
            raise TrainingError(f"{what} needs unique string column names", hint="rename the columns")
    if context is not None and len(context) != len(data):
        raise TrainingError(
            f"context has {len(context)} rows for {len(data)} data rows",
            hint="pass one parent-context row per child row, in the same order",
        )


def context_chunks(
    n: int, chunk_size: int, context: pd.DataFrame | Iterable[pd.DataFrame] | None
) -> Iterator[tuple[int, pd.DataFrame | None]]:
    """``(rows, context rows)`` per chunk; checks a context stream adds up to ``n``."""
    if context is None:
        for start in range(0, n, chunk_size):
            yield min(chunk_size, n - start), None
        return
    frames = [context] if isinstance(context, pd.DataFrame) else context
    total = 0
    for frame in frames:
        for start in range(0, len(frame), chunk_size):
            part = frame.iloc[start : start + chunk_size]
            total += len(part)
            if total > n:
                break
            yield len(part), part
        if total > n:
            break
    if total != n:
        raise GenerationError(
            f"context has {'more' if total > n else 'fewer'} rows than the {n} asked for",
            hint="pass exactly one context row per row to generate",
        )
