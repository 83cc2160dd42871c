"""The most frequent values of each column, and exact distinct counts where affordable.

* Columns with at most ``ProfileOptions.max_exact_distinct`` (estimated) distinct values
  are grouped exactly, all together in one ``GROUP BY GROUPING SETS`` pass: the number of
  groups is the exact distinct count, the largest groups are the top values.
* Columns with more distinct values (ids, e-mails, continuous measures of a large
  table) would need a hash table as large as the column. Instead a heavy-hitters sketch
  (``approx_top_k``) proposes candidates and a second pass counts them exactly; any
  value more frequent than 1/(2 * top_k) of the rows is found. Their distinct count stays
  the HyperLogLog estimate of the moments query.

Values are compared as their DuckDB types and returned as text. A value seen fewer than
``min_value_count`` times is dropped here, and a PII column's values are replaced by
NULL inside DuckDB, so neither ever reaches Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..quoting import quote_identifier
from .sql import fetch_all

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from .columns import ColumnSpec, ProfileOptions

#: column name -> (distinct count or None, [(value, count), ...] most frequent first)
Frequencies = dict[str, tuple[int | None, list[tuple[str, int]]]]


def exact_frequencies(
    con: DuckDBPyConnection,
    table: str,
    relation: str,
    specs: list[ColumnSpec],
    options: ProfileOptions,
) -> Frequencies:
    """Exact distinct counts and top values of ``specs``, in one grouping-sets pass."""
    if not specs:
        return {}
    sql = grouping_sets_sql(
        f"({relation})",
        [quote_identifier(s.name) for s in specs],
        [s.pii for s in specs],
        int(options.top_k),
        text_type="VARCHAR",
    )
    out: Frequencies = {}
    rows = fetch_all(con, sql, table=table, what="count column values")
    add_frequency_rows(out, [s.name for s in specs], rows, options.min_value_count)
    return out


def grouping_sets_sql(
    source: str, names: Sequence[str], pii: Sequence[bool], top_k: int, *, text_type: str
) -> str:
    """One GROUPING SETS query: per column, its distinct count and ``top_k`` values.

    ``source`` is the FROM item (a table, or a query in parentheses), ``names`` the
    quoted columns, ``text_type`` the dialect's string type (DuckDB and Spark share the
    rest). Rows are ``(set index, value or NULL for PII, count, distinct count)``.
    """
    which = " ".join(f"WHEN GROUPING({n}) = 0 THEN {i}" for i, n in enumerate(names))
    value = " ".join(f"WHEN GROUPING({n}) = 0 THEN CAST({n} AS {text_type})" for n in names)
    grouped = (
        f"SELECT CASE {which} END AS _set, CASE {value} END AS _value, count(*) AS _n "
        f"FROM {source} AS _t GROUP BY GROUPING SETS ({', '.join(f'({n})' for n in names)})"
    )
    ranked = (
        f"SELECT _set, _value, _n, count(*) OVER (PARTITION BY _set) AS _distinct, "
        f"row_number() OVER (PARTITION BY _set ORDER BY _n DESC, _value) AS _rank "
        f"FROM ({grouped}) AS _g WHERE _value IS NOT NULL"
    )
    return (
        f"SELECT _set, {_hidden(pii)}, _n, _distinct FROM ({ranked}) AS _r "
        f"WHERE _rank <= {int(top_k)} ORDER BY _set, _rank"
    )


def add_frequency_rows(
    out: Frequencies,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    min_value_count: int,
) -> None:
    """Fold :func:`grouping_sets_sql` rows into ``out``; every name ends up with an entry.

    A value is kept when seen at least ``min_value_count`` times; a column with no
    non-null value has no group at all, so it gets ``(0, [])``.
    """
    for index, val, count, distinct in rows:
        _, top = out.setdefault(names[index], (int(distinct), []))
        if val is not None and count >= min_value_count:
            top.append((val, int(count)))
    for name in names:
        out.setdefault(name, (0, []))


def heavy_hitters(
    con: DuckDBPyConnection,
    table: str,
    relation: str,
    specs: list[ColumnSpec],
    options: ProfileOptions,
) -> Frequencies:
    """Top values of high-cardinality ``specs``: sketch candidates, then exact counts."""
    specs = [s for s in specs if not s.pii]  # nothing of a PII column would be kept
    if not specs:
        return {}
    names = [quote_identifier(s.name) for s in specs]
    k = 2 * int(options.top_k)
    sketches = ", ".join(f"approx_top_k({n}, {k}) AS _k{i}" for i, n in enumerate(names))
    branches = " UNION ALL ".join(
        f"SELECT {i} AS _set, CAST(_t.{n} AS VARCHAR) AS _value, count(*) AS _n "
        f"FROM ({relation}) AS _t, _cand WHERE list_contains(_cand._k{i}, _t.{n}) GROUP BY _t.{n}"
        for i, n in enumerate(names)
    )
    sql = (
        f"WITH _cand AS (SELECT {sketches} FROM ({relation}) AS _t) "
        f"SELECT _set, _value, _n FROM ({branches}) "
        f"WHERE _n >= {int(options.min_value_count)} "
        f"QUALIFY row_number() OVER (PARTITION BY _set ORDER BY _n DESC, _value) <= {int(options.top_k)} "
        f"ORDER BY _set, _n DESC, _value"
    )
    out: Frequencies = {s.name: (None, []) for s in specs}
    for index, val, count in fetch_all(con, sql, table=table, what="find frequent values"):
        out[specs[index].name][1].append((val, int(count)))
    return out


def _hidden(pii: Sequence[bool]) -> str:
    """The value column, NULL for PII columns: they contribute their distinct count only."""
    pii_sets = [str(i) for i, hidden in enumerate(pii) if hidden]
    if not pii_sets:
        return "_value"
    return f"CASE WHEN _set IN ({', '.join(pii_sets)}) THEN NULL ELSE _value END"
