"""A citizen registers through the real pages in Chromium — phone, the code read from the development SMS
backend, real-name details — then registers his enterprise and switches to acting for it; axe-core finds
no accessibility violation on any page on the way."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.accounts.conftest import last_code
from tests.browser.conftest import axe_violations, screenshot
from yiwang.accounts.models import LegalPerson, NaturalPerson, PhoneCode, User
from yiwang.audit.models import AuditEvent
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.testing.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13805398888"
ID_NUMBER = make_id_number("371302", dt.date(1988, 8, 8), 88)
PASSWORD = "qingshan-2026-ok"
USCC = make_uscc("91", "371302", "MA0B0001")


@pytest.fixture
def site(live_server, transactional_db) -> str:
    build_world()
    return live_server.url


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def test_a_citizen_registers_then_acts_for_his_enterprise(site: str, page):
    page.goto(site + "/")
    page.get_by_role("link", name="注册").click()
    page.wait_for_url("**/accounts/register/")
    assert page.locator("h1").inner_text() == "注册账号"
    _assert_accessible(page, "register-phone")

    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state()
    assert "验证码已发送至 138****8888，5分钟内有效。" in page.locator("#sent-status").inner_text()
    _assert_accessible(page, "register-code-sent")

    code = last_code(PHONE)  # what the phone would show; the database has only its HMAC
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_load_state()
    assert "第2步（共2步）" in page.content()
    assert code not in page.content()
    _assert_accessible(page, "register-details")
    screenshot(page, "register-details")

    page.get_by_label("姓名").fill("王青山")
    page.get_by_label("身份证号").fill(ID_NUMBER)
    page.get_by_label("常住地").select_option(label="兰山区")
    page.get_by_label("用户名").fill("wangqingshan")
    page.locator("#id_password").fill(PASSWORD)  # the label "密码" is also part of "再次输入密码"
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()
    page.wait_for_url("**/accounts/authorisations/")
    assert "注册成功，欢迎您，王青山。" in page.content()
    _assert_accessible(page, "my-authorisations")

    user = User.objects.get(username="wangqingshan")
    person = NaturalPerson.objects.get(user=user)
    assert (person.name, person.phone_masked, person.region.code) == ("王青山", "138****8888", "371302")
    assert PhoneCode.objects.get().state == "used"

    page.get_by_role("link", name="我的企业").click()
    page.wait_for_url("**/accounts/enterprises/")
    _assert_accessible(page, "my-enterprises")
    page.get_by_label("统一社会信用代码").fill(USCC)
    page.get_by_label("企业名称").fill("临沂青山商贸有限公司")
    page.get_by_label("注册地").select_option(label="兰山区")
    page.get_by_role("button", name="登记企业").click()
    page.wait_for_url("**/accounts/enterprises/*/")
    assert page.locator("h1").inner_text() == "临沂青山商贸有限公司"
    _assert_accessible(page, "enterprise")

    page.get_by_label("办事身份").select_option(label="临沂青山商贸有限公司")
    page.get_by_role("button", name="切换").click()
    page.wait_for_load_state()
    assert "已切换为以“临沂青山商贸有限公司”身份办事。" in page.content()
    _assert_accessible(page, "enterprise-acting")
    screenshot(page, "enterprise-acting")
    legal = LegalPerson.objects.get(uscc=USCC)
    switched = AuditEvent.objects.filter(action="acting.switch", actor_id=user.pk).latest("id")
    assert switched.changes == {"identity": f"enterprise:{legal.uscc}", "acting_as": "person"}


def test_registration_pages_fit_a_phone_screen(site: str, browser):
    from tests.browser.conftest import AXE_SOURCE

    context = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.add_init_script(script=AXE_SOURCE)
    phone = context.new_page()
    try:
        phone.goto(site + "/accounts/register/")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the registration page scrolls sideways by {overflow}px on a 360px phone"
        _assert_accessible(phone, "phone-register")
    finally:
        context.close()
