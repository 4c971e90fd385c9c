"""日历到期提醒: as the calendar's last covered day comes near, every staff member's workbench says so (the
admin with a link to enter the next year), and the demo region enters a plainly labelled demo year so that
it stays usable. The fixed 'now' of this package is 2026-11-23; the calendar ends on 2026-12-31."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from yiwang.core import clock
from yiwang.core.errors import DomainError
from yiwang.testing.world import World
from yiwang.workdays.calendar import add_workdays
from yiwang.workdays.models import CalendarOverride, CalendarYear
from yiwang.workdays.selectors import calendar_coverage_warning

D = dt.date
pytestmark = pytest.mark.django_db


def test_the_warning_starts_the_set_number_of_days_before_the_calendar_ends(settings):
    settings.YIWANG_CALENDAR_WARN_DAYS = 38
    warning = calendar_coverage_warning(D(2026, 11, 23))  # 38 days before 2026-12-31
    assert warning is not None
    assert (warning.last_day, warning.days_left, warning.next_year, warning.expired) == (
        D(2026, 12, 31),
        38,
        2027,
        False,
    )
    assert calendar_coverage_warning(D(2026, 11, 22)) is None  # 39 days before
    on_last_day = calendar_coverage_warning(D(2026, 12, 31))
    assert on_last_day is not None and (on_last_day.days_left, on_last_day.expired) == (0, False)
    past = calendar_coverage_warning(D(2027, 1, 4))
    assert past is not None and (past.days_left, past.expired) == (-4, True)


@pytest.mark.usefixtures("entered_2027")
def test_entering_the_next_year_ends_the_warning():
    assert calendar_coverage_warning(D(2026, 11, 23)) is None
    late = calendar_coverage_warning(D(2027, 12, 1))
    assert late is not None and (late.last_day, late.next_year) == (D(2027, 12, 31), 2028)


def _page(world: World, username: str, name: str) -> str:
    client = Client()
    client.force_login(world.users[username])
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_a_clerk_is_told_on_the_workbench_and_the_case_queues_and_sent_to_the_admin(world: World):
    for name in ("workbench:home", "workbench:cases"):
        page = _page(world, "clerk_a", name)
        assert 'id="calendar-warning"' in page, name
        assert "工作日历只覆盖到2026年12月31日（还有 38 天）" in page
        assert "办理时限延伸到2027年的办件将无法受理" in page
        assert "请联系平台管理员" in page
        assert 'href="/workbench/calendar/"' not in page  # the clerk may not enter it


def test_the_admin_is_told_with_the_way_to_enter_the_next_year(world: World):
    page = _page(world, "admin", "workbench:home")
    assert '请<a href="/workbench/calendar/">录入2027年工作日历</a>' in page


def test_once_the_calendar_has_ended_the_warning_says_so(world: World, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2027, 1, 4, 2, 0, tzinfo=dt.UTC))
    page = _page(world, "clerk_a", "workbench:home")
    assert "工作日历只覆盖到2026年12月31日，今天已超出：需要计算办理时限的办件都无法受理。" in page


@pytest.mark.usefixtures("entered_2027")
def test_no_warning_while_the_calendar_reaches_far_enough(world: World):
    for username in ("clerk_a", "admin"):
        assert 'id="calendar-warning"' not in _page(world, username, "workbench:home")


# --- the demo region ---------------------------------------------------------------------------------------


def test_the_demo_enters_a_labelled_demo_year_near_the_calendar_end_and_only_once(monkeypatch):
    from yiwang.regions.demo import demo_load
    from yiwang.workdays.demo import DEMO_NOTICE_TITLE, calendar_demo_load

    demo_load()
    with pytest.raises(DomainError, match="工作日历尚未包含2027年"):
        add_workdays(D(2026, 12, 8), 20)  # what a clerk of the demo met in December 2026
    summary = calendar_demo_load()
    assert (summary.entered, summary.last_day) == ((2027,), D(2027, 12, 31))
    year = CalendarYear.objects.get()
    assert (year.year, year.notice_title, year.entered_by.username) == (2027, DEMO_NOTICE_TITLE, "admin")
    assert year.published_on == D(2026, 11, 23)  # today: never a date after it
    assert not CalendarOverride.objects.exists()  # no holiday invented
    assert add_workdays(D(2026, 12, 8), 20) == D(2027, 1, 5)  # Monday–Friday through the new year
    assert calendar_demo_load().entered == ()  # idempotent
    assert CalendarYear.objects.count() == 1


def test_the_demo_leaves_a_calendar_that_reaches_far_enough(monkeypatch):
    from yiwang.regions.demo import demo_load
    from yiwang.workdays.demo import calendar_demo_load

    demo_load()
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC))
    assert calendar_demo_load().entered == ()
    assert not CalendarYear.objects.exists()


def test_a_demo_loaded_after_the_calendar_ended_enters_every_missing_year(monkeypatch):
    from yiwang.regions.demo import demo_load
    from yiwang.workdays.demo import calendar_demo_load

    demo_load()
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2028, 3, 1, 2, 0, tzinfo=dt.UTC))
    summary = calendar_demo_load()
    assert (summary.entered, summary.last_day) == ((2027, 2028), D(2028, 12, 31))
    assert list(CalendarYear.objects.values_list("year", "published_on")) == [
        (2027, D(2027, 1, 1)),
        (2028, D(2028, 1, 1)),
    ]
