"""PII detection for undeclared columns, from the column's name *and* its content.

Declared columns are skipped: a declaration is authoritative. For the others a
bounded sample of values is matched against precompiled patterns (vectorised), the
share of matching values is measured, and a finding is made only when the evidence
clears a bar that depends on whether the name agrees. Look-alikes are kept out on
purpose: a 16-digit numeric id is no card number without a card-ish name or card-like
grouping, a bare run of digits is no phone number without a phone-ish name, and a
dotted quad in a ``version`` column is no IP address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd
from pandas.api import types as ptypes

from synthohive_dbt.project.model import PiiConfig

from . import patterns as pt
from .transforms import as_text

Reason = Literal["name", "content", "both"]

#: share of sampled values that must match without / with a name hint
CONTENT_SHARE = 0.8
HINTED_SHARE = 0.5
#: share of free-text values with an embedded e-mail or SSN that flags the column
FREE_TEXT_SHARE = 0.05
#: the sample is cut to this many non-null values per column
MAX_SAMPLE = 1000
#: kinds a name alone can flag (content patterns would be unreliable for them)
NAME_ONLY_KINDS = {"address", "street_address", "date_of_birth", "passport_number", "user_name"}
_FLAG_WORDS = {"yes", "no", "y", "n", "true", "false", "t", "f", "0", "1", "unknown", "none"}
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class PiiFinding:
    """An undeclared column that looks like personal data, and the declaration to add."""

    table: str | None
    column: str
    kind: str
    confidence: float
    reason: Reason
    #: the ``config:`` line to add to the column in schema.yml
    suggestion: str
    #: share of the sampled non-null values that matched the kind's pattern
    match_share: float | None = None
    #: how many non-null values were sampled
    sampled: int = 0
    #: what ``run`` does with the column: the action it is protected with (fake, drop), or
    #: None while it is only reported (``privacy.undeclared: warn``)
    action: str | None = None

    def as_yaml(self) -> str:
        """The column entry to paste under ``columns:`` in schema.yml."""
        name = self.column if _SIMPLE_KEY.fullmatch(self.column) else json.dumps(self.column)
        return f"- name: {name}\n  {self.suggestion}"

    def describe(self) -> str:
        """One line for ``validate`` / ``profile`` output."""
        where = f"{self.table}.{self.column}" if self.table else self.column
        share = (
            f", {self.match_share:.0%} of {self.sampled} sampled values"
            if self.match_share is not None
            else ""
        )
        return (
            f"{where} looks like {self.kind} (by {self.reason}{share}; "
            f"confidence {self.confidence:.2f}); declare it: {self.suggestion}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def suggestion_for(kind: str) -> str:
    """The ``config:`` line that declares a column of ``kind``."""
    if kind == "free_text":
        return "config: {pii: {action: drop}}"
    return f"config: {{pii: {{action: fake, kind: {kind}}}}}"


def detect_pii(
    sample: pd.DataFrame,
    *,
    declared: dict[str, PiiConfig] | None = None,
    table: str | None = None,
    max_rows: int = MAX_SAMPLE,
) -> list[PiiFinding]:
    """Findings for the undeclared columns of ``sample`` that look like PII, in column order.

    ``sample`` is a bounded sample of the table's rows (the caller samples; at most
    ``max_rows`` non-null values per column are examined). ``declared`` maps the
    columns with a ``config.pii`` to their declaration; they are not examined.
    """
    skip = set(declared or {})
    findings: list[PiiFinding] = []
    for name in sample.columns:
        if str(name) in skip:
            continue
        finding = _detect_column(str(name), sample[name], max_rows)
        if finding is not None:
            finding.table = table
            findings.append(finding)
    return findings


def _detect_column(name: str, series: pd.Series, max_rows: int) -> PiiFinding | None:
    if ptypes.is_bool_dtype(series.dtype):
        return None
    hint = pt.name_hint(name)
    values = _sample_texts(series, max_rows)
    if values.empty:
        return _finding(name, hint, "name", None, 0) if hint else None
    evidence = _content_evidence(values, hint, name)
    if evidence is not None:
        kind, share = evidence
        reason: Reason = "both" if kind == hint else "content"
        return _finding(name, kind, reason, share, len(values))
    if hint in NAME_ONLY_KINDS and _plausible_for_name_only(hint, series, values):
        return _finding(name, hint, "name", None, len(values))
    return None


def _sample_texts(series: pd.Series, max_rows: int) -> pd.Series:
    present = series.dropna().head(max_rows)
    texts = as_text(present).astype(str).str.strip()
    return texts[texts != ""].reset_index(drop=True)


def _finding(name: str, kind: str, reason: Reason, share: float | None, sampled: int) -> PiiFinding:
    if reason == "both":
        confidence = 0.6 + 0.4 * (share or 0.0)
    elif reason == "content":
        confidence = 0.5 + 0.4 * (share or 0.0)
    else:
        confidence = 0.5 if sampled else 0.3
    return PiiFinding(
        table=None,
        column=name,
        kind=kind,
        confidence=round(min(confidence, 1.0), 3),
        reason=reason,
        suggestion=suggestion_for(kind),
        match_share=None if share is None else round(share, 4),
        sampled=sampled,
    )


# ---- content rules, strongest evidence first --------------------------------------------

Rule = Callable[[pd.Series, "str | None", str], "tuple[str, float] | None"]


def _threshold(kind: str, hint: str | None) -> float:
    return HINTED_SHARE if hint == kind else CONTENT_SHARE


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _email(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    share = _share(pt.fullmatch_mask(values, pt.EMAIL))
    return ("email", share) if share >= _threshold("email", hint) else None


def _iban(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    shaped = pt.fullmatch_mask(values, pt.IBAN)
    if not shaped.any():
        return None
    valid = values[shaped].map(pt.iban_valid)
    share = float(valid.sum()) / len(values)
    return ("iban", share) if share >= _threshold("iban", hint) else None


def _credit_card(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    """Luhn-valid 13-19 digit numbers, and either a card-ish name or card-like grouping."""
    kind = "credit_card_number"
    shaped = pt.fullmatch_mask(values, pt.CARD)
    if not shaped.any():
        return None
    digits = pt.digits_only(values[shaped])
    plausible = ~digits.str.fullmatch(r"(\d)\1+")  # 0000 0000 0000 0000 passes Luhn
    valid = pt.luhn_valid(digits) & plausible
    share = float(valid.sum()) / len(values)
    grouped = _share(pt.fullmatch_mask(values, pt.CARD_GROUPED))
    if share < _threshold(kind, hint):
        return None
    return (kind, share) if hint == kind or grouped >= CONTENT_SHARE else None


def _national_id(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    formatted = _share(pt.fullmatch_mask(values, pt.SSN))
    if formatted >= _threshold("ssn", hint):
        return "ssn", formatted
    if hint != "ssn":
        return None
    loose = pt.fullmatch_mask(values, pt.SSN) | pt.fullmatch_mask(values, pt.SSN_BARE)
    share = _share(loose | pt.fullmatch_mask(values.str.upper(), pt.NINO))
    return ("ssn", share) if share >= HINTED_SHARE else None


def _ip(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    if pt.ip_vetoed(name):
        return None
    v4 = _share(pt.fullmatch_mask(values, pt.IPV4))
    v6 = _share(pt.fullmatch_mask(values, pt.IPV6))
    kind, share = ("ipv4", v4) if v4 >= v6 else ("ipv6", v6)
    threshold = HINTED_SHARE if hint == "ipv4" else CONTENT_SHARE
    return (kind, share) if share >= threshold else None


def _phone(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    hinted = hint == "phone_number"
    share = _share(pt.phone_mask(values, formatted_only=not hinted))
    return ("phone_number", share) if share >= _threshold("phone_number", hint) else None


def _person(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    loose, strict = pt.person_name_masks(values)
    if hint in ("name", "first_name", "last_name"):
        share = _share(loose)
        return (hint, share) if share >= HINTED_SHARE else None
    share = _share(strict)
    return ("name", share) if share >= CONTENT_SHARE else None


def _free_text(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    """E-mails or SSNs inside longer text (notes, comments): the column must not be learned."""
    longer = values.str.len() > 40
    if _share(longer) < 0.5:
        return None
    embedded = values.str.contains(pt.EMAIL_SEARCH) | values.str.contains(pt.SSN_SEARCH)
    share = _share(embedded)
    return ("free_text", share) if share >= FREE_TEXT_SHARE and embedded.sum() >= 2 else None


_RULES: tuple[Rule, ...] = (
    _email,
    _iban,
    _credit_card,
    _national_id,
    _ip,
    _phone,
    _person,
    _free_text,
)


def _content_evidence(values: pd.Series, hint: str | None, name: str) -> tuple[str, float] | None:
    for rule in _RULES:
        found = rule(values, hint, name)
        if found is not None:
            return found
    return None


def _plausible_for_name_only(kind: str, series: pd.Series, values: pd.Series) -> bool:
    """A name-only kind still needs values of the right sort (``address_count`` is a number,
    ``is_address_verified`` holds yes/no)."""
    if values.nunique() <= 2 or values.str.lower().isin(_FLAG_WORDS).mean() >= HINTED_SHARE:
        return False
    if kind == "date_of_birth":
        return (
            ptypes.is_datetime64_any_dtype(series.dtype)
            or _share(pt.fullmatch_mask(values, pt.DATE_LIKE)) >= HINTED_SHARE
        )
    if ptypes.is_numeric_dtype(series.dtype):
        return kind == "passport_number"
    return _share(values.str.contains(r"[^\W\d_]", regex=True)) >= HINTED_SHARE
