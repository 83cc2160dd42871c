"""pyspark stays optional: without it, everything imports and Spark functions say what to install.

Each check runs in a fresh interpreter where importing pyspark fails, as on a machine
without the ``spark`` extra (no Spark or Java needed).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_PYSPARK = """
import importlib.abc, sys

class NoPySpark(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pyspark" or name.startswith(("pyspark.", "py4j")):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, NoPySpark())
"""


def run_without_pyspark(code: str) -> subprocess.CompletedProcess[str]:
    script = BLOCK_PYSPARK + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )


def test_the_library_imports_without_pyspark_and_never_loads_it():
    result = run_without_pyspark("""
        import sys
        import synthohive_dbt.spark
        import synthohive_dbt.spark.distributed, synthohive_dbt.spark.partition, synthohive_dbt.spark.globalize
        import synthohive_dbt.spark.shipping, synthohive_dbt.spark.sample
        import synthohive_dbt.spark.profiling, synthohive_dbt.spark.sources
        import synthohive_dbt.cli, synthohive_dbt.generate.orchestrator, synthohive_dbt.training
        import synthohive_dbt.profiling, synthohive_dbt.datatests, synthohive_dbt.targets.spark
        print(sorted(m for m in sys.modules if m.startswith(("pyspark", "py4j"))))
        try:
            import pyspark  # noqa: F401
        except ImportError:
            print("pyspark is blocked")
    """)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == ["[]", "pyspark is blocked"]


def test_a_spark_function_raises_the_install_hint_when_called():
    result = run_without_pyspark("""
        from synthohive_dbt.errors import GenerationError, ProfileError
        from synthohive_dbt.spark import cache_spark_sample, generate_table_distributed
        from synthohive_dbt.spark import profile_spark_tables, spark_relation

        print(spark_relation("sales", "orders"))  # needs no Spark
        for call, error in (
            (lambda: cache_spark_sample(None, "`a`.`b`", "x.parquet", max_rows=1, seed=0), ProfileError),
            (lambda: profile_spark_tables(None, None), ProfileError),
            (lambda: generate_table_distributed(None, None, None, rows=1, seed=0), GenerationError),
        ):
            try:
                call()
            except error as exc:
                print(type(exc).__name__, "|", exc.hint)
    """)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "`sales`.`orders`"
    assert lines[1:] == [
        "ProfileError | pip install 'synthohive_dbt[spark]'",
        "ProfileError | pip install 'synthohive_dbt[spark]'",
        "GenerationError | pip install 'synthohive_dbt[spark]'",
    ]
