"""Middleware of the accounts app: the citizen's 办事身份 (acting identity) into the request context."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from yiwang.accounts.acting import acting_identity
from yiwang.accounts.choices import UserKind
from yiwang.core import context


class ActingIdentityMiddleware:
    """Sets ``RequestContext.acting_as`` (``person`` or ``enterprise:<USCC>``) for a signed-in citizen, so
    every audit row written while serving the request records under which identity he acted. It re-checks
    the enterprise grant on every request (``acting.acting_identity``). Install after the session,
    authentication and messages middleware (a lapsed grant leaves a message)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(user, "kind", None) != UserKind.CITIZEN:
            return self.get_response(request)
        label = acting_identity(request).audit_label
        token = context.bind(dataclasses.replace(context.current(), acting_as=label))
        try:
            return self.get_response(request)
        finally:
            context.unbind(token)
