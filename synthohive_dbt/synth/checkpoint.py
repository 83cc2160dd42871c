"""The model artifact: one zip file holding ``meta.json`` and ``tensors.pt``.

``meta.json`` is everything that is not a tensor (format and library version, settings,
column specs, both transformers' state, bounds, the fidelity record, optimiser
hyperparameters, a manifest and SHA-256 of the tensor file). ``tensors.pt`` is a flat
``{name: tensor}`` dict written with ``torch.save`` and read back with
``torch.load(weights_only=True)``, so loading never runs code from the file. The zip's
CRCs and the digest catch corruption; truncation breaks the zip directory; a format
newer than this library reads is refused with the upgrade to do.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from ..atomic import atomic_path
from ..errors import ArtifactError

FORMAT = "synthohive_dbt.table_synthesizer"
FORMAT_VERSION = 1
_META, _TENSORS = "meta.json", "tensors.pt"


def write_artifact(path: str | Path, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    """Write atomically: a temporary file in the same folder, renamed into place."""
    path = Path(path)
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, buffer)
    blob = buffer.getvalue()
    full = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        **meta,
        "tensors": {
            "sha256": hashlib.sha256(blob).hexdigest(),
            "bytes": len(blob),
            "shapes": {k: list(v.shape) for k, v in tensors.items()},
        },
    }
    text = json.dumps(full, indent=1, allow_nan=True)
    with atomic_path(path) as temp, zipfile.ZipFile(temp, "w") as archive:
        archive.writestr(_META, text, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(_TENSORS, blob, compress_type=zipfile.ZIP_STORED)
    return path


def read_artifact(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(meta, tensors)`` of a valid artifact, or :class:`ArtifactError` saying why not."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError("model artifact not found", path=path, hint="train the table first (shive train)")
    try:
        with zipfile.ZipFile(path) as archive:
            meta = _read_meta(archive, path)
            blob = archive.read(_TENSORS)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise ArtifactError(
            f"model artifact is truncated or corrupt: {exc}", path=path,
            hint="retrain the table (shive train --full-refresh) to write it again",
        ) from exc
    manifest = meta["tensors"]
    if len(blob) != manifest.get("bytes") or hashlib.sha256(blob).hexdigest() != manifest.get("sha256"):
        raise ArtifactError(
            "model weights do not match their recorded checksum", path=path,
            hint="the file was altered or damaged; retrain the table",
        )
    try:
        tensors = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as exc:
        raise ArtifactError(
            f"model weights cannot be loaded safely: {exc}", path=path,
            hint="only plain tensors are accepted; retrain the table",
        ) from exc
    _check_tensors(tensors, manifest.get("shapes", {}), path)
    return meta, tensors


def _read_meta(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(archive.read(_META).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(
            f"model metadata is not valid JSON: {exc}", path=path, hint="retrain the table"
        ) from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ArtifactError(
            "file is not a synthohive_dbt model artifact", path=path,
            hint="point at a file written by TableSynthesizer.save",
        )
    version = meta.get("format_version")
    if not isinstance(version, int):
        raise ArtifactError("model artifact has no format version", path=path, hint="retrain the table")
    if version > FORMAT_VERSION:
        raise ArtifactError(
            f"model artifact has format {version}, newer than the {FORMAT_VERSION} this "
            f"synthohive_dbt {__version__} reads (written by {meta.get('library_version')})",
            path=path, hint="upgrade synthohive_dbt, or retrain with this version",
        )
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        raise ArtifactError(
            f"model metadata lacks {', '.join(missing)}", path=path, hint="retrain the table"
        )
    return meta


def _check_tensors(tensors: Any, shapes: dict[str, list[int]], path: Path) -> None:
    if not isinstance(tensors, dict) or not all(isinstance(v, torch.Tensor) for v in tensors.values()):
        raise ArtifactError("model weights are not a flat dict of tensors", path=path, hint="retrain the table")
    for name, shape in shapes.items():
        if name not in tensors or list(tensors[name].shape) != shape:
            raise ArtifactError(
                f"model weights lack {name!r} or it has the wrong shape", path=path,
                hint="retrain the table",
            )


_REQUIRED = (
    "settings", "seed", "columns", "transformer", "networks", "fidelity", "epochs_trained", "tensors",
)


def flatten_optimizer(prefix: str, state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An optimiser's ``state_dict`` as flat tensors plus a JSON part."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, slots in state["state"].items():
        for key, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def unflatten_optimizer(prefix: str, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`flatten_optimizer`."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            index, key = name[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(index), {})[key] = value
    for index, slots in info.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(slots)
    return {"state": state, "param_groups": info["param_groups"]}
