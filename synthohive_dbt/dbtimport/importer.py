"""``shive init NAME --from-dbt PATH``: a shive project for the raw tables of a dbt project.

read the dbt project and its profile -> render each model with placeholders ->
locate and describe the raw tables its models read -> trace every test and constraint
to a raw column and check it on the real data -> write the shive project.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProjectError
from ..pipeline.scaffold import new_project_folder
from .keys import Finding, TablePlan, plan_keys
from .lineage import Tracer
from .nodes import NodeRef
from .profile import read_connection
from .raw import Skipped, collect_raw_tables, open_real
from .reader import read_dbt_project, read_project_file
from .render import Placeholders, render_models
from .writer import write_project

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    path: Path
    tables: dict[NodeRef, TablePlan]
    findings: list[Finding]
    skipped: list[Skipped]

    @property
    def declared(self) -> list[Finding]:
        return [f for f in self.findings if f.declared]

    @property
    def not_traced(self) -> list[Finding]:
        return [f for f in self.findings if not f.declared]


def import_dbt_project(
    destination: str | Path,
    dbt_dir: str | Path,
    *,
    target: str | None = None,
    profiles_dir: str | Path | None = None,
) -> ImportResult:
    """Write a shive project at ``destination`` for the dbt project in ``dbt_dir``."""
    dest, name = new_project_folder(destination)
    root = Path(dbt_dir).expanduser().resolve()
    config = read_project_file(root)
    profile = str(config.get("profile") or config["name"])
    connection = read_connection(root, profile, target=target, profiles_dir=profiles_dir)
    project = read_dbt_project(root, default_schema=connection.schema)
    places = Placeholders(project)
    rendered = render_models(project, connection, places)
    con = open_real(connection)
    try:
        raw, skipped = collect_raw_tables(project, rendered, connection, con)
        if not raw:
            raise ProjectError(
                f"dbt project {project.name} reads no raw table shive can import",
                path=root,
                hint="; ".join([*(f"{s.node}: {s.reason}" for s in skipped),
                                *(f"model {r.name}: {r.reason}" for r in rendered.values() if r.sql is None)])
                or "its models call no source() and ref() no seed",
            )
        tracer = Tracer(con, rendered, places, raw)
        plans, findings = plan_keys(project, tracer, raw, con)
    finally:
        con.close()
    write_project(dest, name, project, connection, plans, findings, skipped)
    return ImportResult(dest, plans, findings, skipped)
