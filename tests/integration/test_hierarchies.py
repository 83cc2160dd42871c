"""Hierarchies (a table referencing itself) through ``shive run`` on DuckDB, and the
self-references ``shive validate`` refuses.

The real ``employees`` form a forest: roots (no manager) in a known share, a fan-out
that shrinks with depth, and a department every employee shares with their manager.
The synthetic forest must have no cycle, every manager must be an employee, the root
share and the depth distribution must follow the real ones, and the department must
follow the manager's, which a model blind to the parent row gets right about a third
of the time.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner

from synthohive_dbt.cli import cli

_PROJECT = """\
name: org
profile: org
model-paths: [models]
target-path: target
seed: 11
synth: {epochs: EPOCHS, batch_size: 60}
"""
_PROFILES = """\
org:
  target: dev
  outputs:
    dev: {type: duckdb, path: target/synthetic.duckdb, schema: main}
"""
_SCHEMA = """\
version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.csv"}
    tables: [{name: employees}, {name: tasks}, {name: sites}, {name: categories}]
models:
  - name: sites
    columns:
      - name: site_id
        constraints: [{type: primary_key}]
  - name: categories
    columns:
      - name: category_id
        constraints: [{type: primary_key}]
      - name: parent_id
        constraints:
          - {type: foreign_key, to: "ref('categories')", to_columns: [category_id]}
  - name: employees
    columns:
      - name: employee_id
        constraints: [{type: primary_key}]
      - name: manager_id
        constraints:
          - {type: foreign_key, to: "ref('employees')", to_columns: [employee_id]}
      - name: site_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('sites')", to_columns: [site_id]}
  - name: tasks
    columns:
      - name: task_id
        constraints: [{type: primary_key}]
      - name: employee_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('employees')", to_columns: [employee_id]}
"""
_DEPTH_SQL = """
WITH RECURSIVE tree(id, depth) AS (
  SELECT employee_id, 0 FROM {t} WHERE manager_id IS NULL
  UNION ALL
  SELECT e.employee_id, tree.depth + 1 FROM {t} e JOIN tree ON e.manager_id = tree.id
  WHERE tree.depth < 50
)
SELECT depth, count(*) FROM tree GROUP BY depth ORDER BY depth
"""
#: children per node at each depth: (choices, probabilities)
_FANOUT = {0: ([2, 3, 4], [0.3, 0.4, 0.3]), 1: ([0, 1, 2, 3], [0.3, 0.3, 0.2, 0.2]),
           2: ([0, 1, 2], [0.5, 0.3, 0.2])}  # fmt: skip
_DEPARTMENTS = ["sales", "ops", "research"]


def _employees(roots: int, seed: int = 3) -> list[tuple]:
    """(employee_id, manager_id, department, level, salary) of a seeded real forest."""
    rng = np.random.default_rng(seed)
    rows: list[tuple] = []
    level = []
    for _ in range(roots):
        dept = _DEPARTMENTS[int(rng.integers(3))]
        rows.append((len(rows) + 1, None, dept, 1, round(float(rng.normal(150, 10)), 2)))
        level.append(rows[-1])
    for depth in range(3):
        nxt = []
        choices, probs = _FANOUT[depth]
        for parent in level:
            for _ in range(int(rng.choice(choices, p=probs))):
                salary = round(float(rng.normal(150 - 30 * (depth + 1), 10)), 2)
                rows.append((len(rows) + 1, parent[0], parent[2], depth + 2, salary))
                nxt.append(rows[-1])
        level = nxt
    order = rng.permutation(len(rows))  # the real table is not stored in tree order
    return [rows[i] for i in order]


def _write_project(root: Path, epochs: int) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "shive_project.yml").write_text(_PROJECT.replace("EPOCHS", str(epochs)))
    (root / "profiles.yml").write_text(_PROFILES)
    (root / "models" / "schema.yml").write_text(_SCHEMA)
    (root / "models" / "employees.sql").write_text(
        "select employee_id, manager_id, site_id, department, level, salary "
        "from {{ source('raw', 'employees') }}\n"
    )
    (root / "models" / "sites.sql").write_text("select * from {{ source('raw', 'sites') }}\n")
    (root / "models" / "categories.sql").write_text(
        "select * from {{ source('raw', 'categories') }}\n"
    )
    (root / "data" / "sites.csv").write_text("site_id,city\n1,north\n2,south\n3,east\n4,west\n")
    categories = ["category_id,parent_id,label"] + [
        f"CAT-{i:03d},{'' if i <= 5 else f'CAT-{(i - 1) // 4:03d}'},{'abc'[i % 3]}"
        for i in range(1, 61)
    ]
    (root / "data" / "categories.csv").write_text("\n".join(categories) + "\n")
    (root / "models" / "tasks.sql").write_text(
        "select task_id, employee_id, hours from {{ source('raw', 'tasks') }}\n"
    )
    employees = _employees(40)
    lines = ["employee_id,manager_id,site_id,department,level,salary"]
    lines += [
        ",".join("" if v is None else str(v) for v in (row[0], row[1], 1 + row[0] % 4, *row[2:]))
        for row in employees
    ]
    (root / "data" / "employees.csv").write_text("\n".join(lines) + "\n")
    tasks = ["task_id,employee_id,hours"]
    tasks += [
        f"{i},{1 + (i * 13) % len(employees)},{1 + i % 8}" for i in range(1, 2 * len(employees))
    ]
    (root / "data" / "tasks.csv").write_text("\n".join(tasks) + "\n")
    return root


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _depths(con: duckdb.DuckDBPyConnection, relation: str) -> dict[int, int]:
    return dict(con.execute(_DEPTH_SQL.format(t=relation)).fetchall())


@pytest.mark.slow
def test_a_hierarchy_is_generated_as_a_forest_shaped_like_the_real_one(tmp_path: Path) -> None:
    root = _write_project(tmp_path / "org", epochs=20)
    result = _run("run", "--project-dir", str(root), "--profiles-dir", str(root), "--no-progress")
    assert result.exit_code == 0, result.output[-4000:]
    real_csv = f"read_csv_auto('{root / 'data' / 'employees.csv'}')"
    with duckdb.connect(str(root / "target" / "synthetic.duckdb"), read_only=True) as con:
        total = con.execute("SELECT count(*) FROM employees").fetchone()[0]
        real_total = con.execute(f"SELECT count(*) FROM {real_csv}").fetchone()[0]
        assert total == real_total  # a root table's size: the real row count
        dangling = con.execute(
            "SELECT count(*) FROM employees e WHERE manager_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM employees m WHERE m.employee_id = e.manager_id)"
        ).fetchone()[0]
        assert dangling == 0
        synth_depths, real_depths = _depths(con, "employees"), _depths(con, real_csv)
        assert sum(synth_depths.values()) == total  # every row reached from a root: no cycle
        real_share = real_depths[0] / real_total
        assert abs(synth_depths[0] / total - real_share) < 0.03
        levels = sorted(set(synth_depths) | set(real_depths))
        gap = sum(abs(synth_depths.get(d, 0) / total - real_depths.get(d, 0) / real_total)
                  for d in levels) / 2  # fmt: skip
        assert gap < 0.1, (synth_depths, real_depths)
        assert max(synth_depths) <= max(real_depths)
        same, linked = con.execute(
            "SELECT sum((e.department = m.department)::INT), count(*) FROM employees e "
            "JOIN employees m ON m.employee_id = e.manager_id"
        ).fetchone()
        assert same / linked > 0.9, (same, linked)  # blind to the parent: about 1/3
        follows = con.execute(
            "SELECT avg((e.level = m.level + 1)::INT) FROM employees e "
            "JOIN employees m ON m.employee_id = e.manager_id"
        ).fetchone()[0]
        assert follows > 0.9  # one level below the manager, as every real row is
        orphan_tasks = con.execute(
            "SELECT count(*) FROM tasks t WHERE NOT EXISTS "
            "(SELECT 1 FROM employees e WHERE e.employee_id = t.employee_id)"
        ).fetchone()[0]
        assert orphan_tasks == 0 and con.execute("SELECT count(*) FROM tasks").fetchone()[0] > 0
        no_site = con.execute(
            "SELECT count(*) FROM employees e WHERE NOT EXISTS "
            "(SELECT 1 FROM sites s WHERE s.site_id = e.site_id)"
        ).fetchone()[0]
        assert no_site == 0  # another parent of a hierarchy: a secondary one
        # text keys in the real shape; every parent a row of the table, reached from a root
        cats = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE category_id LIKE 'CAT-%'), "
            "count(*) FILTER (WHERE parent_id IS NULL) FROM categories"
        ).fetchone()
        assert cats[0] == 60 and cats[1] == 60 and cats[2] >= 1
        reached = con.execute(
            "WITH RECURSIVE t(id, d) AS (SELECT category_id, 0 FROM categories WHERE parent_id "
            "IS NULL UNION ALL SELECT c.category_id, t.d + 1 FROM categories c JOIN t "
            "ON c.parent_id = t.id WHERE t.d < 50) SELECT count(*), max(d) FROM t"
        ).fetchone()
        assert reached[0] == 60 and reached[1] <= 3
    # the rows asked for: a hierarchy is sized like a root table, whatever its other parents
    result = _run("generate", "--project-dir", str(root), "--profiles-dir", str(root),
                  "--no-progress", "--rows", "150")  # fmt: skip
    assert result.exit_code == 0, result.output[-4000:]
    with duckdb.connect(str(root / "target" / "synthetic.duckdb"), read_only=True) as con:
        for name, key, ref in (("employees", "employee_id", "manager_id"),
                               ("categories", "category_id", "parent_id")):  # fmt: skip
            total, dangling = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {ref} IS NOT NULL AND {ref} NOT IN "
                f"(SELECT {key} FROM {name})) FROM {name}"
            ).fetchone()
            assert (total, dangling) == (150, 0), name


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "      - name: manager_id\n",
            "      - name: mentor_id\n        constraints:\n"
            "          - {type: foreign_key, to: \"ref('employees')\", to_columns: [employee_id]}\n"
            "      - name: manager_id\n",
            "references itself through 2 foreign keys",
        ),
        (
            "    columns:\n      - name: employee_id\n        constraints: [{type: primary_key}]\n"
            "      - name: manager_id\n        constraints:\n"
            "          - {type: foreign_key, to: \"ref('employees')\", to_columns: [employee_id]}\n",
            "    constraints:\n      - {type: primary_key, columns: [department, employee_id]}\n"
            "      - {type: foreign_key, columns: [department, manager_id], to: \"ref('employees')\", "
            "to_columns: [department, employee_id]}\n    columns:\n      - name: employee_id\n"
            "        constraints: [{type: unique}]\n",
            "composite self-references are not generated",
        ),
        (
            "    columns:\n      - name: employee_id\n",
            "    config: {synth: {primary_parent: employees}}\n    columns:\n      - name: employee_id\n",
            "synth.primary_parent does not apply",
        ),
    ],
)
def test_validate_refuses_self_references_it_cannot_generate(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    root = _write_project(tmp_path / "org", epochs=1)
    schema = root / "models" / "schema.yml"
    assert old in schema.read_text()
    schema.write_text(schema.read_text().replace(old, new, 1))
    if "mentor_id" in new:
        sql = root / "models" / "employees.sql"
        sql.write_text(
            sql.read_text().replace("manager_id,", "manager_id, manager_id AS mentor_id,")
        )
    result = _run("validate", "--project-dir", str(root), "--profiles-dir", str(root))
    assert result.exit_code == 2, result.output
    assert message in result.output and "hint:" in result.output
    assert "schema.yml" in result.output
