"""``{% acting_switcher %}``: the citizen's links and 办事身份 switch in the page header."""

from __future__ import annotations

from typing import Any

from django import template

from yiwang.accounts.acting import acting_identity
from yiwang.accounts.choices import UserKind
from yiwang.accounts.permissions import Action, scopes_for
from yiwang.accounts.selectors import enterprises_for_user

register = template.Library()


@register.inclusion_tag("accounts/_acting_switcher.html", takes_context=True)
def acting_switcher(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated or user.kind != UserKind.CITIZEN:
        return {"show": False}
    return {
        "show": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "acting": acting_identity(request),
        "options": list(enterprises_for_user(user=user)),
    }


@register.inclusion_tag("accounts/_proxy_link.html", takes_context=True)
def proxy_authorise_link(context: template.Context, person: Any) -> dict[str, Any]:
    """On a staff page about a person: the link to record a 帮办代办 authorisation, for clerks in scope."""
    request = context.get("request")
    user = getattr(request, "user", None)
    allowed = user is not None and any(
        person.region.path.startswith(s.region_path) for s in scopes_for(user, Action.PROXY_AUTHORISE)
    )
    return {"show": allowed, "person": person}
