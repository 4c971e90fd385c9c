"""Fixtures for the identity tests: a clock that tests can move, and sending a 验证码 and reading it back
from the development SMS backend (the only place the plain code exists outside the SMS itself)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone

from yiwang.accounts import services, sms
from yiwang.core import clock
from yiwang.core.masking import mask_phone


class MovableClock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def moving_clock(monkeypatch) -> MovableClock:
    """``yiwang.core.clock.now`` under the test's control (every time limit of the identity code reads it)."""
    fake = MovableClock()
    monkeypatch.setattr(clock, "now", fake)
    return fake


def last_code(phone: str) -> str:
    """The code in the newest message the LogBackend sent to ``phone``."""
    masked = mask_phone(phone)
    for message in sms.outbox():
        if message.phone_masked == masked:
            found = re.search(r"验证码为(\d{6})", message.text)
            assert found, message.text
            return found.group(1)
    raise AssertionError(f"no message to {masked}")


@pytest.fixture
def send_code(django_capture_on_commit_callbacks) -> Callable[..., str]:
    """Send a registration code (the message goes out on commit) and return it as the phone would show it."""

    def send(phone: str, *, ip: str = "10.1.1.1") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            services.phone_code_send(phone=phone, purpose="register", ip=ip)
        return last_code(phone)

    return send
