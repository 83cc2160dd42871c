"""The Spark sample cache holds real rows, so it lives outside ``target/``, owner-only.

The project of :mod:`test_private_by_default` (declared, undeclared and keep-declared
PII, an identifier-like code, free text, rare employers), its two tables read from Spark
(Hive) tables instead of Parquet files. ``shive run``, ``shive test --store-failures``
and ``shive report`` run on a DuckDB target; the sources are sampled into the private
``.shive-samples/`` folder. The samples do hold the raw values (which is what training
reads, and what makes the scan below meaningful), and no file or table under
``target/`` holds any of them.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_private_by_default import SENSITIVE, make_data, needles_of, target_tables, write_project

from synthohive_dbt.cli import cli
from synthohive_dbt.privacy import scan_files, scan_frame

pytestmark = pytest.mark.slow

DATABASE = "private_lake"
SPARK_SOURCES = f"""sources:
  - name: raw
    schema: {DATABASE}
    config: {{format: spark, spark_target: lake}}
    tables: [{{name: customers}}, {{name: orders}}]
"""


def spark_project(root: Path, data: dict[str, pd.DataFrame], spark_root: Path) -> Path:
    """The private-by-default project with its sources in Spark, generated into DuckDB."""
    write_project(root, "duckdb", data)
    schema = root / "models" / "schema.yml"
    text = schema.read_text()
    start, end = text.index("sources:"), text.index("models:")
    schema.write_text(text[:start] + SPARK_SOURCES + text[end:])
    for frame in (root / "data").iterdir():
        frame.unlink()  # the rows are in Spark only
    (root / "profiles.yml").write_text(
        "privdefault:\n  target: out\n  outputs:\n"
        "    out: {type: duckdb, path: target/synthetic.duckdb, schema: main}\n"
        "    lake:\n      type: spark\n      method: session\n      master: 'local[2]'\n"
        f"      warehouse_dir: '{spark_root / 'warehouse'}'\n"
        f"      metastore_dir: '{spark_root / 'metastore'}'\n"
    )
    return root


@pytest.fixture(scope="module")
def lake_run(spark, spark_root, tmp_path_factory) -> tuple[Path, str, dict[str, pd.DataFrame]]:
    data = make_data()
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    for name, frame in data.items():
        spark.createDataFrame(frame).write.mode("overwrite").saveAsTable(f"{DATABASE}.{name}")
    root = spark_project(tmp_path_factory.mktemp("lake") / "privdefault", data, spark_root)
    patch = pytest.MonkeyPatch()
    patch.delenv("SHIVE_PROFILES_DIR", raising=False)
    runner, output = CliRunner(), []
    try:
        for args in (["run", "--no-progress"], ["test", "--store-failures"], ["report"]):
            result = runner.invoke(cli, [*args, "--debug", "--project-dir", str(root)])
            assert result.exit_code in (0, 1), result.output[-4000:]
            output.append(result.output)
    finally:
        patch.undo()
    return root, "\n".join(output), data


def test_the_samples_are_private_and_hold_the_real_rows(lake_run) -> None:
    root, _, data = lake_run
    samples = root / ".shive-samples"
    files = {p.relative_to(samples).as_posix() for p in samples.rglob("*") if p.is_file()}
    assert {"raw/customers.parquet", "raw/orders.parquet", ".gitignore"} <= files
    assert (samples / ".gitignore").read_text().splitlines()[-1] == "*"
    for path in [samples, samples / "raw"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for name in files - {".gitignore"}:
        assert stat.S_IMODE((samples / name).stat().st_mode) == 0o600, name
    # what training reads: the real rows, every sensitive column's values among them
    sample = pd.read_parquet(samples / "raw" / "customers.parquet")
    needles = needles_of(data, {"customers": SENSITIVE["customers"]})
    assert {leak.source_column for leak in scan_frame(sample, needles)} == set(needles)


def test_nothing_under_target_holds_a_real_value(lake_run) -> None:
    root, output, data = lake_run
    target = root / "target"
    assert (target / "models" / "customers" / "model.pt").is_file()  # it trained from the samples
    needles = needles_of(data, SENSITIVE)
    assert sorted({(lk.source_column, lk.location) for lk in scan_files(target, needles)}) == []
    tables = target_tables(target)
    assert "synthetic.duckdb:main.customers" in tables
    for name, frame in tables.items():
        assert scan_frame(frame, needles) == [], name
    assert [s for s, values in needles.items() for v in values if v in output] == []
    assert "sources" not in {p.name for p in target.iterdir()}  # the old cache location


def test_clean_removes_the_samples(lake_run, tmp_path) -> None:
    root, _, _ = lake_run
    result = CliRunner().invoke(cli, ["clean", "--project-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert not (root / ".shive-samples").exists() and not (root / "target").exists()
