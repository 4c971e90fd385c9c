"""Staff second factor: TOTP (django-otp) required for the roles in SECOND_FACTOR_ROLES, enrolment with a
QR code, single-use recovery codes, wrong codes audited and counted toward the axes lockout."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.permissions import SECOND_FACTOR_ROLES
from yiwang.accounts.services import api_token_create, staff_assign, staff_create
from yiwang.audit.models import AuditEvent
from yiwang.testing.otp import sign_in, totp_code, totp_code_for_secret, totp_device_for
from yiwang.testing.world import PASSWORD, World

ME = "/api/v1/accounts/me"
VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")


def _password_only(username: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _auth_events(user, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk), action=action))


def _enrol_page_secret(html: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert found, html
    return found.group(1).replace(" ", "")


def _recovery_codes(html: str) -> list[str]:
    block = re.search(r'<ol class="list mono" id="recovery-codes">(.*?)</ol>', html, re.S)
    assert block, html
    return re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4})</li>", block.group(1))


@pytest.mark.parametrize("username", ["clerk_a", "approver_a", "deptadmin_a", "admin", "supervisor"])
def test_password_alone_opens_neither_the_workbench_nor_the_staff_api(world: World, username: str):
    totp_device_for(world.users[username])
    client = _password_only(username)
    page = client.get(reverse("workbench:home"))
    assert page.status_code == 302
    assert page["Location"] == f"{VERIFY}?next=/workbench/"
    assert client.get(reverse("workbench:catalog_list"))["Location"].startswith(VERIFY)
    assert client.get(reverse("catalog_import:export"))["Location"].startswith(VERIFY)
    api = client.get(ME)
    assert api.status_code == 401
    assert api.json()["code"] == "not_authenticated"


def test_the_second_factor_roles_are_the_argued_ones():
    assert set(SECOND_FACTOR_ROLES) == {
        StaffRole.WINDOW_CLERK,
        StaffRole.APPROVER,
        StaffRole.DEPARTMENT_ADMIN,
        StaffRole.PLATFORM_ADMIN,
        StaffRole.SUPERVISOR,
    }


def test_after_the_code_the_workbench_and_the_api_open(world: World):
    device = totp_device_for(world.users["clerk_a"])
    client = _password_only("clerk_a")
    response = client.post(f"{VERIFY}?next=/workbench/", {"otp_token": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/workbench/"
    assert client.get(reverse("workbench:home")).status_code == 200
    assert client.get(ME).json()["username"] == "clerk_a"
    [verified] = _auth_events(world.users["clerk_a"], "auth.otp_verified")
    assert verified.actor_id == world.users["clerk_a"].pk
    assert verified.changes["method"] == "totp"
    assert verified.changes["outcome"] == "success"


def test_passing_the_second_factor_rotates_the_session_key(world: World):
    device = totp_device_for(world.users["clerk_a"])
    client = _password_only("clerk_a")
    before = client.session.session_key
    client.post(VERIFY, {"otp_token": totp_code(device)})
    after = client.session.session_key
    assert after != before
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_role_without_a_second_factor_and_citizens_are_not_asked(world: World):
    agent = staff_create(
        actor=None, username="hotline_a", password=PASSWORD, display_name="话务员", department=world.city_admin_dept
    )
    staff_assign(actor=None, user=agent, role=StaffRole.HOTLINE_AGENT)
    client = _password_only("hotline_a")
    assert client.get(reverse("workbench:home")).status_code == 200
    assert client.get(ME).status_code == 200
    citizen = _password_only("citizen_owner")
    assert citizen.get(ME).status_code == 200
    assert citizen.get(VERIFY)["Location"] == "/home/"  # nothing to verify: straight on


def test_a_role_granted_during_the_session_asks_for_the_second_factor_at_once(world: World):
    agent = staff_create(
        actor=None, username="hotline_a", password=PASSWORD, display_name="话务员", department=world.dept_a_admin
    )
    staff_assign(actor=None, user=agent, role=StaffRole.HOTLINE_AGENT)
    client = _password_only("hotline_a")
    assert client.get(reverse("workbench:home")).status_code == 200
    staff_assign(actor=None, user=agent, role=StaffRole.WINDOW_CLERK)
    assert client.get(reverse("workbench:home"))["Location"].startswith(VERIFY)
    assert client.get(ME).status_code == 401


def test_a_bearer_token_client_is_not_asked_for_a_second_factor(world: World):
    _, token = api_token_create(actor=None, user=world.users["clerk_a"], name="部门系统")
    response = Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["username"] == "clerk_a"


def test_enrolment_shows_the_qr_code_and_secret_and_confirms_with_a_code(world: World):
    clerk = world.users["clerk_a"]
    client = _password_only("clerk_a")
    assert client.get(reverse("workbench:home"))["Location"] == f"{VERIFY}?next=/workbench/"
    to_enrol = client.get(f"{VERIFY}?next=/workbench/")
    assert to_enrol["Location"] == f"{ENROL}?next=/workbench/"
    page = client.get(to_enrol["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    secret = _enrol_page_secret(html)
    assert len(secret) == 32
    assert _enrol_page_secret(client.get(ENROL).content.decode()) == secret  # a reload keeps the same key
    assert TOTPDevice.objects.filter(user=clerk, confirmed=False).count() == 1

    wrong = client.post(ENROL, {"otp_token": "000000" if totp_code_for_secret(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()
    TOTPDevice.objects.filter(user=clerk).update(throttling_failure_timestamp=None, throttling_failure_count=0)

    done = client.post(f"{ENROL}?next=/workbench/", {"otp_token": totp_code_for_secret(secret)})
    assert done.status_code == 200
    codes = _recovery_codes(done.content.decode())
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert 'href="/workbench/"' in done.content.decode()
    assert TOTPDevice.objects.get(user=clerk).confirmed is True
    assert StaticToken.objects.filter(device__user=clerk).count() == 10
    assert client.get(reverse("workbench:home")).status_code == 200  # enrolment also verified the session
    [enrolled] = _auth_events(clerk, "auth.otp_enrolled")
    assert enrolled.changes["outcome"] == "success"
    [failed] = _auth_events(clerk, "auth.otp_failed")
    assert failed.changes == {**failed.changes, "outcome": "wrong_code", "reason": "enrolment"}

    # A second device on the password alone would turn a stolen password into a bypass: refused.
    again = _password_only("clerk_a")
    assert again.get(ENROL)["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


def test_recovery_codes_are_single_use(world: World):
    clerk = world.users["clerk_a"]
    client = _password_only("clerk_a")
    page = client.get(ENROL).content.decode()
    codes = _recovery_codes(
        client.post(ENROL, {"otp_token": totp_code_for_secret(_enrol_page_secret(page))}).content.decode()
    )
    first, second = codes[0], codes[1]

    fresh = _password_only("clerk_a")
    used = fresh.post(VERIFY, {"otp_token": first.upper()})  # typed in capitals, with the dash: still accepted
    assert used["Location"] == "/home/"
    assert fresh.get(reverse("workbench:home")).status_code == 200
    assert StaticToken.objects.filter(device__user=clerk).count() == 9
    assert len(_auth_events(clerk, "auth.recovery_code_used")) == 1

    replay = _password_only("clerk_a")
    refused = replay.post(VERIFY, {"otp_token": first})
    assert refused.status_code == 200
    assert "验证码不正确" in refused.content.decode()
    assert replay.get(reverse("workbench:home"))["Location"].startswith(VERIFY)
    [failed] = _auth_events(clerk, "auth.otp_failed")
    assert (failed.changes["method"], failed.changes["outcome"]) == ("recovery_code", "wrong_code")
    # The failure started django-otp's back-off on the recovery-code device; once it has passed, another code works.
    StaticToken.objects.filter(device__user=clerk).first().device.throttle_reset()
    assert replay.post(VERIFY, {"otp_token": second})["Location"] == "/home/"
    assert StaticToken.objects.filter(device__user=clerk).count() == 8


def test_recovery_codes_can_be_regenerated_only_in_a_verified_session(world: World):
    clerk = world.users["clerk_a"]
    device = totp_device_for(clerk)
    client = _password_only("clerk_a")
    assert client.post(reverse("accounts:recovery_codes_new"))["Location"].startswith(VERIFY)
    assert not StaticToken.objects.filter(device__user=clerk).exists()
    client.post(VERIFY, {"otp_token": totp_code(device)})
    page = client.post(reverse("accounts:recovery_codes_new"))
    assert len(_recovery_codes(page.content.decode())) == 10
    assert len(_auth_events(clerk, "auth.recovery_codes_issued")) == 1


def test_a_wrong_totp_code_is_refused_and_audited(world: World):
    clerk = world.users["clerk_a"]
    device = totp_device_for(clerk)
    client = _password_only("clerk_a")
    right = totp_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"otp_token": wrong})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(reverse("workbench:home"))["Location"].startswith(VERIFY)
    [failed] = _auth_events(clerk, "auth.otp_failed")
    assert failed.actor_id == clerk.pk
    assert (failed.changes["method"], failed.changes["outcome"]) == ("totp", "wrong_code")
    assert wrong not in str(failed.changes)


def test_a_quick_second_guess_is_throttled_without_being_checked(world: World):
    device = totp_device_for(world.users["clerk_a"])
    client = _password_only("clerk_a")
    right = totp_code(device)
    client.post(VERIFY, {"otp_token": f"{(int(right) + 1) % 1_000_000:06d}"})
    throttled = client.post(VERIFY, {"otp_token": right})
    assert "尝试过于频繁" in throttled.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert len(_auth_events(world.users["clerk_a"], "auth.otp_failed")) == 1  # not counted twice
    device.refresh_from_db()  # the back-off is one second after one failure: let it pass
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - dt.timedelta(seconds=5)
    )
    assert client.post(VERIFY, {"otp_token": right})["Location"] == "/home/"


@pytest.fixture
def no_otp_throttle(settings):
    """django-otp's back-off would refuse quick guesses before they reach axes; the lockout is what is tested."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_repeated_wrong_codes_lock_the_account(world: World, no_otp_throttle):
    clerk = world.users["clerk_a"]
    device = totp_device_for(clerk)
    client = _password_only("clerk_a")
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert client.post(VERIFY, {"otp_token": wrong}).status_code == 200
    locked = client.post(VERIFY, {"otp_token": wrong})
    assert locked.status_code == 429
    assert "已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session  # the half-signed-in session is over
    # The password alone no longer gets in either, and the lockout is recorded with its method.
    assert Client().post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD}).status_code == 429
    lockouts = _auth_events(clerk, "auth.locked_out")
    assert lockouts[-1].changes["method"] == "totp"
    assert {e.changes["method"] for e in lockouts} == {"totp", "password"}
    assert len(_auth_events(clerk, "auth.otp_failed")) == 4


def test_reentering_the_password_does_not_reset_the_count_of_wrong_codes(world: World, no_otp_throttle):
    device = totp_device_for(world.users["clerk_a"])
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(2):
        client = _password_only("clerk_a")
        client.post(VERIFY, {"otp_token": wrong})
        client.post(VERIFY, {"otp_token": wrong})
    client = _password_only("clerk_a")
    assert client.post(VERIFY, {"otp_token": wrong}).status_code == 429


def test_a_full_sign_in_clears_the_failure_count(world: World, no_otp_throttle):
    device = totp_device_for(world.users["clerk_a"])
    client = Client()
    for _ in range(4):
        client.post(reverse("accounts:login"), {"username": "clerk_a", "password": "wrong-password-1"})
    assert sign_in(Client(), "clerk_a", PASSWORD, device=device)["Location"] == "/home/"
    for _ in range(4):
        client.post(reverse("accounts:login"), {"username": "clerk_a", "password": "wrong-password-1"})
    assert Client().post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD}).status_code == 302


def test_a_locked_account_cannot_continue_a_half_finished_sign_in(world: World, no_otp_throttle):
    device = totp_device_for(world.users["clerk_a"])
    waiting = _password_only("clerk_a")  # password accepted, code not yet typed
    for _ in range(5):
        Client().post(reverse("accounts:login"), {"username": "clerk_a", "password": "wrong-password-1"})
    response = waiting.post(VERIFY, {"otp_token": totp_code(device)})
    assert response.status_code == 429
    assert "_auth_user_id" not in waiting.session
