"""Leak scans find raw PII where it was put, and none after apply -> fill."""

from __future__ import annotations

import json

import pandas as pd

from synthohive_dbt.privacy import (
    apply_pii,
    fill_generated_pii,
    leak_needles,
    scan_files,
    scan_frame,
)


def test_needles_are_declared_non_keep_values(customers) -> None:
    table, frame = customers
    needles = leak_needles(frame, table)
    assert set(needles) == {"email", "full_name", "ssn", "card", "phone"}
    assert frame["email"].iloc[0] in needles["email"]


def test_scan_frame_finds_whole_cells_and_embedded_values(customers) -> None:
    table, frame = customers
    needles = leak_needles(frame, table)
    raw = frame["email"].iloc[3]
    leaky = pd.DataFrame({"a": [raw, "x"], "b": ["nothing", f"mail {raw} today"]})
    leaks = scan_frame(leaky, needles)
    assert {(lk.source_column, lk.location, lk.hits) for lk in leaks} == {
        ("email", "column a", 1),
        ("email", "column b", 1),
    }
    assert raw not in json.dumps([lk.__dict__ for lk in leaks])  # reports never echo values


def test_no_raw_value_in_training_frame_plan_or_generated_rows(
    customers, secret_env, tmp_path
) -> None:
    table, frame = customers
    needles = leak_needles(frame, table)
    train_frame, plan = apply_pii(frame, table, seed=11)
    generated = train_frame.sample(200, replace=True, random_state=1).reset_index(drop=True)
    output = fill_generated_pii(generated, plan, table, seed=12)
    assert scan_frame(train_frame, needles) == []
    assert scan_frame(output, needles) == []
    (tmp_path / "models" / "customers").mkdir(parents=True)
    (tmp_path / "models" / "customers" / "pii_plan.json").write_text(plan.to_json())
    output.to_csv(tmp_path / "customers.csv", index=False)
    assert scan_files(tmp_path, needles) == []
    frame.to_csv(tmp_path / "raw.csv", index=False)  # positive control
    assert {lk.source_column for lk in scan_files(tmp_path, needles)} == set(needles)


def test_scan_files_opens_deflated_zip_members_and_gzip(customers, tmp_path) -> None:
    import gzip
    import zipfile

    table, frame = customers
    needles = leak_needles(frame, table)
    raw = frame["email"].iloc[5]
    payload = json.dumps({"categories": [raw] * 50}).encode()
    with zipfile.ZipFile(tmp_path / "model.pt", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/meta.json", payload)
    assert raw.encode() not in (tmp_path / "model.pt").read_bytes()  # hidden by compression
    (tmp_path / "cache.json.gz").write_bytes(gzip.compress(payload))
    found = {(lk.source_column, lk.location[len(str(tmp_path)) + 1 :]) for lk in scan_files(tmp_path, needles)}
    assert found == {("email", "model.pt!archive/meta.json"), ("email", "cache.json.gz!gunzip")}


def test_keep_columns_are_needles_only_when_asked(customers) -> None:
    table, frame = customers
    assert "nickname" not in leak_needles(frame, table)
    assert "nickname" in leak_needles(frame, table, include_keep=True)
