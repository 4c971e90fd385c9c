"""Demo 工作日历: keep the demo region usable in the last months of the calendar's covered range.

``chinesecalendar`` knows the State Council's notices up to its last year (2026 in 1.11). Loaded in
December 2026, a demo whose clerk accepts a case with a 20-working-day limit would be refused
(``CALENDAR_NOT_COVERED``) — right for a real platform, whose admin must enter the new notice, but a
dead end for someone trying the demo. So while the workbench's 日历到期提醒 would show, the demo enters
the following year(s) through the admin's own service, Monday–Friday with no holidays, under a notice
title that says plainly it is not the State Council's notice. Nothing national is invented: no holiday
dates, no 调休. A real deployment never runs this (``yiwang demo load`` only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.core import clock
from yiwang.workdays import calendar
from yiwang.workdays.selectors import calendar_coverage_warning
from yiwang.workdays.services import calendar_year_enter

DEMO_NOTICE_TITLE = "演示数据：并非国务院办公厅通知，按周一至周五计算，未含节假日"
DEMO_NOTICE_NUMBER = "演示"
_MAX_YEARS = 10  # a demo loaded years after the package's last year still ends


@dataclass(frozen=True)
class CalendarDemoSummary:
    entered: tuple[int, ...]  # the years the demo entered now
    last_day: dt.date  # the last day the calendar covers afterwards


def calendar_demo_load() -> CalendarDemoSummary:
    """Enter demo years while the calendar ends within ``YIWANG_CALENDAR_WARN_DAYS`` of today. Idempotent:
    a covered range that reaches far enough is left alone. Needs the demo region (its ``admin``)."""
    today = timezone.localdate(clock.now())
    entered: list[int] = []
    admin = User.objects.get(username="admin")
    while (warning := calendar_coverage_warning(today)) is not None and len(entered) < _MAX_YEARS:
        year = warning.next_year  # the year after the covered range: the only one the service takes
        calendar_year_enter(
            actor=admin,
            year=year,
            notice_title=DEMO_NOTICE_TITLE,
            notice_number=DEMO_NOTICE_NUMBER,
            published_on=min(today, dt.date(year, 1, 1)),  # on or before today, in the year or the one before
        )
        entered.append(year)
    return CalendarDemoSummary(entered=tuple(entered), last_day=calendar.covered_range()[1])
