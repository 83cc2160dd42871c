"""synthohive_dbt: dbt-style synthetic copies of relational data."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ShiveError

__all__ = ["ShiveError", "__version__"]
