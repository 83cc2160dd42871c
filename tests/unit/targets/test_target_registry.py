"""The target registry: built-ins by name, third-party adapters through entry points."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synthohive_dbt.errors import TargetError
from synthohive_dbt.targets.config import parse_target_config
from synthohive_dbt.targets.duckdb import DuckDBAdapter
from synthohive_dbt.targets.parquet import ParquetAdapter
from synthohive_dbt.targets.registry import (
    ENTRY_POINT_GROUP,
    adapter_class,
    available_types,
    create_adapter,
)

PLUGIN = '''
from __future__ import annotations

import pyarrow as pa

from synthohive_dbt.targets.base import TargetAdapter
from synthohive_dbt.targets.config import TargetConfig


class MemoConfig(TargetConfig):
    type: str = "memo"
    label: str = "memo"


class MemoAdapter(TargetAdapter):
    """Keeps tables in a dict: the smallest adapter the interface allows."""

    type = "memo"
    config_class = MemoConfig

    def connect(self):
        self.tables = {}

    def write_table(self, name, schema, batches):
        self.tables[name] = pa.Table.from_batches(list(batches), schema)
        return self.tables[name].num_rows

    def read_table(self, name, columns=None, batch_size=65536):
        return iter(self.tables[name].select(columns or self.tables[name].column_names).to_batches())

    def table_exists(self, name):
        return name in self.tables

    def drop_table(self, name):
        self.tables.pop(name, None)

    def query(self, sql):
        raise NotImplementedError

    def relation(self, name):
        return name
'''


def install_plugin(root: Path, entry_point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install a plugin the way pip would: a module plus a dist-info with entry_points.txt."""
    (root / "shive_memo_plugin.py").write_text(PLUGIN)
    dist = root / "shive_memo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shive-memo-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_point}\n")
    monkeypatch.syspath_prepend(str(root))


def test_builtin_types_resolve_to_their_adapters():
    assert adapter_class("duckdb") is DuckDBAdapter
    assert adapter_class("parquet") is ParquetAdapter
    assert {"duckdb", "parquet", "spark"} <= set(available_types())


def test_misspelt_type_suggests_the_close_name_and_lists_all():
    with pytest.raises(TargetError, match="unknown target type 'duckbd'") as error:
        adapter_class("duckbd")

    hint = error.value.hint
    assert "did you mean 'duckdb'?" in hint
    assert "known target types: duckdb, parquet, spark" in hint
    assert ENTRY_POINT_GROUP in hint


def test_unrelated_type_lists_the_known_types():
    with pytest.raises(TargetError) as error:
        adapter_class("snowflake")
    assert error.value.hint.startswith("known target types: duckdb, parquet, spark")


def test_adapter_installed_through_an_entry_point_is_found(tmp_path, monkeypatch):
    install_plugin(tmp_path, "memo = shive_memo_plugin:MemoAdapter", monkeypatch)

    assert "memo" in available_types()
    adapter = create_adapter(parse_target_config({"type": "memo", "label": "kept"}), tmp_path)

    assert type(adapter).__name__ == "MemoAdapter"
    assert type(adapter.config).__name__ == "MemoConfig"  # re-validated by its config_class
    assert adapter.config.label == "kept"
    with adapter:
        import pyarrow as pa

        table = pa.table({"a": [1, 2]})
        assert adapter.write_table("t", table.schema, table.to_batches()) == 2


def test_plugin_settings_are_checked_by_the_plugin_model(tmp_path, monkeypatch):
    install_plugin(tmp_path, "memo = shive_memo_plugin:MemoAdapter", monkeypatch)

    with pytest.raises(TargetError, match="invalid settings for target type 'memo'.*colour"):
        create_adapter(parse_target_config({"type": "memo", "colour": "red"}), tmp_path)


def test_broken_entry_point_is_a_target_error(tmp_path, monkeypatch):
    install_plugin(tmp_path, "memo = shive_memo_plugin:NoSuchAdapter", monkeypatch)

    with pytest.raises(TargetError, match="cannot be loaded") as error:
        adapter_class("memo")
    assert "reinstall" in error.value.hint


def test_entry_point_to_something_else_is_refused(tmp_path, monkeypatch):
    install_plugin(tmp_path, "memo = shive_memo_plugin:MemoConfig", monkeypatch)

    with pytest.raises(TargetError, match="not a TargetAdapter subclass"):
        adapter_class("memo")


def test_choosing_duckdb_never_imports_pyspark():
    code = textwrap.dedent(
        """
        import sys
        from synthohive_dbt.targets.config import parse_target_config
        from synthohive_dbt.targets.registry import adapter_class, create_adapter
        adapter_class("spark")  # the spark adapter module itself imports pyspark lazily
        create_adapter(parse_target_config({"type": "duckdb", "path": ":memory:"}), ".")
        print("pyspark" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
