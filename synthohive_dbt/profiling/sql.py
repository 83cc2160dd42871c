"""Small SQL building blocks for profiling: quoting, key predicates, running a query.

Every identifier that reaches SQL here comes from the project's configuration (a model
or column name), so it is always quoted with :func:`quote_identifier`; no value of real data
is ever pasted into SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import ProfileError
from ..quoting import quote_identifier

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyPredicates:
    """Column references and key predicates in one dialect, named by its ``quote``.

    DuckDB and Spark differ only in how an identifier is quoted, so one set of builders
    serves both: this module exposes DuckDB's, ``spark.sql`` Spark's.
    """

    quote: Callable[[str], str]

    def col(self, alias: str, name: str) -> str:
        """``alias.<quoted name>``; ``alias`` is always one of this package's fixed aliases."""
        return f"{alias}.{self.quote(name)}"

    def all_not_null(self, alias: str, columns: Sequence[str]) -> str:
        """True when every one of ``columns`` is non-null (a key that can reference a parent)."""
        return " AND ".join(f"{self.col(alias, c)} IS NOT NULL" for c in columns)

    def any_null(self, alias: str, columns: Sequence[str]) -> str:
        """True when at least one of ``columns`` is null."""
        return " OR ".join(f"{self.col(alias, c)} IS NULL" for c in columns)

    def keys_equal(
        self, left: str, left_cols: Sequence[str], right: str, right_cols: Sequence[str]
    ) -> str:
        """Column-by-column equality of a (possibly composite) key across two aliases."""
        return " AND ".join(
            f"{self.col(left, lc)} = {self.col(right, rc)}"
            for lc, rc in zip(left_cols, right_cols, strict=True)
        )


#: DuckDB's builders, as the module-level names the profiling and training code import
DUCKDB = KeyPredicates(quote_identifier)
col = DUCKDB.col
all_not_null = DUCKDB.all_not_null
any_null = DUCKDB.any_null
keys_equal = DUCKDB.keys_equal


def key_label(columns: Sequence[str]) -> str:
    """``(a, b)`` for a composite key, ``a`` for a single column: how messages name a key."""
    return columns[0] if len(columns) == 1 else "(" + ", ".join(columns) + ")"


def fetch_all(con: DuckDBPyConnection, sql: str, *, table: str, what: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` and return its rows, turning a DuckDB failure into a ProfileError.

    ``what`` says what the query was for ("count the rows", ...), so the message tells
    the user which step failed rather than only DuckDB's words.
    """
    logger.debug("profiling %s: %s\n%s", table, what, sql)
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException as exc:
        raise ProfileError(
            f"could not {what}: {_first_line(exc)}",
            table=table,
            hint="the model must be registered as a view over its compiled SQL; "
            "run `shive validate` to check the model and its sources",
        ) from exc
    except duckdb.Error as exc:
        raise ProfileError(
            f"could not {what}: {_first_line(exc)}",
            table=table,
            hint="check that the model's SQL runs against the real data and that its "
            "source files exist (`shive debug`, `shive validate`)",
        ) from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
