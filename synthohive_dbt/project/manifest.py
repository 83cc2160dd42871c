"""``target/manifest.json``: the resolved project, written for people and later stages.

The file is :meth:`Manifest.to_dict` plus a ``metadata`` block (format version, shive
version, time). It is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..atomic import write_json_atomic
from ..errors import ProjectError
from .model import Manifest

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


def manifest_path(manifest: Manifest) -> Path:
    return manifest.target_dir / MANIFEST_FILE


def write_manifest(manifest: Manifest, path: Path | None = None) -> Path:
    """Write ``manifest`` to ``target/manifest.json`` (or ``path``); return the path."""
    data = {
        "metadata": {
            "format_version": FORMAT_VERSION,
            "shive_version": __version__,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
        **manifest.to_dict(),
    }
    return write_json_atomic(path or manifest_path(manifest), data)


def read_manifest(path: str | Path) -> Manifest:
    """Read a manifest written by :func:`write_manifest`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProjectError(
            f"no manifest at {path}", path=path, hint="run 'shive validate' to write it"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ProjectError(
            f"cannot read manifest {path}: {exc}",
            path=path,
            hint="run 'shive validate' to rewrite it",
        ) from exc
    version = data.get("metadata", {}).get("format_version")
    if version != FORMAT_VERSION:
        raise ProjectError(
            f"manifest {path} has format version {version}, this shive reads {FORMAT_VERSION}",
            path=path,
            hint="run 'shive validate' to rewrite it",
        )
    data.pop("metadata")
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProjectError(
            f"manifest {path} is incomplete: {exc}",
            path=path,
            hint="run 'shive validate' to rewrite it",
        ) from exc
