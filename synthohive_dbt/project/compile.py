"""Render a model's SQL against other relations than the real data.

The loader renders every model against the real-data views (``Table.compiled_sql``).
After generation, a derived model is rendered again with ``ref()`` pointing at the
synthetic tables in the target; ``source()`` is refused there, since it would read
real rows into the synthetic output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import ProjectError
from .jinja import render_model
from .model import Manifest
from .sources import check_single_select


def compile_model(manifest: Manifest, name: str, *, ref: Callable[[str], str]) -> str:
    """Model ``name``'s SQL with ``ref(m)`` rendered as ``ref(m)`` returns (a quoted relation)."""
    table = manifest.tables[name]
    path = Path(manifest.project_dir) / table.path

    def no_source(source: str, source_table: str) -> str:
        raise ProjectError(
            f"model {name!r} reads source('{source}', '{source_table}') and cannot be computed "
            "from synthetic tables",
            path=path,
            hint="derived models select from synthetic models only: use ref('<model>')",
        )

    def checked_ref(model: str) -> str:
        if model not in manifest.tables:
            raise ProjectError(f"ref('{model}') names no model of the manifest", path=path)
        return ref(model)

    rendered = render_model(
        table.raw_sql,
        path=path,
        source=no_source,
        ref=checked_ref,
        vars=manifest.vars,
        target={
            "name": manifest.target_name,
            "type": manifest.target_type,
            "profile_name": manifest.profile_name,
        },
    )
    return check_single_select(rendered.sql, path=path, model=name)
