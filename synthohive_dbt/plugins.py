"""Plug-ins: modules that register what they add (a source format, ...) when loaded.

A plug-in is a module with a ``register()`` function. The built-in ones are the
``plugin`` modules of this package's subpackages (found on disk, so a working copy
needs no reinstall); a third-party one declares an entry point in the group
``synthohive_dbt.plugins``, e.g. ``mine = my_pkg.shive_plugin:register``.

The registries load the plug-ins lazily, the first time they are asked for a name they
do not know (:func:`load_plugins`): a project that uses none of them imports none.
Loading a plug-in never imports its optional dependency; that happens when it is used,
with the install command in the error when it is missing.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from .errors import ShiveError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "synthohive_dbt.plugins"
#: the module of a subpackage that makes it a built-in plug-in
PLUGIN_MODULE = "plugin"

_loaded: set[str] = set()
_done = False


def builtin_plugins() -> list[str]:
    """The ``<subpackage>.plugin`` modules of this package, by name (found on disk: no
    subpackage is imported to look)."""
    import synthohive_dbt

    found = {
        f"synthohive_dbt.{path.parent.name}.{PLUGIN_MODULE}"
        for root in synthohive_dbt.__path__
        for path in Path(root).glob(f"*/{PLUGIN_MODULE}.py")
        if (path.parent / "__init__.py").is_file()
    }
    return sorted(found)


def load_plugins() -> None:
    """Register every plug-in not registered yet: the built-in ones, then the entry points."""
    global _done
    if _done:
        return
    _done = True
    for module in builtin_plugins():
        _register(f"{module}:register", lambda m=module: importlib.import_module(m).register)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _register(ep.value.replace(" ", ""), ep.load)


def _register(value: str, load: Callable[[], object]) -> None:
    if value in _loaded:
        return
    _loaded.add(value)
    try:
        register = load()
    except (ImportError, AttributeError) as exc:
        raise ShiveError(
            f"the plug-in {value} cannot be loaded: {exc}",
            hint="reinstall the package that provides it",
        ) from exc
    if not callable(register):
        raise ShiveError(
            f"the plug-in {value} is not a register() function",
            hint=f"point the {ENTRY_POINT_GROUP} entry point at a function with no arguments",
        )
    register()
    log.debug("loaded plug-in %s", value)
