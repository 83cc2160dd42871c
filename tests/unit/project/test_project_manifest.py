"""target/manifest.json round-trips; compile_model renders derived models for a target."""

from __future__ import annotations

import json

import pytest

from synthohive_dbt.errors import ProjectError
from synthohive_dbt.project import compile_model, load_project, read_manifest, write_manifest


def test_write_and_read_back_equal(make_project):
    root = make_project(
        {
            "models/schema.yml": """
            version: 2
            sources:
              - name: raw
                config: {external_location: "data/{name}.csv"}
                tables: [{name: customers}, {name: orders}]
            models:
              - name: customers
                config: {synth: {rows: 10, pac: 5}}
                columns:
                  - name: customer_id
                    constraints: [{type: primary_key}]
                  - name: email
                    config: {pii: {action: mask, keep_last: 2}}
                  - name: age
                    constraints: [{type: check, expression: "age > 0"}]
                    data_tests: [not_null]
              - name: orders
                columns:
                  - name: customer_id
                    constraints: [{type: foreign_key, to: "ref('customers')"}]
            """
        }
    )
    manifest = load_project(root)
    path = write_manifest(manifest)
    assert path == root / "target" / "manifest.json"
    data = json.loads(path.read_text())
    assert data["metadata"]["format_version"] == 1
    assert data["order"] == ["customers", "orders"]
    assert read_manifest(path) == manifest


def test_read_missing_or_old_manifest(tmp_path):
    with pytest.raises(ProjectError, match="shive validate"):
        read_manifest(tmp_path / "manifest.json")
    (tmp_path / "manifest.json").write_text('{"metadata": {"format_version": 0}}')
    with pytest.raises(ProjectError, match="format version 0"):
        read_manifest(tmp_path / "manifest.json")


def test_compile_model_points_refs_at_synthetic_tables(make_project):
    root = make_project(
        {
            "models/ltv.sql": "{{ config(materialized='derived') }}\nselect * from {{ ref('orders') }};\n"
        }
    )
    manifest = load_project(root)
    sql = compile_model(manifest, "ltv", ref=lambda m: f'"synth"."{m}"')
    assert sql.endswith('select * from "synth"."orders"')
    with pytest.raises(ProjectError, match="cannot be computed from synthetic tables"):
        compile_model(manifest, "orders", ref=lambda m: m)
