"""Which adapter class serves which ``type:``: built-ins, plug-ins, then entry points.

Adapters are imported lazily, on first use. A plug-in (``synthohive_dbt.plugins``)
registers its target with :func:`register_target`: the adapter as ``"module:Class"``
and the settings model, so its outputs are validated when profiles.yml is read (the
Spark plug-in registers ``spark``). Third-party adapters can also register with the
entry-point group ``synthohive_dbt.targets``, the name being the ``type`` and the value
the adapter class, e.g. ``mytarget = my_pkg.adapter:MyTarget``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import TargetError, did_you_mean
from ..plugins import load_plugins
from .config import TARGET_CONFIGS

if TYPE_CHECKING:
    from .base import TargetAdapter
    from .config import TargetConfig

ENTRY_POINT_GROUP = "synthohive_dbt.targets"

#: type -> "module:Class", imported on first use: the built-ins and what plug-ins register
ADAPTERS: dict[str, str] = {
    "duckdb": "synthohive_dbt.targets.duckdb:DuckDBAdapter",
    "parquet": "synthohive_dbt.targets.parquet:ParquetAdapter",
}


def register_target(type_name: str, adapter: str, config: type[TargetConfig]) -> None:
    """Serve ``type: type_name`` with ``adapter`` (``"module:Class"``, imported on first
    use), its outputs validated by ``config`` (called from a plug-in's ``register()``)."""
    ADAPTERS[type_name] = adapter
    TARGET_CONFIGS[type_name] = config


def _load(spec: str) -> type[TargetAdapter]:
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def _load_entry_point(ep: EntryPoint) -> type[TargetAdapter]:
    """Load a third-party adapter; a broken one is a TargetError naming its package."""
    from .base import TargetAdapter

    try:
        cls = ep.load()
    except (ImportError, AttributeError) as exc:
        raise TargetError(
            f"the adapter for target type {ep.name!r} ({ep.value}) cannot be loaded: {exc}",
            hint="reinstall the package that provides it",
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, TargetAdapter)):
        raise TargetError(
            f"entry point {ep.name!r} ({ep.value}) is not a TargetAdapter subclass",
            hint="point the entry point at a subclass of synthohive_dbt.targets.base.TargetAdapter",
        )
    return cls


def available_types() -> list[str]:
    """Every ``type:`` that has an adapter: the built-ins and installed entry points."""
    load_plugins()
    names = set(ADAPTERS)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def adapter_class(type_name: str) -> type[TargetAdapter]:
    """The adapter class for ``type_name``; an unknown type lists the known ones."""
    if type_name not in ADAPTERS:
        load_plugins()
    if type_name in ADAPTERS:
        return _load(ADAPTERS[type_name])
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == type_name:
            return _load_entry_point(ep)
    known = available_types()
    close = did_you_mean(type_name, known)
    listing = "known target types: " + ", ".join(known)
    raise TargetError(
        f"unknown target type {type_name!r}",
        hint=(f"{close} ({listing})" if close else listing)
        + "; third-party adapters register under the entry-point group "
        + ENTRY_POINT_GROUP,
    )


def create_adapter(config: TargetConfig, project_dir: Path) -> TargetAdapter:
    """Instantiate (not connect) the adapter for a validated target config.

    The adapter re-validates ``config`` with its ``config_class`` when it declares one,
    so a third-party ``type`` parsed as GenericTarget gets its own checks.
    """
    return adapter_class(config.type)(config, project_dir)
