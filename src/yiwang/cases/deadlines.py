"""时限: due dates of a case and of its steps, from a time limit of the pinned item version.

All working-day arithmetic goes through ``yiwang.workdays.calendar`` (CONVENTIONS rule 15). Counting
starts the day after the start day (the start day is not counted). Limits in 自然日 count calendar days;
limits in 小时 are counted as working days of 8 hours, rounded up (a 4-hour limit is due the next working
day) — the catalog has few of them and no national rule says otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from yiwang.cases.choices import Light
from yiwang.workdays.calendar import add_workdays

HOURS_PER_WORKDAY = 8


def due_date(start: dt.date, limit: dict[str, Any] | None) -> dt.date:
    """The due date of a limit ``{"value": n, "unit": ...}`` counted from ``start`` (not counted)."""
    if not limit:
        return start
    value = int(limit.get("value") or 0)
    unit = limit.get("unit") or "workday"
    if unit == "natural_day":
        return start + dt.timedelta(days=value)
    if unit == "hour":
        return add_workdays(start, math.ceil(value / HOURS_PER_WORKDAY))
    return add_workdays(start, value)


def warn_date(due: dt.date, warning_days: int) -> dt.date:
    """The first day on which at most ``warning_days`` working days remain before ``due`` (黄灯起始日)."""
    return add_workdays(due, -warning_days) if warning_days > 0 else due


def light_of(*, due: dt.date | None, warn_on: dt.date | None, paused: bool, today: dt.date) -> str:
    """The light of one deadline, in Python; ``selectors.light_expression`` is the same rule in SQL."""
    if due is None or paused:
        return Light.GREEN
    if today > due:
        return Light.RED
    if warn_on is not None and today >= warn_on:
        return Light.YELLOW
    return Light.GREEN


def shift(due: dt.date | None, workdays: int) -> dt.date | None:
    """A due date moved later by ``workdays`` working days (pause or extension); never earlier."""
    if due is None or workdays <= 0:
        return due
    return add_workdays(due, workdays)
