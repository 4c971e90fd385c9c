"""The catalog editor and the review page in real Chromium: usable by keyboard labels, axe-clean."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, screenshot, type_totp_code
from yiwang.accounts.models import User
from yiwang.catalog.models import ItemVersion
from yiwang.testing.otp import totp_device_for
from yiwang.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, username: str) -> None:
    device = totp_device_for(User.objects.get(username=username))
    page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    type_totp_code(page, device)
    page.wait_for_url("**/workbench/")


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def test_department_admin_edits_and_submits_then_platform_admin_publishes(live_server, page, browser, world, item):
    _login(page, live_server.url, "deptadmin_a")
    page.get_by_role("link", name="事项管理").click()
    page.wait_for_url("**/workbench/catalog/**")
    _assert_accessible(page, "catalog-list")
    with page.expect_navigation():
        page.get_by_role("link", name="食品经营许可（新办）").click()
    _assert_accessible(page, "catalog-edit")
    screenshot(page, "catalog-edit")
    page.get_by_label("承诺办结时限").fill("4")
    page.get_by_role("button", name="保存草稿").click()
    assert "草稿已保存" in page.content()
    page.get_by_label("变更说明").fill("压缩承诺时限")
    page.get_by_role("button", name="提交审核").click()
    assert "等待政务服务管理机构审核" in page.content()

    context = browser.new_context(locale="zh-CN")
    from tests.browser.conftest import AXE_SOURCE

    context.add_init_script(script=AXE_SOURCE)
    reviewer = context.new_page()
    try:
        _login(reviewer, live_server.url, "admin")
        reviewer.get_by_role("link", name="事项审核").click()
        with reviewer.expect_navigation():
            reviewer.get_by_role("link", name="食品经营许可").click()
        _assert_accessible(reviewer, "catalog-review")
        reviewer.get_by_role("button", name="审核通过并发布").click()
        assert "已发布" in reviewer.content()
    finally:
        context.close()
    version = ItemVersion.objects.get(item=item)
    assert (version.number, version.promise_days) == (1, 4)
