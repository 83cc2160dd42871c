"""Distribution tests: the synthetic data against the profiled statistics of the real data.

Each test is pure SQL over one synthetic table with the real aggregates embedded as
literals (quantiles, frequencies, moments, a child-count histogram, correlations);
no real row is ever embedded. Every query ends in the same shape: a CTE ``stat`` with
one row holding ``statistic`` and ``threshold`` (plus details), then
``verdict`` = ``stat`` with a boolean ``failed``. ``metrics_sql`` returns ``verdict``;
the dbt test ``sql`` returns the ``verdict`` row only when it failed.

The statistics:

- ``ks`` (numeric, datetime): the Kolmogorov-Smirnov distance between the synthetic
  empirical CDF and the real CDF known at the 101 profiled quantiles. A value that the
  quantiles repeat (a point mass) spans a range of levels: the synthetic CDF just below
  it is compared with the lowest level and the CDF at it with the highest.
- ``moments`` (numeric): |mean difference| in real standard deviations, and the ratio of
  standard deviations.
- ``tv`` (categorical, boolean): total variation distance over the profiled top values
  plus one "other" bucket holding every remaining value.
- ``null_rate``: |synthetic null rate - real null rate|.
- ``child_count`` (per foreign key): KS distance between the real and synthetic
  distributions of the number of children per parent row (zero included).
- ``correlation`` (per table, when the profile has a correlation matrix): the largest
  |synthetic - real| Pearson correlation over the column pairs.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlglot import exp

from ..project.model import Column, ForeignKey, Table
from . import sqlgen
from .model import EmittedTest
from .naming import make_test_name
from .settings import Thresholds
from .templates import CHILD_COUNT, CORRELATION, KS, MOMENTS, NULL_RATE, TV

log = logging.getLogger(__name__)

_FAILS_ABOVE = "statistic > threshold"
_MOMENTS_FAIL = "statistic > threshold OR std_ratio < std_ratio_min OR std_ratio > std_ratio_max"
_KS_TIME_TYPES = ("DATE", "TIMESTAMP", "DATETIME")


# ---- per column ------------------------------------------------------------------------
def column_tests(table: Table, column: Column, profile: Mapping[str, Any], th: Thresholds) -> list[EmittedTest]:
    """The distribution tests of one column, chosen by its profiled kind and statistics."""
    kind = profile.get("kind") or column.kind
    tests: list[EmittedTest] = []
    quantiles = profile.get("quantiles") or []
    if kind == "numeric" and len(quantiles) >= 2:
        tests.append(ks_test(table.name, column, quantiles, th, as_time=False))
        moments = moments_test(table.name, column, profile, th)
        if moments is not None:
            tests.append(moments)
    elif kind == "datetime" and len(quantiles) >= 2 and column.data_type.upper().startswith(_KS_TIME_TYPES):
        tests.append(ks_test(table.name, column, quantiles, th, as_time=True))
    elif kind in ("categorical", "boolean") and profile.get("top_values"):
        tests.append(tv_test(table.name, column, profile["top_values"], th, boolean=kind == "boolean"))
    rate = profile.get("null_rate")
    if rate is not None:
        tests.append(null_rate_test(table.name, column.name, float(rate), th))
    return tests


def ks_test(table: str, column: Column, quantiles: Sequence[Any], th: Thresholds, *, as_time: bool) -> EmittedTest:
    """KS distance between the synthetic ECDF and the real one known at the quantiles."""
    ref = sqlgen.column(column.name)
    value = exp.cast(ref.copy(), "TIMESTAMP") if as_time else exp.cast(ref.copy(), "DOUBLE")
    rows = [
        (sqlgen.typed_literal(q, "TIMESTAMP") if as_time else float(q), lo, hi)
        for q, lo, hi in quantile_levels(quantiles)
    ]
    query = _against_profiled(KS, table, ref, value, rows, ["q", "lo", "hi"], th.ks_threshold)
    return _distribution(
        "ks", table, column.name, th, query, th.ks_threshold,
        f"KS distance of {table}.{column.name} to the profiled quantiles <= {th.ks_threshold}",
    )


def _against_profiled(
    template: str,
    table: str,
    ref: exp.Expression,
    value: exp.Expression,
    rows: Sequence[Sequence[Any]],
    columns: Sequence[str],
    threshold: float,
) -> exp.Expression:
    """Fill a template that compares ``value`` of ``table`` with the profiled ``rows``.

    The KS and TV templates share their placeholders: the column and the value read
    from it, the relation, the profiled figures as ``prof(columns)``, and a statistic
    that fails above ``threshold``.
    """
    return sqlgen.fill(
        template,
        value=value,
        col=ref,
        rel=sqlgen.relation(table),
        profiled=sqlgen.values_table(rows, "prof", columns),
        threshold=sqlgen.literal(threshold),
        failed=exp.condition(_FAILS_ABOVE),
    )


def quantile_levels(quantiles: Sequence[Any]) -> list[tuple[Any, float, float]]:
    """(value, lowest level, highest level) per distinct quantile value, in order.

    The quantiles are at levels 0.00, 0.01, ..., 1.00; a value repeated over several
    levels is a point mass of the real distribution, so its CDF jumps across them.
    """
    step = 1.0 / (len(quantiles) - 1)
    out: list[tuple[Any, float, float]] = []
    for i, q in enumerate(quantiles):
        level = round(i * step, 6)
        if q is None:
            continue
        if out and out[-1][0] == q:
            out[-1] = (q, out[-1][1], level)
        else:
            out.append((q, level, level))
    return out


def moments_test(table: str, column: Column, profile: Mapping[str, Any], th: Thresholds) -> EmittedTest | None:
    """Mean within ``mean_tolerance`` real stds and std ratio within its range; None if std is 0."""
    mean, std = profile.get("mean"), profile.get("std")
    if mean is None or not std or float(std) <= 0:
        return None
    query = sqlgen.fill(
        MOMENTS,
        col=sqlgen.column(column.name),
        rel=sqlgen.relation(table),
        real_mean=sqlgen.literal(float(mean)),
        real_std=sqlgen.literal(float(std)),
        threshold=sqlgen.literal(th.mean_tolerance),
        ratio_min=sqlgen.literal(th.std_ratio_min),
        ratio_max=sqlgen.literal(th.std_ratio_max),
        failed=exp.condition(_MOMENTS_FAIL),
    )
    return _distribution(
        "moments", table, column.name, th, query, th.mean_tolerance,
        f"mean of {table}.{column.name} within {th.mean_tolerance} real std and std ratio in "
        f"[{th.std_ratio_min}, {th.std_ratio_max}]",
    )


def tv_test(
    table: str, column: Column, top_values: Sequence[Mapping[str, Any]], th: Thresholds, *, boolean: bool
) -> EmittedTest:
    """Total variation distance over the profiled top values and an "other" bucket."""
    ref = sqlgen.column(column.name)
    text = exp.cast(ref.copy(), "VARCHAR")
    value = exp.Lower(this=text) if boolean else text
    rows: list[tuple[Any, ...]] = []
    listed = 0.0
    for bucket, top in enumerate(top_values):
        shown = str(top["value"])
        rows.append((bucket, shown.lower() if boolean else shown, float(top["frequency"])))
        listed += float(top["frequency"])
    rows.append((-1, None, max(0.0, 1.0 - listed)))
    query = _against_profiled(
        TV, table, ref, value, rows, ["bucket", "value", "frequency"], th.tvd_threshold
    )
    return _distribution(
        "tv", table, column.name, th, query, th.tvd_threshold,
        f"total variation distance of {table}.{column.name} to the profiled frequencies <= {th.tvd_threshold}",
    )


def null_rate_test(table: str, column: str, real_rate: float, th: Thresholds) -> EmittedTest:
    """|synthetic null rate - real null rate| within ``null_rate_tolerance``."""
    query = sqlgen.fill(
        NULL_RATE,
        col=sqlgen.column(column),
        rel=sqlgen.relation(table),
        real_rate=sqlgen.literal(real_rate),
        threshold=sqlgen.literal(th.null_rate_tolerance),
        failed=exp.condition(_FAILS_ABOVE),
    )
    return _distribution(
        "null_rate", table, column, th, query, th.null_rate_tolerance,
        f"null rate of {table}.{column} within {th.null_rate_tolerance} of the real {real_rate:.4f}",
    )


# ---- per foreign key -------------------------------------------------------------------
def child_count_test(table: str, fk: ForeignKey, child_count: Mapping[str, Any], th: Thresholds) -> EmittedTest | None:
    """KS distance between the real and synthetic children-per-parent distributions."""
    histogram = {int(k): int(v) for k, v in (child_count.get("histogram") or {}).items()}
    points = child_count_points(histogram)
    if not points:
        return None
    mean = child_count.get("mean")
    query = sqlgen.fill(
        CHILD_COUNT,
        per_parent=children_per_parent(table, fk),
        profiled=sqlgen.values_table(points, "prof", ["k", "f"]),
        threshold=sqlgen.literal(th.child_count_ks_threshold),
        real_mean=sqlgen.literal(float(mean) if mean is not None else None),
        failed=exp.condition(_FAILS_ABOVE),
    )
    test = _distribution(
        "child_count", table, None, th, query, th.child_count_ks_threshold,
        f"children per {fk.parent} row in {table}({', '.join(fk.columns)}): KS distance to the "
        f"profiled histogram <= {th.child_count_ks_threshold}",
        name_parts=[*fk.columns, fk.parent],
    )
    test.columns = list(fk.columns)
    return test


def child_count_points(histogram: Mapping[int, int]) -> list[tuple[int, float]]:
    """(k, real CDF at k) at every k where the KS maximum can occur.

    Between two consecutive counts of the real support the real CDF is flat while the
    synthetic one rises, so the largest gap is at one end: each support point and the
    integer just below it suffice.
    """
    total = sum(histogram.values())
    if total <= 0:
        return []
    support = sorted(k for k, n in histogram.items() if n > 0)
    cumulative: list[float] = []
    running = 0
    for k in support:
        running += histogram[k]
        cumulative.append(running / total)
    points = set(support) | {k - 1 for k in support if k > 0}

    def cdf(k: int) -> float:
        i = bisect.bisect_right(support, k)
        return cumulative[i - 1] if i else 0.0

    return [(k, round(cdf(k), 12)) for k in sorted(points)]


def children_per_parent(table: str, fk: ForeignKey) -> exp.Subquery:
    """One row per parent row with its number of children (0 for none), as a subquery.

    Children are counted per key first, then joined to the parents, so the work is one
    aggregation of the child table and one join of parent-sized inputs.
    """
    keys = [f"k{i}" for i in range(len(fk.columns))]
    child_cols = [sqlgen.column(c) for c in fk.columns]
    counts = (
        exp.select(
            *(exp.alias_(c, k) for c, k in zip(child_cols, keys)),
            exp.alias_(exp.Count(this=exp.Star()), "n"),
        )
        .from_(sqlgen.relation(table))
        .where(sqlgen.all_of(c.copy().is_(exp.null()).not_() for c in child_cols))
        .group_by(*(c.copy() for c in child_cols))
    )
    join_on = sqlgen.all_of(
        exp.EQ(this=sqlgen.column(p, "par"), expression=exp.column(k, table="cnt"))
        for p, k in zip(fk.parent_columns, keys)
    )
    per_parent = (
        exp.select(exp.alias_(exp.func("COALESCE", exp.column("n", table="cnt"), exp.Literal.number(0)), "n_children"))
        .from_(exp.alias_(sqlgen.relation(fk.parent), "par", table=True))
        .join(counts.subquery("cnt"), on=join_on, join_type="LEFT")
    )
    return per_parent.subquery("children_per_parent")


# ---- per table -------------------------------------------------------------------------
def correlation_test(table: Table, correlations: Mapping[str, Any], present: set[str], th: Thresholds) -> EmittedTest | None:
    """Largest |synthetic - real| Pearson correlation over pairs of the profiled matrix."""
    names = list(correlations.get("columns") or [])
    matrix = correlations.get("matrix") or []
    pairs = [
        (a, b, matrix[i][j])
        for i, a in enumerate(names)
        for j, b in enumerate(names)
        if i < j and a in present and b in present and matrix[i][j] is not None
    ]
    if not pairs:
        return None
    synthetic = exp.select(
        *(
            exp.alias_(
                exp.func("CORR", exp.cast(sqlgen.column(a), "DOUBLE"), exp.cast(sqlgen.column(b), "DOUBLE")),
                f"c{n}",
            )
            for n, (a, b, _) in enumerate(pairs)
        )
    ).from_(sqlgen.relation(table.name))
    pick = exp.Case(
        this=exp.column("pair", table="prof"),
        ifs=[exp.If(this=exp.Literal.number(n), true=exp.column(f"c{n}", table="s")) for n in range(len(pairs))],
    )
    rows = [(n, a, b, float(r)) for n, (a, b, r) in enumerate(pairs)]
    query = sqlgen.fill(
        CORRELATION,
        synthetic_pairs=synthetic.subquery("synthetic_correlations"),
        pick=pick,
        profiled=sqlgen.values_table(rows, "prof", ["pair", "column_a", "column_b", "real_correlation"]),
        threshold=sqlgen.literal(th.correlation_tolerance),
        failed=exp.condition(_FAILS_ABOVE),
    )
    test = _distribution(
        "correlation", table.name, None, th, query, th.correlation_tolerance,
        f"pairwise correlations of {table.name} within {th.correlation_tolerance} of the profiled ones",
        name_parts=[],
    )
    test.columns = sorted({c for a, b, _ in pairs for c in (a, b)})
    return test


def _distribution(
    kind: str,
    table: str,
    column: str | None,
    th: Thresholds,
    metrics: exp.Expression,
    threshold: float,
    description: str,
    *,
    name_parts: Sequence[str] | None = None,
) -> EmittedTest:
    metrics_sql = sqlgen.to_canonical_sql(metrics)
    failing = metrics.copy().where(exp.column("failed"))
    sql = sqlgen.to_canonical_sql(failing)
    return EmittedTest(
        name=make_test_name(kind, table, name_parts if name_parts is not None else [column or ""]),
        table=table,
        kind=kind,
        category="distribution",
        severity=th.distribution_severity,
        sql=sql,
        description=description,
        column=column,
        columns=[column] if column else [],
        threshold=float(threshold),
        metrics_sql=metrics_sql,
        relations=sqlgen.referenced_tables(sql),
    )
