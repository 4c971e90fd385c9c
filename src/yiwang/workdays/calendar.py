"""工作日计算: the one module every time limit (承诺办结时限, 法定办结时限, 黄灯/红灯) uses.

Public API (called by ``cases`` and the 电子监察 rules)::

    is_workday(day)                  # 是否工作日
    add_workdays(start, n)           # 加 N 个工作日 (起算日不计入, 民法典第二百零一条)
    workdays_between(start, end)     # 两日之间的工作日数 (start < d <= end)
    covered_range()                  # 工作日历覆盖的日期范围
    calendar_invalidate()            # 丢弃本进程的工作日索引

Which days work
    Built-in years (``chinesecalendar``, 2004–2026 in 1.11) follow the package; a year the platform admin
    entered (:class:`~yiwang.workdays.models.CalendarYear`) works Monday–Friday. In both, a
    :class:`~yiwang.workdays.models.CalendarOverride` for the day wins. An entered year keeps its own
    rule even after an upgraded package learns that year, so a library upgrade never moves a due date in
    a year the admin has already entered. A date outside the covered years raises ``DomainError``
    (``CALENDAR_NOT_COVERED``) — never a guess from the weekday.

The index
    Built once per process from the tables: for every covered day a flag (working or not) and the
    running count of working days up to that day, plus the sorted list of working-day ordinals. Adding
    N working days is then two array look-ups (``count[start] + n`` → ``ordinals[k]``), not a day-by-day
    loop; ~9,000 days, built in a few milliseconds.

Keeping it fresh (the choice, and why)
    * The services call :func:`calendar_invalidate` right after a change (the same thread sees its own
      change at once, tests included) and again on commit.
    * Other processes (gunicorn workers, the task worker) notice through ``CalendarGeneration``: a
      single row whose number every calendar write increases in the same transaction. Each process
      re-reads that one row at most every ``GENERATION_CHECK_SECONDS`` (30 s) and rebuilds when the
      number changed. So a change reaches every process within 30 s at the cost of one primary-key
      query per process per 30 s; nothing runs on the request path otherwise. No shared cache server or
      signal bus is needed (closed government networks; SQLite deployments).
    * The window is acceptable because calendar changes are rare (once a year, months ahead of the days
      concerned) and the services refuse to change a day before today.
    * Race named: the generation is read *before* the years and overrides. A change committing between
      the reads then leaves us with new data under the old number, which the next check replaces;
      reading it after could pair old data with the new number and stay stale until the next change.
    * If a transaction that changed the calendar rolls back after the service returned, this process
      may compute with the rolled-back change until its next check (≤ 30 s): the services bump the
      generation as their last step to keep that window to failures of an outer transaction.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from yiwang.core.errors import DomainError, ErrorCode
from yiwang.workdays.builtin import BUILTIN_FIRST_YEAR, BUILTIN_LAST_YEAR, builtin_is_workday

GENERATION_CHECK_SECONDS = 30.0

_monotonic = time.monotonic  # module attribute so tests can move the clock of the freshness check


@dataclass(frozen=True)
class _Index:
    """The working-day index of one generation of the calendar (immutable; swapped whole)."""

    generation: int
    first: dt.date
    last: dt.date
    first_ordinal: int
    last_ordinal: int
    flags: bytes  # flags[o - first_ordinal] == 1 ⇔ day o is a working day
    counts: array  # counts[o - first_ordinal] == number of working days d with first <= d <= o
    ordinals: list[int]  # working-day ordinals, ascending: ordinals[k] is the (k+1)-th working day


class _State:
    index: _Index | None = None
    checked_at: float = 0.0


_state = _State()
_lock = threading.Lock()


def contiguous_last_year(entered_years: Iterable[int]) -> int:
    """The last year of the covered interval: the built-in years, then entered years without a gap."""
    entered = set(entered_years)
    year = BUILTIN_LAST_YEAR
    while year + 1 in entered:
        year += 1
    return year


def _read_generation() -> int:
    from yiwang.workdays.models import CalendarGeneration

    value = CalendarGeneration.objects.filter(pk=1).values_list("generation", flat=True).first()
    return int(value or 0)


def _build() -> _Index:
    from yiwang.workdays.models import CalendarOverride, CalendarYear

    generation = _read_generation()  # first: see "Race named" in the module docstring
    entered = set(CalendarYear.objects.values_list("year", flat=True))
    first = dt.date(BUILTIN_FIRST_YEAR, 1, 1)
    last = dt.date(contiguous_last_year(entered), 12, 31)
    overrides = dict(CalendarOverride.objects.filter(day__gte=first, day__lte=last).values_list("day", "is_workday"))
    first_ordinal = first.toordinal()
    days = last.toordinal() - first_ordinal + 1
    flags = bytearray(days)
    counts = array("l", [0]) * days
    ordinals: list[int] = []
    running = 0
    for i in range(days):
        day = dt.date.fromordinal(first_ordinal + i)
        if day in overrides:
            working = overrides[day]
        elif day.year in entered:  # 录入年份: Monday–Friday, whatever the package says
            working = day.weekday() < 5
        else:
            working = builtin_is_workday(day)
        if working:
            flags[i] = 1
            running += 1
            ordinals.append(first_ordinal + i)
        counts[i] = running
    return _Index(
        generation=generation,
        first=first,
        last=last,
        first_ordinal=first_ordinal,
        last_ordinal=last.toordinal(),
        flags=bytes(flags),
        counts=counts,
        ordinals=ordinals,
    )


def _current() -> _Index:
    """This process's index: rebuilt when missing, and when the generation in the database moved
    (checked at most every ``GENERATION_CHECK_SECONDS``)."""
    index = _state.index
    if index is not None and _monotonic() - _state.checked_at < GENERATION_CHECK_SECONDS:
        return index
    with _lock:  # one thread rebuilds; the others wait and take its result
        index = _state.index
        if index is not None and _monotonic() - _state.checked_at < GENERATION_CHECK_SECONDS:
            return index
        if index is None or _read_generation() != index.generation:
            index = _build()
            _state.index = index
        _state.checked_at = _monotonic()
        return index


def calendar_invalidate() -> None:
    """丢弃工作日索引: the next computation in this process rebuilds it from the database."""
    with _lock:
        _state.index = None
        _state.checked_at = 0.0


def not_covered_error(year: int) -> DomainError:
    """The refusal for a date in a year the calendar does not hold (HTTP 409)."""
    if year < BUILTIN_FIRST_YEAR:
        message = f"工作日历不包含{year}年（最早为{BUILTIN_FIRST_YEAR}年）"
    else:
        message = f"工作日历尚未包含{year}年，请管理员录入国务院办公厅{year}年节假日安排通知"
    return DomainError(ErrorCode.CALENDAR_NOT_COVERED, message)


def _offset(index: _Index, day: dt.date) -> int:
    # A datetime is a date subclass: refuse it, an aware UTC datetime's date is not the local date.
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"expected a local datetime.date, got {type(day).__name__}")
    ordinal = day.toordinal()
    if ordinal < index.first_ordinal or ordinal > index.last_ordinal:
        raise not_covered_error(day.year)
    return ordinal - index.first_ordinal


def is_workday(day: dt.date) -> bool:
    """是否工作日."""
    index = _current()
    return index.flags[_offset(index, day)] == 1


def add_workdays(start: dt.date, n: int) -> dt.date:
    """加 N 个工作日.

    ``n > 0``: the n-th working day after ``start``; ``start`` itself is not counted (民法典第二百零一条:
    a period counts from the next day), so a case accepted on Friday 2026-02-13 with 5 working days is due
    on 2026-02-27 (14 Feb is a 调休 working Saturday, 15–23 Feb the Spring Festival).
    ``n == 0``: ``start``. ``n < 0``: the latest working day ``w`` with ``workdays_between(w, start) == -n``
    — the yellow-light date is ``add_workdays(due, -warning_days)``.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    index = _current()
    offset = _offset(index, start)
    if n == 0:
        return start
    # counts[offset] working days lie on or before start; the (k+1)-th working day overall is ordinals[k].
    # n > 0: the n-th one after start is number counts+n, i.e. k = counts + n - 1.
    # n < 0: the latest w with (#working days ≤ start) − (#working days ≤ w) = −n is number counts+n.
    k = index.counts[offset] + n - 1
    if k >= len(index.ordinals):
        raise not_covered_error(index.last.year + 1)
    if k < 0:
        raise not_covered_error(index.first.year - 1)
    return dt.date.fromordinal(index.ordinals[k])


def workdays_between(start: dt.date, end: dt.date) -> int:
    """两日之间的工作日数: working days d with ``start < d <= end``; negative when ``end < start``."""
    index = _current()
    return index.counts[_offset(index, end)] - index.counts[_offset(index, start)]


def covered_range() -> tuple[dt.date, dt.date]:
    """工作日历覆盖范围: the first and last day every function here accepts."""
    index = _current()
    return index.first, index.last
