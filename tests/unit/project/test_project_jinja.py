"""Model rendering: macros, strictness, the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthohive_dbt.errors import ProjectError
from synthohive_dbt.project.jinja import render_model, render_string


def _render(sql: str, **vars):
    return render_model(
        sql,
        path=Path("models/m.sql"),
        source=lambda s, t: f'"{s}"."{t}"',
        ref=lambda m: f'"main"."{m}"',
        vars=vars,
        target={"name": "dev", "type": "duckdb", "profile_name": "p"},
    )


def test_macros_are_recorded():
    out = _render(
        "{{ config(materialized='derived', tags=['x']) }}select * from {{ ref('a') }} "
        "join {{ source('raw', 'b') }} using (id) join {{ ref('a') }} where {{ var('n', 3) }} > 1 "
        "-- {{ target.name }}"
    )
    assert out.sql.strip().endswith("where 3 > 1 -- dev")
    assert out.refs == ["a"] and out.sources == [["raw", "b"]]
    assert out.config == {"materialized": "derived", "tags": ["x"]}


def test_strict_undefined_names_the_line():
    with pytest.raises(ProjectError) as info:
        _render("select 1\nfrom x\nwhere {{ nope.attr }}")
    assert info.value.line == 3 and "undefined" in info.value.message


def test_syntax_error_line():
    with pytest.raises(ProjectError) as info:
        _render("select 1\n{% if %}")
    assert info.value.line == 2 and "jinja syntax error" in info.value.message


def test_sandbox_blocks_attribute_escapes():
    with pytest.raises(ProjectError):
        _render("{{ ''.__class__.__mro__[1].__subclasses__() }}")


def test_ref_with_package_is_refused():
    with pytest.raises(ProjectError, match="ref\\(\\) takes one model name"):
        _render("{{ ref('pkg', 'model') }}")


def test_env_var_default_and_missing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SHIVE_TEST_NOPE", raising=False)
    assert render_string("{{ env_var('SHIVE_TEST_NOPE', 'd') }}") == "d"
    with pytest.raises(ProjectError, match="'SHIVE_TEST_NOPE' is not set"):
        render_string("{{ env_var('SHIVE_TEST_NOPE') }}")
