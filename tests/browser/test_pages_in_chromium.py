"""Real pages in real Chromium: the portal, the demo clerk's log-in (password, then the TOTP code from the
published demo secret), 适老化 mode, a phone screen —
and axe-core finds no accessibility violation on any of them."""

from __future__ import annotations

import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import axe_violations, screenshot, type_totp_code
from yiwang.core.identifiers import make_id_number
from yiwang.regions.demo import demo_load
from yiwang.regions.demo_data import DEMO_PASSWORD, DEMO_TOTP_SECRET, PERSONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db):
    return demo_load()


def _demo_device(username: str) -> TOTPDevice:
    """The demo staff's device: `yiwang demo load` installs the published DEMO_TOTP_SECRET."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    assert device.key == base64.b32decode(DEMO_TOTP_SECRET).hex()
    return device


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def test_portal_login_large_text_and_accessibility(live_server, page, demo):
    page.goto(live_server.url + "/")
    assert page.title() == "首页 · 一网 Yiwang"
    assert page.locator("h1").inner_text() == "临沂市政务服务网"
    _assert_accessible(page, "portal-home")

    page.get_by_role("link", name="登录").click()
    page.wait_for_url("**/accounts/login/")
    _assert_accessible(page, "login")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/accounts/2fa/**")
    assert page.locator("h1").inner_text() == "双重验证"
    _assert_accessible(page, "second-factor")
    type_totp_code(page, _demo_device("clerk"))
    page.wait_for_url("**/workbench/")
    assert page.locator("h1").inner_text() == "工作台"
    assert "综合窗口人员" in page.content()
    _assert_accessible(page, "workbench-home")

    normal_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("button", name="长辈模式（大字）").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.classList.contains('large')")
    large_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large_size >= normal_size * 1.3
    assert page.get_by_role("button", name="标准模式").get_attribute("aria-pressed") == "true"
    _assert_accessible(page, "workbench-large")

    # Remembered: a new page load keeps the mode.
    page.goto(live_server.url + "/")
    assert page.evaluate("document.documentElement.classList.contains('large')")
    _assert_accessible(page, "portal-home-large")


def test_clerk_finds_a_person_masked_and_reveals_with_purpose(live_server, page, demo):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    type_totp_code(page, _demo_device("clerk"))
    page.wait_for_url("**/workbench/")
    with page.expect_navigation():
        page.get_by_role("link", name="查找申请人").click()
    _assert_accessible(page, "persons")
    zhang = PERSONS[0]  # 张三 of 兰山区, inside the demo clerk's scope
    id_number = make_id_number(zhang.county_code, zhang.birth, zhang.sequence)
    page.get_by_label("身份证号").first.fill(id_number)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=zhang.name).click()
    masked = page.locator("#id-number").inner_text()
    assert masked == id_number[:4] + "*" * 10 + id_number[-4:]
    assert id_number not in page.content()
    _assert_accessible(page, "person")
    page.get_by_label("查看用途").fill("核验申请人身份")
    page.get_by_role("button", name="查看").click()
    assert page.locator("#id-number").inner_text() == id_number


def test_portal_fits_a_phone_screen(live_server, browser, demo):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    from tests.browser.conftest import AXE_SOURCE

    context.add_init_script(script=AXE_SOURCE)
    phone = context.new_page()
    try:
        for path in ("/", "/accounts/login/", "/venues/"):
            phone.goto(live_server.url + path)
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a 360px phone"
            _assert_accessible(phone, f"phone{path.replace('/', '-')}")
            screenshot(phone, f"phone{path.replace('/', '-')}")
    finally:
        context.close()


def test_a_phone_header_leaves_the_screen_to_the_page_and_我的_holds_the_users_tools(live_server, browser, demo):
    """On a 360px phone in 长辈模式 the header shows the mode switch and “我的”, not the seven tools of a
    citizen (they took two thirds of the first screen); “我的” shows them all. A wide screen keeps them."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    from tests.browser.conftest import AXE_SOURCE

    context.add_init_script(script=AXE_SOURCE)
    phone = context.new_page()
    try:
        phone.goto(live_server.url + "/accounts/login/?next=/my/cases/")
        phone.get_by_label("用户名").fill("citizen")
        phone.get_by_label("密码").fill(DEMO_PASSWORD)
        phone.get_by_role("button", name="登录", exact=True).click()
        phone.wait_for_url("**/my/cases/")
        phone.get_by_role("button", name="长辈模式（大字）").click()
        phone.wait_for_load_state()
        header = phone.locator("header.site-header")
        for hidden in ("我的办件", "我的证照", "登录记录"):
            assert header.get_by_role("link", name=hidden).count() == 0, hidden  # not shown, not announced
        assert header.get_by_role("button", name="退出").count() == 0
        height = header.bounding_box()["height"]
        assert height <= 740 * 0.4, f"the header takes {height}px of a 740px screen"
        header.get_by_role("link", name="我的", exact=True).click()
        phone.wait_for_url("**/accounts/me/")
        assert header.get_by_role("link", name="我的", exact=True).get_attribute("aria-current") == "page"
        main = phone.locator("main")
        for shown in ("我的办件", "我的证照", "我的授权", "我的企业", "登录记录"):
            assert main.get_by_role("link", name=shown).is_visible(), shown
        assert main.get_by_role("button", name="退出").is_visible()
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"我的 scrolls sideways by {overflow}px"
        _assert_accessible(phone, "phone-me-large")
        screenshot(phone, "phone-me-large")
        main.get_by_role("link", name="我的办件").click()
        phone.wait_for_url("**/my/cases/")
        phone.set_viewport_size({"width": 1280, "height": 900})
        assert header.get_by_role("link", name="我的办件").is_visible()  # a wide screen: all in the header
        assert header.get_by_role("link", name="我的", exact=True).count() == 0
    finally:
        context.close()
