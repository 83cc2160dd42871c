"""Write the shive project of an imported dbt project.

``NAME/`` gets ``shive_project.yml``, a ``profiles.yml`` whose DuckDB output stores each
synthetic table under the schema and name its dbt source or seed resolves to (the
target's ``relations``), ``models/<table>.sql`` (``select *`` from the raw table),
``models/schema.yml`` (sources, keys, tests, with the evidence and the suggestions as
comments) and ``from_dbt.yml``, which ``shive run`` reads to write the dbt profile.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from ..pipeline.scaffold import GITIGNORE
from ..project.sources import RESERVED_SCHEMAS
from .keys import Finding, TablePlan
from .nodes import DbtProject, NodeRef
from .profile import DbtConnection
from .raw import Skipped

IMPORT_FILE = "from_dbt.yml"
SYNTHETIC_DIR = "target/synthetic"
#: the schema of the shive target for its own tables (test failures); dbt's stay apart
SHIVE_SCHEMA = "shive"


def write_project(
    dest: Path,
    name: str,
    project: DbtProject,
    connection: DbtConnection,
    plans: dict[NodeRef, TablePlan],
    findings: list[Finding],
    skipped: list[Skipped],
) -> None:
    (dest / "models").mkdir(parents=True, exist_ok=True)
    _write(dest / "shive_project.yml", _project_file(name, project))
    _write(dest / "profiles.yml", _profiles_file(name, connection, plans))
    _write(dest / IMPORT_FILE, _import_file(project, connection, plans, findings, skipped))
    names = _source_names(plans)
    for plan in plans.values():
        _write(dest / "models" / f"{plan.raw.model}.sql",
               f"select * from {{{{ source('{names[plan.raw.model]}', '{plan.raw.model}') }}}}\n")  # fmt: skip
    _write(dest / "models" / "schema.yml", _schema_file(project, connection, plans, findings))
    _write(dest / ".gitignore", GITIGNORE)


def synthetic_database(connection: DbtConnection) -> str:
    """The synthetic DuckDB file, relative to the shive project: named like the real one,
    so dbt-duckdb gives it the same database name and the dbt relations resolve unchanged."""
    return f"{SYNTHETIC_DIR}/{connection.database}.duckdb"


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _flow(value: Any) -> str:
    """``value`` on one line: JSON for a scalar (valid YAML), YAML flow style otherwise."""
    if not isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True,
                          sort_keys=False).strip()  # fmt: skip


def _name(text: str) -> str:
    """A name as YAML: bare when it reads back as itself, else quoted."""
    try:
        plain = yaml.safe_load(text) == text and ":" not in text and "#" not in text
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def _comment(text: str, indent: int) -> str:
    return " " * indent + "# " + re.sub(r"\s+", " ", text) + "\n"


# ---- shive_project.yml, profiles.yml ----------------------------------------------------------
def _project_file(name: str, project: DbtProject) -> str:
    header = (f"# Written by `shive init --from-dbt {project.root}`: one model per raw table\n"
              f"# of dbt project {project.name}. Settings: docs/project.md.\n")  # fmt: skip
    return header + _dump({"name": name, "profile": name, "model-paths": ["models"],
                           "target-path": "target", "seed": 42, "synth": {"epochs": 300}})  # fmt: skip


def _profiles_file(name: str, connection: DbtConnection, plans: dict[NodeRef, TablePlan]) -> str:
    relations = {p.raw.model: f"{p.raw.schema}.{p.raw.identifier}" for p in plans.values()}
    output = {"type": "duckdb", "path": synthetic_database(connection), "schema": SHIVE_SCHEMA,
              "relations": relations}  # fmt: skip
    header = ("# The synthetic tables go where dbt looks for the raw ones (relations: table ->\n"
              "# schema.name), in a file named like the real database.\n")  # fmt: skip
    return header + _dump({name: {"target": "dev", "outputs": {"dev": output}}})


def _import_file(
    project: DbtProject,
    connection: DbtConnection,
    plans: dict[NodeRef, TablePlan],
    findings: list[Finding],
    skipped: list[Skipped],
) -> str:
    seeds = sorted(p.raw.node.name for p in plans.values() if p.raw.node.kind == "seed")
    data = {
        "dbt_project_dir": str(project.root.resolve()),
        "read_from": "target/manifest.json" if project.from_manifest else "the project's files",
        "profiles_path": str(connection.profiles_path),
        "profile": connection.profile_name,
        "dbt_target": connection.target_name,
        "database": connection.database,
        "real_database_file": str(connection.database_file),
        "seeds_as_raw_data": seeds,
        "tables": {p.raw.model: str(p.raw.node) for p in plans.values()},
        "declared": [f.as_dict() for f in findings if f.declared],
        "not_traced": [f.as_dict() for f in findings if not f.declared],
        "not_imported": [{"node": str(s.node), "reason": s.reason} for s in skipped],
    }
    header = ("# Written by `shive init --from-dbt`: where the dbt project is, what of its tests\n"
              "# became keys and what did not (with the reason). `shive run` reads it to write\n"
              "# target/dbt/profiles.yml.\n")  # fmt: skip
    return header + _dump(data)


# ---- models/schema.yml --------------------------------------------------------------------------
def _source_of(plan: TablePlan) -> tuple[str, str]:
    """(shive source name, its group key) of a raw table."""
    raw = plan.raw
    if raw.csv is not None:
        return "dbt_seed_files", "csv"
    base = raw.node.name.rpartition(".")[0] if raw.node.kind == "source" else "dbt_seeds"
    base = re.sub(r"\W", "_", base)
    if not re.match(r"[A-Za-z_]", base) or base.lower() in RESERVED_SCHEMAS:
        base = f"src_{base}"
    return base, raw.schema


def _groups(plans: dict[NodeRef, TablePlan]) -> dict[str, tuple[str, list[TablePlan]]]:
    """Raw tables grouped into shive sources: source name -> (schema or "csv", tables)."""
    grouped: dict[tuple[str, str], list[TablePlan]] = {}
    for plan in plans.values():
        grouped.setdefault(_source_of(plan), []).append(plan)
    out: dict[str, tuple[str, list[TablePlan]]] = {}
    for (name, schema), members in grouped.items():
        unique, i = name, 2
        while unique in out:
            unique, i = f"{name}_{i}", i + 1
        out[unique] = (schema, members)
    return out


def _source_names(plans: dict[NodeRef, TablePlan]) -> dict[str, str]:
    return {p.raw.model: name for name, (_, members) in _groups(plans).items() for p in members}


def _sources(connection: DbtConnection, plans: dict[NodeRef, TablePlan]) -> list[dict[str, Any]]:
    sources = []
    for source_name, (schema, members) in _groups(plans).items():
        if schema == "csv":
            tables = [{"name": p.raw.model, "config": {"external_location": str(p.raw.csv)}}
                      for p in members]  # fmt: skip
            sources.append({"name": source_name, "tables": tables})
            continue
        tables = [{"name": p.raw.model, **({"identifier": p.raw.identifier}
                   if p.raw.identifier != p.raw.model else {})} for p in members]  # fmt: skip
        sources.append({"name": source_name, "schema": schema,
                        "config": {"database_file": str(connection.database_file)},
                        "tables": tables})  # fmt: skip
    return sources


def _schema_file(
    project: DbtProject,
    connection: DbtConnection,
    plans: dict[NodeRef, TablePlan],
    findings: list[Finding],
) -> str:
    out = [
        f"# Written by `shive init --from-dbt` from dbt project {project.name} "
        f"(profile {connection.profile_name}, target {connection.target_name}).\n",
        "# Keys come from the dbt tests, traced back to these raw columns and checked on the\n",
        "# real data; from_dbt.yml lists every dbt test and what became of it.\n",
    ]
    untraced = [f for f in findings if not f.declared]
    if untraced:
        out.append("#\n# Not traced:\n")
        out += [_comment(f"  {f.check}: {f.reason}", 0) for f in untraced]
    out.append("\nversion: 2\n\n")
    out.append(_dump({"sources": _sources(connection, plans)}))
    out.append("\nmodels:\n")
    for plan in plans.values():
        out.append(_model(plan, plans))
    return "".join(out)


def _model(plan: TablePlan, plans: dict[NodeRef, TablePlan]) -> str:
    raw = plan.raw
    where = f"{raw.csv.name}" if raw.csv is not None else f"{raw.schema}.{raw.identifier}"
    about = f"dbt {raw.node.kind} {raw.node.name} ({where}), {raw.rows} rows in the real data"
    text = [f"  - name: {raw.model}\n", f"    description: {_flow(about)}\n"]
    if raw.node.kind == "seed":
        # a seed is static reference data the dbt repository itself holds (a lookup
        # table): copied as it is, so the models' joins on it find their rows
        text.append("    # a dbt seed: copied, not learned; remove this line to learn it\n")
        text.append("    config: {synth: {mode: copy}}\n")
    columns = [c for c, _ in raw.columns if c in plan.columns or c in plan.suggestions
               or any(fk.column == c for fk in plan.foreign_keys)]  # fmt: skip
    if columns:
        text.append("    columns:\n")
    for column in columns:
        text.append(_column(plan, column, plans))
    if plan.composite_keys:
        text.append("    constraints:\n")
    for key in plan.composite_keys:
        kind = "primary_key" if key.columns == plan.composite_primary_key else "unique"
        text.append(_comment(f"{kind}: " + "; ".join(key.evidence), 6))
        text.append(f"      - {_flow({'type': kind, 'columns': key.columns})}\n")
    return "".join(text)


def _column(plan: TablePlan, column: str, plans: dict[NodeRef, TablePlan]) -> str:
    facts = plan.columns.get(column)
    text = [f"      - name: {_name(column)}\n"]
    constraints: list[dict[str, Any]] = []
    tests: list[Any] = []
    evidence: list[str] = []
    if column == plan.primary_key and facts is not None:
        constraints.append({"type": "primary_key"})
        evidence.append("primary key: " + "; ".join(dict.fromkeys([*facts.unique, *facts.not_null])))
    elif facts is not None:
        if facts.unique:
            constraints.append({"type": "unique"})
            evidence.append("unique: " + "; ".join(dict.fromkeys(facts.unique)))
        if facts.not_null:
            constraints.append({"type": "not_null"})
            evidence.append("not null: " + "; ".join(dict.fromkeys(facts.not_null)))
    for fk in plan.foreign_keys:
        if fk.column == column:
            parent = plans[fk.parent]
            constraints.append({"type": "foreign_key", "to": f"ref('{parent.raw.model}')",
                                "to_columns": [fk.parent_column]})  # fmt: skip
            orphans = f" ({fk.orphans} orphan rows in the raw data)" if fk.orphans else ""
            evidence.append("foreign key: " + "; ".join(dict.fromkeys(fk.evidence)) + orphans)
    seen: list[Any] = []
    for values, quote, where in facts.accepted_values if facts else []:
        if (values, quote) not in seen:
            seen.append((values, quote))
            args: dict[str, Any] = {"values": values}
            if not quote:
                args["quote"] = False
            tests.append({"accepted_values": args})
            evidence.append(f"accepted values: {where}")
    text += [_comment(e, 8) for e in evidence]
    if column in plan.suggestions:
        text.append(_comment(plan.suggestions[column], 8))
    if constraints:
        text.append(f"        constraints: {_flow(constraints)}\n")
    if tests:
        text.append(f"        data_tests: {_flow(tests)}\n")
    return "".join(text)
