"""``yiwang phonecodes purge``: delete 短信验证码 rows older than a day (run it daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiwang.accounts.services import phone_code_purge


class Command(BaseCommand):
    help = "清理一天前的短信验证码记录（含请求IP）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["purge"])

    def handle(self, *args: Any, operation: str, **options: Any) -> None:
        self.stdout.write(f"已清理 {phone_code_purge()} 条验证码记录")
