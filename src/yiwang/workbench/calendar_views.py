"""Staff pages of 工作日历 (平台管理员): covered years, entering a year's notice, 调整日, month grids.

Every write calls a ``yiwang.workdays.services`` function; the pages hold no calendar rule.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiwang.accounts.permissions import Action, user_can
from yiwang.core import clock
from yiwang.core.errors import DomainError
from yiwang.core.forms import add_domain_error
from yiwang.workbench.views import staff_required
from yiwang.workdays import calendar, selectors, services
from yiwang.workdays.forms import NAME_SUGGESTIONS, CalendarOverrideForm, CalendarYearForm


def _require_manage(request: HttpRequest) -> None:
    if not user_can(request.user, Action.CALENDAR_MANAGE):
        raise PermissionDenied


def _year_initial(request: HttpRequest, next_year: int) -> dict[str, object]:
    """The enter form starts on the next year, or on an entered year's notice (?year=2027) to correct it."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return {"year": next_year}
    try:
        row = selectors.calendar_year_get(year=year)
    except DomainError:
        return {"year": next_year}
    if row.entered is None:
        return {"year": next_year}
    return {
        "year": year,
        "notice_title": row.entered.notice_title,
        "notice_number": row.entered.notice_number,
        "published_on": row.entered.published_on,
    }


@staff_required
def calendar_home(request: HttpRequest) -> HttpResponse:
    """工作日历: the covered years and the form to enter the next year's notice."""
    _require_manage(request)
    next_year = selectors.calendar_next_year()
    form = CalendarYearForm(request.POST or None, initial=_year_initial(request, next_year))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entered = services.calendar_year_enter(
                actor=request.user,
                year=data["year"],
                notice_title=data["notice_title"],
                notice_number=data["notice_number"],
                published_on=data["published_on"],
            )
            messages.success(request, f"已录入{entered.year}年，请逐项添加通知中的放假日和调休上班日。")
            return redirect("workbench:calendar_year", year=entered.year)
        except DomainError as exc:
            add_domain_error(form, exc)
    first, last = calendar.covered_range()
    today = timezone.localdate(clock.now())
    return render(
        request,
        "workbench/calendar.html",
        {
            "form": form,
            "years": selectors.calendar_years(),
            "first": first,
            "last": last,
            "next_year": next_year,
            "next_year_missing": next_year <= today.year + 1,
        },
    )


@staff_required
def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    """One year: its notice, its 调整日 (add, remove) and the month grid."""
    _require_manage(request)
    try:
        row = selectors.calendar_year_get(year=year)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    form = CalendarOverrideForm(request.POST or None, initial={"is_workday": "0"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["last_day"] and data["last_day"] != data["day"]:
                rows = services.calendar_override_set_range(
                    actor=request.user,
                    first_day=data["day"],
                    last_day=data["last_day"],
                    is_workday=data["is_workday"],
                    name=data["name"],
                    note=data["note"],
                )
                messages.success(request, f"已设置 {len(rows)} 天：{data['name']}。")
            else:
                services.calendar_override_set(
                    actor=request.user,
                    day=data["day"],
                    is_workday=data["is_workday"],
                    name=data["name"],
                    note=data["note"],
                )
                messages.success(request, f"已设置 {data['day'].isoformat()}：{data['name']}。")
            return redirect(reverse("workbench:calendar_year", args=[data["day"].year]) + "#overrides")
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "workbench/calendar_year.html",
        {
            "row": row,
            "form": form,
            "overrides": selectors.calendar_overrides(year=year),
            "months": selectors.calendar_month_grid(year=year),
            "weekday_names": selectors.WEEKDAY_NAMES,
            "name_suggestions": NAME_SUGGESTIONS,
            "today": timezone.localdate(clock.now()),
        },
    )


@staff_required
@require_POST
def calendar_override_remove(request: HttpRequest, year: int) -> HttpResponse:
    _require_manage(request)
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, "日期格式应为 YYYY-MM-DD")
        return redirect("workbench:calendar_year", year=year)
    try:
        services.calendar_override_remove(actor=request.user, day=day)
        messages.success(request, f"已删除 {day.isoformat()} 的调整日。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("workbench:calendar_year", args=[year]) + "#overrides")
