"""Bounds and conditions a sample must meet, checked on raw decoded rows.

Declared bounds (from ``schema.yml`` or the profile, passed to ``fit``) are hard: rows
outside are drawn again, a few rounds, and what still breaks them is clipped with a
warning, or, in strict mode, raises :class:`ConstraintViolation`. The training data's
own range is soft: output is clipped into it silently (``enforce_observed_bounds``).
Conditions fix a column's value: a discrete value steers the conditional vector and is
then checked like a bound; a continuous value is simply set.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConstraintViolation, GenerationError, TrainingError, known_names_hint
from .columns import from_values, grid_bounds, to_model_bound
from .transformer import DataTransformer, RawBatch

logger = logging.getLogger(__name__)


@dataclass
class ClipTally:
    """Rows clipped to their hard bounds over many sampling calls, for one summary line.

    Pass one to ``sample`` (``clip_tally=``) to collect instead of a warning per call: a
    table generated in a hundred chunks then says once how many rows were clipped.
    """

    rows: int = 0
    clipped: int = 0
    columns: dict[str, int] = field(default_factory=dict)

    def add(self, rows: int, clipped: int, columns: Mapping[str, int]) -> None:
        self.rows += rows
        self.clipped += clipped
        for name, count in columns.items():
            self.columns[name] = self.columns.get(name, 0) + count

    def summary(self) -> str:
        """``"12 of 1,000 rows (1.2%): amount (10 rows), ..."``; empty when none."""
        if not self.clipped:
            return ""
        share = self.clipped / max(self.rows, 1)
        detail = ", ".join(f"{name} ({count:,} rows)" for name, count in sorted(self.columns.items()))
        return f"{self.clipped:,} of {self.rows:,} rows ({share:.2%}): {detail}"


@dataclass
class Requirements:
    """What every generated row must satisfy, in model units."""

    hard: dict[int, tuple[float, float]] = field(default_factory=dict)  # continuous index
    soft: dict[int, tuple[float, float]] = field(default_factory=dict)
    set_values: dict[int, float | None] = field(default_factory=dict)
    codes: dict[int, int] = field(default_factory=dict)  # discrete index -> required code
    forced: dict[str, Any] = field(default_factory=dict)  # written after decoding
    cond: tuple[int, int] | None = None  # (conditional column, code) for the cond vector

    def settle(self, raw: RawBatch) -> None:
        """Apply what needs no redraw: soft clipping and continuous conditions."""
        for i, (lo, hi) in self.soft.items():
            np.clip(raw.values[:, i], lo, hi, out=raw.values[:, i])
        for i, value in self.set_values.items():
            raw.null[:, i] = value is None
            raw.values[:, i] = 0.0 if value is None else value

    def violations(self, raw: RawBatch) -> np.ndarray:
        """Rows breaking a hard bound or a discrete condition."""
        bad = np.zeros(len(raw), dtype=bool)
        for i, (lo, hi) in self.hard.items():
            values = raw.values[:, i]
            bad |= ~raw.null[:, i] & ((values < lo) | (values > hi))
        for j, code in self.codes.items():
            bad |= raw.codes[:, j] != code
        return bad

    def force(self, raw: RawBatch, rows: np.ndarray) -> None:
        """Clip and set the given rows so they comply."""
        for i, (lo, hi) in self.hard.items():
            raw.values[rows, i] = np.clip(raw.values[rows, i], lo, hi)
        for j, code in self.codes.items():
            raw.codes[rows, j] = code

    def broken(self, raw: RawBatch, bad: np.ndarray, transformer: DataTransformer) -> dict[str, int]:
        """How many of the still-bad rows break each bound or condition, by description."""
        out: dict[str, int] = {}
        for i, (lo, hi) in self.hard.items():
            values = raw.values[bad, i]
            count = int(((values < lo) | (values > hi)).sum())
            if count:
                out[f"{transformer.continuous[i].name} outside [{lo:g}, {hi:g}]"] = count
        for j, code in self.codes.items():
            count = int((raw.codes[bad, j] != code).sum())
            if count:
                out[f"{transformer.discrete[j].name} condition"] = count
        return out

    def explain(self, raw: RawBatch, bad: np.ndarray, transformer: DataTransformer) -> str:
        """Which columns the still-bad rows break, for messages."""
        return "; ".join(f"{what} ({count} rows)" for what, count in self.broken(raw, bad, transformer).items())

    def write_forced(self, frame: pd.DataFrame, transformer: DataTransformer) -> None:
        """Set condition values the model cannot produce itself, keeping dtypes."""
        specs = {s.name: s for s in transformer.specs}
        for name, value in self.forced.items():
            values = np.empty(len(frame), dtype=object)
            values[:] = [value] * len(frame)
            null = np.full(len(frame), value is None)
            series = from_values(values, null, specs[name])
            series.index = frame.index
            frame[name] = series


def build_requirements(
    transformer: DataTransformer, bounds: Mapping[str, tuple[float | None, float | None]],
    conditions: Mapping[str, Any] | None, *, observed: bool, strict: bool,
) -> Requirements:
    """Requirements from declared ``bounds`` (model units) and sample ``conditions``."""
    req = Requirements()
    for i, spec in enumerate(transformer.continuous):
        if spec.name in bounds:
            req.hard[i] = grid_bounds(*bounds[spec.name], spec)
        elif observed and spec.name in transformer.observed:
            lo, hi = transformer.observed[spec.name]
            req.soft[i] = (-np.inf if lo is None else lo, np.inf if hi is None else hi)
    for name, value in (conditions or {}).items():
        _add_condition(req, transformer, name, value, strict)
    return req


def _add_condition(
    req: Requirements, transformer: DataTransformer, name: str, value: Any, strict: bool
) -> None:
    columns = transformer.columns
    if name not in columns:
        raise GenerationError(
            f"condition on unknown column {name!r}", hint=known_names_hint(name, columns, "column")
        )
    continuous = {s.name: i for i, s in enumerate(transformer.continuous)}
    discrete = {s.name: j for j, s in enumerate(transformer.discrete)}
    if name in continuous:
        _continuous_condition(req, transformer, continuous[name], value, strict)
    elif name in discrete:
        _discrete_condition(req, transformer, discrete[name], value, strict)
    elif value is not None:  # a column that was all null
        _unmeetable(name, value, "the column was entirely null in training", strict)
        req.forced[name] = value


def _continuous_condition(
    req: Requirements, transformer: DataTransformer, i: int, value: Any, strict: bool
) -> None:
    spec = transformer.continuous[i]
    try:
        number = to_model_bound(value, spec)
    except (TypeError, ValueError) as exc:
        raise GenerationError(
            f"condition value {value!r} is not a valid {spec.kind}", column=spec.name,
            hint="pass a number, a date or a timestamp",
        ) from exc
    if number is not None and i in req.hard:
        lo, hi = req.hard[i]
        if not lo <= number <= hi:
            _unmeetable(spec.name, value, f"outside the bounds [{lo:g}, {hi:g}]", strict)
    req.soft.pop(i, None)
    req.hard.pop(i, None)
    req.set_values[i] = number


def _discrete_condition(
    req: Requirements, transformer: DataTransformer, j: int, value: Any, strict: bool
) -> None:
    model = transformer.category_models[j]
    code = model.code_of(value)
    if code < 0:
        _unmeetable(model.name, value, "the model never saw this value", strict)
        req.forced[model.name] = value
        return
    req.codes[j] = code
    if code == model.other_code:
        req.forced[model.name] = value
    layout = transformer.layout
    if req.cond is None and j in layout.cond_columns:
        req.cond = (layout.cond_columns.index(j), code)


def _unmeetable(column: str, value: Any, why: str, strict: bool) -> None:
    message = f"condition {column} = {value!r} cannot be met: {why}"
    if strict:
        raise ConstraintViolation(
            message, column=column, hint="drop the condition, or pass strict=False to force it"
        )
    logger.warning("%s; the value is set on every row", message)


def declared_bounds(
    transformer: DataTransformer, bounds: Mapping[str, tuple[Any, Any]]
) -> dict[str, tuple[float | None, float | None]]:
    """Declared ``(min, max)`` per column, checked and converted to model units."""
    specs = {s.name: s for s in transformer.continuous}
    known = {s.name: s for s in transformer.specs}
    out: dict[str, tuple[float | None, float | None]] = {}
    for name, pair in bounds.items():
        if name not in known:
            raise TrainingError(
                f"bounds name unknown column {name!r}", hint=known_names_hint(name, known, "column")
            )
        if known[name].kind not in ("numeric", "datetime"):
            raise TrainingError(
                f"bounds apply to numeric and datetime columns, not {known[name].kind}",
                column=name, hint="declare accepted values for discrete columns instead",
            )
        if name not in specs:
            continue  # entirely null in training: nothing will be generated
        try:
            low, high = pair
            lo, hi = to_model_bound(low, specs[name]), to_model_bound(high, specs[name])
        except (TypeError, ValueError) as exc:
            raise TrainingError(
                f"invalid bounds {pair!r}: {exc}", column=name, hint="give (min, max); None for open"
            ) from exc
        if lo is not None and hi is not None and lo > hi:
            raise TrainingError(f"bounds {pair!r} have min above max", column=name, hint="swap them")
        out[name] = (lo, hi)
    return out
