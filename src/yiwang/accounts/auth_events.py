"""Authentication events: one audit row per sign-in step, and the sign-in history read back from them.

Every event goes through :func:`auth_event_record` into the audit log, so it is hash-chained like every
other row and there is no second table to keep in step. The row's target is the account concerned
(``accounts.user`` and its id); its actor is that account when the step happened inside its session, and
nobody for a failed password or a lockout (whoever typed is unknown). ``changes`` holds the method, the
outcome and the browser's user agent — never a password, a code or a token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.accounts.permissions import Action, account_q
from yiwang.audit.models import AuditEvent
from yiwang.audit.services import record
from yiwang.core import context
from yiwang.core.errors import not_found

USER_OBJECT_TYPE = "accounts.user"
HISTORY_LIMIT = 100
USER_AGENT_MAX = 200


class AuthEvent(models.TextChoices):
    """Audit actions of authentication; the history page lists exactly these."""

    LOGIN = "auth.login", "登录"  # password accepted, session opened
    LOGIN_FAILED = "auth.login_failed", "登录失败"  # wrong user name or password
    LOGOUT = "auth.logout", "退出"  # by the user, or by a session time limit (``reason``)
    OTP_VERIFIED = "auth.otp_verified", "双重验证通过"  # a TOTP code accepted
    OTP_FAILED = "auth.otp_failed", "双重验证失败"  # a wrong TOTP or recovery code
    LOCKED_OUT = "auth.locked_out", "账号锁定"  # too many failures (django-axes); attempt refused
    OTP_ENROLLED = "auth.otp_enrolled", "绑定动态口令"  # a TOTP device confirmed, recovery codes issued
    RECOVERY_CODE_USED = "auth.recovery_code_used", "使用恢复码"  # a recovery code accepted (and spent)
    RECOVERY_CODES_ISSUED = "auth.recovery_codes_issued", "重新生成恢复码"  # old codes void, ten new ones


class AuthMethod(models.TextChoices):
    PASSWORD = "password", "密码"
    TOTP = "totp", "动态口令"
    RECOVERY_CODE = "recovery_code", "恢复码"
    OIDC = "oidc", "统一身份认证"
    SESSION = "session", "会话"  # log-out and time-outs: no credential involved


class AuthOutcome(models.TextChoices):
    SUCCESS = "success", "成功"
    WRONG_PASSWORD = "wrong_password", "用户名或密码错误"
    WRONG_CODE = "wrong_code", "验证码错误"
    LOCKED_OUT = "locked_out", "已锁定"
    TIMED_OUT = "timed_out", "超时退出"


def auth_event_record(
    *,
    event: AuthEvent,
    user: User | None,
    actor: Any,
    method: AuthMethod,
    outcome: AuthOutcome,
    username: str = "",
    reason: str = "",
) -> AuditEvent:
    """Append one authentication event to the audit log.

    ``user`` is the account concerned; when only a typed ``username`` is known it is looked up, and an
    unknown name is NOT stored (people type their password into the user-name field).
    """
    if user is None and username:
        user = User.objects.filter(username=username).first()
    changes: dict[str, Any] = {
        "method": str(method),
        "outcome": str(outcome),
        "user_agent": context.current().user_agent[:USER_AGENT_MAX],
    }
    if reason:
        changes["reason"] = reason
    if user is None:
        return record(actor=actor, action=event, object_type=USER_OBJECT_TYPE, changes=changes)
    return record(actor=actor, action=event, target=user, object_repr=user.get_username(), changes=changes)


# --- reading: the sign-in history ------------------------------------------------------------------------

_BROWSERS = (
    ("MicroMessenger/", "微信"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Mac OS X", "macOS"),
    ("HarmonyOS", "HarmonyOS"),
    ("Linux", "Linux"),
)


def user_agent_summary(user_agent: str) -> str:
    """ "Chrome 126 · Windows" from a user-agent header; its first 40 characters when unrecognised."""
    browser = next(
        (f"{name} {_major(user_agent, token)}".strip() for token, name in _BROWSERS if token in user_agent), ""
    )
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    summary = " · ".join(part for part in (browser, system) if part)
    return summary or user_agent[:40]


def _major(user_agent: str, token: str) -> str:
    match = re.search(re.escape(token) + r"(\d+)", user_agent)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class SignInRow:
    """One line of the sign-in history page."""

    occurred_at: Any
    event: str
    method: str
    outcome: str
    ip: str
    device: str
    failed: bool


def _row(event: AuditEvent) -> SignInRow:
    changes = event.changes or {}
    outcome = changes.get("outcome", "")
    return SignInRow(
        occurred_at=timezone.localtime(event.occurred_at),
        event=AuthEvent(event.action).label if event.action in AuthEvent.values else event.action,
        method=AuthMethod(changes["method"]).label if changes.get("method") in AuthMethod.values else "",
        outcome=AuthOutcome(outcome).label if outcome in AuthOutcome.values else outcome,
        ip=event.ip or "",
        device=user_agent_summary(changes.get("user_agent", "")),
        failed=outcome not in ("", AuthOutcome.SUCCESS),
    )


def signin_history(*, user: User, limit: int = HISTORY_LIMIT) -> list[SignInRow]:
    """The account's authentication events, newest first (one query, on the audit object index)."""
    events = AuditEvent.objects.filter(
        object_type=USER_OBJECT_TYPE, object_id=str(user.pk), action__in=AuthEvent.values
    ).order_by("-id")[:limit]
    return [_row(event) for event in events]


def signin_account_get_for_user(*, viewer: Any, user_id: int) -> User:
    """The account whose history ``viewer`` asks for: himself, or one in a ``SIGNIN_HISTORY_VIEW`` scope.

    Reading another person's sign-in history (IP addresses, devices) is a read of personal data: it is
    recorded in the audit log. Out of scope and nonexistent look the same (404).
    """
    account = User.objects.filter(account_q(viewer, Action.SIGNIN_HISTORY_VIEW), pk=user_id).first()
    if account is None:
        raise not_found("账号")
    if account.pk != viewer.pk:
        record(actor=viewer, action="signin_history.view", target=account, object_repr=account.get_username())
    return account


def signin_account_find_for_user(*, viewer: Any, username: str) -> User | None:
    """An account in the viewer's ``SIGNIN_HISTORY_VIEW`` scope by exact user name (for the look-up form)."""
    return User.objects.filter(account_q(viewer, Action.SIGNIN_HISTORY_VIEW), username=username.strip()).first()


# --- what the sign-in pages tell the signal receivers ----------------------------------------------------

# Key added to the ``credentials`` of a ``user_login_failed`` signal sent for a wrong second-factor code;
# its value is the AuthMethod tried. django-axes counts the failure like a wrong password.
SECOND_FACTOR_CREDENTIAL = "second_factor"
# Attribute set on the request before ``logout()`` when a session time limit (not the user) ends it.
LOGOUT_REASON_ATTRIBUTE = "yiwang_logout_reason"
# That reason when the session ends because the account was locked at the second-factor step.
LOCKED_OUT_REASON = "locked_out"


def logout_outcome(reason: str) -> AuthOutcome:
    """How a log-out ended: by the user (no reason), by a lockout, or by a session time limit."""
    if not reason:
        return AuthOutcome.SUCCESS
    return AuthOutcome.LOCKED_OUT if reason == LOCKED_OUT_REASON else AuthOutcome.TIMED_OUT
