"""Services of 工作日历: who may change it, what is audited, which input is refused and why."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.testing.world import World
from yiwang.workdays.calendar import covered_range, is_workday
from yiwang.workdays.models import CalendarGeneration, CalendarOverride, CalendarYear
from yiwang.workdays.services import (
    calendar_override_remove,
    calendar_override_set,
    calendar_override_set_range,
    calendar_year_enter,
)

D = dt.date
NOTICE = {
    "notice_title": "国务院办公厅关于2027年部分节假日安排的通知",
    "notice_number": "国办发明电〔2026〕99号",
    "published_on": D(2026, 11, 12),
}


def _generation() -> int:
    return CalendarGeneration.objects.get(pk=1).generation if CalendarGeneration.objects.exists() else 0


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- permission -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["clerk_a", "approver_a", "deptadmin_a", "supervisor", "citizen_owner"])
def test_only_the_platform_admin_may_change_the_calendar(world: World, username: str):
    user = world.users[username]
    CalendarOverride.objects.create(day=D(2026, 12, 31), is_workday=False, name="停止办公")
    calls = [
        lambda: calendar_year_enter(actor=user, year=2027, **NOTICE),
        lambda: calendar_override_set(actor=user, day=D(2026, 12, 25), is_workday=False, name="停止办公"),
        lambda: calendar_override_set_range(
            actor=user, first_day=D(2026, 12, 28), last_day=D(2026, 12, 29), is_workday=False, name="停止办公"
        ),
        lambda: calendar_override_remove(actor=user, day=D(2026, 12, 31)),
    ]
    for call in calls:
        assert _refusal(call).code == ErrorCode.PERMISSION_DENIED
    assert not CalendarYear.objects.exists()
    assert list(CalendarOverride.objects.values_list("day", flat=True)) == [D(2026, 12, 31)]
    assert not AuditEvent.objects.filter(action__startswith="calendar").exists()
    assert _generation() == 0


# --- entering a year ------------------------------------------------------------------------------------


def test_entering_a_year_is_audited_and_bumps_the_generation(world: World):
    admin = world.users["admin"]
    entered = calendar_year_enter(actor=admin, year=2027, **NOTICE)
    assert (entered.year, entered.notice_number, entered.entered_by) == (2027, "国办发明电〔2026〕99号", admin)
    event = AuditEvent.objects.get(action="calendar_year.enter")
    assert (event.actor_username, event.object_id) == ("admin", str(entered.pk))
    assert event.changes == {
        "year": [None, 2027],
        "notice_title": [None, "国务院办公厅关于2027年部分节假日安排的通知"],
        "notice_number": [None, "国办发明电〔2026〕99号"],
        "published_on": [None, "2026-11-12"],
    }
    assert _generation() == 1
    assert covered_range()[1] == D(2027, 12, 31)
    assert is_workday(D(2027, 3, 1)) and not is_workday(D(2027, 3, 6))


def test_entering_it_again_corrects_the_notice_without_touching_working_days(world: World):
    admin = world.users["admin"]
    calendar_year_enter(actor=admin, year=2027, **NOTICE)
    calendar_year_enter(actor=admin, year=2027, **NOTICE)  # nothing changes: no audit row
    assert AuditEvent.objects.filter(action__startswith="calendar_year").count() == 1
    corrected = calendar_year_enter(actor=admin, year=2027, **{**NOTICE, "notice_number": "国办发明电〔2026〕8号"})
    assert corrected.notice_number == "国办发明电〔2026〕8号"
    event = AuditEvent.objects.get(action="calendar_year.correct")
    assert event.changes == {"notice_number": ["国办发明电〔2026〕99号", "国办发明电〔2026〕8号"]}
    assert _generation() == 1


def test_years_are_entered_without_a_gap(world: World):
    refusal = _refusal(lambda: calendar_year_enter(actor=world.users["admin"], year=2028, **NOTICE))
    assert (refusal.code, refusal.field, refusal.message) == (
        ErrorCode.VALIDATION,
        "year",
        "年份须连续录入：请先录入2027年的节假日安排通知",
    )
    assert not CalendarYear.objects.exists()


def test_a_built_in_year_is_not_entered(world: World):
    refusal = _refusal(lambda: calendar_year_enter(actor=world.users["admin"], year=2026, **NOTICE))
    assert (refusal.code, refusal.field, refusal.message) == (
        ErrorCode.CONFLICT,
        "year",
        "2026年已包含在内置日历中，无需录入；个别日期有误时请添加调整日",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"notice_title": "  "}, "notice_title", "请填写通知标题"),
        ({"notice_number": ""}, "notice_number", "请填写文号"),
        ({"notice_number": "号" * 61}, "notice_number", "文号不能超过 60 个字"),
        ({"published_on": D(2026, 11, 24)}, "published_on", "发布日期不能晚于今天"),
        ({"published_on": D(2025, 12, 31)}, "published_on", "2027年节假日安排通知的发布日期应在2026年或2027年"),
        ({"published_on": "2026-11-12"}, "published_on", "日期格式应为 YYYY-MM-DD"),
        ({"year": "2027"}, "year", "年份应为四位数字"),
    ],
)
def test_bad_notice_input_says_what_to_fix(world: World, changes: dict, field: str, message: str):
    arguments = {"year": 2027, **NOTICE, **changes}
    refusal = _refusal(lambda: calendar_year_enter(actor=world.users["admin"], **arguments))
    assert (refusal.code, refusal.field, refusal.message) == (ErrorCode.VALIDATION, field, message)
    assert not CalendarYear.objects.exists()


# --- overrides ------------------------------------------------------------------------------------------


def test_setting_an_override_is_audited_with_old_and_new_values(world: World):
    admin = world.users["admin"]
    row = calendar_override_set(actor=admin, day=D(2026, 12, 25), is_workday=False, name="停止办公", note="台风")
    assert (row.created_by, row.is_workday, row.name, row.note) == (admin, False, "停止办公", "台风")
    first = AuditEvent.objects.get(action="calendar_override.set")
    assert first.changes == {
        "day": "2026-12-25",
        "is_workday": [None, False],
        "name": [None, "停止办公"],
        "note": [None, "台风"],
    }
    calendar_override_set(actor=admin, day=D(2026, 12, 25), is_workday=False, name="停止办公", note="台风")
    assert AuditEvent.objects.filter(action="calendar_override.set").count() == 1  # same values: no write
    assert _generation() == 1
    calendar_override_set(actor=admin, day=D(2026, 12, 25), is_workday=False, name="停止办公", note="台风“梅花”")
    second = AuditEvent.objects.filter(action="calendar_override.set").latest("id")
    assert second.changes == {"day": "2026-12-25", "note": ["台风", "台风“梅花”"]}
    row.refresh_from_db()
    assert (row.updated_by, row.note, _generation()) == (admin, "台风“梅花”", 2)


def test_removing_an_override_is_audited_and_restores_the_rule(world: World):
    admin = world.users["admin"]
    calendar_override_set(actor=admin, day=D(2026, 12, 26), is_workday=True, name="调休上班")
    assert is_workday(D(2026, 12, 26))
    calendar_override_remove(actor=admin, day=D(2026, 12, 26))
    assert not CalendarOverride.objects.exists()
    assert not is_workday(D(2026, 12, 26))
    event = AuditEvent.objects.get(action="calendar_override.remove")
    assert event.changes == {
        "day": "2026-12-26",
        "is_workday": [True, None],
        "name": ["调休上班", None],
        "note": ["", None],
    }
    refusal = _refusal(lambda: calendar_override_remove(actor=admin, day=D(2026, 12, 26)))
    assert (refusal.code, refusal.field, refusal.message) == (ErrorCode.NOT_FOUND, "day", "2026-12-26没有调整日")


def test_past_days_are_frozen_and_today_is_not(world: World):
    admin = world.users["admin"]
    CalendarOverride.objects.create(day=D(2026, 11, 20), is_workday=False, name="停止办公")
    for call in (
        lambda: calendar_override_set(actor=admin, day=D(2026, 11, 22), is_workday=True, name="调休上班"),
        lambda: calendar_override_remove(actor=admin, day=D(2026, 11, 20)),
        lambda: calendar_override_set_range(
            actor=admin, first_day=D(2026, 11, 22), last_day=D(2026, 11, 24), is_workday=False, name="停止办公"
        ),
    ):
        refusal = _refusal(call)
        assert (refusal.code, refusal.field) == (ErrorCode.VALIDATION, "day")
        assert refusal.message.startswith("2026-11-2")
        assert "已经过去，不能再修改（已计算的办结期限不会随之改变）" in refusal.message
    assert CalendarOverride.objects.count() == 1
    calendar_override_set(actor=admin, day=D(2026, 11, 23), is_workday=False, name="停止办公", note="台风")
    assert not is_workday(D(2026, 11, 23))


def test_an_override_needs_its_year_entered_first(world: World):
    refusal = _refusal(
        lambda: calendar_override_set(actor=world.users["admin"], day=D(2027, 1, 1), is_workday=False, name="元旦")
    )
    assert (refusal.code, refusal.field, refusal.message) == (
        ErrorCode.CALENDAR_NOT_COVERED,
        "day",
        "工作日历尚未包含2027年，请管理员录入国务院办公厅2027年节假日安排通知",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "请填写名称"),
        ({"name": "节" * 21}, "name", "名称不能超过 20 个字"),
        ({"note": "注" * 201}, "note", "备注不能超过 200 个字"),
        ({"is_workday": "false"}, "is_workday", "请选择放假或调休上班"),
        ({"day": dt.datetime(2026, 12, 25, tzinfo=dt.UTC)}, "day", "日期格式应为 YYYY-MM-DD"),
    ],
)
def test_bad_override_input_says_what_to_fix(world: World, changes: dict, field: str, message: str):
    arguments = {"day": D(2026, 12, 25), "is_workday": False, "name": "停止办公", **changes}
    refusal = _refusal(lambda: calendar_override_set(actor=world.users["admin"], **arguments))
    assert (refusal.code, refusal.field, refusal.message) == (ErrorCode.VALIDATION, field, message)
    assert not CalendarOverride.objects.exists()


def test_a_block_of_days_is_set_all_or_none(world: World):
    admin = world.users["admin"]
    calendar_year_enter(actor=admin, year=2027, **NOTICE)
    rows = calendar_override_set_range(
        actor=admin, first_day=D(2027, 2, 5), last_day=D(2027, 2, 11), is_workday=False, name="春节"
    )
    assert [row.day for row in rows] == [D(2027, 2, 5) + dt.timedelta(days=i) for i in range(7)]
    assert AuditEvent.objects.filter(action="calendar_override.set").count() == 7
    assert _generation() == 2  # one bump for the year, one for the block
    refusal = _refusal(
        lambda: calendar_override_set_range(
            actor=admin, first_day=D(2027, 12, 30), last_day=D(2028, 1, 2), is_workday=False, name="元旦"
        )
    )
    assert (refusal.code, refusal.field) == (ErrorCode.CALENDAR_NOT_COVERED, "last_day")
    assert not CalendarOverride.objects.filter(day__gte=D(2027, 12, 30)).exists()  # the 2027 days rolled back
    refusal = _refusal(
        lambda: calendar_override_set_range(
            actor=admin, first_day=D(2027, 3, 1), last_day=D(2027, 4, 1), is_workday=False, name="停止办公"
        )
    )
    assert (refusal.field, refusal.message) == ("last_day", "一次最多设置 31 天")
    refusal = _refusal(
        lambda: calendar_override_set_range(
            actor=admin, first_day=D(2027, 3, 2), last_day=D(2027, 3, 1), is_workday=False, name="停止办公"
        )
    )
    assert (refusal.field, refusal.message) == ("last_day", "结束日期不能早于开始日期")
