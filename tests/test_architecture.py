"""The package layering of docs/architecture.md, checked on the source.

Every module's imports are parsed (``ast``: module-level and function-local ones alike,
``if TYPE_CHECKING:`` blocks excepted, since they never run) and folded into edges
between the packages of ``synthohive_dbt``. Three rules:

(a) no cycle between packages;
(b) a package imports only the layers below its own (:data:`LAYERS`, the same table
    as the doc's);
(c) pyspark, and the Spark plug-in, are imported only inside the plug-in
    (``spark/`` and ``targets/spark.py``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "synthohive_dbt"
PACKAGE = "synthohive_dbt"

#: bottom to top; a package may import the packages of the layers below its own, and
#: base modules only each other. Keep in step with docs/architecture.md.
BASE = frozenset(
    {
        "__init__",  # the package itself (__version__)
        "errors",
        "log",
        "atomic",
        "quoting",
        "dtypes",
        "locking",
        "faults",
        "duckdb_arrow",
        "table_loop",
        "plugins",
    }
)
LAYERS: tuple[str, ...] = (
    "synth",
    "settings",
    "targets",
    "project",
    "privacy",
    "profiling",
    "relations",
    "datatests",
    "training",
    "generate",
    "report",
    "pipeline",
    "dbtimport",
    "spark",
    "cli",
)
#: modules outside spark/ that belong to the Spark plug-in
SPARK_PLUGIN_MODULES = frozenset({f"{PACKAGE}.targets.spark"})

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[str, int]]:
    """``(imported module, line)`` of every import that runs, relative ones resolved."""
    module = _module_name(path)
    here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module is None or target == PACKAGE:
                # ``from .. import x``: x may be a module of its own
                found.extend((f"{target}.{alias.name}", node.lineno) for alias in node.names)
            else:
                found.append((target, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def _package(module: str) -> str | None:
    """The layer name of a module of this package (None: not ours)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if any(module == m or module.startswith(m + ".") for m in SPARK_PLUGIN_MODULES):
        return "spark"
    if len(parts) == 1:
        return "__init__"
    name = parts[1]
    if name in BASE or name in LAYERS:
        return name
    return "__init__" if not (ROOT / name).exists() and not (ROOT / f"{name}.py").exists() else name


def _edges() -> dict[tuple[str, str], list[str]]:
    """``(from package, to package) -> ["file:line", ...]`` over the whole source."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        source = _package(_module_name(path))
        assert source is not None
        for target_module, line in _imports(path):
            target = _package(target_module)
            if target is not None and target != source:
                edges[(source, target)].append(f"{path.relative_to(ROOT.parent)}:{line}")
    return edges


EDGES = _edges()


def _allowed(source: str, target: str) -> bool:
    if target in BASE:
        return True
    if source in BASE:
        return False
    return target in LAYERS and source in LAYERS and LAYERS.index(target) < LAYERS.index(source)


def _show(edges: list[tuple[str, str]]) -> str:
    return "\n".join(f"  {s} -> {t}: {', '.join(EDGES[(s, t)][:3])}" for s, t in sorted(edges))


def test_every_package_has_a_layer():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    modules = {p.stem for p in ROOT.glob("*.py")}
    unplaced = sorted((packages | modules) - BASE - set(LAYERS))
    assert not unplaced, f"place these in LAYERS / BASE and docs/architecture.md: {unplaced}"


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in EDGES:
        graph[source].add(target)
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in trail:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in done:
                walk(nxt, [*trail, nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(list(graph)):
        if start not in done:
            walk(start, [start])
    assert not cycles, "package import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_each_package_imports_only_the_layers_below():
    wrong = [edge for edge in EDGES if not _allowed(*edge)]
    assert not wrong, "imports the layering forbids (docs/architecture.md):\n" + _show(wrong)


@pytest.mark.parametrize("banned", ["pyspark", f"{PACKAGE}.spark"])
def test_spark_is_imported_only_inside_the_plugin(banned: str):
    outside = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        if _package(module) == "spark":
            continue
        for target, line in _imports(path):
            if target == banned or target.startswith(banned + "."):
                outside.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
    assert not outside, "\n".join(outside)
