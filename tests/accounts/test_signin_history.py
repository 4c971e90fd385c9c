"""The sign-in history page: every user sees his own authentication events; a platform admin may open
an account in his scope (the role matrix); the page reads a fixed number of queries; nothing secret is
logged or stored."""

from __future__ import annotations

import json
import logging

from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.services import staff_assign, staff_create
from yiwang.audit.models import AuditEvent
from yiwang.testing.otp import sign_in, totp_code, totp_device_for
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import PASSWORD, World

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


def _history(client: Client, user_id: int | None = None):
    url = reverse("accounts:history") if user_id is None else reverse("accounts:history_of", args=[user_id])
    return client.get(url)


def test_history_lists_the_users_own_events_with_time_ip_device_outcome_and_method(world: World):
    device = totp_device_for(world.users["clerk_a"])
    stranger = Client(REMOTE_ADDR="10.9.9.9", HTTP_USER_AGENT="curl/8.0")
    stranger.post(reverse("accounts:login"), {"username": "clerk_b", "password": "wrong-password-1"})
    Client(REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT=CHROME_UA).post(
        reverse("accounts:login"), {"username": "clerk_a", "password": "wrong-password-1"}
    )
    client = Client(REMOTE_ADDR="10.1.2.4", HTTP_USER_AGENT=CHROME_UA)
    sign_in(client, "clerk_a", PASSWORD, device=device)
    page = _history(client)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(r.event, r.method, r.outcome, r.ip) for r in rows] == [
        ("双重验证通过", "动态口令", "成功", "10.1.2.4"),
        ("登录", "密码", "成功", "10.1.2.4"),
        ("登录失败", "密码", "用户名或密码错误", "10.1.2.3"),
        ("绑定动态口令", "动态口令", "成功", ""),  # the test's device, installed by a command (no request)
    ]
    assert rows[0].device == "Chrome 126 · Windows"
    html = page.content.decode()
    assert "10.9.9.9" not in html  # clerk_b's failure is not clerk_a's history
    assert "Chrome 126 · Windows" in html


def test_history_of_an_unknown_user_name_is_not_kept(world: World):
    Client().post(reverse("accounts:login"), {"username": "MySecretPassw0rd", "password": "x"})
    failed = AuditEvent.objects.filter(action="auth.login_failed").latest("id")
    assert (failed.object_id, failed.object_repr, failed.actor_id) == ("", "", None)
    assert "MySecretPassw0rd" not in json.dumps(failed.changes)


def test_history_page_role_matrix(world: World):
    """clerk_a's history: only he and a platform admin whose scope covers 兰山区 may read it."""
    matrix = RoleMatrix(
        users={
            "owner": world.users["clerk_a"],
            "same_department": world.users["deptadmin_a_admin"],  # STAFF_MANAGE, not SIGNIN_HISTORY_VIEW
            "other_department": world.users["approver_a"],
            "other_region": world.users["clerk_b"],
            "citizen": world.users["citizen_owner"],
            "anonymous": None,
        }
    )
    target = world.users["clerk_a"].pk
    matrix.check(
        lambda c: _history(c, target),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 302,
        },
    )
    matrix.check(
        lambda c: _history(c),
        {
            "owner": 200,
            "same_department": 200,
            "other_department": 200,
            "other_region": 200,
            "citizen": 200,
            "anonymous": 302,
        },
    )


def test_a_platform_admin_reads_histories_in_his_scope_only_and_that_read_is_audited(world: World):
    county_b_admin = staff_create(
        actor=None, username="admin_b", password=PASSWORD, display_name="罗庄管理员", department=world.dept_b_admin
    )
    staff_assign(actor=None, user=county_b_admin, role=StaffRole.PLATFORM_ADMIN)
    city = Client()
    city.force_login(world.users["admin"])
    county_b = Client()
    county_b.force_login(county_b_admin)
    for account in ("clerk_a", "clerk_b", "citizen_owner"):
        assert _history(city, world.users[account].pk).status_code == 200, account
    assert _history(county_b, world.users["clerk_b"].pk).status_code == 200
    assert _history(county_b, world.users["clerk_a"].pk).status_code == 404
    assert _history(county_b, world.users["citizen_owner"].pk).status_code == 404  # lives in 兰山区
    assert _history(county_b, world.users["citizen_other"].pk).status_code == 200  # lives in 罗庄区
    reads = AuditEvent.objects.filter(action="signin_history.view", actor_id=world.users["admin"].pk)
    assert sorted(reads.values_list("object_repr", flat=True)) == ["citizen_owner", "clerk_a", "clerk_b"]


def test_the_admin_finds_an_account_by_user_name(world: World):
    admin = Client()
    admin.force_login(world.users["admin"])
    found = admin.get(reverse("accounts:history"), {"username": "clerk_a"})
    assert found["Location"] == reverse("accounts:history_of", args=[world.users["clerk_a"].pk])
    missing = admin.get(reverse("accounts:history"), {"username": "nobody"})
    assert "未找到该账号" in missing.content.decode()
    citizen = Client()
    citizen.force_login(world.users["citizen_owner"])
    own = citizen.get(reverse("accounts:history"), {"username": "clerk_a"})
    assert own.status_code == 200
    assert own.context["account"] == world.users["citizen_owner"]


def test_a_password_only_staff_session_must_pass_the_second_factor_first(world: World):
    totp_device_for(world.users["clerk_a"])
    client = Client()
    client.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD})
    assert _history(client)["Location"].startswith(reverse("accounts:otp_verify"))


def test_history_page_reads_a_fixed_number_of_queries(world: World):
    client = Client()
    client.force_login(world.users["citizen_owner"])

    def fail_logins(count: int) -> None:
        for _ in range(count):
            Client().post(reverse("accounts:login"), {"username": "citizen_owner", "password": "wrong-password-1"})
            AccessAttempt.objects.all().delete()  # keep the account unlocked while its history grows

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _history(client).status_code == 200
        return len(queries)

    fail_logins(2)
    few = page_queries()
    fail_logins(30)
    assert page_queries() == few
    assert len(_history(client).context["rows"]) == 33  # log-in by force_login, 32 failures


def test_no_password_or_code_reaches_the_logs_or_the_audit_rows(world: World, caplog, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    caplog.set_level(logging.DEBUG)
    device = totp_device_for(world.users["clerk_a"])
    client = Client()
    client.post(reverse("accounts:login"), {"username": "clerk_a", "password": "Wrong-Pass-4711"})
    client.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD})
    right = totp_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    client.post(reverse("accounts:otp_verify"), {"otp_token": wrong})
    attempts = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))  # cleared by the success below
    assert "otp_token=********************" in attempts
    assert client.post(reverse("accounts:otp_verify"), {"otp_token": right})["Location"] == "/home/"
    client.post(reverse("accounts:recovery_codes_new"))
    secrets_typed = [PASSWORD, "Wrong-Pass-4711", wrong, right]
    for secret in secrets_typed:
        assert secret not in caplog.text
    stored = json.dumps(
        list(AuditEvent.objects.values("action", "object_repr", "changes", "purpose")), ensure_ascii=False
    )
    for secret in secrets_typed:
        assert secret not in stored
    for secret in secrets_typed:
        assert secret not in attempts
