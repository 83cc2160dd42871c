"""The PII kinds: what ``config.pii.kind`` may name and how faker produces each.

A kind is a faker provider method with a little metadata: whether it yields text or
dates, and whether its values may fill a numeric column by keeping their digits (a
phone number stored as BIGINT). The YAML may use a friendly alias (``phone``,
``credit_card``, ``ip``); :func:`resolve_kind` turns it into the canonical name or
fails with the known names listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from synthohive_dbt.errors import PrivacyError, known_names_hint
from synthohive_dbt.project.model import Column

from .patterns import name_hint


@dataclass(frozen=True)
class FakeKind:
    """One fakeable kind of personal data."""

    name: str
    #: the faker method that draws one value
    method: str
    #: what the values are: ``text`` (str) or ``date`` (datetime.date)
    value_type: Literal["text", "date"] = "text"
    #: the values may fill a numeric column by keeping only their digits
    digits_ok: bool = False


KINDS: dict[str, FakeKind] = {
    k.name: k
    for k in (
        FakeKind("email", "email"),
        FakeKind("phone_number", "phone_number", digits_ok=True),
        FakeKind("ssn", "ssn", digits_ok=True),
        FakeKind("credit_card_number", "credit_card_number", digits_ok=True),
        FakeKind("iban", "iban"),
        FakeKind("ipv4", "ipv4"),
        FakeKind("ipv6", "ipv6"),
        FakeKind("name", "name"),
        FakeKind("first_name", "first_name"),
        FakeKind("last_name", "last_name"),
        FakeKind("address", "address"),
        FakeKind("street_address", "street_address"),
        FakeKind("city", "city"),
        FakeKind("postcode", "postcode", digits_ok=True),
        FakeKind("date_of_birth", "date_of_birth", value_type="date"),
        FakeKind("user_name", "user_name"),
        FakeKind("passport_number", "passport_number"),
        FakeKind("license_plate", "license_plate"),
        FakeKind("company", "company"),
        FakeKind("uuid4", "uuid4"),
        FakeKind("text_token", "lexify"),
    )
}

ALIASES: dict[str, str] = {
    "e_mail": "email",
    "mail": "email",
    "phone": "phone_number",
    "mobile": "phone_number",
    "telephone": "phone_number",
    "tel": "phone_number",
    "national_id": "ssn",
    "nino": "ssn",
    "credit_card": "credit_card_number",
    "card": "credit_card_number",
    "card_number": "credit_card_number",
    "cc_number": "credit_card_number",
    "ip": "ipv4",
    "ip_address": "ipv4",
    "full_name": "name",
    "person": "name",
    "person_name": "name",
    "zip": "postcode",
    "zipcode": "postcode",
    "zip_code": "postcode",
    "postal_code": "postcode",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "birthdate": "date_of_birth",
    "username": "user_name",
    "login": "user_name",
    "passport": "passport_number",
    "uuid": "uuid4",
    "text": "text_token",
    "string": "text_token",
}


def canonical_kind(kind: str) -> str | None:
    """The canonical kind for a name or alias, or None when unknown."""
    key = kind.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    return key if key in KINDS else None


def resolve_kind(kind: str | None, column: Column, *, table: str | None = None) -> FakeKind:
    """The kind to fake ``column`` with.

    A declared kind wins; otherwise the column's name decides (``email``, ``phone``, ...);
    otherwise text columns get random letters and date columns a date of birth. A kind
    whose values cannot fill the column's type is an error, with the fix.
    """
    if kind:
        name = canonical_kind(kind)
        if name is None:
            raise PrivacyError(
                f"unknown PII kind {kind!r}",
                hint=known_names_hint(kind, [*KINDS, *ALIASES], kind="PII kind"),
                table=table,
                column=column.name,
            )
    else:
        name = name_hint(column.name) or _default_kind(column)
    resolved = KINDS[name]
    _check_fits(resolved, column, table)
    return resolved


def _default_kind(column: Column) -> str:
    return "date_of_birth" if column.kind == "datetime" else "text_token"


def _check_fits(kind: FakeKind, column: Column, table: str | None) -> None:
    if column.kind == "boolean":
        raise PrivacyError(
            f"cannot fake a boolean column with kind {kind.name!r}",
            hint="use action: drop or keep for a boolean column",
            table=table,
            column=column.name,
        )
    if column.kind == "numeric" and not kind.digits_ok:
        raise PrivacyError(
            f"fake kind {kind.name!r} yields {kind.value_type}, but the column is "
            f"{column.data_type}",
            hint=f"cast it in the model SQL (cast({column.name} as varchar) as {column.name}) "
            "or pick a kind made of digits: phone_number, ssn, credit_card_number, postcode",
            table=table,
            column=column.name,
        )
    if column.kind == "datetime" and kind.value_type != "date":
        raise PrivacyError(
            f"fake kind {kind.name!r} yields text, but the column is {column.data_type}",
            hint="use kind: date_of_birth for a date column, or cast the column to varchar",
            table=table,
            column=column.name,
        )
