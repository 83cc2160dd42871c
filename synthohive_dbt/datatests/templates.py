"""SQL templates of the distribution tests (DuckDB dialect, ``__name__`` placeholders).

:func:`synthohive_dbt.datatests.sqlgen.fill` swaps each placeholder for a sqlglot node:
``__rel__`` the synthetic table, ``__col__`` a quoted column, ``__profiled__`` a
``VALUES`` table of real aggregates, ``__threshold__`` and friends typed literals,
``__failed__`` the verdict condition. Every template ends in the same two CTEs: ``stat``
(one row: ``statistic``, ``threshold``, details) and ``verdict`` (``stat`` plus a
boolean ``failed``).
"""

from __future__ import annotations

#: the shared tail of every distribution query (see the module docstring)
VERDICT = """
, verdict AS (
  SELECT *, COALESCE(__failed__, TRUE) AS failed FROM stat
)
SELECT * FROM verdict
"""

KS = """
WITH synthetic AS (
  SELECT __value__ AS v FROM __rel__ WHERE NOT __col__ IS NULL
), ecdf AS (
  SELECT
    prof.q,
    prof.lo,
    prof.hi,
    AVG(CASE WHEN syn.v <= prof.q THEN 1.0 ELSE 0.0 END) AS f_le,
    AVG(CASE WHEN syn.v < prof.q THEN 1.0 ELSE 0.0 END) AS f_lt
  FROM __profiled__ CROSS JOIN synthetic AS syn
  GROUP BY prof.q, prof.lo, prof.hi
), stat AS (
  SELECT
    COALESCE(MAX(GREATEST(ABS(f_le - hi), ABS(f_lt - lo))), 1.0) AS statistic,
    __threshold__ AS threshold,
    (SELECT COUNT(*) FROM synthetic) AS n_synthetic
  FROM ecdf
)""" + VERDICT

MOMENTS = """
WITH synthetic AS (
  SELECT CAST(__col__ AS DOUBLE) AS v FROM __rel__ WHERE NOT __col__ IS NULL
), moments AS (
  SELECT AVG(v) AS synthetic_mean, STDDEV_SAMP(v) AS synthetic_std, COUNT(*) AS n_synthetic
  FROM synthetic
), stat AS (
  SELECT
    ABS(synthetic_mean - __real_mean__) / __real_std__ AS statistic,
    __threshold__ AS threshold,
    synthetic_std / __real_std__ AS std_ratio,
    __ratio_min__ AS std_ratio_min,
    __ratio_max__ AS std_ratio_max,
    __real_mean__ AS real_mean,
    synthetic_mean,
    __real_std__ AS real_std,
    synthetic_std,
    n_synthetic
  FROM moments
)""" + VERDICT

TV = """
WITH synthetic AS (
  SELECT __value__ AS v FROM __rel__ WHERE NOT __col__ IS NULL
), profiled AS (
  SELECT * FROM __profiled__
), synthetic_counts AS (
  SELECT COALESCE(prof.bucket, -1) AS bucket, COUNT(*) AS n
  FROM synthetic AS syn LEFT JOIN profiled AS prof ON syn.v = prof.value
  GROUP BY COALESCE(prof.bucket, -1)
), compared AS (
  SELECT COALESCE(prof.frequency, 0.0) AS real_frequency, COALESCE(cnt.n, 0) AS n
  FROM profiled AS prof FULL OUTER JOIN synthetic_counts AS cnt ON prof.bucket = cnt.bucket
), total AS (
  SELECT COUNT(*) AS n_synthetic FROM synthetic
), stat AS (
  SELECT
    COALESCE(0.5 * SUM(ABS(cmp.n * 1.0 / NULLIF(total.n_synthetic, 0) - cmp.real_frequency)), 1.0)
      AS statistic,
    __threshold__ AS threshold,
    MAX(total.n_synthetic) AS n_synthetic
  FROM compared AS cmp CROSS JOIN total
)""" + VERDICT

NULL_RATE = """
WITH counts AS (
  SELECT COUNT(*) AS n_rows, COUNT(__col__) AS n_non_null FROM __rel__
), rates AS (
  SELECT (n_rows - n_non_null) * 1.0 / NULLIF(n_rows, 0) AS synthetic_null_rate, n_rows
  FROM counts
), stat AS (
  SELECT
    COALESCE(ABS(synthetic_null_rate - __real_rate__), 1.0) AS statistic,
    __threshold__ AS threshold,
    __real_rate__ AS real_null_rate,
    synthetic_null_rate,
    n_rows
  FROM rates
)""" + VERDICT

CHILD_COUNT = """
WITH per_parent AS (
  SELECT * FROM __per_parent__
), ecdf AS (
  SELECT
    prof.k,
    prof.f,
    AVG(CASE WHEN pp.n_children <= prof.k THEN 1.0 ELSE 0.0 END) AS f_synthetic
  FROM __profiled__ CROSS JOIN per_parent AS pp
  GROUP BY prof.k, prof.f
), stat AS (
  SELECT
    COALESCE(MAX(ABS(f_synthetic - f)), 1.0) AS statistic,
    __threshold__ AS threshold,
    (SELECT COUNT(*) FROM per_parent) AS n_parents,
    __real_mean__ AS real_mean_children,
    (SELECT AVG(n_children) FROM per_parent) AS synthetic_mean_children
  FROM ecdf
)""" + VERDICT

CORRELATION = """
WITH pairs AS (
  SELECT * FROM __synthetic_pairs__
), compared AS (
  SELECT
    prof.column_a,
    prof.column_b,
    prof.real_correlation,
    COALESCE(__pick__, 0.0) AS synthetic_correlation
  FROM __profiled__ CROSS JOIN pairs AS s
), ranked AS (
  SELECT *, ABS(synthetic_correlation - real_correlation) AS diff FROM compared
), stat AS (
  SELECT
    column_a,
    column_b,
    real_correlation,
    synthetic_correlation,
    diff AS statistic,
    __threshold__ AS threshold
  FROM ranked
  ORDER BY diff DESC, column_a, column_b
  LIMIT 1
)""" + VERDICT
