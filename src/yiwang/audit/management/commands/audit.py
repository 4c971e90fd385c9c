"""``yiwang audit verify`` / ``yiwang audit seal``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.audit.selectors import audit_verify
from yiwang.audit.services import audit_seal


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链；seal 立即封存未封存的记录"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["verify", "seal"])

    def handle(self, *args: Any, operation: str, **options: Any) -> None:
        if operation == "seal":
            count = audit_seal()
            self.stdout.write(f"已封存 {count} 条审计记录")
            return
        report = audit_verify()
        if not report.ok:
            raise CommandError(report.describe())
        self.stdout.write(report.describe())
