"""A minimal dbt project that runs the emitted tests with ``dbt test``.

For users who want dbt itself to check the synthetic output, and for the integration
test that proves the emitted SQL runs unchanged under dbt-duckdb: the project's
``models/`` holds ``shive_synth.yml`` and its ``tests/`` the singular tests; its
``profiles.yml`` points dbt-duckdb at the synthetic DuckDB file (or, for a Parquet
target, at an in-memory database that reads the files through the source's
``external_location``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import DataTestError
from .writer import SOURCE_FILE

if TYPE_CHECKING:
    from ..project.model import Manifest
    from ..targets.config import TargetConfig

PROJECT_NAME = "shive_synth_tests"


def scaffold_dbt_project(
    dest: str | Path, tests_dir: str | Path, *, manifest: Manifest, target_config: TargetConfig
) -> Path:
    """Create (or refresh) a dbt project in ``dest`` running the tests in ``tests_dir``.

    Run it with ``dbt test --project-dir <dest> --profiles-dir <dest>``.
    """
    dest, tests_dir = Path(dest), Path(tests_dir)
    source_file = tests_dir / SOURCE_FILE
    if not source_file.is_file():
        raise DataTestError(
            f"{source_file} does not exist", hint="run `shive test` (it writes target/tests) first", path=source_file
        )
    try:
        (dest / "models").mkdir(parents=True, exist_ok=True)
        if (dest / "tests").exists():
            shutil.rmtree(dest / "tests")
        (dest / "tests").mkdir()
        for test in sorted(tests_dir.glob("*.sql")):
            shutil.copy2(test, dest / "tests" / test.name)
        shutil.copy2(source_file, dest / "models" / SOURCE_FILE)
        _dump(dest / "dbt_project.yml", _project())
        _dump(dest / "profiles.yml", _profiles(manifest, target_config))
    except OSError as exc:
        raise DataTestError(f"cannot create the dbt project in {dest}: {exc}", path=dest) from exc
    return dest


def _project() -> dict[str, Any]:
    return {
        "name": PROJECT_NAME,
        "version": "1.0.0",
        "config-version": 2,
        "profile": PROJECT_NAME,
        "model-paths": ["models"],
        "test-paths": ["tests"],
    }


def _profiles(manifest: Manifest, config: TargetConfig) -> dict[str, Any]:
    if config.type == "duckdb":
        path = Path(str(getattr(config, "path", ""))).expanduser()
        database = str(path if path.is_absolute() else (Path(manifest.project_dir) / path).resolve())
        schema = str(getattr(config, "schema_", "main"))
    elif config.type == "parquet":
        database, schema = ":memory:", "main"
    else:
        raise DataTestError(
            f"a dbt-duckdb project cannot read a {config.type!r} target",
            hint="use a duckdb or parquet target, or point your own dbt adapter at the output",
        )
    output = {"type": "duckdb", "path": database, "schema": schema, "threads": 1}
    return {PROJECT_NAME: {"target": "synthetic", "outputs": {"synthetic": output}}}


def _dump(path: Path, document: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
