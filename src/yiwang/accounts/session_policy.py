"""Session time limits by kind of account: short for staff, longer for citizens (会话超时).

Django's session expiry is one number for everybody, renewed by every save. This middleware adds two
limits per kind of account, checked on every request from two timestamps kept in the session: *idle*
(since the last request) and *absolute* (since log-in). A session that has passed the password but still
owes the second factor gets its own short absolute limit, so a half-finished log-in does not linger.
The limits come from settings (``YIWANG_*_SESSION_*`` environment variables, see ``.env.example``).

When a limit is exceeded the user is logged out (the log-out is audited with the reason) and the request
continues as anonymous: pages redirect to the log-in page, the API answers 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from yiwang.accounts.auth_events import LOGOUT_REASON_ATTRIBUTE
from yiwang.accounts.choices import UserKind
from yiwang.accounts.permissions import second_factor_satisfied
from yiwang.core import clock

LOGIN_AT = "yiwang_login_at"  # seconds since the epoch, set at log-in
SEEN_AT = "yiwang_seen_at"  # seconds since the epoch, of the last request (to SEEN_RESOLUTION)
# The idle clock is written at most once a minute: writing the session on every request would cost a
# database write per page view, and a minute is nothing against a 30-minute limit.
SEEN_RESOLUTION = 60

IDLE_TIMEOUT = "idle_timeout"
ABSOLUTE_TIMEOUT = "absolute_timeout"
SECOND_FACTOR_TIMEOUT = "second_factor_timeout"
_MESSAGES = {
    IDLE_TIMEOUT: "您已较长时间未操作，为保护账号安全已自动退出，请重新登录。",
    ABSOLUTE_TIMEOUT: "本次登录已达到最长时限，为保护账号安全已自动退出，请重新登录。",
    SECOND_FACTOR_TIMEOUT: "未在规定时间内完成双重验证，请重新登录。",
}


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int
    absolute_seconds: int


def session_policy_for(user: Any) -> SessionPolicy:
    if getattr(user, "kind", None) == UserKind.STAFF:
        return SessionPolicy(settings.YIWANG_STAFF_SESSION_IDLE, settings.YIWANG_STAFF_SESSION_MAX)
    return SessionPolicy(settings.YIWANG_CITIZEN_SESSION_IDLE, settings.YIWANG_CITIZEN_SESSION_MAX)


def _now() -> int:
    return int(clock.now().timestamp())  # the platform clock, which tests can move


def session_clock_start(request: HttpRequest) -> None:
    """Start both clocks: on every log-in, from the ``user_logged_in`` receiver (``accounts.signals``)."""
    now = _now()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def session_expiry_reason(request: HttpRequest, now: int) -> str:
    """Why the signed-in session must end now, or "" if it may go on."""
    login_at = request.session.get(LOGIN_AT)
    seen_at = request.session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return ""
    policy = session_policy_for(request.user)
    if now - seen_at > policy.idle_seconds:
        return IDLE_TIMEOUT
    if now - login_at > policy.absolute_seconds:
        return ABSOLUTE_TIMEOUT
    if (
        getattr(request.user, "kind", None) == UserKind.STAFF
        and now - login_at > settings.YIWANG_SECOND_FACTOR_PENDING_SECONDS
        and not second_factor_satisfied(request.user)
    ):
        return SECOND_FACTOR_TIMEOUT
    return ""


class SessionPolicyMiddleware:
    """Install after ``AuthenticationMiddleware``, ``OTPMiddleware`` and ``MessageMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request: HttpRequest) -> None:
        now = _now()
        reason = session_expiry_reason(request, now)
        if reason:
            setattr(request, LOGOUT_REASON_ATTRIBUTE, reason)
            logout(request)  # flushes the session; the receiver audits the log-out with the reason
            messages.info(request, _MESSAGES[reason])
            return
        session = request.session
        if not isinstance(session.get(LOGIN_AT), int):  # a session older than these limits: start now
            session[LOGIN_AT] = now
            session[SEEN_AT] = now
        elif now - int(session.get(SEEN_AT, 0)) >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
