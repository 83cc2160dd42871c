"""Precompiled content patterns, checksums and column-name hints for PII detection.

Everything here is a pure function of a column name or a bounded sample of values,
so detection costs the same on a table of a thousand rows or a billion. The regexes
run vectorised through pandas' ``.str`` accessors; the checksums (Luhn, IBAN mod 97)
run on numpy arrays of digits so a run of look-alike numbers is rejected cheaply.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

# ---- content patterns (full-match, applied to stripped strings) ---------------------

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
#: the same two, found inside longer text
EMAIL_SEARCH = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
SSN_SEARCH = re.compile(r"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")
#: a 12-19 digit card number (Maestro starts at 12), bare or grouped by spaces or dashes
CARD = re.compile(r"\d(?:[ -]?\d){11,18}")
#: the way cards are printed: 4-4-4-4(-3), or 4-6-5 (Amex), one separator kind
CARD_GROUPED = re.compile(r"\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5}")
IBAN = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}")
#: US social security number, as written (area 000/666/9xx, group 00, serial 0000 invalid)
SSN = re.compile(r"(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}")
#: bare 9-digit SSN: only accepted under a name hint
SSN_BARE = re.compile(r"(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4}")
#: UK National Insurance number
NINO = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]?")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
IPV6 = re.compile(
    r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}"
    r"|::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}"
)
#: a phone number: digits, spaces, dots, dashes, parentheses, an optional leading +
#: and an optional extension; the digit count is checked separately
PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,22}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?")
_PHONE_EXTENSION = r"\s?(?:x|ext\.?)\s?\d{1,6}$"
#: a person's name: 1-4 words of letters (apostrophes, hyphens and dots allowed)
_WORD = r"[^\W\d_]+(?:['.-][^\W\d_]+)*\.?"
PERSON_NAME = re.compile(rf"{_WORD}(?:,?\s+{_WORD}){{0,3}}")
DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T].*)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")


def fullmatch_mask(values: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    """Boolean mask of the string ``values`` that fully match ``pattern``."""
    return values.str.fullmatch(pattern).fillna(False).astype(bool)


def digits_only(values: pd.Series) -> pd.Series:
    """The digits of each string, separators removed."""
    return values.str.replace(r"\D", "", regex=True)


def phone_mask(values: pd.Series, *, formatted_only: bool) -> pd.Series:
    """Values that look like phone numbers.

    Formatted means a leading ``+``, parentheses, or at least two separators: a bare
    run of digits is an id as often as a phone number, so it only counts under a name
    hint (``formatted_only=False``). Without a hint 9-15 digits are needed, which keeps
    dates (8 digits) and short codes out.
    """
    shape = fullmatch_mask(values, PHONE)
    core = values.str.replace(_PHONE_EXTENSION, "", regex=True)
    n_digits = core.str.count(r"\d")
    if not formatted_only:
        return shape & n_digits.between(7, 15)
    separators = core.str.count(r"[\s.()-]")
    formatted = core.str.startswith("+") | core.str.contains("(", regex=False) | (separators >= 2)
    return shape & formatted & n_digits.between(9, 15)


def _digit_matrix(digits: pd.Series, width: int) -> np.ndarray:
    """Right-aligned ``(n, width)`` matrix of the digit strings, left-padded with 0."""
    padded = digits.str.pad(width, side="left", fillchar="0")
    raw = "".join(padded.tolist()).encode("ascii")
    return (np.frombuffer(raw, dtype=np.uint8).reshape(len(padded), width) - 48).astype(np.int64)


def luhn_valid(digits: pd.Series) -> pd.Series:
    """Luhn check of strings of digits (leading zeros change nothing, so pad left)."""
    if digits.empty:
        return pd.Series([], dtype=bool, index=digits.index)
    width = max(int(digits.str.len().max()), 2)
    matrix = _digit_matrix(digits, width)
    doubled = matrix[:, width - 2 :: -2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + matrix[:, width - 1 :: -2].sum(axis=1)
    return pd.Series(total % 10 == 0, index=digits.index)


def luhn_check_digit(digits: pd.Series) -> pd.Series:
    """The digit that makes each payload of digits pass the Luhn check when appended."""
    if digits.empty:
        return pd.Series([], dtype=object, index=digits.index)
    with_zero = digits + "0"
    width = max(int(with_zero.str.len().max()), 2)
    matrix = _digit_matrix(with_zero, width)
    doubled = matrix[:, width - 2 :: -2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + matrix[:, width - 1 :: -2].sum(axis=1)
    return pd.Series(((10 - total % 10) % 10).astype(str), index=digits.index)


def iban_valid(value: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    compact = value.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make ``country + cc + bban`` a valid IBAN."""
    numeric = "".join(str(int(ch, 36)) for ch in (bban + country + "00").upper())
    return f"{98 - int(numeric) % 97:02d}"


# ---- column-name hints ----------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_tokens(column: str) -> tuple[str, ...]:
    """``customerEmail_2`` -> ``('customer', 'email', '2')``."""
    spaced = _CAMEL.sub(" ", column)
    return tuple(t for t in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if t)


_EMAIL_TOKENS = {"email", "mail", "emailaddress", "mailaddress"}
_PHONE_TOKENS = {
    "phone",
    "tel",
    "telephone",
    "mobile",
    "cell",
    "cellphone",
    "fax",
    "msisdn",
    "phonenumber",
}
_SSN_TOKENS = {"ssn", "nino", "sin", "nationalid", "bsn", "nif", "nir", "personnummer", "taxid"}
_IBAN_TOKENS = {"iban"}
_CARD_TOKENS = {"card", "cc", "ccn", "pan", "creditcard", "cardnumber", "ccnumber"}
_IP_TOKENS = {"ip", "ipv4", "ipv6", "ipaddr", "ipaddress"}
_NOT_IP_TOKENS = {"version", "ver", "release", "build", "semver", "revision", "rev", "firmware"}
_FIRST_NAME = {"firstname", "givenname", "forename"}
_LAST_NAME = {"lastname", "surname", "familyname"}
_FULL_NAME = {"fullname", "middlename", "personname", "displayname", "maidenname"}
_PERSON_TOKENS = {
    "customer",
    "contact",
    "person",
    "employee",
    "owner",
    "holder",
    "cardholder",
    "patient",
    "passenger",
    "recipient",
    "sender",
    "author",
    "member",
    "client",
    "guest",
    "student",
    "manager",
    "beneficiary",
    "billing",
    "shipping",
    "emergency",
    "spouse",
    "parent",
}
_NOT_PERSON_TOKENS = {
    "product",
    "company",
    "brand",
    "file",
    "filename",
    "host",
    "hostname",
    "table",
    "item",
    "model",
    "category",
    "segment",
    "store",
    "shop",
    "city",
    "country",
    "street",
    "domain",
    "event",
    "column",
    "schema",
    "project",
    "team",
    "org",
    "organisation",
    "organization",
    "app",
    "device",
    "campaign",
    "plan",
    "tier",
    "status",
    "type",
}
_ADDRESS_TOKENS = {"address", "addr", "street", "streetaddress", "addressline"}
_NOT_ADDRESS_TOKENS = {"ip", "email", "mail", "mac", "web", "url", "wallet", "ipv4", "ipv6"}
_DOB_TOKENS = {"dob", "birthdate", "birthday", "dateofbirth"}
_USERNAME_TOKENS = {"username", "login", "handle"}


def ip_vetoed(column: str) -> bool:
    """True when the name says dotted numbers are versions, not IP addresses."""
    return bool(_joined(name_tokens(column)) & _NOT_IP_TOKENS)


def _joined(tokens: tuple[str, ...]) -> set[str]:
    """Tokens plus every adjacent pair and triple glued: ``first name`` -> ``firstname``."""
    out = set(tokens)
    for size in (2, 3):
        out.update("".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
    return out


def name_hint(column: str) -> str | None:
    """The PII kind a column's name suggests, or None.

    Matching works on whole tokens (``zip`` is not ``ip``, ``hotel`` is not ``tel``),
    and a few anti-tokens veto a hint (``product_name`` is no person, ``version`` holding
    ``10.0.0.1`` is no IP address).
    """
    tokens = name_tokens(column)
    words = _joined(tokens)
    if words & _EMAIL_TOKENS:
        return "email"
    person = _person_name_hint(tokens, words)
    if person:
        return person
    if words & _IBAN_TOKENS:
        return "iban"
    if words & _SSN_TOKENS or {"national", "id"} <= set(tokens) or "socialsecurity" in words:
        return "ssn"
    if words & _CARD_TOKENS or "creditcard" in "".join(tokens):
        return "credit_card_number"
    if words & _IP_TOKENS and not words & _NOT_IP_TOKENS:
        return "ipv4"
    if words & _PHONE_TOKENS:
        return "phone_number"
    if words & _ADDRESS_TOKENS and not words & _NOT_ADDRESS_TOKENS:
        return "street_address" if "street" in words else "address"
    if words & _DOB_TOKENS or ("birth" in tokens and "date" in tokens):
        return "date_of_birth"
    if "passport" in tokens:
        return "passport_number"
    if words & _USERNAME_TOKENS:
        return "user_name"
    return None


def _person_name_hint(tokens: tuple[str, ...], words: set[str]) -> str | None:
    if words & _NOT_PERSON_TOKENS and not words & (_FIRST_NAME | _LAST_NAME | _FULL_NAME):
        return None
    if words & _FIRST_NAME:
        return "first_name"
    if words & _LAST_NAME:
        return "last_name"
    if words & _FULL_NAME:
        return "name"
    if "name" in tokens and (tokens == ("name",) or set(tokens) & _PERSON_TOKENS):
        return "name"
    return None


# ---- name lists that ship with faker --------------------------------------------------

_NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR")


@functools.lru_cache(maxsize=1)
def known_names() -> tuple[frozenset[str], frozenset[str]]:
    """Lower-cased first and last names from faker's person providers (no downloads)."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in _NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            logger.debug("faker has no person provider for %s", locale)
            continue
        first.update(n.lower() for n in getattr(provider, "first_names", ()) or ())
        last.update(n.lower() for n in getattr(provider, "last_names", ()) or ())
    return frozenset(first), frozenset(last)


def person_name_masks(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Two masks over string ``values``.

    ``loose``: shaped like a name with any word a known first or last name.
    ``strict``: two or more words, the first a known first name and the last a known
    last name, the evidence needed when the column's name gives no hint.
    """
    first, last = known_names()
    shaped = fullmatch_mask(values, PERSON_NAME)
    words = values.str.lower().str.replace(r"[.,]", "", regex=True).str.split()
    head = words.str[0]
    tail = words.str[-1]
    n_words = words.str.len().fillna(0)
    in_first = head.isin(first)
    in_last = tail.isin(last)
    any_known = words.map(
        lambda ws: isinstance(ws, list) and any(w in first or w in last for w in ws)
    ).astype(bool)
    loose = shaped & any_known
    strict = shaped & (n_words >= 2) & in_first & in_last
    return loose, strict
