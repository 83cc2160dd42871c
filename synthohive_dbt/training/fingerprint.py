"""Fingerprints of everything a trained table depends on.

A table is retrained when any input changes: its compiled SQL, its real rows (row
count plus an order-independent sum of row hashes, computed by DuckDB in one scan),
its declared columns and settings, the seed, the library version, or a parent's
fingerprint (the context a child learns from is the parent's data). Unchanged tables
are reused as they are.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import duckdb

from .. import __version__
from ..errors import TrainingError
from ..project.model import Table

if TYPE_CHECKING:
    from .plan import TablePlan


def digest(data: Any) -> str:
    """A short, stable hex digest of JSON-able ``data``."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def data_fingerprint(
    con: duckdb.DuckDBPyConnection, relation_sql: str, *, table: str
) -> dict[str, Any]:
    """Row count and an order-independent hash aggregate of ``relation_sql``'s rows."""
    sql = (
        f"SELECT count(*), CAST(coalesce(sum(hash(_r)), 0) AS VARCHAR) FROM ({relation_sql}) AS _r"
    )
    try:
        rows, total = con.execute(sql).fetchall()[0]
    except duckdb.Error as exc:
        raise TrainingError(
            f"cannot read the training rows of {table}: {str(exc).splitlines()[0]}",
            table=table,
            hint="run `shive validate` and `shive profile` to check the model's SQL and sources",
        ) from exc
    return {"rows": int(rows), "hash": total}


def table_inputs(
    table: Table,
    plan: TablePlan,
    data: dict[str, Any],
    parents: dict[str, str],
    *,
    seed: int,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The inputs of one table's training, as recorded in ``meta.json``."""
    return {
        "library": __version__,
        "sql": digest(table.compiled_sql),
        "data": data,
        "columns": digest([asdict(c) for c in table.columns]),
        "constraints": digest(
            [
                table.primary_key,
                [asdict(fk) for fk in table.foreign_keys],
                table.unique_keys,
                [asdict(c) for c in table.checks],
            ]
        ),
        "plan": plan.to_dict(),
        "synth": digest(settings),
        "seed": seed,
        "parents": dict(sorted(parents.items())),
    }
