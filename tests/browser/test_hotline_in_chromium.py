"""12345 in real Chromium: a hotline agent registers a phone call (the duplicate hint shows an earlier call
from the same number, he confirms it is new), dispatches it to 兰山区市场监督管理局; the bureau's approver
signs in with a TOTP code and replies. axe-core finds no violation on the intake screen, the ticket page
and the queue — normal, 长辈模式 (large text) and 360 px wide."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, screenshot, type_totp_code
from yiwang.accounts.models import User
from yiwang.core import clock
from yiwang.core.context_processors import LARGE_TEXT_COOKIE
from yiwang.hotline.choices import TicketState
from yiwang.hotline.models import Ticket
from yiwang.hotline.services import hotline_seed
from yiwang.testing.hotline import CALLER_PHONE, MONDAY, hotline_agent, ticket_in_state
from yiwang.testing.otp import totp_device_for
from yiwang.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def site(live_server, transactional_db, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)
    hotline_seed()  # the flushed test database lost the seed migration's rows
    world = build_world()
    hotline_agent(world)
    earlier = ticket_in_state(world, "closed")  # an earlier call from CALLER_PHONE about the street light
    return live_server.url, world, earlier


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def _check_in_every_mode(page, base: str, name: str, reach) -> None:
    for large in (False, True):
        if large:
            page.context.add_cookies([{"name": LARGE_TEXT_COOKIE, "value": "1", "url": base}])
        for size, label in ((DESKTOP, ""), (PHONE, "-360")):
            page.set_viewport_size(size)
            reach(page)
            assert page.evaluate("document.documentElement.classList.contains('large')") == large
            mode = f"{name}{'-large' if large else ''}{label}"
            if size is PHONE:
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    screenshot(page, f"overflow-{mode}")
                assert overflow <= 0, f"{mode} scrolls sideways by {overflow}px"
            _assert_accessible(page, mode)
    page.context.clear_cookies(name=LARGE_TEXT_COOKIE)
    page.set_viewport_size(DESKTOP)


def _login(page, base: str, username: str, *, totp: bool) -> None:
    device = totp_device_for(User.objects.get(username=username)) if totp else None
    page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if device is not None:
        type_totp_code(page, device)
    page.wait_for_url("**/workbench/**")


def test_agent_registers_a_call_dispatches_it_and_the_department_replies(site, page, browser):
    base, world, earlier = site
    _login(page, base, "agent", totp=False)
    intake = base + "/workbench/hotline/new/"
    _check_in_every_mode(page, base, "hotline-intake", lambda p: p.goto(intake))

    page.goto(intake)
    page.get_by_label("来电号码").fill(CALLER_PHONE)
    page.get_by_label("诉求人姓名").fill("王小二")
    page.get_by_label("诉求类型").select_option("complaint")
    page.get_by_label("诉求分类").select_option(label="路灯故障")
    page.get_by_label("标题").fill("沂蒙路公交站旁路灯不亮")
    page.get_by_label("诉求内容").fill("沂蒙路公交站旁的两盏路灯从上周起不亮，晚上候车很不安全。")
    page.get_by_label("所在区县").select_option(label="兰山区")
    page.get_by_role("button", name="登记").click()

    hint = page.locator("#duplicates")
    hint.wait_for()
    assert earlier.number in hint.inner_text() and "同一联系电话" in hint.inner_text()
    _assert_accessible(page, "hotline-intake-duplicates")
    page.get_by_label("已核对疑似重复诉求，确认登记为新诉求").check()
    page.get_by_role("button", name="登记").click()
    page.wait_for_url("**/workbench/hotline/*/")
    ticket = Ticket.objects.latest("id")
    assert ticket.state == TicketState.REGISTERED and ticket.source == "phone"
    assert CALLER_PHONE not in page.content() and "139****1234" in page.content()
    ticket_url = page.url
    _check_in_every_mode(page, base, "hotline-ticket-agent", lambda p: p.goto(ticket_url))

    page.goto(ticket_url)
    page.get_by_label("承办单位").select_option(label="兰山区市场监督管理局")
    page.get_by_role("button", name="派单", exact=True).click()
    page.wait_for_load_state("load")
    assert page.locator("#ticket-state").inner_text() == "待签收"
    assert page.locator("#ticket-department").inner_text() == "兰山区市场监督管理局"

    approver = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    from tests.browser.conftest import AXE_SOURCE

    approver.add_init_script(script=AXE_SOURCE)
    other = approver.new_page()
    _login(other, base, "approver_a", totp=True)
    other.goto(base + "/workbench/hotline/?queue=department")
    other.get_by_role("link", name=ticket.number).click()
    other.wait_for_url(f"**/workbench/hotline/{ticket.pk}/")
    _check_in_every_mode(other, base, "hotline-ticket-department", lambda p: p.goto(ticket_url))
    other.goto(ticket_url)
    other.get_by_label("答复内容").fill("已安排维修班组更换灯具，两盏路灯已于今日恢复照明。")
    other.get_by_role("button", name="提交答复").click()
    other.wait_for_load_state("load")
    assert other.locator("#ticket-state").inner_text() == "已答复"
    assert "恢复照明" in other.locator("#ticket-reply").inner_text()
    _check_in_every_mode(other, base, "hotline-queue", lambda p: p.goto(base + "/workbench/hotline/?queue=all"))
    approver.close()

    ticket.refresh_from_db()
    assert ticket.state == TicketState.REPLIED and ticket.department == world.dept_a_market
    assert list(ticket.events.values_list("action", flat=True).order_by("seq")) == ["create", "dispatch", "reply"]
