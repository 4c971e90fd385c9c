"""``yiwang token create USERNAME [--name N] [--days D]``: issue a bearer token for a machine client."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.accounts.models import User
from yiwang.accounts.services import api_token_create


class Command(BaseCommand):
    help = "为机器客户端签发 API 令牌（只显示一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--name", default="API")
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args: Any, operation: str, username: str, name: str, days: int, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"账号 {username} 不存在")
        token, plaintext = api_token_create(actor=None, user=user, name=name, days=days)
        self.stdout.write(f"令牌（仅显示一次，有效期至 {token.expires_at:%Y-%m-%d}）：")
        self.stdout.write(plaintext)
