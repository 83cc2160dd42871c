"""The artifact: round trip, refusal of damaged or foreign files, no code run on load, resume."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch

from synthohive_dbt.errors import ArtifactError, TrainingError
from synthohive_dbt.synth import TableSynthesizer
from synthohive_dbt.synth.checkpoint import FORMAT_VERSION


@pytest.fixture(scope="module")
def saved(make_settings, make_frame, tmp_path_factory):
    frame = make_frame(200, 0)
    model = TableSynthesizer(make_settings(epochs=2), seed=21).fit(
        frame, bounds={"age": (20, 80)}, progress=False
    )
    path = tmp_path_factory.mktemp("artifact") / "model.shive"
    model.save(path)
    return model, path, frame


def rewrite(source: Path, target: Path, *, meta=None, tensors: bytes | None = None) -> None:
    """Copy an artifact, replacing its metadata or tensor bytes (checksum kept in step)."""
    with zipfile.ZipFile(source) as archive:
        old_meta = json.loads(archive.read("meta.json"))
        blob = archive.read("tensors.pt")
    if tensors is not None:
        import hashlib

        blob = tensors
        old_meta["tensors"].update(sha256=hashlib.sha256(blob).hexdigest(), bytes=len(blob))
    if meta is not None:
        old_meta.update(meta)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("meta.json", json.dumps(old_meta))
        archive.writestr("tensors.pt", blob)


def test_load_gives_the_same_samples(saved):
    model, path, _ = saved
    loaded = TableSynthesizer.load(path)
    pd.testing.assert_frame_equal(loaded.sample(80, seed=5), model.sample(80, seed=5))
    assert loaded.best_epoch == model.best_epoch and loaded.best_score == model.best_score
    assert loaded.fidelity_history == model.fidelity_history
    assert loaded.epochs_trained == 2 and loaded.bounds == model.bounds


def test_metadata_is_json_with_format_and_fidelity(saved):
    _, path, _ = saved
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("meta.json"))
    assert meta["format_version"] == FORMAT_VERSION and meta["library_version"]
    assert meta["fidelity"]["best_epoch"] in {h["epoch"] for h in meta["fidelity"]["history"]}
    assert meta["training_state"] is True and "optimizers" in meta
    assert meta["columns"][0] == "segment"


def test_truncated_file_is_refused(saved, tmp_path):
    _, path, _ = saved
    broken = tmp_path / "cut.shive"
    broken.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ArtifactError, match="truncated or corrupt") as err:
        TableSynthesizer.load(broken)
    assert err.value.hint and err.value.path == str(broken)


def test_corrupt_bytes_are_refused(saved, tmp_path):
    _, path, _ = saved
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("tensors.pt")
    middle = info.header_offset + 100 + info.compress_size // 2
    data[middle] ^= 0xFF
    broken = tmp_path / "flipped.shive"
    broken.write_bytes(bytes(data))
    with pytest.raises(ArtifactError):
        TableSynthesizer.load(broken)


def test_newer_format_is_refused_with_the_upgrade_hint(saved, tmp_path):
    _, path, _ = saved
    newer = tmp_path / "newer.shive"
    rewrite(path, newer, meta={"format_version": FORMAT_VERSION + 1, "library_version": "9.0"})
    with pytest.raises(ArtifactError, match="newer") as err:
        TableSynthesizer.load(newer)
    assert "upgrade" in (err.value.hint or "")


@pytest.mark.parametrize("content", [b"not a zip at all", b""])
def test_foreign_files_are_refused(tmp_path, content):
    path = tmp_path / "foreign.shive"
    path.write_bytes(content)
    with pytest.raises(ArtifactError):
        TableSynthesizer.load(path)


def test_missing_file_and_inconsistent_metadata(saved, tmp_path):
    _, path, _ = saved
    with pytest.raises(ArtifactError, match="not found"):
        TableSynthesizer.load(tmp_path / "nope.shive")
    odd = tmp_path / "odd.shive"
    rewrite(path, odd, meta={"networks": {"data_dim": 1, "generator_input": 1, "critic_input": 1}})
    with pytest.raises(ArtifactError, match="inconsistent"):
        TableSynthesizer.load(odd)


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).touch, ())


def test_loading_runs_no_code_from_the_file(saved, tmp_path):
    _, path, _ = saved
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.shive"
    rewrite(path, evil, tensors=pickle.dumps({"generator.x": _Payload(str(marker))}, protocol=2))
    with pytest.raises(ArtifactError, match="cannot be loaded safely"):
        TableSynthesizer.load(evil)
    assert not marker.exists()


@pytest.mark.slow
def test_a_fresh_process_loads_and_samples_without_the_data(saved, tmp_path):
    """A cold process (no training data, no model in memory) draws the same rows, value for
    value and dtype for dtype, as the model that wrote the artifact for the same seed."""
    model, path, frame = saved
    out_file = tmp_path / "cold.pkl"
    script = textwrap.dedent(f"""
        from synthohive_dbt.synth import TableSynthesizer
        TableSynthesizer.load({str(path)!r}).sample(64, seed=3).to_pickle({str(out_file)!r})
    """)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
        timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    cold = pd.read_pickle(out_file)
    warm = model.sample(64, seed=3)
    assert list(cold.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(cold, warm, check_exact=True)
    assert not cold.equals(model.sample(64, seed=4))  # the seed, not a constant, decides


def test_resume_counts_epochs_on_and_matches_a_straight_run(make_settings, make_frame, tmp_path):
    frame = make_frame(160, 4)
    settings = make_settings(epochs=2, eval_every=1)
    straight = TableSynthesizer(settings.model_copy(update={"epochs": 4}), seed=2).fit(frame, progress=False)
    first = TableSynthesizer(settings, seed=2).fit(frame, progress=False)
    first.save(tmp_path / "half.shive")
    resumed = TableSynthesizer.load(tmp_path / "half.shive").resume(2, frame, progress=False)
    assert resumed.epochs_trained == 4
    assert [h["epoch"] for h in resumed.fidelity_history] == [1, 2, 3, 4]
    for key, value in straight._last_state.items():
        torch.testing.assert_close(resumed._last_state[key], value)
    again = TableSynthesizer.load(tmp_path / "half.shive").fit(frame, resume=True, progress=False)
    assert again.epochs_trained == 4


def test_artifact_without_training_state_samples_but_cannot_resume(saved, tmp_path):
    model, _, frame = saved
    slim = tmp_path / "slim.shive"
    model.save(slim, training_state=False)
    assert slim.stat().st_size < saved[1].stat().st_size
    loaded = TableSynthesizer.load(slim)
    pd.testing.assert_frame_equal(loaded.sample(20, seed=1), model.sample(20, seed=1))
    with pytest.raises(TrainingError, match="no training state"):
        loaded.resume(1, frame, progress=False)
