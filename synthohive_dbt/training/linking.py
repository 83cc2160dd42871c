"""Fit a table's linkage models and key shapes on the real data (``linkage.json``).

All heavy lifting is SQL in DuckDB over the model views: children per parent row
(parents without children included, by a LEFT JOIN from the parent), the null rate of
the primary foreign key, each child's secondary parent attributes next to its primary
parent's (a hierarchy: next to its own values). Each read is bounded
by a seeded hash sample of at most ``max_rows`` rows. Only the fitted aggregates
(histograms, bin edges, category labels seen at least ``privacy.min_count`` times) are
stored; a hierarchy's root value that is rarer is stored as a stand-in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd

from ..duckdb_arrow import query_arrow
from ..errors import TrainingError
from ..privacy.policy import privacy_min_count
from ..profiling.relations import parent_relation_sql, training_relation_sql
from ..profiling.sql import any_null, col, keys_equal
from ..project.model import ForeignKey, Manifest, Table
from ..quoting import quote_identifier
from ..relations.frames import arrow_to_frame
from ..relations.hierarchy import DEPTH
from ..relations.keys import learn_key_spec
from ..relations.linkage import ChildCountModel
from ..relations.secondary import SecondaryLinkModel
from .hierarchy import fit_hierarchy
from .plan import TablePlan, foreign_key
from .reading import seeded_order

logger = logging.getLogger(__name__)

#: 2: a primary parent's child links its secondary parents by the primary parent's
#: attributes, before its values are generated (``by: primary``)
LINKAGE_FORMAT_VERSION = 2
#: rows read to fit a linkage model (a seeded sample beyond that)
MAX_LINK_ROWS = 200_000
#: real key values sampled to learn a key's shape
KEY_SAMPLE = 200
_COUNT = "__shive_n"
_NULL = "__shive_null"
_PARENT = "__shive_p_"
T = TypeVar("T")


def fit_linkage(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    table: Table,
    plan: TablePlan,
    *,
    value_columns: Sequence[str],
    context_for: dict[str, list[str]],
    seed: int,
    max_rows: int = MAX_LINK_ROWS,
) -> dict[str, Any]:
    """The ``linkage.json`` document of ``table``.

    ``value_columns``: the child's model columns a hierarchy's secondary parent may
    depend on (a primary parent's child links its secondary parents by that parent's
    attributes, ``context_for`` of it);
    ``context_for``: per parent table, the safe attribute columns linkage may use.
    """
    reader = _Reader(con, manifest, table, seed, max_rows)
    min_count = privacy_min_count(manifest)  # no bin, rule or label of a rarer value
    doc: dict[str, Any] = {
        "format_version": LINKAGE_FORMAT_VERSION,
        "primary": None,
        "secondary": {},
        "keys": {},
    }
    primary_rows = None  # the primary parent's sampled rows: where its values are counted
    if plan.primary_fk:
        fk = foreign_key(table, plan.primary_fk)
        counts, parents = reader.children_per_parent(fk, context_for.get(fk.parent, []))
        primary_rows = parents
        family = table.synth.count_model
        model = ChildCountModel.fit(
            counts, parents, _kinds(manifest.tables[fk.parent]), family=family, min_count=min_count
        )
        doc["primary"] = {
            "fk": fk.name,
            "counts": model.to_dict(),
            "null_rate": reader.null_rate(fk),
        }
    if plan.hierarchy_fk:
        family = table.synth.count_model
        fk = foreign_key(table, plan.hierarchy_fk)
        attrs = [c for c in plan.context_columns if c != DEPTH]
        doc["hierarchy"] = fit_hierarchy(
            con, manifest, table, fk, attrs=attrs, seed=seed, family=family, min_count=min_count
        )
    for name in plan.secondary_fks:
        fk = foreign_key(table, name)
        attrs = context_for.get(fk.parent, [])
        degrees, parents = reader.children_per_parent(fk, attrs)
        if plan.primary_fk:
            # chosen before the child's values: by what is known then, its primary parent
            primary = foreign_key(table, plan.primary_fk)
            known = context_for.get(primary.parent, [])
            children, linked, is_null = reader.links(fk, known, attrs, via=primary)
            known_kinds, by = _kinds(manifest.tables[primary.parent]), "primary"
        else:  # a hierarchy's: after its values, by them
            children, linked, is_null = reader.links(fk, list(value_columns), attrs)
            known_kinds, by = _kinds(table), "values"
        link = SecondaryLinkModel.fit(
            children,
            linked,
            is_null,
            degrees,
            parents,
            child_kinds=known_kinds,
            parent_kinds=_kinds(manifest.tables[fk.parent]),
            min_count=min_count,
            by=by,
            counted_on=primary_rows if by == "primary" else None,
        )
        logger.debug(
            "%s: %s links by %s ~ %s",
            table.name,
            name,
            link.child_columns,
            [f.column for f in link.parent_features],
        )
        doc["secondary"][name] = link.to_dict()
    for column in plan.sequence_columns:
        values = reader.key_sample(column)
        data_type = table.column(column).data_type
        spec = learn_key_spec(values, data_type, column=column, min_count=min_count)
        doc["keys"][column] = spec.to_dict()
    return doc


def _kinds(table: Table) -> dict[str, str]:
    return {c.name: c.kind for c in table.columns}


class _Reader:
    """The SQL reads behind :func:`fit_linkage`, over one child table."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        manifest: Manifest,
        table: Table,
        seed: int,
        max_rows: int,
    ) -> None:
        self.con = con
        self.manifest = manifest
        self.table = table
        self.seed = int(seed)
        self.max_rows = int(max_rows)
        self.child_sql = f"({training_relation_sql(manifest, table.name)})"

    def children_per_parent(
        self, fk: ForeignKey, attrs: list[str]
    ) -> tuple[np.ndarray, pd.DataFrame]:
        """Children of each (sampled) parent row, and those rows' ``attrs``."""
        parent = parent_relation_sql(self.manifest, self.table.name, fk)
        selected = ", ".join(col("p", c) for c in [*fk.parent_columns, *attrs])
        grouped = (
            f"SELECT {selected}, count({col('c', fk.columns[0])}) AS {quote_identifier(_COUNT)} "
            f"FROM {parent} AS p LEFT JOIN {self.child_sql} AS c "
            f"ON {keys_equal('c', fk.columns, 'p', fk.parent_columns)} GROUP BY ALL"
        )
        order = ", ".join(col("g", c) for c in fk.parent_columns)
        sql = f"SELECT * FROM ({grouped}) AS g ORDER BY hash({order}, {self.seed}) LIMIT {self.max_rows}"
        frame = self._frame(sql, f"count the children of {fk.parent}")
        counts = frame[_COUNT].to_numpy(dtype=np.int64)
        return counts, frame[attrs].reset_index(drop=True)

    def null_rate(self, fk: ForeignKey) -> float:
        sql = (
            f"SELECT count(*), count(*) FILTER (WHERE {any_null('c', fk.columns)}) "
            f"FROM {self.child_sql} AS c"
        )
        total, nulls = self._rows(sql, f"count null keys of {fk.name}")[0]
        return float(nulls) / total if total else 0.0

    def links(
        self, fk: ForeignKey, values: list[str], attrs: list[str], *, via: ForeignKey | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
        """(child values, their parent's attributes, null-key flags) for sampled child rows;
        with ``via``, ``values`` are columns of that (primary) parent of the row instead
        (null where its key is null)."""
        parent = parent_relation_sql(self.manifest, self.table.name, fk)
        known, via_join = "c", ""
        if via is not None:
            primary = parent_relation_sql(self.manifest, self.table.name, via)
            on = keys_equal("c", via.columns, "v", via.parent_columns)
            known, via_join = "v", f"LEFT JOIN {primary} AS v ON {on} "
        selected = [f"{col(known, v)} AS {quote_identifier(v)}" for v in values]
        selected += [f"{col('s', a)} AS {quote_identifier(_PARENT + a)}" for a in attrs]
        selected.append(f"({any_null('c', fk.columns)}) AS {quote_identifier(_NULL)}")
        order = seeded_order(self.table, self.seed)
        sql = (
            f"SELECT {', '.join(selected)} FROM {self.child_sql} AS c {via_join}"
            f"LEFT JOIN {parent} AS s ON {keys_equal('c', fk.columns, 's', fk.parent_columns)} "
            f"ORDER BY {order} LIMIT {self.max_rows}"
        )
        frame = self._frame(sql, f"read the links of {fk.name}")
        linked = frame[[_PARENT + a for a in attrs]]
        linked.columns = attrs
        return frame[values], linked, frame[_NULL].to_numpy(dtype=bool)

    def key_sample(self, column: str) -> list[Any]:
        c = col("c", column)
        sql = (
            f"SELECT DISTINCT {c} FROM {self.child_sql} AS c WHERE {c} IS NOT NULL "
            f"ORDER BY hash({c}, {self.seed}) LIMIT {KEY_SAMPLE}"
        )
        return [row[0] for row in self._rows(sql, f"sample key {column}")]

    # ---- helpers ---------------------------------------------------------------------
    def _frame(self, sql: str, what: str) -> pd.DataFrame:
        return arrow_to_frame(self._run(sql, what, lambda: query_arrow(self.con, sql)))

    def _rows(self, sql: str, what: str) -> list[tuple[Any, ...]]:
        return self._run(sql, what, lambda: self.con.execute(sql).fetchall())

    def _run(self, sql: str, what: str, fetch: Callable[[], T]) -> T:
        logger.debug("%s: %s\n%s", self.table.name, what, sql)
        try:
            return fetch()
        except duckdb.Error as exc:
            raise TrainingError(
                f"could not {what}: {str(exc).splitlines()[0]}",
                table=self.table.name,
                hint="run `shive validate` and `shive profile` to check the models and keys",
            ) from exc
