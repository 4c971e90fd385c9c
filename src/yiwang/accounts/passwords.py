"""Password policy beyond Django's validators (密码策略)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """A password must mix letters and digits (等保 level-3 practice: at least two character classes)."""

    def validate(self, password: str, user: object = None) -> None:
        has_letter = any(ch.isalpha() for ch in password)
        has_digit = any(ch.isdigit() for ch in password)
        if not (has_letter and has_digit):
            raise ValidationError("密码须同时包含字母和数字。", code="password_character_classes")

    def get_help_text(self) -> str:
        return "密码须同时包含字母和数字。"


class MinimumLengthValidator:
    """Minimum length, with a Chinese message (Django 5.2's zh-hans catalogue lacks this string)."""

    def __init__(self, min_length: int = 10) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(f"密码太短，至少需要 {self.min_length} 个字符。", code="password_too_short")

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
