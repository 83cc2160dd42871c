"""The shive CLI's project commands: init, debug, validate, profile, ls, clean.

Through click's CliRunner, and (slow) through the installed console script and a
freshly built wheel, so ``shive init`` is known to find its template everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import synthohive_dbt
from synthohive_dbt.cli import cli
from synthohive_dbt.errors import ProfileError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIVE_PROFILES_DIR", raising=False)
    monkeypatch.delenv("SHIVE_PROJECT_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    result = run("init", "shop")
    assert result.exit_code == 0, result.output
    return tmp_path / "shop"


def test_init_then_validate(project: Path):
    assert (project / "shive_project.yml").read_text().startswith("#")
    assert "name: shop" in (project / "shive_project.yml").read_text()
    assert (project / "profiles.yml").read_text().splitlines()[1] == "shop:"
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    assert "Found 2 models (2 synth, 0 derived), 2 sources, 1 foreign key" in result.output
    assert "All checks passed." in result.output
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    assert manifest["order"] == ["customers", "orders"]
    log_text = (project / "target" / "logs" / "shive.log").read_text()
    assert "All checks passed." in log_text


def test_init_refuses_existing_folder_and_bad_names(tmp_path: Path, project: Path):
    result = run("init", "shop")
    assert result.exit_code == 2
    assert "already exists and is not an empty folder" in result.output
    result = run("init", "my-shop")
    assert result.exit_code == 2 and "is not a plain name" in result.output
    assert not (tmp_path / "my-shop").exists() or not any((tmp_path / "my-shop").iterdir())


def test_validate_reports_file_line_hint_and_exit_2(project: Path):
    schema = project / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace("to_columns: [customer_id]", "to_columns: [customer]")
    )
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 2
    assert "column 'customer' is not in parent model 'customers'" in result.output
    assert "schema.yml:" in result.output and "hint: did you mean 'customer_id'?" in result.output

    result = run("validate", "--project-dir", str(project), "--log-format", "json")
    record = json.loads(result.output.strip().splitlines()[-1])
    assert record["level"] == "error" and record["exit_code"] == 2
    assert record["path"].endswith("schema.yml") and record["line"] > 0
    assert record["hint"] == "did you mean 'customer_id'?"


def test_validate_missing_project_is_exit_2(tmp_path: Path):
    result = run("validate", "--project-dir", str(tmp_path))
    assert result.exit_code == 2 and "no shive_project.yml" in result.output


def test_missing_source_data_is_exit_1(project: Path):
    (project / "data" / "orders.csv").unlink()
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "source raw.orders: file not found" in result.output


def test_vars_flag(project: Path):
    result = run("ls", "--project-dir", str(project), "--vars", "{min_order_amount: 100}")
    assert result.exit_code == 0, result.output
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    assert "amount >= 100" in manifest["tables"]["orders"]["compiled_sql"]
    result = run("ls", "--project-dir", str(project), "--vars", "[1, 2]")
    assert result.exit_code == 2 and "must be a mapping" in result.output


def test_ls_order_selection_and_json(project: Path):
    result = run("ls", "--project-dir", str(project))
    assert result.exit_code == 0
    lines = [x for x in result.output.splitlines() if "parents:" in x]
    assert [x.split()[0] for x in lines] == ["customers", "orders"]
    assert lines[1].endswith("parents: customers")
    result = run("ls", "--project-dir", str(project), "-s", "customers+", "--exclude", "customers",
                 "--log-format", "json")  # fmt: skip
    rows = [json.loads(x) for x in result.output.splitlines() if x.startswith('{"name"')]
    assert rows == [
        {"name": "orders", "materialized": "synth", "synth": "scale=1", "parents": ["customers"]}
    ]
    result = run("ls", "--project-dir", str(project), "-s", "+order")
    assert result.exit_code == 2 and "did you mean 'orders'" in result.output


def test_profile_writes_profile_and_merges_partial_runs(project: Path):
    result = run("profile", "--project-dir", str(project), "-s", "orders")
    assert result.exit_code == 0, result.output
    assert "1 of 1 OK profiled orders" in result.output
    assert "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1" in result.output
    result = run("profile", "--project-dir", str(project), "-s", "customers")
    assert result.exit_code == 0, result.output
    profile = json.loads((project / "target" / "profile.json").read_text())
    assert list(profile["tables"]) == ["customers", "orders"]
    assert profile["tables"]["orders"]["row_count"] == 80


def test_profile_failure_is_an_error_line_and_exit_1(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    import synthohive_dbt.profiling as profiling

    real = profiling.profile_project

    def flaky(manifest, con, *, tables=None, **kwargs):
        if tables == ["customers"]:
            raise ProfileError("customers is broken", hint="fix it", table="customers")
        return real(manifest, con, tables=tables, **kwargs)

    monkeypatch.setattr(profiling, "profile_project", flaky)
    result = run("profile", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "1 of 2 ERROR profiling customers" in result.output
    assert "2 of 2 OK profiled orders" in result.output
    assert "Done. PASS=1 WARN=0 ERROR=1 SKIP=0 TOTAL=2" in result.output


def test_unexpected_error_is_exit_2_with_traceback_on_debug(project: Path, monkeypatch):
    import synthohive_dbt.project as project_pkg

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(project_pkg, "load_project", boom)
    result = run("validate", "--project-dir", str(project))
    assert result.exit_code == 2
    assert "unexpected error: RuntimeError: kaboom" in result.output and "--debug" in result.output
    assert "Traceback" not in result.output
    result = run("validate", "--project-dir", str(project), "--debug")
    assert result.exit_code == 2 and "Traceback" in result.output


def test_debug_command(project: Path):
    result = run("debug", "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    assert "duckdb:" in result.output and "torch:" in result.output and "sqlglot:" in result.output
    assert "profile: shop  target: dev  type: duckdb" in result.output
    assert "connection: [OK" in result.output and "All checks passed!" in result.output
    result = run("debug", "--project-dir", str(project), "-t", "prod")
    assert result.exit_code == 2
    assert (
        "target 'prod' is not an output" in result.output
        and "connection: [ERROR] skipped" in result.output
    )


def test_clean_removes_target_only_inside_project(project: Path, tmp_path: Path):
    assert run("validate", "--project-dir", str(project)).exit_code == 0
    result = run("clean", "--project-dir", str(project))
    assert result.exit_code == 0 and not (project / "target").exists()
    assert (project / "models" / "schema.yml").exists()
    assert "Nothing to clean" in run("clean", "--project-dir", str(project)).output

    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("x")
    config = project / "shive_project.yml"
    config.write_text(config.read_text().replace("target-path: target", "target-path: ../precious"))
    result = run("clean", "--project-dir", str(project))
    assert result.exit_code == 2 and "not inside the project folder" in result.output
    assert (outside / "keep.txt").exists()


HOLD = (
    "import sys; from pathlib import Path; from synthohive_dbt.locking import exclusive\n"
    "with exclusive(Path(sys.argv[1]), 'run', what='project shop'):\n"
    "    print('held', flush=True); sys.stdin.readline()"
)


def test_clean_refuses_while_another_command_holds_the_project(project: Path):
    assert run("validate", "--project-dir", str(project)).exit_code == 0
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(project / "target" / ".shive.lock")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run("clean", "--project-dir", str(project))
        assert result.exit_code == 1 and f"pid {holder.pid}, 'shive run'" in result.output
        assert (project / "target" / "manifest.json").exists()
    finally:
        holder.communicate("done\n", timeout=30)
    assert run("clean", "--project-dir", str(project)).exit_code == 0
    assert not (project / "target").exists()


@pytest.mark.parametrize("command", ["init", "debug", "validate", "profile", "ls", "clean"])
def test_every_command_has_help(command: str):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output and len(result.output.splitlines()) > 5
    if command not in ("init",):
        assert "--project-dir" in result.output and "--log-format" in result.output


def test_quiet_hides_info(project: Path):
    result = run("validate", "--project-dir", str(project), "-q")
    assert result.exit_code == 0 and result.output == ""


@pytest.mark.slow
def test_console_script_init_and_validate(tmp_path: Path):
    shive = shutil.which("shive")
    if shive is None:
        pytest.skip("the shive console script is not installed")
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    env.pop("SHIVE_PROFILES_DIR", None)
    subprocess.run([shive, "init", "x"], cwd=tmp_path, check=True, env=env, capture_output=True)
    done = subprocess.run(
        [shive, "validate", "--project-dir", "x"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All checks passed." in done.stdout
    bad = subprocess.run([shive, "validate", "--project-dir", "nowhere"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "no shive_project.yml" in bad.stdout


@pytest.mark.slow
def test_built_wheel_ships_the_template(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(REPO / "pyproject.toml", src)
    shutil.copytree(
        Path(synthohive_dbt.__file__).parent,
        src / "synthohive_dbt",
        ignore=shutil.ignore_patterns("__pycache__", "target"),
    )
    readme = REPO / "README.md"
    (src / "README.md").write_text(readme.read_text() if readme.exists() else "# synthohive_dbt\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), "-q"],
        check=True, capture_output=True,
    )  # fmt: skip
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for rel in ("shive_project.yml", "profiles.yml", "models/schema.yml", "data/orders.csv"):
        assert f"synthohive_dbt/project_template/{rel}" in names

    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = (
        "import synthohive_dbt, sys; from synthohive_dbt.cli import main\n"
        "assert synthohive_dbt.__file__.startswith(sys.argv[1]), synthohive_dbt.__file__\n"
        "main(['init', 'fromwheel'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(unpacked), "HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", code, str(unpacked)], cwd=tmp_path, env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "fromwheel" / "models" / "orders.sql").is_file()
    assert "name: fromwheel" in (tmp_path / "fromwheel" / "shive_project.yml").read_text()
