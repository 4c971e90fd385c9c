"""The platform admin registers a department system in the workbench, in Chromium: the pages work with a
keyboard-and-screen-reader check (axe-core finds nothing), and the secret is shown once.

The admin's session is made with ``force_login`` (which passes the second factor the way django-otp
records it) and handed to the browser as its session cookie: the log-in pages are tested elsewhere.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from oauth2_provider.models import Application

from tests.browser.conftest import axe_violations, screenshot
from yiwang.oidc.services import signing_key_create
from yiwang.testing.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_world(transactional_db) -> World:
    world = build_world()
    signing_key_create(actor=None)
    return world


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def test_admin_registers_a_client_in_the_workbench(live_server, page, live_world: World):
    client = Client()
    client.force_login(live_world.users["admin"])
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip

    page.goto(live_server.url + "/workbench/")
    page.get_by_role("link", name="接入系统").click()
    page.wait_for_url("**/workbench/oidc/clients/")
    assert page.locator("h1").inner_text() == "接入系统（统一身份认证）"
    _assert_accessible(page, "oidc-client-list-empty")

    page.get_by_role("link", name="登记接入系统").click()
    _assert_accessible(page, "oidc-client-form")
    page.get_by_label("系统名称").fill("兰山区不动产登记系统")
    page.get_by_label("使用单位（选填）").select_option(label="兰山区行政审批服务局")
    page.get_by_label("登录回调地址").fill("http://bdc.lanshan.example.gov.cn/callback")
    page.get_by_label("idcard_masked：身份证号（脱敏，仅显示前4位和后4位）").check()
    page.get_by_role("button", name="登记").click()
    # Refused with the reason next to the field, and what was typed kept.
    assert "必须使用 https" in page.locator("main").inner_text()
    assert page.get_by_label("系统名称").input_value() == "兰山区不动产登记系统"
    _assert_accessible(page, "oidc-client-form-error")

    page.get_by_label("登录回调地址").fill("https://bdc.lanshan.example.gov.cn/callback")
    page.get_by_role("button", name="登记").click()
    page.wait_for_selector("#client-secret")
    secret = page.locator("#client-secret").inner_text()
    client_id = page.locator("#client-id").inner_text()
    assert len(secret) >= 40
    assert Application.objects.get(client_id=client_id).name == "兰山区不动产登记系统"
    _assert_accessible(page, "oidc-client-detail-secret")

    page.get_by_role("link", name="返回接入系统列表").click()
    assert "兰山区不动产登记系统" in page.locator("table").inner_text()
    page.get_by_role("link", name="兰山区不动产登记系统").click()
    assert page.locator("#client-secret").count() == 0 and secret not in page.content()
    assert "idcard_masked" in page.locator("main").inner_text()
    _assert_accessible(page, "oidc-client-detail")
