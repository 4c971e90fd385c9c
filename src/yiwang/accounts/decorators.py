"""Page guards of the accounts app: signed in AND, where the role needs it, past the second factor.

``workbench.views.staff_required`` builds on :func:`verified_login_required`, so every staff page is
guarded in one place; the API does the same in ``yiwang.api.auth``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

from yiwang.accounts.permissions import second_factor_satisfied


def second_factor_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """To the second-factor page (which sends a user without a device on to enrolment), then back here."""
    return redirect_to_login(request.get_full_path(), login_url=reverse("accounts:otp_verify"))


def verified_login_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """``login_required``, and for a role in ``SECOND_FACTOR_ROLES`` a session that has passed the second
    factor (``request.user.is_verified()``); otherwise a redirect to the second-factor page."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not second_factor_satisfied(request.user):
            return second_factor_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper
