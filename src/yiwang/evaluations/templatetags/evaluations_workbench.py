"""``{% evaluation_menu user as menu %}``: which 好差评 pages the workbench home offers the user."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def evaluation_menu(user: Any) -> dict[str, bool]:
    from yiwang.evaluations.views_workbench import evaluation_menu as menu

    return menu(user)
