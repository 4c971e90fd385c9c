"""Masking of personal data for display (脱敏显示)."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """``371302199001011234`` → ``3713**********1234``: region prefix and last four digits only."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: the family name only."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
