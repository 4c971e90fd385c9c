"""``yiwang genkey``: print a fresh 32-byte key for YIWANG_DATA_KEY."""

from __future__ import annotations

import base64
import os
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "生成新的个人信息加密密钥（YIWANG_DATA_KEY）"
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(base64.urlsafe_b64encode(os.urandom(32)).decode("ascii"))
