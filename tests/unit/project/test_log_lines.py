"""dbt-style log lines, JSON lines, the Done summary and the log file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from synthohive_dbt.errors import ProfileError
from synthohive_dbt.log import (
    RunReport,
    attach_log_file,
    event,
    reset_logging,
    setup_logging,
    step_line,
)


@pytest.fixture(autouse=True)
def _clean_handlers():
    yield
    reset_logging()


def test_step_line_shape():
    line = step_line(1, 4, "OK profiled customers", "OK in 0.12s")
    assert line.startswith("1 of 4 OK profiled customers ...")
    assert line.endswith(" [OK in 0.12s]")


def test_report_counts_and_exit_code(capsys):
    setup_logging()
    report = RunReport(total=3)
    with report.step(1, "a", "profiling a", "profiled a"):
        pass
    with report.step(2, "b", "profiling b", "profiled b") as step:
        step.warn("few rows")
    with report.step(3, "c", "profiling c", "profiled c"):
        raise ProfileError("orders has 3 orphan rows", hint="set orphans: drop")
    assert report.summary() == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any("1 of 3 OK profiled a" in x and "[OK in" in x for x in lines)
    assert any("2 of 3 WARN profiled b" in x for x in lines)
    assert any("3 of 3 ERROR profiling c" in x and "[ERROR in" in x for x in lines)
    assert "orders has 3 orphan rows" in out and "hint: set orphans: drop" in out
    assert lines[-1].endswith("Done. PASS=1 WARN=1 ERROR=1 SKIP=0 TOTAL=3")
    assert lines[-1][:2].isdigit() and lines[-1][8:10] == "  "  # HH:MM:SS then two spaces


def test_unexpected_errors_are_not_swallowed():
    report = RunReport(total=1)
    with pytest.raises(RuntimeError), report.step(1, "a", "doing a", "did a"):
        raise RuntimeError("bug")


def test_json_lines_carry_structured_fields(capsys):
    setup_logging(log_format="json")
    report = RunReport(total=1)
    with report.step(1, "a", "profiling a", "profiled a") as step:
        step.data["row_count"] = 7
    report.summary()
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    finished = next(r for r in records if r.get("event") == "step_finished")
    assert finished["node"] == "a" and finished["status"] == "pass" and finished["row_count"] == 7
    summary = records[-1]
    assert summary["event"] == "summary" and summary["PASS"] == 1 and summary["TOTAL"] == 1


def test_quiet_prints_errors_only_and_file_gets_everything(tmp_path: Path, capsys):
    setup_logging(quiet=True)
    path = attach_log_file(tmp_path / "target")
    event("hello")
    logging.getLogger("synthohive_dbt.project").debug("details")
    event("broken", level=logging.ERROR)
    out = capsys.readouterr().out
    assert "hello" not in out and "broken" in out
    reset_logging()
    text = path.read_text()
    assert path == tmp_path / "target" / "logs" / "shive.log"
    assert "hello" in text and "details" in text and "broken" in text
