"""Output targets: where synthetic tables are written, read back and tested.

``base`` holds the adapter interface, ``config`` the validated settings of each
``type:`` in profiles.yml, ``registry`` maps a type to its adapter (built-ins are
imported lazily, so ``type: duckdb`` never imports pyspark). See docs/targets.md.
"""

from __future__ import annotations

from .base import TargetAdapter, validate_identifier
from .config import TargetConfig, parse_target_config
from .registry import adapter_class, available_types, create_adapter

__all__ = [
    "TargetAdapter",
    "TargetConfig",
    "adapter_class",
    "available_types",
    "create_adapter",
    "parse_target_config",
    "validate_identifier",
]
