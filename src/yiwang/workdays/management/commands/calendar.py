"""``yiwang calendar show YEAR`` / ``yiwang calendar range``: read the 工作日历 from a terminal."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.core.errors import DomainError
from yiwang.workdays import calendar, selectors


class Command(BaseCommand):
    help = "工作日历：show YEAR 显示某年各月的工作日与调整日；range 显示覆盖范围"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["show", "range"])
        parser.add_argument("year", nargs="?", type=int)

    def handle(self, *args: Any, operation: str, year: int | None, **options: Any) -> None:
        first, last = calendar.covered_range()
        if operation == "range":
            self.stdout.write(f"工作日历覆盖 {first.isoformat()} 至 {last.isoformat()}")
            return
        if year is None:
            raise CommandError("请给出年份，例如：yiwang calendar show 2026")
        try:
            row = selectors.calendar_year_get(year=year)
        except DomainError as exc:
            raise CommandError(calendar.not_covered_error(year).message) from exc
        self.stdout.write(f"{year}年工作日历（{row.source}；班 = 工作日，休 = 休息日，* = 调整）")
        for month in selectors.calendar_month_grid(year=year):
            self.stdout.write(f"\n{month.month}月\n   " + "    ".join(selectors.WEEKDAY_NAMES))
            named: list[str] = []
            for week in month.weeks:
                cells = []
                for cell in week:
                    if cell is None:
                        cells.append("     ")
                        continue
                    mark = "*" if cell.is_adjusted else " "
                    cells.append(f"{cell.day.day:>2}{'班' if cell.is_workday else '休'}{mark}")
                    if cell.label:
                        named.append(f"{cell.day.day}日{cell.label}")
                self.stdout.write(" ".join(cells))
            if named:
                self.stdout.write("  " + "，".join(named))
