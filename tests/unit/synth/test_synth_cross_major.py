"""A model saved under one pandas major loads and samples under the other, value for value.

``tests/data/artifacts/pandas2`` and ``pandas3`` hold the same small model trained under
each major (``make_artifacts.py`` beside them writes them) and the seeded sample it gave
there. Whichever pandas runs this test must load both and give the same rows, in its own
default dtypes (Spark executors may run another pandas than the driver that trained).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from synthohive_dbt.dtypes import DEFAULT_TEXT, is_default_text_dtype
from synthohive_dbt.synth import TableSynthesizer

ARTIFACTS = Path(__file__).resolve().parents[2] / "data" / "artifacts"


def _maker():
    spec = importlib.util.spec_from_file_location("make_artifacts", ARTIFACTS / "make_artifacts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("major", ["pandas2", "pandas3"])
def test_an_artifact_of_either_major_samples_the_same_rows_here(major: str):
    record = json.loads((ARTIFACTS / major / "sample.json").read_text())
    assert record["pandas"].startswith(major[-1] + ".")  # the artifact is what it says
    model = TableSynthesizer.load(ARTIFACTS / major / "model.pt")
    sample = model.sample(record["rows"], seed=record["seed"])

    # this major's own dtypes, whatever the trainer's were
    for column in ("segment", "note"):
        assert is_default_text_dtype(sample[column].dtype), (column, sample[column].dtype)
        assert sample[column].dtype == DEFAULT_TEXT
    assert str(sample["age"].dtype) == "int64" and str(sample["visits"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(sample["signup"].dtype)
    assert str(sample["active"].dtype) == "bool"
    assert list(sample["tier"].cat.categories) == ["silver", "gold", "bronze"]
    assert sample["note"].isna().any() and sample["visits"].isna().any()

    got = _maker().sample_record(sample)
    if record["torch"] != torch.__version__:
        # another torch may round a matmul differently: the values, not their bits, agree
        assert set(got["segment"]) <= {"retail", "smb", "enterprise"}
        assert set(got["tier"]) <= {"silver", "gold", "bronze"}
        return
    assert got == record["sample"]


def test_both_majors_recorded_the_same_sample():
    """The same seed gave the same rows when each artifact was made under its own major."""
    two, three = (json.loads((ARTIFACTS / m / "sample.json").read_text()) for m in ("pandas2", "pandas3"))
    if two["torch"] != three["torch"]:
        pytest.skip("the artifacts were made with different torch releases")
    assert two["sample"] == three["sample"]
