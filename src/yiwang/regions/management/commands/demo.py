"""``yiwang demo load`` / ``yiwang demo accounts``: the demo region (临沂市) and its demo log-ins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiwang.regions.demo import demo_accounts, demo_load


class Command(BaseCommand):
    help = "加载演示数据（临沂市）；所有人员均为虚构"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["load", "accounts"])

    def handle(self, *args: Any, operation: str, **options: Any) -> None:
        if operation == "load":
            summary = demo_load()
            self.stdout.write(
                f"演示数据：区划 {summary.regions} 个，机构 {summary.departments} 个，场所 {summary.venues} 个，"
                f"窗口 {summary.windows} 个，工作人员 {summary.staff} 人，群众账号 {summary.citizens} 个"
            )
        self.stdout.write("演示账号（均为虚构人员）：")
        for username, what, password in demo_accounts():
            self.stdout.write(f"  {username:<12} {password:<20} {what}")
