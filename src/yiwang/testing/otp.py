"""Second factor in tests: devices with a known key, and the code an authenticator app would show now.

Codes are computed with ``django_otp.oath.totp`` from the device's key, exactly as a phone does. A TOTP
step accepted once is never accepted again (django-otp keeps ``last_t``), so :func:`totp_code` moves to the
next step, which the device's tolerance of one step still accepts, when the current one has been spent.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.accounts.permissions import second_factor_required
from yiwang.accounts.second_factor import totp_device_get, totp_device_install

TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # public test value: never a real key


def totp_device_for(user: Any, secret: str = TEST_TOTP_SECRET) -> TOTPDevice:
    """The user's confirmed TOTP device, installed with ``secret`` when he has none."""
    return totp_device_get(user=user) or totp_device_install(user=user, secret=secret, reason="test")


def totp_code_for_secret(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app holding ``secret`` (base32, as the enrolment page shows it) shows now."""
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, drift=steps_ahead):06d}"


def totp_code(device: TOTPDevice) -> str:
    """The code to type now for ``device``: the current step's, or the next one's if that was spent."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step
    ahead = max(0, device.last_t + 1 - now_t)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, ahead):0{device.digits}d}"


def force_login_verified(client: Client, user: Any, original: Any = None) -> None:
    """``client.force_login`` that also passes the second factor when the user's role needs it.

    It stores the device in the session exactly as ``django_otp.login`` does after a correct code, so
    ``is_verified()`` is True on the next request through the real ``OTPMiddleware``. Nothing in the
    settings or in the code under test changes.
    """
    login = original or Client.force_login
    needs_device = second_factor_required(user)
    user.__dict__.pop("_yiwang_scopes", None)  # the role check above must not leave a cache on the caller's object
    login(client, user)
    if needs_device:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device_for(user).persistent_id
        session.save()


def sign_in(client: Client, username: str, password: str, *, device: TOTPDevice | None = None) -> Any:
    """Sign in through the real pages: the password, then — when the page asks and ``device`` is given —
    the code an authenticator app holding the device's key shows now. Returns the last response."""
    from django.urls import reverse

    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    asked = response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_verify"))
    if asked and device is not None:
        response = client.post(response["Location"], {"otp_token": totp_code(device)})
    return response
