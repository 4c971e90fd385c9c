"""Writes of 工作日历: entering a year's holiday notice, setting and removing 调整日.

Each service: permission (``calendar.manage``, held by 平台管理员; ``actor=None`` is the system) →
input checks → lock the ``CalendarGeneration`` row (serialises calendar writes) → early return when
nothing changes → write → audit row → bump the generation and drop this process's index.

Days before today are frozen (decision): a case stores its due dates when they are computed
(``promise_due``/``legal_due``) and nothing recomputes them, so changing a past day would not move any
stored deadline — it would only make later counts over that period (电子监察 statistics, elapsed
working days) disagree with the deadlines already issued, and would let an overdue case be made to look
on time after the fact. Today and later days may change (e.g. a 停止办公 announced for a typhoon); cases
already computed keep their stored due dates, only computations made afterwards see the change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.audit.services import record
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode, permission_denied
from yiwang.workdays.builtin import BUILTIN_FIRST_YEAR, BUILTIN_LAST_YEAR
from yiwang.workdays.calendar import calendar_invalidate, contiguous_last_year, not_covered_error
from yiwang.workdays.models import CalendarGeneration, CalendarOverride, CalendarYear

MAX_RANGE_DAYS = 31  # the longest holiday block of a notice is 9 days; a month is plenty
NAME_MAX = 20
NOTE_MAX = 200
NOTICE_TITLE_MAX = 200
NOTICE_NUMBER_MAX = 60


def _require_manage(actor: Any) -> None:
    if actor is None:
        return
    from yiwang.accounts.permissions import Action, user_can

    if not user_can(actor, Action.CALENDAR_MANAGE):
        raise permission_denied("只有平台管理员可以维护工作日历")


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _require_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise DomainError(ErrorCode.VALIDATION, "日期格式应为 YYYY-MM-DD", field=field)
    return value


def _require_text(value: Any, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.VALIDATION, f"请填写{label}", field=field)
    if len(text) > max_length:
        raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过 {max_length} 个字", field=field)
    return text


def _require_not_past(day: dt.date, field: str) -> None:
    today = _today()
    if day < today:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"{day.isoformat()}已经过去，不能再修改（已计算的办结期限不会随之改变）；请选择今天（{today.isoformat()}）或以后的日期",
            field=field,
        )


def _lock_calendar() -> CalendarGeneration:
    """Lock the generation row: calendar writes run one at a time (the year-gap and coverage checks below
    read the tables and must not race another admin's write)."""
    with contextlib.suppress(IntegrityError):  # another writer created it between our get and our create
        CalendarGeneration.objects.get_or_create(pk=1)
    return CalendarGeneration.objects.select_for_update().get(pk=1)


def _changed(generation: CalendarGeneration) -> None:
    """Last step of a write that changes working days: bump the generation other processes poll, and
    drop this process's index now (this thread sees the change at once) and again on commit."""
    generation.generation += 1
    generation.changed_at = clock.now()
    generation.save(update_fields=["generation", "changed_at"])
    calendar_invalidate()
    transaction.on_commit(calendar_invalidate)


def _covered_last_year() -> int:
    return contiguous_last_year(CalendarYear.objects.values_list("year", flat=True))


def _require_next_year(year: int) -> None:
    """A new year must directly follow the covered interval (which therefore never has a gap)."""
    if year < BUILTIN_FIRST_YEAR:
        raise DomainError(
            ErrorCode.VALIDATION, f"工作日历从{BUILTIN_FIRST_YEAR}年开始，不能录入更早的年份", field="year"
        )
    if year <= BUILTIN_LAST_YEAR:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"{year}年已包含在内置日历中，无需录入；个别日期有误时请添加调整日",
            field="year",
        )
    next_year = _covered_last_year() + 1
    if year != next_year:
        raise DomainError(ErrorCode.VALIDATION, f"年份须连续录入：请先录入{next_year}年的节假日安排通知", field="year")


@transaction.atomic
def calendar_year_enter(
    *, actor: Any, year: int, notice_title: str, notice_number: str, published_on: dt.date
) -> CalendarYear:
    """录入年份: add the year after the last covered one from the State Council's holiday notice.

    From then on the year is computable: Monday–Friday work, except the 调整日 entered next (the
    notice's holidays and 调休上班 days). Entering a year already entered corrects its notice details.
    """
    _require_manage(actor)
    if isinstance(year, bool) or not isinstance(year, int):
        raise DomainError(ErrorCode.VALIDATION, "年份应为四位数字", field="year")
    title = _require_text(notice_title, "notice_title", "通知标题", NOTICE_TITLE_MAX)
    number = _require_text(notice_number, "notice_number", "文号", NOTICE_NUMBER_MAX)
    published = _require_date(published_on, "published_on")
    generation = _lock_calendar()
    existing = CalendarYear.objects.select_for_update().filter(year=year).first()
    if existing is None:
        _require_next_year(year)
    if published > _today():
        raise DomainError(ErrorCode.VALIDATION, "发布日期不能晚于今天", field="published_on")
    if published.year not in (year - 1, year):
        raise DomainError(
            ErrorCode.VALIDATION, f"{year}年节假日安排通知的发布日期应在{year - 1}年或{year}年", field="published_on"
        )
    if existing is not None:  # 更正通知信息: no working day changes, so the generation stays
        new = {"notice_title": title, "notice_number": number, "published_on": published}
        changes = {
            name: [_json(getattr(existing, name)), _json(value)]
            for name, value in new.items()
            if getattr(existing, name) != value
        }
        if not changes:
            return existing
        for name, value in new.items():
            setattr(existing, name, value)
        existing.save(update_fields=list(new))
        record(actor=actor, action="calendar_year.correct", target=existing, changes=changes)
        return existing
    entered = CalendarYear.objects.create(
        year=year,
        notice_title=title,
        notice_number=number,
        published_on=published,
        entered_by=actor,
        entered_at=clock.now(),
    )
    record(
        actor=actor,
        action="calendar_year.enter",
        target=entered,
        changes={
            "year": [None, year],
            "notice_title": [None, title],
            "notice_number": [None, number],
            "published_on": [None, published.isoformat()],
        },
    )
    _changed(generation)
    return entered


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _override_put(
    *,
    actor: Any,
    day: dt.date,
    row: CalendarOverride | None,
    is_workday: bool,
    name: str,
    note: str,
    last_year: int,
    field: str,
) -> tuple[CalendarOverride, bool]:
    """Create or change one day's override ``row`` (locked by the caller, None when the day has none);
    True when something was written."""
    if not BUILTIN_FIRST_YEAR <= day.year <= last_year:
        refusal = not_covered_error(day.year)
        raise DomainError(refusal.code, refusal.message, field=field)
    if row is None:
        row = CalendarOverride.objects.create(
            day=day, is_workday=is_workday, name=name, note=note, created_by=actor, created_at=clock.now()
        )
        changes: dict[str, Any] = {
            "day": day.isoformat(),
            "is_workday": [None, is_workday],
            "name": [None, name],
            "note": [None, note],
        }
        record(actor=actor, action="calendar_override.set", target=row, changes=changes)
        return row, True
    new = {"is_workday": is_workday, "name": name, "note": note}
    changes = {key: [getattr(row, key), value] for key, value in new.items() if getattr(row, key) != value}
    if not changes:
        return row, False
    for key, value in new.items():
        setattr(row, key, value)
    row.updated_by = actor
    row.updated_at = clock.now()
    row.save(update_fields=[*new, "updated_by", "updated_at"])
    record(actor=actor, action="calendar_override.set", target=row, changes={"day": day.isoformat(), **changes})
    return row, True


def _override_input(is_workday: Any, name: Any, note: Any) -> tuple[bool, str, str]:
    if not isinstance(is_workday, bool):
        raise DomainError(ErrorCode.VALIDATION, "请选择放假或调休上班", field="is_workday")
    return (
        is_workday,
        _require_text(name, "name", "名称", NAME_MAX),
        _require_text(note, "note", "备注", NOTE_MAX, required=False),
    )


@transaction.atomic
def calendar_override_set(*, actor: Any, day: dt.date, is_workday: bool, name: str, note: str = "") -> CalendarOverride:
    """设置调整日: make ``day`` a holiday (``is_workday=False``, e.g. 春节) or a working day (调休上班).

    The day must lie in a covered year (enter the year first) and not before today (see the module
    docstring). Setting the same values again changes nothing and writes no audit row.
    """
    _require_manage(actor)
    day = _require_date(day, "day")
    flag, clean_name, clean_note = _override_input(is_workday, name, note)
    _require_not_past(day, "day")
    generation = _lock_calendar()
    row, written = _override_put(
        actor=actor,
        day=day,
        row=CalendarOverride.objects.select_for_update().filter(day=day).first(),
        is_workday=flag,
        name=clean_name,
        note=clean_note,
        last_year=_covered_last_year(),
        field="day",
    )
    if written:
        _changed(generation)
    return row


@transaction.atomic
def calendar_override_set_range(
    *, actor: Any, first_day: dt.date, last_day: dt.date, is_workday: bool, name: str, note: str = ""
) -> list[CalendarOverride]:
    """设置连续调整日: the same override for every day from ``first_day`` to ``last_day`` (a notice's
    "2月6日至12日放假，共7天"), all or none. Weekend days inside a holiday block are stored too, so the
    month view names them."""
    _require_manage(actor)
    first = _require_date(first_day, "day")
    last = _require_date(last_day, "last_day")
    flag, clean_name, clean_note = _override_input(is_workday, name, note)
    if last < first:
        raise DomainError(ErrorCode.VALIDATION, "结束日期不能早于开始日期", field="last_day")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise DomainError(ErrorCode.VALIDATION, f"一次最多设置 {MAX_RANGE_DAYS} 天", field="last_day")
    _require_not_past(first, "day")
    generation = _lock_calendar()
    last_year = _covered_last_year()
    existing = {
        row.day: row for row in CalendarOverride.objects.select_for_update().filter(day__gte=first, day__lte=last)
    }
    rows: list[CalendarOverride] = []
    any_written = False
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        row, written = _override_put(
            actor=actor,
            day=day,
            row=existing.get(day),
            is_workday=flag,
            name=clean_name,
            note=clean_note,
            last_year=last_year,
            field="day" if day.year == first.year else "last_day",
        )
        rows.append(row)
        any_written = any_written or written
    if any_written:
        _changed(generation)
    return rows


@transaction.atomic
def calendar_override_remove(*, actor: Any, day: dt.date) -> None:
    """删除调整日: the day follows its year's rule again (``chinesecalendar``, or Monday–Friday)."""
    _require_manage(actor)
    day = _require_date(day, "day")
    _require_not_past(day, "day")
    generation = _lock_calendar()
    row = CalendarOverride.objects.select_for_update().filter(day=day).first()
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{day.isoformat()}没有调整日", field="day")
    record(
        actor=actor,
        action="calendar_override.remove",
        target=row,
        changes={
            "day": day.isoformat(),
            "is_workday": [row.is_workday, None],
            "name": [row.name, None],
            "note": [row.note, None],
        },
    )
    row.delete()
    _changed(generation)
