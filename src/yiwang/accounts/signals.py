"""Receivers that write authentication events to the audit log, one call to ``auth_event_record`` each.

Signals are used here only because these are the framework's notification points for events that no
service of ours performs: Django's log-in, log-out and failed log-in, and django-axes' lockout. One more
receiver starts the session's time limits (``session_policy``) on every log-in, whatever path logged in. Second-factor
successes and enrolment are ours, so their services record them directly.

Order matters for ``user_login_failed``: django-axes connects its receiver when its app is ready, and
``axes`` comes before ``yiwang.accounts`` in ``INSTALLED_APPS``, so axes has counted the failure before
ours runs. If that failure was refused because of a lockout, or caused one, axes has set
``request.axes_locked_out`` and sent ``user_locked_out`` — recorded there, once, as ``auth.locked_out``.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from yiwang.accounts.auth_events import (
    LOGOUT_REASON_ATTRIBUTE,
    SECOND_FACTOR_CREDENTIAL,
    AuthEvent,
    AuthMethod,
    AuthOutcome,
    auth_event_record,
    logout_outcome,
)
from yiwang.accounts.session_policy import session_clock_start


@receiver(user_logged_in, dispatch_uid="yiwang.accounts.signin.logged_in")
def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    auth_event_record(
        event=AuthEvent.LOGIN, user=user, actor=user, method=AuthMethod.PASSWORD, outcome=AuthOutcome.SUCCESS
    )


@receiver(user_logged_in, dispatch_uid="yiwang.accounts.signin.session_clock")
def on_logged_in_start_session_clock(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Every log-in path (the page, registration, tests' force_login) starts the session's time limits.
    if getattr(request, "session", None) is not None:
        session_clock_start(request)


@receiver(user_logged_out, dispatch_uid="yiwang.accounts.signin.logged_out")
def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:  # an anonymous visitor pressed 退出
        return
    reason = getattr(request, LOGOUT_REASON_ATTRIBUTE, "")
    auth_event_record(
        event=AuthEvent.LOGOUT,
        user=user,
        actor=user,
        method=AuthMethod.SESSION,
        outcome=logout_outcome(reason),
        reason=reason,
    )


@receiver(user_login_failed, dispatch_uid="yiwang.accounts.signin.login_failed")
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # recorded by on_locked_out
    factor = credentials.get(SECOND_FACTOR_CREDENTIAL)
    auth_event_record(
        event=AuthEvent.OTP_FAILED if factor else AuthEvent.LOGIN_FAILED,
        user=None,
        username=str(credentials.get("username") or ""),
        actor=request.user if factor and request is not None else None,
        method=AuthMethod(factor) if factor else AuthMethod.PASSWORD,
        outcome=AuthOutcome.WRONG_CODE if factor else AuthOutcome.WRONG_PASSWORD,
    )


@receiver(user_locked_out, dispatch_uid="yiwang.accounts.signin.locked_out")
def on_locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    factor = (getattr(request, "axes_credentials", None) or {}).get(SECOND_FACTOR_CREDENTIAL)
    auth_event_record(
        event=AuthEvent.LOCKED_OUT,
        user=None,
        username=username or "",
        actor=None,
        method=AuthMethod(factor) if factor else AuthMethod.PASSWORD,
        outcome=AuthOutcome.LOCKED_OUT,
    )
