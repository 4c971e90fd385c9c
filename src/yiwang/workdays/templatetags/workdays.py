"""Template helpers of 工作日历: ``{% load workdays %}{% can_manage_calendar user as flag %}``, and the
workbench's 日历到期提醒 (``{% include "partials/calendar_warning.html" %}``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from yiwang.accounts.permissions import Action, user_can
from yiwang.core import clock
from yiwang.workdays.selectors import CoverageWarning, calendar_coverage_warning

register = template.Library()


@register.simple_tag
def can_manage_calendar(user: Any) -> bool:
    """May this user open the 工作日历 pages (the workbench menu shows the tile only then)?"""
    return user_can(user, Action.CALENDAR_MANAGE)


@register.simple_tag
def calendar_warning() -> CoverageWarning | None:
    """日历到期提醒 for today, or None while the calendar covers more than ``YIWANG_CALENDAR_WARN_DAYS``."""
    return calendar_coverage_warning(timezone.localdate(clock.now()))
