"""Key checks on the real data: empty tables, primary and unique keys, orphan foreign keys.

A synthetic copy keeps every key intact, so the real data it learns from must do so
too. These checks run before profiling; each returns a :class:`KeyFinding` with the
counts behind it, and the ones that make profiling meaningless (an empty table, a null
or duplicate primary key, orphans under ``orphans: error``) become a
:class:`~synthohive_dbt.errors.ProfileError` that names the table, the key, the counts,
an example, and the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..project.model import ForeignKey, Manifest, Table
from ..quoting import quote_identifier
from .findings import KeyFinding
from .relations import orphan_action, parent_relation_sql, selected_synth_tables
from .sql import all_not_null, any_null, col, fetch_all, key_label, keys_equal

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

logger = logging.getLogger(__name__)

#: how many orphan keys an error message shows as examples
_EXAMPLES = 3


def check_keys(
    manifest: Manifest,
    con: DuckDBPyConnection,
    *,
    tables: Iterable[str] | None = None,
    raise_errors: bool = True,
) -> list[KeyFinding]:
    """Check every synth model (or ``tables``) in graph order; return all findings.

    Warnings are logged. When ``raise_errors`` is set, the first failed check is raised
    as a ProfileError once all tables were checked (the others are logged), so a user
    sees every broken key in one run.
    """
    findings: list[KeyFinding] = []
    for table in selected_synth_tables(manifest, tables):
        findings.extend(check_table_keys(manifest, con, table, findings=findings))
    for finding in findings:
        if finding.status == "warn":
            logger.warning("%s: %s", finding.table, finding.message)
    errors = [f for f in findings if f.failed]
    if errors and raise_errors:
        for extra in errors[1:]:
            logger.error("%s", extra.to_error())
        more = (
            f" (and {len(errors) - 1} more key problem(s), logged above)" if len(errors) > 1 else ""
        )
        raise errors[0].to_error(suffix=more)
    return findings


def check_table_keys(
    manifest: Manifest,
    con: DuckDBPyConnection,
    table: Table,
    *,
    findings: Sequence[KeyFinding] = (),
) -> list[KeyFinding]:
    """The findings for one table; ``findings`` of its parents make orphan checks cheaper."""
    rows, pk_nulls = _count_rows(con, table)
    if rows == 0:
        return [_empty_table(manifest, table)]
    out = [KeyFinding(table.name, "rows", [], "pass", f"{rows} rows", row_count=rows)]
    if table.primary_key:
        out.append(_check_unique(con, table, table.primary_key, rows, pk_nulls, primary=True))
    for columns in table.unique_keys:
        out.append(_check_unique(con, table, columns, rows, 0, primary=False))
    for fk in table.foreign_keys:
        out.append(_check_foreign_key(manifest, con, table, fk, rows, [*findings, *out]))
    return out


# ---- row count ------------------------------------------------------------------------
def _count_rows(con: DuckDBPyConnection, table: Table) -> tuple[int, int]:
    """Rows of the model view, and rows with a null in the primary key."""
    pk_nulls = (
        f"count(*) FILTER (WHERE {any_null('_t', table.primary_key)})" if table.primary_key else "0"
    )
    sql = f"SELECT count(*), {pk_nulls} FROM {quote_identifier(table.name)} AS _t"
    ((rows, nulls),) = fetch_all(con, sql, table=table.name, what="count the rows")
    return int(rows), int(nulls)


def _empty_table(manifest: Manifest, table: Table) -> KeyFinding:
    locations = [
        manifest.sources[key].location or manifest.sources[key].relation
        for key in (".".join(pair) for pair in table.sources)
        if key in manifest.sources
    ]
    read = f" (it reads {', '.join(locations)})" if locations else ""
    return KeyFinding(
        table.name,
        "rows",
        [],
        "error",
        f"model {table.name} has no rows{read}; there is nothing to learn from",
        hint=f"check the source data and any filter in {table.path}, "
        "or leave the model out with --exclude",
    )


# ---- primary and unique keys -----------------------------------------------------------
def _check_unique(
    con: DuckDBPyConnection,
    table: Table,
    columns: list[str],
    rows: int,
    nulls: int,
    *,
    primary: bool,
) -> KeyFinding:
    what = "primary key" if primary else "unique key"
    label = key_label(columns)
    check = "primary_key" if primary else "unique"
    dup_keys, dup_rows, example = _duplicates(con, table, columns)
    base = KeyFinding(
        table.name, check, list(columns), "pass", f"{what} {label} is unique",
        row_count=rows, null_count=nulls, duplicate_keys=dup_keys, duplicate_count=dup_rows,
    )  # fmt: skip
    if nulls and primary:
        base.status = "error"
        base.message = f"{what} {label} of {table.name} is null in {nulls} of {rows} rows"
        base.hint = (
            f"filter them out in {table.path} (where {' and '.join(c + ' is not null' for c in columns)}) "
            "or declare the columns that really identify a row"
        )
    elif dup_keys:
        base.status = "error"
        base.message = (
            f"{what} {label} of {table.name} is not unique: {dup_keys} key value(s) occur more than "
            f"once ({dup_rows} duplicate rows); e.g. {example}"
        )
        base.hint = (
            f"deduplicate in {table.path} (e.g. qualify row_number() over (partition by "
            f"{', '.join(columns)} order by ...) = 1) or declare the right key columns in schema.yml"
        )
    return base


def _duplicates(con: DuckDBPyConnection, table: Table, columns: list[str]) -> tuple[int, int, str]:
    """(key values occurring more than once, surplus rows, an example) over non-null keys.

    The common case (no duplicates) costs one ``count(DISTINCT ...)``, the cheapest
    exact test DuckDB has; the grouping that finds the examples runs only on failure.
    """
    keys = ", ".join(col("_t", c) for c in columns)
    key = keys if len(columns) == 1 else f"row({keys})"
    source = f"FROM {quote_identifier(table.name)} AS _t WHERE {all_not_null('_t', columns)}"
    sql = f"SELECT count(*) - count(DISTINCT {key}) {source}"
    what = f"check key {key_label(columns)}"
    ((dup_rows,),) = fetch_all(con, sql, table=table.name, what=what)
    if not dup_rows:
        return 0, 0, ""
    grouped = f"SELECT {keys}, count(*) AS _n {source} GROUP BY {keys} HAVING count(*) > 1"
    ((dup_keys,),) = fetch_all(
        con, f"SELECT count(*) FROM ({grouped})", table=table.name, what=what
    )
    example_sql = f"{grouped} ORDER BY _n DESC, {keys} LIMIT 1"
    ((*values, count),) = fetch_all(con, example_sql, table=table.name, what="find a duplicate key")
    example = _render_key(columns, values, private=_private(table))
    return int(dup_keys), int(dup_rows), f"{example} occurs {count} times"


# ---- foreign keys ----------------------------------------------------------------------
def _check_foreign_key(
    manifest: Manifest,
    con: DuckDBPyConnection,
    table: Table,
    fk: ForeignKey,
    rows: int,
    findings: Sequence[KeyFinding],
) -> KeyFinding:
    parent = parent_relation_sql(manifest, table.name, fk, findings=findings)
    nulls, orphans = _count_orphans(con, table, fk, parent)
    finding = KeyFinding(
        table.name, "foreign_key", list(fk.columns), "pass",
        f"foreign key {key_label(fk.columns)} -> {fk.parent}: every key has a parent row",
        row_count=rows, null_count=nulls, orphan_count=orphans, parent=fk.parent,
        parent_columns=list(fk.parent_columns), fk_name=fk.name, policy=fk.orphan_policy,
    )  # fmt: skip
    if orphans:
        # a key into a PII column holds that PII, declared on the child or not
        hidden = _private(manifest.tables[fk.parent])
        private = _private(table) | {
            c for c, pc in zip(fk.columns, fk.parent_columns) if pc in hidden
        }
        examples = _orphan_examples(con, table, fk, parent, private)
        _apply_orphan_policy(finding, table, fk, examples)
    return finding


def _count_orphans(
    con: DuckDBPyConnection, table: Table, fk: ForeignKey, parent: str
) -> tuple[int, int]:
    """Rows with a null key, and rows whose complete key matches no parent row."""
    parent_keys = ", ".join(col("_q", c) for c in fk.parent_columns)
    sql = (
        f"SELECT count(*) FILTER (WHERE {any_null('_c', fk.columns)}), "
        f"count(*) FILTER (WHERE {all_not_null('_c', fk.columns)} AND _p._shive_present IS NULL) "
        f"FROM {quote_identifier(table.name)} AS _c "
        f"LEFT JOIN (SELECT DISTINCT {parent_keys}, TRUE AS _shive_present FROM {parent} AS _q) AS _p "
        f"ON {keys_equal('_c', fk.columns, '_p', fk.parent_columns)}"
    )
    ((nulls, orphans),) = fetch_all(con, sql, table=table.name, what=f"check foreign key {fk.name}")
    return int(nulls), int(orphans)


def _orphan_examples(
    con: DuckDBPyConnection, table: Table, fk: ForeignKey, parent: str, private: frozenset[str]
) -> str:
    keys = ", ".join(col("_c", c) for c in fk.columns)
    sql = (
        f"SELECT {keys}, count(*) AS _n FROM {quote_identifier(table.name)} AS _c "
        f"WHERE {all_not_null('_c', fk.columns)} AND NOT EXISTS (SELECT 1 FROM {parent} AS _p "
        f"WHERE {keys_equal('_p', fk.parent_columns, '_c', fk.columns)}) "
        f"GROUP BY {keys} ORDER BY _n DESC, {keys} LIMIT {_EXAMPLES}"
    )
    rows = fetch_all(con, sql, table=table.name, what=f"find orphans of {fk.name}")
    return ", ".join(
        f"{_render_key(fk.columns, values, private=private)} ({_rows(n)})" for *values, n in rows
    )


def _apply_orphan_policy(finding: KeyFinding, table: Table, fk: ForeignKey, examples: str) -> None:
    """Set the finding's status, action, message and hint from the key's orphan_policy."""
    share = finding.orphan_count / finding.row_count
    finding.message = (
        f"foreign key {key_label(fk.columns)} of {table.name} -> {fk.parent}({', '.join(fk.parent_columns)}): "
        f"{finding.orphan_count} of {finding.row_count} rows ({share:.2%}) have no parent row; e.g. {examples}"
    )
    policy = fk.orphan_policy
    finding.action = orphan_action(fk)
    if policy == "error":
        finding.status = "error"
        finding.hint = (
            f"fix the source data, or set orphans: drop (leave the rows out of training) or "
            f"orphans: null (null their key) in the config of model {table.name}"
        )
    elif policy == "warn":
        finding.status = "warn"
        finding.message += "; they are left out of training"
        finding.hint = (
            f"set orphans: drop in the config of model {table.name} to accept this silently, "
            "or orphans: error to fail"
        )
    elif policy == "null":
        finding.message += "; their key is set to null for training"
        required = [c for c in fk.columns if _declared_not_null(table, c)]
        if required:
            finding.status = "error"
            finding.message += f", but {', '.join(required)} is declared not null"
            finding.hint = (
                f"use orphans: drop for model {table.name}, or remove the not_null constraint"
            )
    else:
        finding.message += "; they are left out of training"
    if finding.status == "pass":
        logger.info("%s: %s", table.name, finding.message)


def _declared_not_null(table: Table, column: str) -> bool:
    try:
        return not table.column(column).nullable
    except KeyError:
        return False


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _render_key(
    columns: Sequence[str], values: Sequence[Any], *, private: frozenset[str] = frozenset()
) -> str:
    """``col=value, ...``; a PII column's value is never shown (messages reach the logs
    and profile.json): its length stands in for it."""
    return ", ".join(
        f"{c}=<PII, {len(str(v))} characters>" if c in private
        else f"{c}={v!r}" if isinstance(v, str) else f"{c}={v}"
        for c, v in zip(columns, values)
    )  # fmt: skip


def _private(table: Table) -> frozenset[str]:
    """The columns declared PII (a hashed key, say) whose raw values a message may not show."""
    return frozenset(
        c.name for c in table.columns if c.pii is not None and c.pii.action != "keep"
    )
