"""Between Arrow (what engines speak) and pandas (what the synthesizer speaks).

Real rows (DuckDB) and generated parents read back from a target (Arrow batches of the
target's types) must reach the synthesizer with the *same* pandas dtypes, or a
context column trained as float would come back as ``Decimal`` objects. One function,
:func:`arrow_to_frame`, does that conversion for both.

On the way out, :class:`ChunkCaster` turns a generated frame into a record batch of
exactly the table's declared DuckDB types (DuckDB does the casting), and evaluates
row filters (check expressions) over a chunk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp

from ..duckdb_arrow import query_arrow
from ..errors import GenerationError
from ..quoting import quote_identifier

if TYPE_CHECKING:
    from ..project.model import Table

_CHUNK = "__shive_chunk"
_ROW = "__shive_row"


def arrow_to_frame(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """A pandas frame with engine-independent dtypes: decimals as float64, dates as
    datetime64, nulls in integer columns as float NaN."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_decimal(field.type):
            column = column.cast(pa.float64())
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=table.schema.names)
    return table.to_pandas(date_as_object=False)


def duckdb_type(data_type: str, *, table: str, column: str) -> str:
    """``data_type`` re-rendered by sqlglot, so only a real type reaches SQL."""
    try:
        return exp.DataType.build(data_type, dialect="duckdb").sql(dialect="duckdb")
    except (sqlglot.errors.ParseError, ValueError) as exc:
        raise GenerationError(
            f"column type {data_type!r} is not a DuckDB type",
            table=table,
            column=column,
            hint="run `shive validate`; the manifest's column types come from DuckDB",
        ) from exc


class ChunkCaster:
    """Casts generated frames to a table's declared types, and filters rows by SQL.

    Uses a private in-memory DuckDB connection; nothing here touches the target.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = table.column_names
        self.types = {
            c.name: duckdb_type(c.data_type, table=table.name, column=c.name) for c in table.columns
        }
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET threads = 1")
        select = ", ".join(f"CAST(NULL AS {self.types[c]}) AS {quote_identifier(c)}" for c in self.columns)
        self.schema: pa.Schema = query_arrow(self.con, f"SELECT {select} LIMIT 0").schema

    def close(self) -> None:
        self.con.close()

    def to_batch(self, frame: pd.DataFrame) -> pa.RecordBatch:
        """``frame`` (all table columns) as a record batch of :attr:`schema`."""
        select = ", ".join(
            f"CAST({quote_identifier(c)} AS {self.types[c]}) AS {quote_identifier(c)}" for c in self.columns
        )
        arrow = self._register(frame)
        try:
            result = query_arrow(self.con, f"SELECT {select} FROM {_CHUNK}")
        except duckdb.Error as exc:
            raise GenerationError(
                f"generated rows of {self.table.name} do not fit the declared types: "
                f"{str(exc).splitlines()[0]}",
                table=self.table.name,
                hint="retrain the table (`shive train --full-refresh`) after changing column types",
            ) from exc
        finally:
            self.con.unregister(_CHUNK)
        del arrow
        result = result.cast(self.schema)
        batches = result.combine_chunks().to_batches()
        return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=self.schema)

    def failing_rows(self, frame: pd.DataFrame, predicate: str) -> np.ndarray:
        """Positions of rows of ``frame`` for which SQL ``predicate`` is false."""
        if not predicate or frame.empty:
            return np.zeros(0, dtype=np.int64)
        data = frame.reset_index(drop=True).assign(**{_ROW: np.arange(len(frame))})
        self._register(data)
        try:
            rows = self.con.execute(
                f"SELECT {_ROW} FROM {_CHUNK} WHERE ({predicate}) IS FALSE ORDER BY {_ROW}"
            ).fetchall()
        except duckdb.Error as exc:
            raise GenerationError(
                f"cannot evaluate the checks of {self.table.name} on generated rows: "
                f"{str(exc).splitlines()[0]}",
                table=self.table.name,
                hint="check the expressions of its `check` constraints",
            ) from exc
        finally:
            self.con.unregister(_CHUNK)
        return np.array([r[0] for r in rows], dtype=np.int64)

    def _register(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.con.register(_CHUNK, frame)
        return frame

