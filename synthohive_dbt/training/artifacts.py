"""A table's trained artifacts under ``target/models/<table>/``.

::

    target/models/orders/
      meta.json          fingerprint of the inputs, the TablePlan, counts; written LAST
      model.pt           the synthesizer (TableSynthesizer.save), learn mode only
      pii_plan.json      what the privacy step did (PiiPlan)
      linkage.json       child-count and secondary-parent models, key shapes
      checkpoint.pt      the in-progress model of an interrupted train (removed when done)
      checkpoint.json    which fingerprint and epoch that checkpoint belongs to

Every file is written to a temporary name and renamed into place, and ``meta.json``
goes last: a table whose ``meta.json`` carries the current fingerprint is complete,
anything else is retrained (or resumed from its checkpoint).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from ..atomic import atomic_path
from ..errors import ArtifactError

logger = logging.getLogger(__name__)

#: bumped when the layout or meta.json changes incompatibly
ARTIFACT_FORMAT_VERSION = 1


class TableArtifacts:
    """Paths and atomic reads/writes of one table's artifact folder."""

    MODEL_FILE = "model.pt"
    CHECKPOINT_FILE = "checkpoint.pt"

    def __init__(self, target_dir: str | Path, table: str) -> None:
        self.table = table
        self.dir = Path(target_dir) / "models" / table

    @property
    def meta_path(self) -> Path:
        return self.dir / "meta.json"

    @property
    def model_path(self) -> Path:
        return self.dir / self.MODEL_FILE

    @property
    def pii_plan_path(self) -> Path:
        return self.dir / "pii_plan.json"

    @property
    def linkage_path(self) -> Path:
        return self.dir / "linkage.json"

    @property
    def rows_path(self) -> Path:
        """A copy table's rows (PII already handled), so generation needs no source."""
        return self.dir / "rows.parquet"

    @property
    def checkpoint_path(self) -> Path:
        return self.dir / self.CHECKPOINT_FILE

    @property
    def checkpoint_meta_path(self) -> Path:
        return self.dir / "checkpoint.json"

    # ---- reading -----------------------------------------------------------------
    def read_meta(self) -> dict[str, Any] | None:
        """``meta.json``, or None when the table was never trained (or the file is
        unreadable, which only means it is retrained)."""
        return self._read_optional(self.meta_path)

    def require_meta(self) -> dict[str, Any]:
        """``meta.json`` for generation; a missing or foreign one is an ArtifactError."""
        meta = self.read_meta()
        if meta is None:
            raise ArtifactError(
                f"table {self.table!r} has no trained model in {self.dir}",
                table=self.table,
                hint="run `shive train` (or `shive run`) first",
            )
        version = meta.get("format_version")
        if not isinstance(version, int) or version > ARTIFACT_FORMAT_VERSION:
            raise ArtifactError(
                f"artifacts of {self.table!r} have format {version!r}, newer than this "
                f"version reads ({ARTIFACT_FORMAT_VERSION})",
                table=self.table,
                path=self.meta_path,
                hint="upgrade synthohive_dbt or retrain with `shive train --full-refresh`",
            )
        return meta

    def read_json(self, path: Path) -> dict[str, Any]:
        """A JSON artifact generation needs; missing or corrupt is an ArtifactError."""
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ArtifactError(
                f"cannot read {path.name} of table {self.table!r}: {exc}",
                table=self.table,
                path=path,
                hint="retrain the table with `shive train --full-refresh`",
            ) from exc

    def read_checkpoint_meta(self) -> dict[str, Any] | None:
        return self._read_optional(self.checkpoint_meta_path)

    def _read_optional(self, path: Path) -> dict[str, Any] | None:
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            logger.warning("ignoring unreadable %s: %s", path, exc)
            return None
        return data if isinstance(data, dict) else None

    # ---- writing -----------------------------------------------------------------
    def write_json(self, path: Path, data: dict[str, Any]) -> None:
        """Write ``data`` to ``path`` atomically (temporary file, then rename)."""
        text = json.dumps(data, indent=2, sort_keys=True, default=str)
        with self.staging(path) as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")

    def staging(self, path: Path) -> contextlib.AbstractContextManager[Path]:
        """A temporary path next to ``path`` that replaces it when the block succeeds."""
        return atomic_path(path)

    def clear(self) -> None:
        """Remove every artifact of the table (``--full-refresh``)."""
        if self.dir.exists():
            shutil.rmtree(self.dir)

    def clear_checkpoint(self) -> None:
        for path in (self.checkpoint_meta_path, self.checkpoint_path):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def invalidate(self) -> None:
        """Forget that the table is complete (before retraining it)."""
        if self.meta_path.exists():
            self.meta_path.unlink()

