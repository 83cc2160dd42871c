"""Atomic writes: the old file or the new one, never half; one permission policy."""

from __future__ import annotations

import stat

import pytest

from synthohive_dbt.atomic import atomic_path, write_text_atomic


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_private_and_shared_files_get_their_modes(tmp_path):
    private = write_text_atomic(tmp_path / "sub" / "profile.json", "{}")
    shared = write_text_atomic(tmp_path / "report.html", "<html>", private=False)
    assert private.read_text() == "{}" and _mode(private) == 0o600
    assert shared.read_text() == "<html>" and _mode(shared) == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = write_text_atomic(tmp_path / "manifest.json", "old")
    with pytest.raises(RuntimeError), atomic_path(path) as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
