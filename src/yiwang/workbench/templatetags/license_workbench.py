"""Template helpers of the 电子证照 workbench: ``{% load license_workbench %}{% license_menu user as menu %}``."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.accounts.permissions import Action, user_can

register = template.Library()


@register.simple_tag
def license_menu(user: Any) -> dict[str, bool]:
    """Which 电子证照 tiles the workbench home shows (each page checks the same action itself)."""
    return {
        "seals": user_can(user, Action.SEAL_MANAGE),
        "trust": user_can(user, Action.TRUST_MANAGE),
        "use": user_can(user, Action.LICENSE_USE),
        "manage": user_can(user, Action.LICENSE_MANAGE),
    }
