"""Fixtures of the 工作日历 tests: a fixed 'now' (2026-11-23, Asia/Shanghai) and a fresh index per test.

The working-day index lives in the process, not in the database, so a test that changed the calendar
(rolled back with the test's transaction) must not leave its index to the next test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.core import clock
from yiwang.workdays.calendar import calendar_invalidate
from yiwang.workdays.services import calendar_override_set_range, calendar_year_enter

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar_invalidate()
    yield
    calendar_invalidate()


@pytest.fixture
def entered_2027(world) -> None:
    """2027 entered by the platform admin, with an illustrative arrangement (test data, not the real
    notice): 元旦 1 Jan, a 春节 block 5–11 Feb, 调休上班 on Saturday 13 Feb."""
    actor = world.users["admin"]
    calendar_year_enter(
        actor=actor,
        year=2027,
        notice_title="国务院办公厅关于2027年部分节假日安排的通知",
        notice_number="国办发明电〔2026〕99号",
        published_on=dt.date(2026, 11, 12),
    )
    calendar_override_set_range(
        actor=actor, first_day=dt.date(2027, 1, 1), last_day=dt.date(2027, 1, 1), is_workday=False, name="元旦"
    )
    calendar_override_set_range(
        actor=actor, first_day=dt.date(2027, 2, 5), last_day=dt.date(2027, 2, 11), is_workday=False, name="春节"
    )
    calendar_override_set_range(
        actor=actor,
        first_day=dt.date(2027, 2, 13),
        last_day=dt.date(2027, 2, 13),
        is_workday=True,
        name="调休上班",
    )
