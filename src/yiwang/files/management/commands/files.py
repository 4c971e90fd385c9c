"""``yiwang files check``: every stored blob is there and still hashes to its name."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.files.selectors import stored_files_verify


class Command(BaseCommand):
    help = "文件存储：check 校验每个已存储文件存在且内容与其 SHA-256 一致"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["check"])

    def handle(self, *args: Any, operation: str, **options: Any) -> None:
        report = stored_files_verify()
        if not report.ok:
            raise CommandError(report.describe())
        self.stdout.write(report.describe())
