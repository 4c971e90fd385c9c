"""Session time limits: staff 30 minutes idle / 8 hours in all, citizens 2 hours idle / 12 hours, and a
password-only staff session that has not passed the second factor within 10 minutes (all configurable)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yiwang.accounts.session_policy import LOGIN_AT, SEEN_AT
from yiwang.audit.models import AuditEvent
from yiwang.core import clock
from yiwang.testing.otp import sign_in, totp_device_for
from yiwang.testing.world import PASSWORD, World

ME = "/api/v1/accounts/me"


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def at(monkeypatch) -> Clock:
    """The platform clock (``yiwang.core.clock.now``), which the session limits read, under the test's hand."""
    fake = Clock()
    monkeypatch.setattr(clock, "now", fake)
    return fake


def _staff(world: World) -> Client:
    client = Client()
    assert sign_in(client, "clerk_a", PASSWORD, device=totp_device_for(world.users["clerk_a"]))["Location"] == "/home/"
    return client


def _citizen() -> Client:
    client = Client()
    client.post(reverse("accounts:login"), {"username": "citizen_owner", "password": PASSWORD})
    return client


def _last_logout(username: str) -> AuditEvent:
    return AuditEvent.objects.filter(action="auth.logout", object_repr=username).latest("id")


def test_log_in_starts_both_clocks(world: World, at: Clock):
    client = _staff(world)
    assert client.session[LOGIN_AT] == client.session[SEEN_AT] == int(at.now.timestamp())


def test_staff_session_ends_after_30_idle_minutes(world: World, at: Clock):
    client = _staff(world)
    at.advance(minutes=29)
    assert client.get(reverse("workbench:home")).status_code == 200
    at.advance(minutes=29)  # 58 minutes since log-in, 29 since the last request: still in
    assert client.get(reverse("workbench:home")).status_code == 200
    at.advance(minutes=31)
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    assert client.get(ME).status_code == 401
    logout = _last_logout("clerk_a")
    assert logout.changes["outcome"] == "timed_out"
    assert logout.changes["reason"] == "idle_timeout"


def test_staff_session_ends_after_8_hours_however_busy(world: World, at: Clock):
    client = _staff(world)
    for _ in range(23):  # a request every 20 minutes: never idle
        at.advance(minutes=20)
        assert client.get(reverse("workbench:home")).status_code == 200
    at.advance(minutes=21)  # 8 h 1 min since log-in
    assert client.get(reverse("workbench:home")).status_code == 302
    assert _last_logout("clerk_a").changes["reason"] == "absolute_timeout"


def test_citizen_session_allows_two_idle_hours(world: World, at: Clock):
    client = _citizen()
    at.advance(minutes=119)
    assert client.get(ME).status_code == 200
    at.advance(minutes=121)
    assert client.get(ME).status_code == 401
    assert _last_logout("citizen_owner").changes["reason"] == "idle_timeout"


def test_a_password_only_staff_session_waits_10_minutes_for_the_second_factor(world: World, at: Clock):
    totp_device_for(world.users["clerk_a"])
    client = Client()
    client.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD})
    at.advance(minutes=9)
    assert client.get(reverse("accounts:otp_verify")).status_code == 200
    at.advance(minutes=2)
    response = client.get(reverse("accounts:otp_verify"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert _last_logout("clerk_a").changes["reason"] == "second_factor_timeout"


def test_the_limits_follow_the_settings(world: World, at: Clock, settings):
    settings.YIWANG_STAFF_SESSION_IDLE = 5 * 60
    client = _staff(world)
    at.advance(minutes=6)
    assert client.get(reverse("workbench:home")).status_code == 302


def test_the_idle_clock_is_written_at_most_once_a_minute(world: World, at: Clock):
    client = _staff(world)
    seen = client.session[SEEN_AT]
    at.advance(seconds=30)
    client.get(reverse("workbench:home"))
    assert client.session[SEEN_AT] == seen
    at.advance(seconds=40)
    client.get(reverse("workbench:home"))
    assert client.session[SEEN_AT] == seen + 70


def test_the_limits_come_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.YIWANG_STAFF_SESSION_IDLE, s.YIWANG_STAFF_SESSION_MAX, s.YIWANG_CITIZEN_SESSION_IDLE, "
        "s.YIWANG_CITIZEN_SESSION_MAX, s.YIWANG_SECOND_FACTOR_PENDING_SECONDS)"
    )
    env = {
        **os.environ,
        "YIWANG_STAFF_SESSION_IDLE_MINUTES": "15",
        "YIWANG_STAFF_SESSION_MAX_HOURS": "4",
        "YIWANG_CITIZEN_SESSION_IDLE_MINUTES": "60",
        "YIWANG_CITIZEN_SESSION_MAX_HOURS": "24",
        "YIWANG_SECOND_FACTOR_PENDING_MINUTES": "5",
    }
    result = subprocess.run(
        [sys.executable, "-m", "yiwang.cli", "shell", "-v", "0", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["900", "14400", "3600", "86400", "300"], result.stderr
