"""Turn pydantic validation errors into ProjectErrors that name file, key path and line.

pydantic reports *what* is wrong with a location tuple; the user needs the file, the
key path as they wrote it (``models[1].columns[2].constraints[0].type``), the line,
and a fix, e.g. "did you mean 'primary_key'?" for a misspelt value or key.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ProjectError, did_you_mean, known_names_hint
from .yamlio import KeyPath, LineIndex

#: at most this many further problems are listed after the first
MAX_EXTRA_PROBLEMS = 4


def format_key_path(path: Sequence[Any]) -> str:
    """``("models", 1, "columns")`` -> ``models[1].columns``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def validation_error(
    exc: ValidationError,
    *,
    path: Path,
    data: Any,
    index: LineIndex,
    model: type[BaseModel],
    prefix: KeyPath = (),
    what: str | None = None,
) -> ProjectError:
    """A :class:`ProjectError` for ``exc`` raised validating ``data`` (found at ``prefix``)."""
    problems = [_problem(err, data, model, prefix, index) for err in exc.errors()]
    first_loc, first_line, first_msg, hint = problems[0]
    label = what or path.name
    message = f"invalid {label}: {format_key_path(first_loc)}: {first_msg}"
    extra = []
    for loc, line, msg, _ in problems[1 : 1 + MAX_EXTRA_PROBLEMS]:
        where = f"line {line}, " if line else ""
        extra.append(f"  also: {where}{format_key_path(loc)}: {msg}")
    if len(problems) > 1 + MAX_EXTRA_PROBLEMS:
        extra.append(f"  ... and {len(problems) - 1 - MAX_EXTRA_PROBLEMS} more")
    if extra:
        hint = "\n".join([hint or "fix the value at that key", *extra])
    return ProjectError(message, path=path, line=first_line, hint=hint)


def _problem(
    err: Any, data: Any, model: type[BaseModel], prefix: KeyPath, index: LineIndex
) -> tuple[KeyPath, int | None, str, str | None]:
    """(key path, line, message, hint) of one pydantic error dict."""
    loc = _data_path(data, tuple(err.get("loc", ())))
    full = (*prefix, *loc)
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        key = loc[-1] if loc else "?"
        allowed = _allowed_keys(model, loc[:-1])
        hint = known_names_hint(str(key), allowed, "key") if allowed else "remove the key"
        return full, index.line_for(full), f"unknown key {key!r}", hint
    if kind == "missing":
        return (
            full,
            index.line_for(full),
            "a required key is missing",
            f"add '{loc[-1]}:'" if loc else None,
        )
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        hint = (did_you_mean(str(value), expected) if isinstance(value, str) else None) or (
            "use one of: " + ", ".join(expected) if expected else None
        )
        return full, index.line_for(full), f"{value!r} is not allowed", hint
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return full, index.line_for(full), msg, None


def _data_path(data: Any, loc: KeyPath) -> KeyPath:
    """The part of pydantic's ``loc`` that walks the data (drops union/function tags)."""
    kept: list[Any] = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
            kept.append(part)
        elif last and isinstance(current, dict):
            kept.append(part)  # a missing or unknown key of this mapping
    return tuple(kept)


def _allowed_keys(model: type[BaseModel], loc: KeyPath) -> list[str]:
    """The keys the pydantic model expects at ``loc`` (aliases as written in YAML)."""
    candidates: list[Any] = [model]
    for part in loc:
        candidates = [nxt for c in candidates for nxt in _step(c, part)]
    keys: set[str] = set()
    for cand in candidates:
        for ann in _unwrap(cand):
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                keys.update(f.alias or name for name, f in ann.model_fields.items())
                plugin_keys = getattr(ann, "plugin_keys", None)
                if plugin_keys is not None:
                    keys.update(plugin_keys())  # keys a plug-in declares for this mapping
    return sorted(keys)


def _step(annotation: Any, part: Any) -> list[Any]:
    out: list[Any] = []
    for ann in _unwrap(annotation):
        origin = typing.get_origin(ann)
        args = typing.get_args(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(part, str):
            for name, f in ann.model_fields.items():
                if part in (f.alias, name):
                    out.append(f.annotation)
        elif origin in (list, tuple, set) and isinstance(part, int) and args:
            out.append(args[0])
        elif origin is dict and len(args) == 2:
            out.append(args[1])
    return out


def _unwrap(annotation: Any) -> list[Any]:
    """Flatten Optional/Union/Annotated into the member annotations."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    return [annotation]
