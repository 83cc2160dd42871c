"""Render SQL models (and profiles.yml strings) with a sandboxed jinja2.

A model may call ``source('s', 't')``, ``ref('m')``, ``var('name', default)``,
``env_var('NAME', default)`` and ``config(materialized='derived', ...)``; ``target``
exposes the target's ``name``, ``type`` and ``profile_name``. What ``source`` and
``ref`` render to is the caller's choice: the loader renders against the real data
registered in DuckDB, generation renders derived models against the synthetic tables.
Undefined names are errors (StrictUndefined), never empty strings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..errors import ProjectError, ShiveError

TEMPLATE_NAME = "<shive model>"
_MISSING = object()


@dataclass
class RenderedModel:
    """A model's SQL after rendering, with what the macros saw."""

    sql: str
    refs: list[str] = field(default_factory=list)
    sources: list[list[str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def env_var(name: str, default: Any = _MISSING, *, path: Path | None = None) -> str:
    """Value of environment variable ``name``; an unset one without default is an error."""
    if name in os.environ:
        return os.environ[name]
    if default is _MISSING:
        raise ProjectError(
            f"environment variable {name!r} is not set",
            path=path,
            hint=f"export {name}=... or give a default: env_var('{name}', 'value')",
        )
    return str(default)


def _var_function(vars: Mapping[str, Any], path: Path | None) -> Callable[..., Any]:
    def _var(name: str, default: Any = _MISSING) -> Any:
        if name in vars:
            return vars[name]
        if default is _MISSING:
            raise ProjectError(
                f"var {name!r} is not defined",
                path=path,
                hint=f"add it to 'vars:' in shive_project.yml, pass --vars '{{{name}: ...}}' "
                f"or give a default: var('{name}', ...)",
            )
        return default

    return _var


def _config_globals(path: Path | None, vars: Mapping[str, Any] | None) -> dict[str, Any]:
    globals_: dict[str, Any] = {
        "env_var": lambda name, default=_MISSING: env_var(name, default, path=path)
    }
    if vars is not None:
        globals_["var"] = _var_function(vars, path)
    return globals_


def render_string(
    text: str,
    *,
    path: Path | None = None,
    line: int | None = None,
    vars: Mapping[str, Any] | None = None,
) -> str:
    """Render a configuration string that may call ``env_var`` (and ``var``, given ``vars``)."""
    return _render(text, _config_globals(path, vars), path=path, line_offset=(line or 1) - 1)


#: keys whose text is documentation, kept as written (dbt's ``{{ doc('...') }}`` blocks)
_UNRENDERED_KEYS = frozenset({"description"})


def render_config(
    value: Any,
    *,
    path: Path | None = None,
    vars: Mapping[str, Any] | None = None,
    line_of: Callable[[tuple[Any, ...]], int | None] | None = None,
    _key: tuple[Any, ...] = (),
) -> Any:
    """``value`` (a parsed YAML document) with ``{{ env_var() }}`` / ``{{ var() }}`` rendered
    in every string, as dbt renders its yml files; other braces such as ``{name}`` stay."""
    if isinstance(value, dict):
        return {
            k: v
            if k in _UNRENDERED_KEYS
            else render_config(v, path=path, vars=vars, line_of=line_of, _key=(*_key, k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            render_config(v, path=path, vars=vars, line_of=line_of, _key=(*_key, i))
            for i, v in enumerate(value)
        ]
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        line = line_of(_key) if line_of is not None else None
        return render_string(value, path=path, line=line, vars=vars)
    return value


def render_model(
    raw_sql: str,
    *,
    path: Path,
    source: Callable[[str, str], str],
    ref: Callable[[str], str],
    vars: Mapping[str, Any],
    target: Mapping[str, Any],
) -> RenderedModel:
    """Render one SQL model; ``source``/``ref`` map names to quoted relations."""
    result = RenderedModel(sql="")

    def _source(source_name: str, table_name: str) -> str:
        pair = [str(source_name), str(table_name)]
        if pair not in result.sources:
            result.sources.append(pair)
        return source(*pair)

    def _ref(model_name: str, *more: str) -> str:
        if more:
            raise ProjectError(
                f"ref() takes one model name, got {(model_name, *more)!r}",
                path=path,
                hint="packages and versions are not supported: ref('model')",
            )
        if str(model_name) not in result.refs:
            result.refs.append(str(model_name))
        return ref(str(model_name))

    def _config(**kwargs: Any) -> str:
        result.config.update(kwargs)
        return ""

    globals_ = {
        "source": _source,
        "ref": _ref,
        "var": _var_function(vars, path),
        "env_var": lambda name, default=_MISSING: env_var(name, default, path=path),
        "config": _config,
        "target": dict(target),
    }
    result.sql = _render(raw_sql, globals_, path=path)
    return result


def _render(text: str, globals_: dict[str, Any], *, path: Path | None, line_offset: int = 0) -> str:
    """Render ``text``, turning jinja's errors into ProjectErrors with a line number."""
    env = _environment()
    try:
        template = env.from_string(text)
        template.name = TEMPLATE_NAME
        return template.render(**globals_)
    except ShiveError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise ProjectError(
            f"jinja syntax error: {exc.message}",
            path=path,
            line=(exc.lineno or 1) + line_offset,
            hint="check the {{ }} / {% %} delimiters and quotes on that line",
        ) from exc
    except jinja2.UndefinedError as exc:
        raise ProjectError(
            f"undefined name in template: {exc.message}",
            path=path,
            line=_template_line(exc.__traceback__, line_offset),
            hint="models may use source(), ref(), var(), env_var(), config() and target",
        ) from exc
    except jinja2.exceptions.SecurityError as exc:
        raise ProjectError(f"not allowed in a template: {exc}", path=path) from exc
    except jinja2.TemplateError as exc:
        raise ProjectError(
            f"template error: {exc}", path=path, line=_template_line(exc.__traceback__, line_offset)
        ) from exc
    except (TypeError, ValueError) as exc:
        raise ProjectError(
            f"error rendering template: {exc}",
            path=path,
            line=_template_line(exc.__traceback__, line_offset),
        ) from exc


def _template_line(tb: TracebackType | None, offset: int) -> int | None:
    """The template line of the innermost traceback frame inside the template."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in (TEMPLATE_NAME, "<template>"):
            line = tb.tb_lineno + offset
        tb = tb.tb_next
    return line
