"""The target adapter interface: where synthetic tables are written and tested.

An adapter is small: connect, write a table from Arrow record batches (atomically),
read a table back as record batches, run a query, quote an identifier, and name its
SQL dialect (a sqlglot dialect name, used to transpile emitted tests). What a target
can do is declared as class constants, so callers never branch on a target's name.
"""

from __future__ import annotations

import contextlib
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import ValidationError

from ..errors import TargetError, known_names_hint
from ..quoting import quote_identifier
from .generation import Generation, TableGeneration, new_generation_id

if TYPE_CHECKING:
    import pyarrow as pa

    from .config import TargetConfig

#: a plain SQL name: what a table, schema or database from configuration may be
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

log = logging.getLogger(__name__)


def validate_identifier(name: str, what: str = "identifier") -> str:
    """Return ``name`` if it is a plain SQL name, else raise a TargetError saying why."""
    if not isinstance(name, str) or not PLAIN_NAME.match(name):
        raise TargetError(
            f"{what} {name!r} is not a plain name",
            hint="use letters, digits and underscores only, starting with a letter or underscore",
        )
    return name


def _as_config_class(config: TargetConfig, model: type[TargetConfig] | None) -> TargetConfig:
    """``config`` validated as ``model``; invalid settings are a TargetError naming them."""
    if model is None or isinstance(config, model):
        return config
    try:
        return model.model_validate(config.model_dump(by_alias=True))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(target)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise TargetError(
            f"invalid settings for target type {config.type!r}: {problems}",
            hint="fix the target's entry under outputs: in profiles.yml",
        ) from exc


class TargetAdapter(ABC):
    """Base class of every output target."""

    #: the ``type:`` in profiles.yml this adapter serves
    type: ClassVar[str]
    #: sqlglot dialect the target's SQL is written in
    dialect: ClassVar[str] = "duckdb"
    #: writes of one table become visible all at once (temporary name, then swap)
    SUPPORTS_ATOMIC_WRITE: ClassVar[bool] = True
    #: the tables of one generation are staged and swapped in together (see
    #: :mod:`.generation`); without it, each table is swapped in as it is written
    SUPPORTS_ATOMIC_RUN: ClassVar[bool] = False
    #: the target can keep failing rows of a test in a table (``--store-failures``)
    SUPPORTS_STORE_FAILURES: ClassVar[bool] = True
    #: the target generates large tables itself, in parallel partitions
    SUPPORTS_DISTRIBUTED_GENERATION: ClassVar[bool] = False
    #: a view made by :meth:`create_view` outlives the adapter (else it is materialised)
    SUPPORTS_PERSISTENT_VIEWS: ClassVar[bool] = True
    #: ``TABLESAMPLE ... REPEATABLE (seed)`` gives the same sample each time (the report's
    #: and the privacy tests' samples of large tables)
    SUPPORTS_SEEDED_SAMPLE: ClassVar[bool] = False
    #: the pydantic model of this target's settings; a config of another class (e.g. the
    #: GenericTarget a third-party ``type`` is parsed into) is re-validated with it
    config_class: ClassVar[type[TargetConfig] | None] = None

    def __init__(self, config: TargetConfig, project_dir: Path) -> None:
        self.config = _as_config_class(config, self.config_class)
        self.project_dir = Path(project_dir)
        self._generation: Generation | None = None

    # ---- lifecycle -------------------------------------------------------------------
    @abstractmethod
    def connect(self) -> None:
        """Open the connection; raise TargetError with a fix when that fails."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection."""

    def __enter__(self) -> TargetAdapter:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- generations -----------------------------------------------------------------
    @contextlib.contextmanager
    def generation(self, generation_id: str | None = None) -> Iterator[Generation]:
        """Stage every table written in the block; swap them in together when it ends.

        Inside the block, :meth:`write_table` and :meth:`create_table_as` stage the
        table, and :meth:`relation`, :meth:`read_table` and :meth:`table_exists` see
        the staged tables (so children read their staged parents). When the block ends
        without an exception and nothing called :meth:`Generation.discard`, all staged
        tables are swapped in at once; otherwise they are dropped and the previous
        tables stay. A block inside another one joins it (the outer one swaps).
        """
        if self._generation is not None:
            yield self._generation
            return
        gen = Generation(generation_id or new_generation_id())
        self._begin_generation(gen)
        self._generation = gen
        swapped = False
        try:
            yield gen
            if gen.complete:
                self._generation = None  # the swap works on the final names
                if gen.staged:
                    self._commit_generation(gen)
                    log.debug("swapped in generation %s: %s", gen.id, ", ".join(gen.staged))
                swapped = True
        finally:
            self._generation = None
            try:
                if not swapped:
                    self._abort_generation(gen)
            finally:
                self._end_generation(gen)

    @property
    def current_generation(self) -> Generation | None:
        """The generation being staged, if a :meth:`generation` block is open."""
        return self._generation

    def staged(self, name: str) -> str | None:
        """Where table ``name`` is staged in the open generation (None: not staged)."""
        return self._generation.staged.get(name) if self._generation is not None else None

    def _begin_generation(self, gen: Generation) -> None:
        """Prepare staging (and remove what killed generations left); default: none."""
        log.debug("the %s target swaps each table in as it is written", self.type)

    def _commit_generation(self, gen: Generation) -> None:  # noqa: B027 - optional hook
        """Swap every staged table of ``gen`` in, at once where the target can."""

    def _abort_generation(self, gen: Generation) -> None:  # noqa: B027 - optional hook
        """Drop what ``gen`` staged; the tables in place stay as they were."""

    def _end_generation(self, gen: Generation) -> None:  # noqa: B027 - optional hook
        """Release what :meth:`_begin_generation` took, after the swap or the abort."""

    def _staged_write(self, name: str, where: str, rows: int) -> None:
        """Record that table ``name`` was written to ``where`` (staged when in a generation)."""
        if self._generation is not None:
            self._generation.staged[name] = where
            self._generation.rows[name] = rows

    def table_generations(self) -> dict[str, TableGeneration]:
        """The generation each table in the target was swapped in by (empty: unknown)."""
        return {}

    # ---- data ------------------------------------------------------------------------
    @abstractmethod
    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Write all ``batches`` as table ``name``, replacing it atomically; return rows written.

        If writing fails part way, the previous table (or none) stays in place.
        """

    @abstractmethod
    def read_table(
        self, name: str, columns: list[str] | None = None, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Stream table ``name`` (optionally only ``columns``) as record batches.

        Names are checked when this is called, not when the first batch is asked for.
        """

    def _missing_table(
        self, name: str, *, path: Path | None = None, lookup: str | None = None
    ) -> TargetError:
        """The error for reading table ``name`` that the target lacks, naming the nearest.

        ``lookup`` is the spelling compared with :meth:`list_tables` where it differs
        from ``name`` (a catalog that folds names to lower case).
        """
        return TargetError(
            f"table {name!r} does not exist in {self.describe()}",
            hint=known_names_hint(lookup or name, self.list_tables(), "table"),
            path=path,
            table=name,
        )

    @staticmethod
    def _check_columns(name: str, columns: Iterable[str] | None, known: Sequence[str]) -> None:
        """Raise a TargetError for the first of ``columns`` that table ``name`` lacks."""
        for column in columns or []:
            if column not in known:
                raise TargetError(
                    f"table {name!r} has no column {column!r}",
                    hint=known_names_hint(column, known, "column"),
                    table=name,
                    column=column,
                )

    @abstractmethod
    def table_exists(self, name: str) -> bool:
        """True when a table (or view) ``name`` exists in the target."""

    @abstractmethod
    def drop_table(self, name: str) -> None:
        """Remove table (or view) ``name`` if it exists."""

    def list_tables(self) -> list[str]:
        """Names of the tables and views in the target (staging tables left out; inside a
        generation, the tables it staged are listed too)."""
        raise TargetError(
            f"the {self.type} target cannot list its tables",
            hint="implement list_tables() in the adapter",
        )

    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run ``sql`` (in :attr:`dialect`) and return the result."""

    def execute(self, sql: str) -> None:
        """Run a statement for its effect (default: a query whose result is dropped)."""
        self.query(sql)

    def create_view(self, name: str, sql: str) -> None:
        """Create or replace view ``name`` as ``sql`` (used for derived models)."""
        self.execute(f"CREATE OR REPLACE VIEW {self.relation(name)} AS {sql}")

    def create_table_as(self, name: str, sql: str) -> int:
        """Materialise ``sql`` as table ``name`` atomically; return its row count."""
        result = self.query(sql)
        return self.write_table(name, result.schema, result.to_batches())

    # ---- SQL -------------------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        """Quote one identifier for this target's dialect."""
        return quote_identifier(identifier, self.dialect)

    @abstractmethod
    def relation(self, name: str) -> str:
        """The fully qualified, quoted relation of table ``name`` in SQL."""

    def describe(self) -> str:
        """A one-line description for logs and ``shive debug``."""
        return f"{self.type} target"
