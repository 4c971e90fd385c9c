"""Blind indexes of personal identifiers (exact lookup without decrypting any row).

Kept apart from the services so that selectors, services and the phone-code limits share one
definition without importing each other.
"""

from __future__ import annotations

from yiwang.core import crypto

ID_NUMBER_CONTEXT = "accounts.NaturalPerson.id_number"
PHONE_CONTEXT = "accounts.NaturalPerson.phone"


def id_number_index(id_number: str) -> str:
    """Blind index of an already validated ID number."""
    return crypto.blind_index(id_number, context=ID_NUMBER_CONTEXT)


def phone_index(phone: str) -> str:
    """Blind index of an already normalised phone number (the same for a person and a 验证码)."""
    return crypto.blind_index(phone, context=PHONE_CONTEXT)
