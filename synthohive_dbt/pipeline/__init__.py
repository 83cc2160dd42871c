"""The commands' library side: each step of ``shive run`` as a function of a Manifest.

``cli`` parses flags and calls these; Python users call them directly. Each step
logs dbt-style lines and returns an exit code (0 success, 1 a failed table or test).
"""

from __future__ import annotations

from .build import GenerateOptions, generate_step, run_step, train_step
from .checks import load_profile_for, open_target
from .testing import report_step, test_step

__all__ = [
    "GenerateOptions",
    "generate_step",
    "load_profile_for",
    "open_target",
    "report_step",
    "run_step",
    "test_step",
    "train_step",
]
