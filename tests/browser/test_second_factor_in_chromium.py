"""A staff member enrols a second factor through the real pages in Chromium: QR code and secret shown, the
code typed, ten recovery codes shown once; the next log-in asks for a code and takes a recovery code; the
sign-in history shows it all. axe-core finds no violation on any of these pages."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, screenshot
from yiwang.testing.otp import totp_code_for_secret
from yiwang.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def _password(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_staff_member_enrols_totp_and_later_signs_in_with_a_recovery_code(live_server, page, world):
    _password(page, live_server.url, "approver_a")
    page.wait_for_url("**/accounts/2fa/enrol/**")
    assert page.locator("h1").inner_text() == "绑定动态口令"
    qr = page.locator("#totp-qr")
    assert qr.is_visible()
    assert page.evaluate("document.getElementById('totp-qr').naturalWidth") > 100  # the data: SVG rendered
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    _assert_accessible(page, "otp-enrol")
    screenshot(page, "otp-enrol")

    page.get_by_label("验证器应用显示的6位数字").fill(totp_code_for_secret(secret))
    page.get_by_role("button", name="确认绑定").click()
    assert page.locator("h1").inner_text() == "绑定成功，请保存恢复码"
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", code) for code in codes)
    _assert_accessible(page, "recovery-codes")
    page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url("**/workbench/")
    assert page.locator("h1").inner_text() == "工作台"

    page.get_by_role("button", name="退出").click()
    _password(page, live_server.url, "approver_a")
    page.wait_for_url("**/accounts/2fa/**")
    _assert_accessible(page, "otp-verify")
    page.get_by_label("动态验证码或恢复码").fill(codes[0])
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/workbench/")
    assert "还剩 9 个" in page.content()

    page.get_by_role("link", name="登录记录").click()
    page.wait_for_url("**/accounts/history/")
    table = page.locator("#signin-history").inner_text()
    for event in ("使用恢复码", "绑定动态口令", "登录", "退出"):
        assert event in table
    assert page.locator("#recovery-codes-left").inner_text() == "9"
    _assert_accessible(page, "signin-history")
