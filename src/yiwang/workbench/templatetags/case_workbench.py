"""Template helpers of the 办件 workbench: ``{% load case_workbench %}{% case_menu user as menu %}``."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.accounts.permissions import Action, user_can

register = template.Library()


@register.simple_tag
def case_menu(user: Any) -> dict[str, bool]:
    """Which 办件 tiles the workbench home shows: the queues (any case role) and the intake (window clerks)."""
    return {
        "queues": any(user_can(user, a) for a in (Action.CASE_VIEW, Action.CASE_ACCEPT, Action.CASE_HANDLE)),
        "intake": user_can(user, Action.CASE_ACCEPT),
    }
