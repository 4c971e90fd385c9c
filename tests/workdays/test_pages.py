"""Workbench pages of 工作日历: the platform admin enters a year and its 调整日 through the services; everyone
else is refused and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from yiwang.audit.models import AuditEvent
from yiwang.testing.world import World
from yiwang.workdays.calendar import add_workdays, is_workday
from yiwang.workdays.models import CalendarOverride, CalendarYear
from yiwang.workdays.selectors import calendar_month_grid, calendar_years

D = dt.date
YEAR_FORM = {
    "year": "2027",
    "notice_title": "国务院办公厅关于2027年部分节假日安排的通知",
    "notice_number": "国办发明电〔2026〕99号",
    "published_on": "2026-11-12",
}


def _client(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def test_admin_sees_the_covered_years_and_the_missing_next_year(world: World):
    page = _client(world, "admin").get(reverse("workbench:calendar")).content.decode()
    assert "目前覆盖 2004年1月1日 至 2026年12月31日" in page
    assert "工作日历尚未包含2027年" in page
    assert 'href="/workbench/calendar/2026/">2026年</a>' in page
    assert 'name="year" value="2027"' in page  # the form starts on the next year


def test_admin_enters_2027_and_a_holiday_block_through_the_pages(world: World):
    admin = _client(world, "admin")
    response = admin.post(reverse("workbench:calendar"), YEAR_FORM)
    assert response.status_code == 302
    assert response["Location"] == "/workbench/calendar/2027/"
    assert CalendarYear.objects.get().entered_by == world.users["admin"]
    response = admin.post(
        reverse("workbench:calendar_year", args=[2027]),
        {"day": "2027-02-05", "last_day": "2027-02-11", "is_workday": "0", "name": "春节", "note": ""},
    )
    assert response["Location"] == "/workbench/calendar/2027/#overrides"
    admin.post(
        reverse("workbench:calendar_year", args=[2027]),
        {"day": "2027-02-13", "last_day": "", "is_workday": "1", "name": "调休上班", "note": "补2月5日"},
    )
    assert CalendarOverride.objects.count() == 8
    assert add_workdays(D(2027, 2, 4), 2) == D(2027, 2, 13)
    page = admin.get(reverse("workbench:calendar_year", args=[2027])).content.decode()
    assert "调整日（8）" in page
    assert "国办发明电〔2026〕99号" in page
    assert '<td class="wd-work wd-adjusted" title="调休上班"><span class="wd-num">13</span>' in page
    assert "补2月5日" in page


def test_errors_are_shown_next_to_the_field_and_nothing_is_saved(world: World):
    admin = _client(world, "admin")
    page = admin.post(reverse("workbench:calendar"), {**YEAR_FORM, "year": "2028"}).content.decode()
    assert '<p class="field-error" id="id_year_error">年份须连续录入：请先录入2027年的节假日安排通知</p>' in page
    assert not CalendarYear.objects.exists()
    page = admin.post(
        reverse("workbench:calendar_year", args=[2026]),
        {"day": "2026-11-20", "is_workday": "0", "name": "停止办公"},
    ).content.decode()
    assert '<p class="field-error" id="id_day_error">2026-11-20已经过去，不能再修改' in page
    page = admin.post(
        reverse("workbench:calendar_year", args=[2026]), {"day": "2026-12-25", "name": ""}
    ).content.decode()
    assert 'id="id_name_error"' in page
    assert not CalendarOverride.objects.exists()


def test_admin_removes_an_override(world: World):
    admin = _client(world, "admin")
    admin.post(
        reverse("workbench:calendar_year", args=[2026]),
        {"day": "2026-12-25", "is_workday": "0", "name": "停止办公", "note": "台风"},
    )
    assert not is_workday(D(2026, 12, 25))
    page = admin.get(reverse("workbench:calendar_year", args=[2026])).content.decode()
    assert 'aria-label="删除 2026-12-25 停止办公"' in page
    response = admin.post(reverse("workbench:calendar_override_remove", args=[2026]), {"day": "2026-12-25"})
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
    assert is_workday(D(2026, 12, 25))
    assert AuditEvent.objects.filter(action="calendar_override.remove", actor_username="admin").count() == 1


@pytest.mark.parametrize("username", ["clerk_a", "approver_a", "supervisor", "citizen_owner"])
def test_everyone_else_is_refused_and_nothing_changes(world: World, username: str):
    CalendarOverride.objects.create(day=D(2026, 12, 31), is_workday=False, name="停止办公")
    client = _client(world, username)
    assert client.get(reverse("workbench:calendar")).status_code == 403
    assert client.get(reverse("workbench:calendar_year", args=[2026])).status_code == 403
    assert client.post(reverse("workbench:calendar"), YEAR_FORM).status_code == 403
    post = {"day": "2026-12-25", "is_workday": "0", "name": "停止办公"}
    assert client.post(reverse("workbench:calendar_year", args=[2026]), post).status_code == 403
    remove = client.post(reverse("workbench:calendar_override_remove", args=[2026]), {"day": "2026-12-31"})
    assert remove.status_code == 403
    assert not CalendarYear.objects.exists()
    assert list(CalendarOverride.objects.values_list("day", flat=True)) == [D(2026, 12, 31)]


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(reverse("workbench:calendar"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_uncovered_year_has_no_page(world: World):
    assert _client(world, "admin").get(reverse("workbench:calendar_year", args=[2027])).status_code == 404


def test_home_shows_the_calendar_tile_to_the_admin_only(world: World):
    tile = 'href="/workbench/calendar/"'
    assert tile in _client(world, "admin").get(reverse("workbench:home")).content.decode()
    assert tile not in _client(world, "clerk_a").get(reverse("workbench:home")).content.decode()


def test_month_grid_names_2026_holidays(db):
    months = calendar_month_grid(year=2026)
    february = {cell.day.day: cell for week in months[1].weeks for cell in week if cell}
    assert (february[14].is_workday, february[14].label, february[14].is_adjusted) == (True, "调休上班", True)
    assert (february[16].is_workday, february[16].label, february[16].is_adjusted) == (False, "春节", True)
    assert (february[21].is_workday, february[21].label, february[21].is_adjusted) == (False, "春节", False)
    assert (february[24].is_workday, february[24].label) == (True, "")


def test_reads_use_a_fixed_number_of_queries(world: World, django_assert_num_queries):
    calendar_month_grid(year=2026)  # warm the index
    with django_assert_num_queries(2):
        assert [row.year for row in calendar_years()][:2] == [2026, 2025]
    with django_assert_num_queries(2):
        calendar_month_grid(year=2026)
