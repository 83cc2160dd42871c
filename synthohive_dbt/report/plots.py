"""Real-vs-synthetic plots as base64 PNGs (matplotlib, Agg canvas, no pyplot state).

Every figure draws the real side from profiled aggregates only: a numeric column's
CDF from its 101 quantiles and its density from the quantile bins, a categorical
column's frequencies from its top values, correlations from the profiled matrix, child
counts from the profiled histogram.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..dtypes import as_float64

REAL_COLOUR = "#4C72B0"
SYNTHETIC_COLOUR = "#DD8452"
DPI = 80
#: categories shown by name; the rest are summed into "other"
MAX_CATEGORIES = 12
#: child counts shown one by one; larger counts are summed into the last bar
MAX_CHILD_COUNT = 25


def to_png(figure: Figure) -> str:
    """The figure as a base64-encoded PNG (for a ``data:`` URI)."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float = 7.0, height: float = 2.6, columns: int = 2) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(1, columns)
    return figure, axes


# ---- numeric and datetime ------------------------------------------------------------
def numeric_plot(title: str, quantiles: Sequence[float], sample: pd.Series) -> str:
    """Density over the real quantile bins (left) and the two CDFs (right)."""
    real_q = np.asarray(quantiles, dtype=float)
    values = as_float64(sample)
    values = values[~np.isnan(values)]
    figure, (density, cdf) = _figure()
    edges = np.unique(real_q[::5] if len(real_q) == 101 else real_q)
    if len(edges) >= 2:
        levels = np.interp(edges, real_q, np.linspace(0, 1, len(real_q)))
        widths = np.diff(edges)
        density.stairs(np.diff(levels) / widths, edges, color=REAL_COLOUR, label="real", linewidth=1.8)
        if len(values):
            inside, _ = np.histogram(values, bins=edges)
            density.stairs(inside / len(values) / widths, edges, color=SYNTHETIC_COLOUR, label="synthetic", linewidth=1.8)
    density.set_title("density over real quantile bins", fontsize=9)
    _cdf_panel(cdf, real_q, np.sort(values))
    if _long_right_tail(real_q):
        linear_range = max(float(real_q[len(real_q) // 4]), 1e-9)
        for axes in (density, cdf):
            axes.set_xscale("symlog", linthresh=linear_range)
        density.set_title("density over real quantile bins (log x)", fontsize=9)
    figure.suptitle(title, fontsize=10)
    density.legend(fontsize=8)
    return to_png(figure)


def datetime_plot(title: str, quantiles: Sequence[str], sample: pd.Series) -> str:
    """The real and synthetic CDFs over time."""
    real_q = pd.to_datetime(pd.Series(list(quantiles)), errors="coerce", utc=True).dt.tz_localize(None)
    values = pd.to_datetime(sample, errors="coerce", utc=True).dropna().dt.tz_localize(None).sort_values()
    figure, axes = _figure(width=4.5, columns=1)
    axes.plot(real_q.to_numpy(), np.linspace(0, 1, len(real_q)), color=REAL_COLOUR, label="real", drawstyle="steps-post")
    if len(values):
        axes.plot(values.to_numpy(), np.arange(1, len(values) + 1) / len(values), color=SYNTHETIC_COLOUR,
                  label="synthetic", drawstyle="steps-post")
    axes.set_title(title, fontsize=10)
    axes.set_ylabel("CDF", fontsize=8)
    axes.tick_params(axis="x", labelrotation=30, labelsize=7)
    axes.legend(fontsize=8)
    return to_png(figure)


def _long_right_tail(real_q: np.ndarray) -> bool:
    """Non-negative values whose upper tail dwarfs the body (amounts, limits): plot on log x."""
    if len(real_q) != 101 or real_q[0] < 0:
        return False
    body = real_q[50] - real_q[1]
    return bool(real_q[99] - real_q[50] > 10 * max(body, 1e-12))


def _cdf_panel(axes: Any, real_q: np.ndarray, values: np.ndarray) -> None:
    axes.plot(real_q, np.linspace(0, 1, len(real_q)), color=REAL_COLOUR, label="real", drawstyle="steps-post")
    if len(values):
        axes.plot(values, np.arange(1, len(values) + 1) / len(values), color=SYNTHETIC_COLOUR,
                  label="synthetic", drawstyle="steps-post")
    axes.set_title("CDF", fontsize=9)


# ---- categorical -----------------------------------------------------------------------
def categorical_plot(title: str, top_values: Sequence[Mapping[str, Any]], sample: pd.Series, *, boolean: bool) -> str:
    """Real (profiled) and synthetic frequencies per category, the rest as "other"."""
    shown = list(top_values[:MAX_CATEGORIES])
    labels = [str(t["value"]) for t in shown]
    real = [float(t["frequency"]) for t in shown]
    real.append(max(0.0, 1.0 - sum(real)))
    text = sample.dropna().astype(str)
    if boolean:
        text = text.str.lower()
        keys = [label.lower() for label in labels]
    else:
        keys = labels
    counts = text.value_counts()
    total = max(len(text), 1)
    synthetic = [float(counts.get(k, 0)) / total for k in keys]
    synthetic.append(max(0.0, 1.0 - sum(synthetic)) if len(text) else 0.0)
    labels.append("other")
    positions = np.arange(len(labels))
    figure, axes = _figure(width=max(4.5, 0.5 * len(labels) + 2), columns=1)
    axes.bar(positions - 0.2, real, width=0.4, color=REAL_COLOUR, label="real")
    axes.bar(positions + 0.2, synthetic, width=0.4, color=SYNTHETIC_COLOUR, label="synthetic")
    axes.set_xticks(positions, [_short(label) for label in labels], rotation=30, ha="right", fontsize=7)
    axes.set_ylabel("share of non-null rows", fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8)
    return to_png(figure)


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


# ---- correlations ----------------------------------------------------------------------
def correlation_plot(
    title: str, columns: Sequence[str], real: Sequence[Sequence[float | None]] | None,
    synthetic: Sequence[Sequence[float | None]] | None,
) -> str:
    """Real and synthetic correlation heatmaps side by side, on the same colour scale."""
    panels = [("real (profile)", real), ("synthetic (sample)", synthetic)]
    size = max(2.8, 0.45 * len(columns) + 1.6)
    figure, axes = _figure(width=2 * size + 0.8, height=size, columns=2)
    image = None
    for ax, (label, matrix) in zip(axes, panels):
        if matrix is None:
            ax.text(0.5, 0.5, "not in profile", ha="center", va="center", fontsize=9)
            ax.set_axis_off()
            ax.set_title(label, fontsize=9)
            continue
        values = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
        image = ax.imshow(values, vmin=-1, vmax=1, cmap="coolwarm")
        ticks = np.arange(len(columns))
        ax.set_xticks(ticks, [_short(c, 12) for c in columns], rotation=45, ha="right", fontsize=7)
        ax.set_yticks(ticks, [_short(c, 12) for c in columns], fontsize=7)
        if len(columns) <= 8:
            for i in range(len(columns)):
                for j in range(len(columns)):
                    if not np.isnan(values[i, j]):
                        ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=6)
        ax.set_title(label, fontsize=9)
    if image is not None:
        figure.colorbar(image, ax=list(axes), shrink=0.8)
    figure.suptitle(title, fontsize=10)
    return to_png(figure)


# ---- child counts ----------------------------------------------------------------------
def child_count_plot(title: str, real: Mapping[int, int], synthetic: Mapping[int, int]) -> str:
    """Share of parent rows by number of children, real vs synthetic (large counts pooled)."""
    top = min(max([*real, *synthetic, 0]), MAX_CHILD_COUNT)
    positions = np.arange(top + 1)
    figure, axes = _figure(width=max(4.5, 0.25 * len(positions) + 2), columns=1)
    for histogram, colour, label, offset in ((real, REAL_COLOUR, "real", -0.2), (synthetic, SYNTHETIC_COLOUR, "synthetic", 0.2)):
        axes.bar(positions + offset, _pooled_shares(histogram, top), width=0.4, color=colour, label=label)
    labels = [str(k) for k in positions]
    if max([*real, *synthetic, 0]) > top:
        labels[-1] = f"≥{top}"
    axes.set_xticks(positions, labels, fontsize=7)
    axes.set_xlabel("children per parent row", fontsize=8)
    axes.set_ylabel("share of parents", fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8)
    return to_png(figure)


def _pooled_shares(histogram: Mapping[int, int], top: int) -> np.ndarray:
    shares = np.zeros(top + 1)
    total = sum(histogram.values())
    if total:
        for k, n in histogram.items():
            shares[min(k, top)] += n / total
    return shares
