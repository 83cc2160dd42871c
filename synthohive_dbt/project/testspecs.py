"""Parse dbt-style generic data tests as written under ``data_tests:`` (or ``tests:``).

Accepted shapes, as dbt accepts them::

    - unique
    - not_null: {config: {severity: warn}}
    - accepted_values: {values: [a, b], quote: true}
    - accepted_values: {arguments: {values: [a, b]}, config: {where: "x > 0"}}
    - relationships: {to: ref('customers'), field: customer_id}

Table-level tests name their column with ``column_name``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProjectError, known_names_hint
from .model import DataTest

#: arguments each test takes (besides config / name / column_name)
TEST_ARGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (required, optional)
    "unique": ((), ()),
    "not_null": ((), ()),
    "accepted_values": (("values",), ("quote",)),
    "relationships": (("to", "field"), ()),
}
CONFIG_KEYS = (
    "severity", "where", "enabled", "tags", "meta", "store_failures",
    "limit", "error_if", "warn_if", "alias",
)  # fmt: skip


@dataclass
class DataTestSite:
    """Where a test was declared: the file, its line, the model and column."""

    path: Path
    line: int | None
    model: str
    column: str | None
    key_path: str


def parse_data_test(raw: Any, site: DataTestSite) -> DataTest:
    """One entry of ``data_tests:`` as a :class:`DataTest` (``to`` still unresolved)."""
    name, body = _split(raw, site)
    if name not in TEST_ARGS:
        raise _error(
            f"unknown data test {name!r}",
            site,
            known_names_hint(name, TEST_ARGS, "data test")
            + " (shive runs dbt's generic tests; write others as check constraints)",
        )
    args, config = _arguments(name, body, site)
    severity = str(config.get("severity", "error")).lower()
    if severity not in ("error", "warn"):
        raise _error(
            f"severity {config['severity']!r} is not error or warn",
            site,
            "use severity: warn or error",
        )
    if config.get("enabled") is False:
        args["enabled"] = False
    for key in ("where", "store_failures"):
        if key in config:
            args[key] = config[key]
    column = args.pop("column_name", None) if site.column is None else site.column
    if site.column is None and not column:
        raise _error(
            f"the model-level test {name!r} needs 'column_name'", site, "add column_name: <column>"
        )
    if name == "accepted_values" and not isinstance(args.get("values"), list):
        raise _error("accepted_values needs 'values:' as a list", site, "values: [a, b, c]")
    return DataTest(name=name, column=column, config=args, severity=severity)  # type: ignore[arg-type]


def _split(raw: Any, site: DataTestSite) -> tuple[str, dict[str, Any]]:
    if isinstance(raw, str):
        return raw, {}
    if isinstance(raw, dict) and len(raw) == 1:
        name, body = next(iter(raw.items()))
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _error(
                f"the arguments of test {name!r} must be a mapping", site, f"{name}: {{...}}"
            )
        return str(name), dict(body)
    raise _error(
        "a data test is a name or a one-key mapping",
        site,
        "write '- unique' or '- accepted_values: {values: [a, b]}'",
    )


def _arguments(
    name: str, body: dict[str, Any], site: DataTestSite
) -> tuple[dict[str, Any], dict[str, Any]]:
    config = body.pop("config", None) or {}
    nested = body.pop("arguments", None) or {}
    if not isinstance(config, dict) or not isinstance(nested, dict):
        raise _error(f"'config' and 'arguments' of test {name!r} must be mappings", site, None)
    body.pop("name", None)
    args = {**body, **nested}
    # dbt allows config keys at the top of the test too
    for key in list(args):
        if key in CONFIG_KEYS:
            config.setdefault(key, args.pop(key))
    required, optional = TEST_ARGS[name]
    allowed = {*required, *optional, "column_name"}
    for key in args:
        if key not in allowed:
            raise _error(
                f"test {name!r} has no argument {key!r}",
                site,
                known_names_hint(key, sorted(allowed | set(CONFIG_KEYS)), "argument"),
            )
    for key in required:
        if key not in args:
            raise _error(f"test {name!r} needs the argument {key!r}", site, f"add '{key}:'")
    for key in config:
        if key not in CONFIG_KEYS:
            raise _error(
                f"unknown test config {key!r}",
                site,
                known_names_hint(key, CONFIG_KEYS, "test config"),
            )
    return args, config


def _error(message: str, site: DataTestSite, hint: str | None) -> ProjectError:
    where = f"{site.model}.{site.column}" if site.column else site.model
    return ProjectError(
        f"{message} ({site.key_path}, {where})", path=site.path, line=site.line, hint=hint
    )
