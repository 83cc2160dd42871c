"""The profile of Spark-resident models, computed on the cluster over all their rows.

A model is *Spark-resident* when everything it reads is a Spark source or another
Spark-resident model, and so are the parents of its foreign keys. Such a model is
profiled here, by Spark SQL over the whole table, and its entry has exactly the shape
:func:`synthohive_dbt.profiling.profile_table` writes (``docs/profile_json.md``); the
model's SQL is rendered for Spark by :func:`.sql.model_spark_sql`. Training still
reads the bounded sample cached by :mod:`.sources`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ProfileError
from ..profiling.columns import ProfileOptions, options_for
from ..profiling.correlations import correlation_columns
from ..profiling.relations import orphan_action, selected_synth_tables
from ..project.model import ForeignKey, Manifest, Table
from .aggregates import profile_columns, spark_columns
from .keys import (
    KeyCounts,
    child_counts,
    count_rows,
    judge_orphans,
    key_counts,
    key_entry,
    link_counts,
    training_relation,
)
from .runtime import require_pyspark, sql_frame
from .sources import is_spark_source, source_spark_relation
from .sql import model_spark_sql

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def spark_resident_tables(manifest: Manifest) -> list[str]:
    """Synth models (graph order) that read only Spark sources and Spark-resident models
    and whose foreign-key parents are Spark-resident too."""
    resident: list[str] = []
    for table in manifest.synth_tables():
        keys = [".".join(pair) for pair in table.sources]
        reads_spark = bool(keys) and all(
            k in manifest.sources and is_spark_source(manifest.sources[k]) for k in keys
        )
        upstream = set(table.refs) | {
            fk.parent for fk in table.foreign_keys if fk.parent != table.name
        }
        if reads_spark and upstream <= set(resident):
            resident.append(table.name)
    return resident


def model_relations(manifest: Manifest, names: Iterable[str]) -> dict[str, str]:
    """Each named model's rows as a parenthesised Spark SELECT (a FROM item)."""
    sources = {
        k: source_spark_relation(st) for k, st in manifest.sources.items() if is_spark_source(st)
    }
    return {n: f"({model_spark_sql(manifest, manifest.tables[n], sources)})" for n in names}


def profile_spark_tables(
    manifest: Manifest,
    spark: SparkSession,
    *,
    tables: Iterable[str] | None = None,
    options: ProfileOptions | None = None,
    known: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Profile entries of the Spark-resident models among ``tables`` (all when None).

    Parents are profiled first, so each child's orphans are judged against its parent's
    training rows; a parent not in ``tables`` is profiled but not returned, unless
    ``known`` (entries profiled earlier, e.g. by an earlier step of the same run) has
    it: its orphan counts are all a child needs.
    """
    require_pyspark("profiling a spark source", ProfileError)
    options = options or options_for(manifest)
    resident = spark_resident_tables(manifest)
    wanted = {t.name for t in selected_synth_tables(manifest, tables)} & set(resident)
    needed = _with_parents(manifest, wanted, resident)
    relations = model_relations(manifest, needed)
    training: dict[str, str] = {}
    out: dict[str, dict[str, Any]] = {}
    known = known or {}
    for name in (n for n in resident if n in needed):
        table = manifest.tables[name]
        parents = {
            fk.name: training[fk.parent] for fk in table.foreign_keys if fk.parent in training
        }
        if name in wanted or name not in known:
            entry = profile_spark_table(
                spark, relations[name], table, parents=parents, options=options
            )
        else:
            entry = known[name]
        orphans = {fk["name"]: fk["orphan_count"] for fk in entry["foreign_keys"]}
        training[name] = training_relation(
            table, relations[name], list(entry["columns"]), orphans, parents
        )
        if name in wanted:
            out[name] = entry
    return out


def _with_parents(manifest: Manifest, wanted: set[str], resident: list[str]) -> set[str]:
    needed = set(wanted)
    for name in reversed(resident):
        if name in needed:
            needed |= {fk.parent for fk in manifest.tables[name].foreign_keys} & set(resident)
    return needed


def profile_spark_table(
    spark: SparkSession,
    relation: str,
    table: Table,
    *,
    parents: Mapping[str, str] | None = None,
    options: ProfileOptions | None = None,
) -> dict[str, Any]:
    """The profile entry of one model whose rows are the Spark FROM item ``relation``.

    ``parents`` maps each foreign key's name to its parent's rows (a FROM item); keys
    without one are not profiled (and logged). A null or duplicate primary key, an empty
    table, or orphans under ``orphans: error`` raise a ProfileError.
    """
    require_pyspark("profiling a spark source", ProfileError)
    started = time.perf_counter()
    options = options or ProfileOptions()
    parents = dict(parents or {})
    frame = sql_frame(spark, f"SELECT * FROM {relation} AS _t", table=table.name,
                      what="read the model", error=ProfileError)  # fmt: skip
    columns = spark_columns(frame.schema, table)
    counts = key_counts(spark, table, relation)
    source_rows = counts.rows
    if source_rows == 0:
        raise ProfileError(f"model {table.name} has no rows on Spark; there is nothing to learn from",
                           table=table.name, hint="check the Spark table and any filter in the model")  # fmt: skip
    primary = (
        key_entry(spark, table, relation, table.primary_key, counts, primary=True)
        if table.primary_key else None
    )  # fmt: skip
    unique = [
        key_entry(spark, table, relation, cols, counts, primary=False) for cols in table.unique_keys
    ]
    names = [c.name for c in columns]
    links = _check_foreign_keys(spark, table, relation, names, counts, parents)
    orphans = {name: link[1] for name, link in links.items()}
    rows_relation = training_relation(table, relation, names, orphans, parents)
    rows = source_rows if rows_relation == relation else count_rows(spark, table, rows_relation)
    if rows == 0:
        raise ProfileError(
            f"model {table.name} has {source_rows} rows, but none is left once orphan rows are left out",
            table=table.name, hint="check the foreign keys' to_columns, or set orphans: null",
        )  # fmt: skip
    correlated = correlation_columns(
        table, [c.spec for c in columns], options.max_correlation_columns
    )
    stats, correlations = profile_columns(spark, table.name, rows_relation, columns, options, rows,
                                          correlated)  # fmt: skip
    entry = {
        "row_count": rows,
        "source_row_count": source_rows,
        "mode": table.synth.mode,
        "columns": stats,
        "primary_key": primary,
        "unique_keys": unique,
        "foreign_keys": [
            _fk_entry(fk, source_rows, *links[fk.name])
            for fk in table.foreign_keys
            if fk.name in links
        ],
        "correlations": correlations,
    }
    log.info("profiled %s on Spark: %d rows, %d columns in %.2fs",
             table.name, rows, len(columns), time.perf_counter() - started)  # fmt: skip
    return entry


def _check_foreign_keys(
    spark: SparkSession,
    table: Table,
    relation: str,
    names: list[str],
    counts: KeyCounts,
    parents: Mapping[str, str],
) -> dict[str, tuple[int, int, dict[str, Any]]]:
    """Per foreign key with a known parent: (null keys, orphans, child counts), policy applied.

    Child counts are over the training rows: when some key has orphans, rows it drops
    (or whose key it nulls) change the others' counts, so they are counted again there.
    """
    out: dict[str, tuple[int, int, dict[str, Any]]] = {}
    for fk in table.foreign_keys:
        if fk.name not in parents:
            log.warning(
                "%s: parent %s of %s is not on Spark; key not profiled",
                table.name,
                fk.parent,
                fk.name,
            )
            continue
        orphans, children = link_counts(spark, table, relation, fk, parents[fk.name])
        judge_orphans(table, fk, counts.rows, orphans)
        out[fk.name] = (counts.fk_nulls[fk.name], orphans, children)
    orphans_by_key = {name: link[1] for name, link in out.items()}
    if any(orphans_by_key.values()):
        rows_relation = training_relation(table, relation, names, orphans_by_key, parents)
        for name, (nulls, orphans, _) in out.items():
            fk = next(k for k in table.foreign_keys if k.name == name)
            out[name] = (
                nulls,
                orphans,
                child_counts(spark, table, rows_relation, fk, parents[name]),
            )
    return out


def _fk_entry(fk: ForeignKey, source_rows: int, nulls: int, orphans: int,
              children: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    return {
        "name": fk.name,
        "columns": fk.columns,
        "parent": fk.parent,
        "parent_columns": fk.parent_columns,
        "null_count": nulls,
        "null_rate": nulls / source_rows if source_rows else 0.0,
        "orphan_count": orphans,
        "orphan_policy": fk.orphan_policy,
        "orphan_action": orphan_action(fk) if orphans else "none",
        "child_count": children,
    }
