"""API authentication: the browser's session (with CSRF) or a bearer token for machine clients."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from yiwang.accounts.permissions import second_factor_satisfied
from yiwang.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    """``Authorization: Bearer yw_…`` issued by ``yiwang token create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The browser's session — refused while a role in ``SECOND_FACTOR_ROLES`` has not passed the second
    factor in it (the password alone opens no staff API). Bearer tokens are exempt: they are issued to a
    machine client explicitly, by an administrator (``yiwang token create``).

    Named like ninja's class on purpose: the OpenAPI security scheme is named after the class."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and not second_factor_satisfied(user):
            return None
        return user


session_auth = SessionAuth(csrf=True)
bearer_auth = BearerToken()
# Bearer first: a department system sends no session and no CSRF token, and ninja would stop at the
# session check's CSRF failure (403) before trying the bearer token. A browser sends no Authorization header.
AUTH = [bearer_auth, session_auth]
