"""Template helpers of 工作日历: ``{% load workdays %}{% can_manage_calendar user as flag %}``."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.accounts.permissions import Action, user_can

register = template.Library()


@register.simple_tag
def can_manage_calendar(user: Any) -> bool:
    """May this user open the 工作日历 pages (the workbench menu shows the tile only then)?"""
    return user_can(user, Action.CALENDAR_MANAGE)
