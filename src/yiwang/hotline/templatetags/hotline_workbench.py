"""``{% hotline_menu user as hotline_menu %}``: which 12345 tiles the workbench home shows."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.accounts.permissions import Action, user_can

register = template.Library()


@register.simple_tag
def hotline_menu(user: Any) -> dict[str, bool]:
    return {
        "queues": any(
            user_can(user, a) for a in (Action.HOTLINE_TAKE, Action.HOTLINE_HANDLE, Action.HOTLINE_SUPERVISE)
        ),
        "intake": user_can(user, Action.HOTLINE_TAKE),
        "analysis": user_can(user, Action.HOTLINE_SUPERVISE),
    }
