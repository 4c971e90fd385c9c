"""API authentication: the browser's session (with CSRF) or a bearer token for machine clients."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from yiwang.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    """``Authorization: Bearer yw_…`` issued by ``yiwang token create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


session_auth = SessionAuth(csrf=True)
bearer_auth = BearerToken()
AUTH = [session_auth, bearer_auth]
