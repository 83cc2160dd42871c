"""Profiling: what the real data looks like, measured in DuckDB before anything is learned.

* :func:`check_keys` - empty tables, null or duplicate primary keys, duplicate unique
  keys, orphan foreign keys (handled by each key's ``orphan_policy``);
* :func:`profile_project` - per column counts, nulls, distinct values, moments,
  quantiles and top values, and per foreign key the children-per-parent histogram:
  the structure of ``target/profile.json`` (``docs/profile_json.md``);
* :func:`compute_correlations` - the Pearson correlation matrix of a table's learned
  numeric columns (one ``corr`` aggregate per pair, in one query);
* :func:`training_relation_sql` - the SQL the training stage reads a table's rows with,
  orphan rows dropped or their keys nulled.

Everything is computed by aggregate queries over the model views; no table is ever
loaded into Python.
"""

from __future__ import annotations

from ..quoting import quote_identifier
from .children import child_count_distribution, summarize_histogram
from .columns import ColumnSpec, ProfileOptions, column_specs, infer_kind, type_family
from .correlations import MAX_CORRELATION_COLUMNS, compute_correlations, correlation_columns
from .findings import KeyFinding
from .keys import check_keys, check_table_keys
from .moments import QUANTILE_LEVELS
from .profile import (
    PROFILE_FORMAT_VERSION,
    load_profile,
    profile_project,
    profile_table,
    write_profile,
)
from .relations import orphan_action, parent_relation_sql, training_relation_sql

__all__ = [
    "MAX_CORRELATION_COLUMNS",
    "PROFILE_FORMAT_VERSION",
    "QUANTILE_LEVELS",
    "ColumnSpec",
    "KeyFinding",
    "ProfileOptions",
    "check_keys",
    "check_table_keys",
    "child_count_distribution",
    "column_specs",
    "compute_correlations",
    "correlation_columns",
    "infer_kind",
    "load_profile",
    "orphan_action",
    "parent_relation_sql",
    "profile_project",
    "profile_table",
    "quote_identifier",
    "summarize_histogram",
    "training_relation_sql",
    "type_family",
    "write_profile",
]
