"""The privacy stage: PII detection, PII actions before training, privacy checks after.

Raw personal data must never reach a trained model, an artifact or an output table.

* detect: :func:`detect_pii` finds undeclared PII by column name and content and
  suggests the declaration to add (``validate`` and ``profile`` report it).
* declare/check: :func:`check_pii_config` and :func:`check_secrets` fail fast, before
  training, on a declaration that cannot be honoured or a missing HMAC secret.
* act: :func:`apply_pii` turns a table's frame into the frame training may see and a
  :class:`PiiPlan`; :func:`fill_generated_pii` re-creates the removed columns in
  generated rows.
* context: :func:`safe_context_columns` keeps a parent's PII out of a child's context.
* measure: :func:`exact_match_share` and :func:`dcr_summary` on generated rows;
  :func:`measure_privacy` (leave-one-out baselines) behind the ``privacy`` data tests.
* prove: :func:`leak_needles`, :func:`scan_frame` and :func:`scan_files` search
  frames and ``target/`` for raw values of declared PII columns.
"""

from __future__ import annotations

from .apply import FakeMode, apply_pii
from .checks import dcr_summary, exact_match_share
from .context import safe_context_columns
from .declarations import check_pii_config, declared_pii, key_columns, pii_columns
from .detect import PiiFinding, detect_pii
from .faking import consistent_fakes, generated_fakes
from .fill import fill_generated_pii
from .kinds import KINDS, FakeKind, resolve_kind
from .leaks import Leak, leak_needles, scan_files, scan_frame
from .measure import identifier_like, measure_privacy
from .plan import ColumnPlan, PiiPlan
from .secret import check_secrets, key_fingerprint
from .transforms import hmac_hex, mask_text

__all__ = [
    "KINDS",
    "ColumnPlan",
    "FakeKind",
    "FakeMode",
    "Leak",
    "PiiFinding",
    "PiiPlan",
    "apply_pii",
    "check_pii_config",
    "check_secrets",
    "consistent_fakes",
    "dcr_summary",
    "declared_pii",
    "detect_pii",
    "exact_match_share",
    "fill_generated_pii",
    "generated_fakes",
    "hmac_hex",
    "identifier_like",
    "key_columns",
    "key_fingerprint",
    "leak_needles",
    "mask_text",
    "measure_privacy",
    "pii_columns",
    "resolve_kind",
    "safe_context_columns",
    "scan_files",
    "scan_frame",
]
