"""YAML reading with line numbers, and pydantic errors turned into ProjectErrors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from synthohive_dbt.errors import ProjectError
from synthohive_dbt.project.diagnostics import format_key_path, validation_error
from synthohive_dbt.project.schema import SchemaFile
from synthohive_dbt.project.yamlio import load_yaml

TEXT = """\
base: &base
  epochs: 5
models:
  - name: a
    config:
      synth:
        <<: *base
        rows: 3
  - name: b
"""


def test_lines_of_keys_and_items_and_merge_keys(tmp_path: Path):
    data, index = load_yaml(tmp_path / "x.yml", text=TEXT)
    assert data["models"][0]["config"]["synth"] == {"epochs": 5, "rows": 3}
    assert index.line_for(("models",)) == 3
    assert index.line_for(("models", 0)) == 4
    assert index.line_for(("models", 0, "config", "synth", "rows")) == 8
    assert index.line_for(("models", 1, "name")) == 9
    # a path that does not exist falls back to its deepest existing ancestor
    assert index.line_for(("models", 1, "columns", 3)) == 9
    assert index.sub(("models", 0)).line_for(("config",)) == 5


def test_empty_file_is_none(tmp_path: Path):
    data, index = load_yaml(tmp_path / "x.yml", text="# nothing\n")
    assert data is None and index.line_for(("a",)) is None


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: [1, 2\nb: 3\n", 2), ("a: 1\n  b: 2\n", 2), ("a: 'open\n", 2), ("- a\nb: 1\n", 2)],
)
def test_syntax_errors_name_the_line(tmp_path: Path, text: str, line: int):
    with pytest.raises(ProjectError) as info:
        load_yaml(tmp_path / "bad.yml", text=text)
    assert info.value.line == line
    assert info.value.path.endswith("bad.yml")
    assert "YAML syntax error in bad.yml" in info.value.message


def test_format_key_path():
    assert format_key_path(("models", 1, "columns", 2, "constraints", 0, "type")) == (
        "models[1].columns[2].constraints[0].type"
    )
    assert format_key_path(()) == "(top level)"


def _error(text: str, tmp_path: Path) -> ProjectError:
    path = tmp_path / "schema.yml"
    data, index = load_yaml(path, text=text)
    with pytest.raises(ValidationError) as info:
        SchemaFile.model_validate(data)
    return validation_error(info.value, path=path, data=data, index=index, model=SchemaFile)


def test_extra_key_suggests_allowed_key(tmp_path: Path):
    err = _error("version: 2\nmodels:\n  - name: a\n    colums: []\n", tmp_path)
    assert err.message == "invalid schema.yml: models[0].colums: unknown key 'colums'"
    assert err.line == 4 and err.hint == "did you mean 'columns'?"


def test_nested_extra_key_in_pii(tmp_path: Path):
    text = "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: e\n        config: {pii: {actoin: hash}}\n"
    err = _error(text, tmp_path)
    assert "models[0].columns[0].config.pii.actoin" in err.message
    assert "did you mean 'action'" in err.hint and err.line == 6


def test_bad_literal_and_several_problems(tmp_path: Path):
    text = "version: 2\nmodels:\n  - name: a\n    config: {materialized: derivd, orphans: nope}\n"
    err = _error(text, tmp_path)
    assert "'derivd' is not allowed" in err.message
    assert "did you mean 'derived'" in err.hint
    assert "also: line 4, models[0].config.orphans" in err.hint


def test_wrong_version(tmp_path: Path):
    err = _error("version: 1\n", tmp_path)
    assert "version" in err.message and err.line == 1
