"""Reads of 工作日历 for the admin pages and the ``calendar`` command: covered years, 调整日, month grids.

Whether a day works always comes from :mod:`yiwang.workdays.calendar` (the index the cases use), so
what the page shows is what the deadlines are computed with.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear

from yiwang.core.errors import not_found
from yiwang.workdays import calendar
from yiwang.workdays.builtin import BUILTIN_FIRST_YEAR, builtin_day_name
from yiwang.workdays.models import CalendarOverride, CalendarYear

WEEKDAY_NAMES = ["一", "二", "三", "四", "五", "六", "日"]


@dataclass(frozen=True)
class YearRow:
    """One covered year: built in (``entered is None``) or entered from a notice, and its 调整日 count."""

    year: int
    entered: CalendarYear | None
    override_count: int

    @property
    def source(self) -> str:
        return "管理员录入" if self.entered is not None else "内置日历（chinesecalendar）"


@dataclass(frozen=True)
class DayCell:
    """One day of the month grid."""

    day: dt.date
    is_workday: bool
    label: str  # 春节 / 调休上班 / "" for an ordinary day
    override: CalendarOverride | None

    @property
    def is_adjusted(self) -> bool:
        """A weekday off or a weekend day at work: what a reader of the grid must not miss."""
        return self.is_workday == (self.day.weekday() >= 5)


@dataclass(frozen=True)
class MonthGrid:
    month: int
    weeks: list[list[DayCell | None]]  # Monday first; None outside the month


def calendar_years() -> list[YearRow]:
    """Covered years, newest first (two queries whatever the number of years)."""
    entered = {row.year: row for row in CalendarYear.objects.select_related("entered_by")}
    last = calendar.contiguous_last_year(entered)
    counts = dict(
        CalendarOverride.objects.annotate(year=ExtractYear("day"))
        .values("year")
        .annotate(n=Count("id"))
        .values_list("year", "n")
    )
    return [YearRow(year, entered.get(year), counts.get(year, 0)) for year in range(last, BUILTIN_FIRST_YEAR - 1, -1)]


@dataclass(frozen=True)
class CoverageWarning:
    """日历到期提醒: the covered range ends within ``YIWANG_CALENDAR_WARN_DAYS`` days (or has ended). A case
    whose time limit reaches past ``last_day`` cannot be accepted (``CALENDAR_NOT_COVERED``) until the admin
    enters ``next_year`` from the State Council's holiday notice."""

    last_day: dt.date
    days_left: int  # days after today the calendar still covers; negative once today is past it
    next_year: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def calendar_coverage_warning(today: dt.date) -> CoverageWarning | None:
    """The warning every staff member's workbench shows as the calendar's end comes near, or None."""
    _, last = calendar.covered_range()
    days_left = (last - today).days
    if days_left > settings.YIWANG_CALENDAR_WARN_DAYS:
        return None
    return CoverageWarning(last_day=last, days_left=days_left, next_year=last.year + 1)


def calendar_next_year() -> int:
    """The year an admin may enter next: the one after the covered interval."""
    return calendar.contiguous_last_year(CalendarYear.objects.values_list("year", flat=True)) + 1


def calendar_year_get(*, year: int) -> YearRow:
    """A covered year, or NOT_FOUND."""
    entered = CalendarYear.objects.select_related("entered_by").filter(year=year).first()
    last = calendar.contiguous_last_year(CalendarYear.objects.values_list("year", flat=True))
    if not BUILTIN_FIRST_YEAR <= year <= last:
        raise not_found(f"{year}年的工作日历")
    return YearRow(year, entered, CalendarOverride.objects.filter(day__year=year).count())


def calendar_overrides(*, year: int) -> QuerySet[CalendarOverride]:
    return CalendarOverride.objects.filter(day__year=year).select_related("created_by", "updated_by").order_by("day")


def _label(day: dt.date, override: CalendarOverride | None, *, entered: bool) -> str:
    """An override's name; else the built-in calendar's name for the day (an entered year has none)."""
    if override is not None:
        return override.name
    return "" if entered else builtin_day_name(day)


def calendar_month_grid(*, year: int) -> list[MonthGrid]:
    """Twelve month grids of a covered year, each day with its status and name (one query for 调整日)."""
    overrides = {row.day: row for row in calendar_overrides(year=year)}
    entered = CalendarYear.objects.filter(year=year).exists()
    months = []
    for month in range(1, 13):
        weeks: list[list[DayCell | None]] = []
        for week in stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row: list[DayCell | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                override = overrides.get(day)
                row.append(
                    DayCell(
                        day=day,
                        is_workday=calendar.is_workday(day),
                        label=_label(day, override, entered=entered),
                        override=override,
                    )
                )
            weeks.append(row)
        months.append(MonthGrid(month=month, weeks=weeks))
    return months
