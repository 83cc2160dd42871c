"""Read YAML files while remembering on which line every key and list item sits.

Validation errors are only useful when they point at the line to fix, and PyYAML's
plain ``safe_load`` forgets where things were. :func:`load_yaml` builds the Python
data from the node tree itself and keeps a :class:`LineIndex` from key paths such as
``("models", 1, "columns", 2)`` to 1-based line numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ProjectError

#: a path into parsed YAML: mapping keys and list indices
KeyPath = tuple[Any, ...]


@dataclass
class LineIndex:
    """Line numbers of the keys and items of one YAML document."""

    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_for(self, path: Sequence[Any]) -> int | None:
        """The line of ``path``, or of its deepest ancestor that has one."""
        key = tuple(path)
        while True:
            if key in self.lines:
                return self.lines[key]
            if not key:
                return None
            key = key[:-1]

    def sub(self, prefix: Sequence[Any]) -> LineIndex:
        """The index of the sub-document at ``prefix``, with paths relative to it."""
        start = tuple(prefix)
        n = len(start)
        return LineIndex({k[n:]: v for k, v in self.lines.items() if k[:n] == start})


def load_yaml(path: Path, *, text: str | None = None) -> tuple[Any, LineIndex]:
    """Parse one YAML document into plain data plus the lines of its keys.

    An empty file gives ``None``. Syntax errors and duplicate keys raise a
    :class:`ProjectError` naming the file and line.
    """
    if text is None:
        text = _read_text(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineIndex()
        index = LineIndex()
        return _build(loader, node, (), index, path), index
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ProjectError(
            f"YAML syntax error in {path.name}: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            hint="check indentation, a missing ':' or an unclosed quote or bracket near that line",
        ) from exc
    except yaml.YAMLError as exc:
        raise ProjectError(f"cannot parse YAML in {path.name}: {exc}", path=path) from exc
    finally:
        loader.dispose()


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror or exc}", path=path) from exc
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{path.name} is not UTF-8 text", path=path, hint="save the file as UTF-8"
        ) from exc


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, here: KeyPath, index: LineIndex, path: Path
) -> Any:
    """Construct plain data from ``node``, recording the line of every key and item."""
    index.lines.setdefault(here, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves '<<' merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise ProjectError(
                    "a mapping key must be a plain value",
                    path=path,
                    line=key_node.start_mark.line + 1,
                )
            if key in result:
                raise ProjectError(
                    f"duplicate key {key!r}",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    hint="YAML keeps only the last of two equal keys; remove or merge one of them",
                )
            index.lines[(*here, key)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, (*here, key), index, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*here, i), index, path) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
