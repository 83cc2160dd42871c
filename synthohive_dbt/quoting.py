"""Quoting of SQL identifiers and string literals: sqlglot's, the one path every stage uses.

No caller builds a quoted name by hand, so a name with a quote, a space or a keyword in it
is written the same way in profiling, training, generation, the targets and the emitted
tests. ``dialect`` is a sqlglot dialect name: DuckDB doubles ``"``, Spark doubles a backtick.
"""

from __future__ import annotations

from sqlglot import exp


def quote_identifier(name: str, dialect: str = "duckdb") -> str:
    """``name`` as one quoted identifier of ``dialect``."""
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def quote_literal(text: str, dialect: str = "duckdb") -> str:
    """``text`` as a string literal of ``dialect``."""
    return exp.Literal.string(text).sql(dialect=dialect)
