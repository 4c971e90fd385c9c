"""Staff second factor: TOTP devices (any authenticator app) and single-use recovery codes (django-otp).

Who needs one is :data:`yiwang.accounts.permissions.SECOND_FACTOR_ROLES`; whether this session has passed
it is ``request.user.is_verified()`` (django-otp's ``OTPMiddleware``). The services here are the only
writers of the django-otp tables. Verifying runs under ``select_for_update`` on the device row, so two
concurrent requests cannot both spend one TOTP step or one recovery code.

django-otp keeps TOTP keys and recovery codes in plain text (its design: the key must be readable to
compute codes). Whoever can read those two tables can pass the second factor, which is why database
dumps are secrets (see ADR 0003).
"""

from __future__ import annotations

import datetime as dt
import re
from base64 import b32decode, b32encode
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.accounts.auth_events import AuthEvent, AuthMethod, AuthOutcome, auth_event_record
from yiwang.accounts.models import User
from yiwang.core.errors import DomainError, ErrorCode

TOTP_DEVICE_NAME = "动态口令"
RECOVERY_DEVICE_NAME = "恢复码"
RECOVERY_CODE_COUNT = 10
_TOTP_TOKEN = re.compile(r"\d{6}")


def totp_device_get(*, user: User) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if he has enrolled one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id").first()


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret(device: TOTPDevice) -> str:
    """The key in base32, as authenticator apps take it when typed in by hand."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def normalise_code(token: str) -> str:
    """What the user typed, without the spaces and dashes we print codes with; recovery codes lower-cased."""
    return re.sub(r"[\s-]", "", token).lower()


def format_recovery_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device the enrolment page shows: created once and reused on reload, so a code
    from an app that scanned the first QR code still works after the page is refreshed."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise DomainError(ErrorCode.INVALID_STATE, "该账号已绑定动态口令；如需更换手机，请联系管理员重置")
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, user: User, token: str) -> list[str]:
    """Confirm the pending device with a code from the app; issue and return ten recovery codes (shown once).

    A wrong code raises a validation error. Its throttling step is committed first (outside the
    transaction that the error would roll back), so guessing during enrolment is slowed as at log-in.
    """
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise DomainError(ErrorCode.INVALID_STATE, "该账号已绑定动态口令；如需更换手机，请联系管理员重置")
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
        if device is None:
            raise DomainError(ErrorCode.INVALID_STATE, "绑定已过期，请重新扫描二维码", field="otp_token")
        allowed, info = device.verify_is_allowed()
        accepted = (
            allowed
            and _TOTP_TOKEN.fullmatch(normalise_code(token)) is not None
            and device.verify_token(normalise_code(token))
        )
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _recovery_codes_replace(user)
            auth_event_record(
                event=AuthEvent.OTP_ENROLLED,
                user=user,
                actor=user,
                method=AuthMethod.TOTP,
                outcome=AuthOutcome.SUCCESS,
            )
            return codes
        if allowed:
            auth_event_record(
                event=AuthEvent.OTP_FAILED,
                user=user,
                actor=user,
                method=AuthMethod.TOTP,
                outcome=AuthOutcome.WRONG_CODE,
                reason="enrolment",
            )
    if not allowed:
        raise DomainError(ErrorCode.RATE_LIMITED, _throttle_message(info), field="otp_token")
    raise DomainError(ErrorCode.VALIDATION, "验证码不正确，请输入验证器应用当前显示的6位数字", field="otp_token")


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Void the remaining recovery codes and issue ten new ones (for a user who has passed the second factor)."""
    if totp_device_get(user=user) is None:
        raise DomainError(ErrorCode.INVALID_STATE, "请先绑定动态口令")
    codes = _recovery_codes_replace(user)
    auth_event_record(
        event=AuthEvent.RECOVERY_CODES_ISSUED,
        user=user,
        actor=user,
        method=AuthMethod.SESSION,
        outcome=AuthOutcome.SUCCESS,
    )
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    device = StaticDevice.objects.select_for_update().filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in sorted(codes)])
    return sorted(codes)


@dataclass(frozen=True)
class SecondFactorResult:
    """What :func:`second_factor_verify` found: the device that accepted the code, or why none did."""

    device: Device | None
    method: AuthMethod
    throttled_until: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None

    @property
    def throttled(self) -> bool:
        return self.device is None and self.throttled_until is not None


def second_factor_verify(*, user: User, token: str) -> SecondFactorResult:
    """Check a 6-digit TOTP code or a recovery code against the user's confirmed devices.

    On success the event is recorded (``auth.otp_verified`` or ``auth.recovery_code_used``) and a recovery
    code is spent. A failure is NOT recorded here: the caller reports it through Django's
    ``user_login_failed`` signal, which django-axes counts toward the lockout and the audit receiver
    records — one path for every failed sign-in step. A throttled device (django-otp's exponential
    back-off) does not look at the code at all; the result says until when.
    """
    code = normalise_code(token)
    method = AuthMethod.TOTP if _TOTP_TOKEN.fullmatch(code) else AuthMethod.RECOVERY_CODE
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if method == AuthMethod.TOTP else StaticDevice
    throttled_until: dt.datetime | None = None
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update().order_by("id"):
            allowed, info = device.verify_is_allowed()
            if not allowed:
                throttled_until = (info or {}).get("locked_until")
                continue
            if code and device.verify_token(code):
                auth_event_record(
                    event=AuthEvent.OTP_VERIFIED if method == AuthMethod.TOTP else AuthEvent.RECOVERY_CODE_USED,
                    user=user,
                    actor=user,
                    method=method,
                    outcome=AuthOutcome.SUCCESS,
                )
                return SecondFactorResult(device, method)
    return SecondFactorResult(None, method, throttled_until)


def _throttle_message(info: dict[str, Any] | None) -> str:
    return f"尝试过于频繁，请{throttle_wait_text((info or {}).get('locked_until'))}后再试"


def throttle_wait_text(until: dt.datetime | None) -> str:
    if until is None:
        return "稍"
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
    return f" {seconds} 秒" if seconds < 120 else f" {seconds // 60} 分钟"


@transaction.atomic
def totp_device_install(*, user: User, secret: str, actor: Any = None, reason: str = "") -> TOTPDevice:
    """Give ``user`` a confirmed TOTP device with a KNOWN base32 secret — for the demo data and tests only
    (a real user enrols through the page, so that only his phone knows the key). Idempotent."""
    key = b32decode(secret.upper() + "=" * (-len(secret) % 8)).hex()
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("id").first()
    if device is not None and device.key == key:
        return device
    if device is not None:
        raise DomainError(ErrorCode.INVALID_STATE, f"{user.get_username()} 已绑定另一个动态口令")
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
    auth_event_record(
        event=AuthEvent.OTP_ENROLLED,
        user=user,
        actor=actor,
        method=AuthMethod.TOTP,
        outcome=AuthOutcome.SUCCESS,
        reason=reason,
    )
    return device
