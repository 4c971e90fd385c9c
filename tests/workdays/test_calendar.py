"""Working-day arithmetic: exact 2025/2026 values, the uncovered-year error, the 2027 path, the index cache,
and property tests against a day-by-day loop over ``chinesecalendar``."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from django.db.models import F
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.core.errors import DomainError, ErrorCode
from yiwang.testing.world import World
from yiwang.workdays import calendar
from yiwang.workdays.calendar import add_workdays, covered_range, is_workday, workdays_between
from yiwang.workdays.models import CalendarGeneration, CalendarOverride
from yiwang.workdays.services import calendar_override_remove, calendar_override_set

D = dt.date
HOLIDAYS_2025 = {
    "元旦": [D(2025, 1, 1)],
    "春节": [D(2025, 1, 28) + dt.timedelta(days=i) for i in range(8)],  # 1-28 … 2-4
    "清明节": [D(2025, 4, 4), D(2025, 4, 5), D(2025, 4, 6)],
    "劳动节": [D(2025, 5, i) for i in range(1, 6)],
    "端午节": [D(2025, 5, 31), D(2025, 6, 1), D(2025, 6, 2)],
    "国庆节、中秋节": [D(2025, 10, i) for i in range(1, 9)],
}
ADJUSTED_2025 = [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)]
HOLIDAYS_2026 = {
    "元旦": [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)],
    "春节": [D(2026, 2, i) for i in range(15, 24)],
    "清明节": [D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6)],
    "劳动节": [D(2026, 5, i) for i in range(1, 6)],
    "端午节": [D(2026, 6, 19), D(2026, 6, 20), D(2026, 6, 21)],
    "中秋节": [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)],
    "国庆节": [D(2026, 10, i) for i in range(1, 8)],
}
ADJUSTED_2026 = [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]
NOT_COVERED_2027 = "工作日历尚未包含2027年，请管理员录入国务院办公厅2027年节假日安排通知"


def _days(year: int) -> list[dt.date]:
    return [D(year, 1, 1) + dt.timedelta(days=i) for i in range((D(year + 1, 1, 1) - D(year, 1, 1)).days)]


# --- exact values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("holidays", "adjusted"), [(HOLIDAYS_2025, ADJUSTED_2025), (HOLIDAYS_2026, ADJUSTED_2026)])
def test_statutory_holidays_rest_and_adjusted_weekends_work(db, holidays, adjusted):
    for name, days in holidays.items():
        assert [day for day in days if is_workday(day)] == [], name
    assert all(is_workday(day) for day in adjusted)
    assert all(day.weekday() >= 5 for day in adjusted)  # 调休上班 days are weekend days


def test_2026_adjusted_working_saturdays_are_exactly_the_notice(db):
    working_weekend_days = [day for day in _days(2026) if day.weekday() >= 5 and is_workday(day)]
    assert working_weekend_days == ADJUSTED_2026


def test_working_days_per_year(db):
    assert sum(is_workday(day) for day in _days(2025)) == 248
    assert sum(is_workday(day) for day in _days(2026)) == 248
    assert workdays_between(D(2024, 12, 31), D(2025, 12, 31)) == 248
    assert workdays_between(D(2025, 12, 31), D(2026, 12, 31)) == 248


def test_worked_example_of_the_standards(db):
    # Friday 13 Feb 2026 + 5: Sat 14 (调休上班), then after the 春节 15–23 Feb: 24, 25, 26, 27.
    assert add_workdays(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert workdays_between(D(2026, 2, 13), D(2026, 2, 27)) == 5


def test_start_day_is_not_counted_and_zero_returns_start(db):
    assert add_workdays(D(2026, 3, 2), 1) == D(2026, 3, 3)  # Monday + 1 = Tuesday
    assert add_workdays(D(2026, 3, 7), 1) == D(2026, 3, 9)  # Saturday + 1 = Monday
    assert add_workdays(D(2026, 3, 7), 0) == D(2026, 3, 7)  # even on a rest day
    assert add_workdays(D(2025, 9, 30), 1) == D(2025, 10, 9)  # over 国庆 2025 (1–8 Oct)
    assert add_workdays(D(2025, 12, 31), 1) == D(2026, 1, 4)  # over 元旦 2026 into its 调休 Sunday


def test_negative_n_is_the_latest_working_day_that_many_before(db):
    assert add_workdays(D(2026, 2, 27), -5) == D(2026, 2, 13)
    assert add_workdays(D(2026, 2, 24), -1) == D(2026, 2, 14)  # the 调休 Saturday before the holiday
    assert add_workdays(D(2026, 2, 21), -1) == D(2026, 2, 13)  # due on a holiday: Fri 13 + Sat 14 → 13
    assert workdays_between(D(2026, 2, 13), D(2026, 2, 21)) == 1
    assert add_workdays(D(2026, 3, 9), -1) == D(2026, 3, 6)  # Monday − 1 = Friday
    assert add_workdays(D(2026, 10, 9), -3) == D(2026, 9, 29)  # over 国庆 1–7 Oct: 9 Oct, 8 Oct, 30 Sep between


def test_workdays_between_is_antisymmetric(db):
    assert workdays_between(D(2026, 2, 27), D(2026, 2, 13)) == -5
    assert workdays_between(D(2026, 2, 15), D(2026, 2, 23)) == 0
    assert workdays_between(D(2026, 5, 6), D(2026, 5, 6)) == 0


def test_covered_range_is_the_built_in_years(db):
    assert covered_range() == (D(2004, 1, 1), D(2026, 12, 31))


# --- outside the covered years --------------------------------------------------------------------------


def test_2027_is_refused_with_a_clear_message(db):
    for call in (
        lambda: is_workday(D(2027, 1, 4)),
        lambda: add_workdays(D(2026, 12, 20), 10),
        lambda: add_workdays(D(2027, 1, 4), -1),
        lambda: workdays_between(D(2026, 12, 1), D(2027, 1, 4)),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert (caught.value.code, caught.value.message, caught.value.status) == (
            ErrorCode.CALENDAR_NOT_COVERED,
            NOT_COVERED_2027,
            409,
        )


def test_last_covered_working_day_is_still_computable(db):
    assert add_workdays(D(2026, 12, 24), 5) == D(2026, 12, 31)
    with pytest.raises(DomainError):
        add_workdays(D(2026, 12, 24), 6)


def test_years_before_the_built_in_calendar_are_refused(db):
    with pytest.raises(DomainError) as caught:
        is_workday(D(2003, 12, 31))
    assert caught.value.message == "工作日历不包含2003年（最早为2004年）"
    with pytest.raises(DomainError) as caught:
        add_workdays(D(2004, 1, 5), -10)
    assert caught.value.message == "工作日历不包含2003年（最早为2004年）"


def test_a_datetime_is_a_programming_error(db):
    with pytest.raises(TypeError):
        is_workday(dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC))
    with pytest.raises(TypeError):
        add_workdays(D(2026, 3, 2), 1.0)  # type: ignore[arg-type]


def test_entering_2027_makes_it_computable(entered_2027):
    assert covered_range() == (D(2004, 1, 1), D(2027, 12, 31))
    # Thu 31 Dec 2026 (1), Fri 1 Jan 2027 元旦 (override), Mon 4 Jan (2), Tue 5 Jan (3)
    assert add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 5)
    assert is_workday(D(2027, 1, 8)) and not is_workday(D(2027, 1, 9))  # Mon–Fri rule of an entered year
    assert [is_workday(D(2027, 2, i)) for i in range(4, 15)] == [
        True,  # Thu 4
        False,  # Fri 5 春节
        False,
        False,
        False,  # Mon 8 春节
        False,
        False,
        False,  # Thu 11 春节
        True,  # Fri 12
        True,  # Sat 13 调休上班
        False,  # Sun 14
    ]
    assert add_workdays(D(2027, 2, 4), 2) == D(2027, 2, 13)
    assert add_workdays(D(2027, 2, 15), -3) == D(2027, 2, 4)
    with pytest.raises(DomainError) as caught:
        add_workdays(D(2027, 12, 20), 30)
    assert "2028年" in caught.value.message


def test_an_override_wins_over_chinesecalendar(world: World):
    admin = world.users["admin"]
    assert is_workday(D(2026, 12, 25)) and not is_workday(D(2026, 12, 26))
    calendar_override_set(actor=admin, day=D(2026, 12, 25), is_workday=False, name="停止办公", note="台风")
    calendar_override_set(actor=admin, day=D(2026, 12, 26), is_workday=True, name="调休上班")
    assert not is_workday(D(2026, 12, 25)) and is_workday(D(2026, 12, 26))  # at once, same process
    assert add_workdays(D(2026, 12, 24), 2) == D(2026, 12, 28)
    calendar_override_remove(actor=admin, day=D(2026, 12, 25))
    assert is_workday(D(2026, 12, 25))


# --- the index cache ------------------------------------------------------------------------------------


def test_cached_calls_do_not_touch_the_database(db, django_assert_num_queries):
    covered_range()
    with django_assert_num_queries(0):
        for _ in range(100):
            add_workdays(D(2026, 2, 13), 5)
            is_workday(D(2026, 2, 14))
            workdays_between(D(2026, 1, 1), D(2026, 12, 31))


def test_another_process_change_is_seen_within_the_check_interval(db, monkeypatch, django_assert_num_queries):
    now = [1000.0]
    monkeypatch.setattr(calendar, "_monotonic", lambda: now[0])
    assert is_workday(D(2026, 12, 25))
    # Another process writes through its services: an override and a new generation, nothing here is told.
    CalendarOverride.objects.create(day=D(2026, 12, 25), is_workday=False, name="停止办公")
    CalendarGeneration.objects.update_or_create(pk=1, defaults={"generation": 1})
    now[0] += calendar.GENERATION_CHECK_SECONDS - 1
    assert is_workday(D(2026, 12, 25))  # stale inside the window, by design
    now[0] += 2
    assert not is_workday(D(2026, 12, 25))  # the generation moved: rebuilt
    now[0] += calendar.GENERATION_CHECK_SECONDS + 1
    with django_assert_num_queries(1):  # unchanged generation: one primary-key read, no rebuild
        assert not is_workday(D(2026, 12, 25))
    CalendarGeneration.objects.filter(pk=1).update(generation=F("generation") + 1)
    calendar.calendar_invalidate()
    assert not is_workday(D(2026, 12, 25))


# --- properties against a day-by-day loop over chinesecalendar ------------------------------------------


def naive_add(start: dt.date, n: int) -> dt.date:
    """The obvious loop: step one day at a time, count days chinesecalendar calls working."""
    day, remaining = start, n
    while remaining > 0:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            remaining -= 1
    return day


def naive_back(start: dt.date, m: int) -> dt.date:
    """The latest working day w with exactly m working days in (w, start], walking backwards."""
    day, counted = start, 0
    while True:
        working = chinese_calendar.is_workday(day)
        if counted == m and working:
            return day
        counted += working
        day -= dt.timedelta(days=1)


def test_add_workdays_agrees_with_a_day_by_day_loop(db):
    @settings(max_examples=400, deadline=None, database=None)
    @given(start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 12, 31)), n=st.integers(0, 60))
    def check(start: dt.date, n: int) -> None:
        try:
            expected = naive_add(start, n)
        except NotImplementedError:  # the loop ran into 2027: we must refuse too, not guess
            with pytest.raises(DomainError) as caught:
                add_workdays(start, n)
            assert caught.value.message == NOT_COVERED_2027
            return
        due = add_workdays(start, n)
        assert due == expected
        assert workdays_between(start, due) == n
        assert workdays_between(due, start) == -n
        if n > 0:
            assert is_workday(due)

    check()


def test_negative_add_workdays_agrees_with_a_backward_loop(db):
    @settings(max_examples=400, deadline=None, database=None)
    @given(start=st.dates(min_value=D(2025, 3, 1), max_value=D(2026, 12, 31)), m=st.integers(1, 30))
    def check(start: dt.date, m: int) -> None:
        warn_on = add_workdays(start, -m)
        assert warn_on == naive_back(start, m)
        assert workdays_between(warn_on, start) == m
        assert is_workday(warn_on)

    check()


def test_is_workday_agrees_with_chinesecalendar_on_every_covered_day(db):
    first, last = covered_range()
    day = first
    while day <= last:
        assert is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
