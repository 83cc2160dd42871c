"""What a Spark task receives: the trained model as bytes, and parents as Arrow tables.

The trained artifacts of a table are shipped once per job as the bytes of its artifact
folder (:class:`ShippedModel`, inside a Spark broadcast :class:`Shipment`) and loaded
once per Python worker with the ordinary
:func:`~synthohive_dbt.generate.trained.load_trained`: loading executes no code from the
files, as everywhere else. Inside a task, the parent rows a part reads are served by
:class:`PartitionParents`, a read-only target over Arrow tables in memory, so the local
generator runs unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import GenerationError, TargetError
from ..generate.trained import TrainedTable, load_trained
from ..project.model import Manifest
from ..synth.settings import SynthSettings
from ..targets.base import TargetAdapter, validate_identifier
from ..targets.config import TargetConfig
from ..training.artifacts import TableArtifacts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShippedModel:
    """A table's trained artifacts as bytes, with the manifest to load them against."""

    manifest: dict[str, Any]
    table: str
    files: dict[str, bytes]
    digest: str

    @classmethod
    def of(cls, manifest: Manifest, table: str) -> ShippedModel:
        folder = TableArtifacts(manifest.target_path, table).dir
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if _is_artifact(p)}
        document = manifest.to_dict()
        # the digest names what a worker caches: the files *and* the table they are loaded
        # against (its checks, types and keys shape what generation does)
        digest = hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode())
        for name, data in files.items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return cls(document, table, files, digest.hexdigest())


def _is_artifact(path: Path) -> bool:
    """Files generation reads: not checkpoints, not temporary files."""
    return path.is_file() and not path.name.startswith((".", "checkpoint"))


#: models loaded in this Python worker, by digest: a reused worker loads a model once
_LOADED: dict[str, TrainedTable] = {}


def executor_settings(settings: SynthSettings, threads: int) -> dict[str, Any]:
    """What an executor changes in a model's engine settings before it samples.

    One Spark task per core, so torch must not spread over all of them. And ``precision:
    auto`` becomes float32: bfloat16 products follow the CPU's kernels, which differ
    between executors (and gave a re-run on the same local cluster other values in a
    few percent of rows), while a part's rows must be the same wherever it runs. A
    user who sets ``precision: bfloat16`` chooses its speed over that.
    """
    update: dict[str, Any] = {}
    if settings.threads is None:
        update["threads"] = threads
    if settings.precision == "auto":
        update["precision"] = "float32"
    return update


def load_shipped(shipped: ShippedModel, threads: int) -> TrainedTable:
    """The TrainedTable of ``shipped``, loaded on first use in this worker process."""
    if shipped.digest not in _LOADED:
        with tempfile.TemporaryDirectory(prefix="shive-model-") as root:
            folder = TableArtifacts(root, shipped.table).dir
            folder.mkdir(parents=True)
            for name, data in shipped.files.items():
                (folder / name).write_bytes(data)
            manifest = Manifest.from_dict({**shipped.manifest, "target_path": root})
            trained = load_trained(manifest, manifest.tables[shipped.table])
        if trained.synth is not None:
            trained.synth.settings = trained.synth.settings.model_copy(
                update=executor_settings(trained.synth.settings, threads)
            )
        _LOADED.clear()  # keep one model per worker: a job generates one table
        _LOADED[shipped.digest] = trained
    return _LOADED[shipped.digest]


@dataclass(frozen=True)
class Shipment:
    """What every task reads once per executor (a Spark broadcast, or inline in the task's
    function over Spark Connect, see :mod:`.connect`): the model, and the
    keys and attributes of the secondary parents, which any part may link to."""

    model: ShippedModel
    secondary: dict[str, pa.Table] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """About what the shipment weighs when pickled: the artifact files, the key
        tables' buffers and the manifest (decides whether Spark Connect can carry it)."""
        files = sum(len(data) for data in self.model.files.values())
        tables = sum(int(table.nbytes) for table in self.secondary.values())
        manifest = len(json.dumps(self.model.manifest, default=str))
        return files + tables + manifest


class PartitionParents(TargetAdapter):
    """A read-only target over Arrow tables in memory: the parent rows one part reads.

    TableStream reads a child's primary parent and secondary parents from a target;
    inside a Spark task the parents are the part's rows and the shipped key tables.
    """

    type = "partition"

    def __init__(self, tables: Mapping[str, pa.Table]) -> None:
        super().__init__(TargetConfig(type=self.type), Path("."))
        self.tables = {name: table.combine_chunks() for name, table in tables.items()}

    def connect(self) -> None:
        """Nothing to open."""

    def write_table(self, name: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        raise TargetError("the partition's parent rows are read-only", table=name)

    def read_table(
        self, name: str, columns: list[str] | None = None, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        table = self._table(name)
        if columns is not None:
            missing = [c for c in columns if c not in table.column_names]
            if missing:
                raise GenerationError(f"the rows shipped for {name} lack column {missing[0]!r}",
                                      table=name, column=missing[0])  # fmt: skip
            table = table.select(columns)
        return iter(table.to_batches(max_chunksize=max(1, int(batch_size))))

    def table_exists(self, name: str) -> bool:
        return validate_identifier(name, "table name") in self.tables

    def drop_table(self, name: str) -> None:
        raise TargetError("the partition's parent rows are read-only", table=name)

    def query(self, sql: str) -> pa.Table:
        raise TargetError("a partition answers no SQL", hint="report this as a bug")

    def relation(self, name: str) -> str:
        return self.quote(validate_identifier(name, "table name"))

    def _table(self, name: str) -> pa.Table:
        if not self.table_exists(name):
            raise GenerationError(f"no rows of {name} were shipped to this partition", table=name,
                                  hint="report this as a bug")  # fmt: skip
        return self.tables[name]
