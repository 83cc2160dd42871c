"""The fidelity report: ``report.html`` (plots, verdicts, score) and ``report.json``.

::

    build_report(manifest, profile, adapter, test_result, manifest.target_dir)

The real side of every figure comes from ``profile.json`` aggregates only; the
synthetic side from SQL aggregates and a bounded sample read through the adapter.
See ``docs/report.md``.
"""

from __future__ import annotations

from .build import REPORT_HTML, REPORT_JSON, build_report, report_dict
from .collect import SAMPLE_ROWS, collect

__all__ = ["REPORT_HTML", "REPORT_JSON", "SAMPLE_ROWS", "build_report", "collect", "report_dict"]
