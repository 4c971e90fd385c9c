"""Log-in by password, lockout after repeated failures (django-axes), the password policy."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from yiwang.accounts.services import citizen_create
from yiwang.core.errors import DomainError
from yiwang.testing.otp import totp_code, totp_device_for
from yiwang.testing.world import PASSWORD, World


def _login(client: Client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_staff_logs_in_with_password_and_totp_code_and_lands_on_the_workbench(world: World):
    device = totp_device_for(world.users["clerk_a"])
    client = Client()
    response = _login(client, "clerk_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_verify") + "?next=/home/"
    response = client.post(response["Location"], {"otp_token": totp_code(device), "next": "/home/"})
    assert response["Location"] == "/home/"
    assert client.get(response["Location"]).status_code == 302  # /home/ routes staff on
    page = client.get(reverse("workbench:home")).content.decode()
    assert "综合窗口人员" in page
    assert "兰山区" in page


def test_citizen_is_routed_to_the_portal_and_kept_out_of_the_workbench(world: World):
    client = Client()
    _login(client, "citizen_owner", PASSWORD)
    assert client.get(reverse("home"))["Location"] == reverse("portal:home")
    assert client.get(reverse("workbench:home")).status_code == 403


def test_wrong_password_says_so_in_chinese(world: World):
    page = _login(Client(), "clerk_a", "wrong-password-1").content.decode()
    assert "用户名或密码不正确" in page


def test_account_locks_after_five_failures_even_with_the_right_password(world: World):
    client = Client()
    for _ in range(5):
        _login(client, "clerk_a", "wrong-password-1")
    locked = _login(client, "clerk_a", PASSWORD)
    assert locked.status_code == 429
    assert "已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account is not affected (the lock is per account, not per hall IP).
    assert _login(Client(), "clerk_b", PASSWORD).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [("short1", "太短"), ("onlyletterslong", "字母和数字"), ("12345678901", "数字"), ("password123", "太常见")],
)
def test_password_policy_refuses_weak_passwords(password: str, message: str):
    with pytest.raises(DomainError) as caught:
        citizen_create(actor=None, username="weak", password=password)
    assert message in caught.value.message
    assert caught.value.field == "password"
