"""Import a dbt project: its raw tables as shive models, its tests as keys (``init --from-dbt``),
and after ``shive run`` a dbt profile whose ``shive`` output reads the synthetic tables.

Modules, in pipeline order: :mod:`.profile` (the dbt profile's DuckDB file),
:mod:`.reader` / :mod:`.dbt_manifest` (the project, into :mod:`.nodes`), :mod:`.render`
(models with placeholder relations), :mod:`.raw` (the raw tables), :mod:`.lineage`
(sqlglot column lineage), :mod:`.keys` (tests -> keys, checked on the data), :mod:`.suggest`
(foreign keys the data shows),
:mod:`.writer` (the shive project) and :mod:`.dbt_profiles` (``target/dbt/profiles.yml``).
"""

from __future__ import annotations

from .dbt_profiles import write_dbt_profiles
from .importer import ImportResult, import_dbt_project

__all__ = ["ImportResult", "import_dbt_project", "write_dbt_profiles"]
