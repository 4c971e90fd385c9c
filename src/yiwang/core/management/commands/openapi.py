"""``yiwang openapi --check|--write``: the committed OpenAPI snapshot (docs/openapi.json)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

SNAPSHOT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def current_schema_text() -> str:
    from yiwang.api.urls import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "比对或更新 OpenAPI 快照 docs/openapi.json"

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true")
        group.add_argument("--write", action="store_true")

    def handle(self, *args: Any, check: bool, write: bool, **options: Any) -> None:
        text = current_schema_text()
        if write:
            SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
            SNAPSHOT.write_text(text, encoding="utf-8")
            self.stdout.write(f"已写入 {SNAPSHOT}")
            return
        old = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
        if old != text:
            diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True), "snapshot", "current"))
            raise CommandError(f"OpenAPI 与快照不一致；确认后运行 `yiwang openapi --write`：\n{diff[:6000]}")
        self.stdout.write("OpenAPI 与快照一致")
