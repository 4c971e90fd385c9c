"""内置日历: the years the ``chinesecalendar`` package knows (国务院办公厅 notices, 2004 onward).

Only ``yiwang.workdays`` reads the package. Its ``is_workday`` recomputes ``min``/``max`` over its whole
holiday table on every call (~30 µs), so the index is built from the package's two dictionaries
directly, with the same rule: a listed 调休 working day works, a listed holiday does not, otherwise
Monday–Friday work.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

BUILTIN_FIRST_YEAR: int = min(chinese_calendar.holidays).year  # 2004 in chinesecalendar 1.11
BUILTIN_LAST_YEAR: int = max(chinese_calendar.holidays).year  # 2026 in chinesecalendar 1.11

_HOLIDAYS: dict[dt.date, str] = chinese_calendar.holidays
_WORKDAYS: dict[dt.date, str] = chinese_calendar.workdays

# The package names holidays in English; the pages speak Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

ADJUSTED_WORKDAY = "调休上班"


def builtin_covers(year: int) -> bool:
    """Does ``chinesecalendar`` know this year?"""
    return BUILTIN_FIRST_YEAR <= year <= BUILTIN_LAST_YEAR


def builtin_is_workday(day: dt.date) -> bool:
    """内置日历是否工作日 — same answer as ``chinese_calendar.is_workday`` for a covered day, without its cost."""
    return day in _WORKDAYS or (day.weekday() < 5 and day not in _HOLIDAYS)


def builtin_day_name(day: dt.date) -> str:
    """The Chinese name the built-in calendar gives a day: the holiday, ``调休上班``, or "" for a plain day."""
    if day in _WORKDAYS:
        return ADJUSTED_WORKDAY
    if day in _HOLIDAYS:
        return HOLIDAY_NAMES.get(_HOLIDAYS[day], _HOLIDAYS[day])
    return ""
