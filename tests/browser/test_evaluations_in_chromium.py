"""好差评 in real Chromium.

1. The whole 差评 loop: the citizen opens his case, follows "评价本办件的服务", rates the 受理 非常不满意 with a
   reason; the department's approver (TOTP sign-in) verifies it as genuine and records the rectification;
   the citizen confirms the result (回访); the order closes and the supervisor's statistics show the three
   100 %s.
2. 一次一评 at the hall: the platform admin registers a tablet for window A01; the tablet pairs by typing the
   code (no login); the clerk presses "请群众评价"; the waiting tablet shows the visit by itself (polling) and
   the citizen taps 满意. A staff session on the tablet shows no rating buttons.

axe-core finds no violation on the citizen's pages, the workbench pages and the tablet — normal, 长辈模式 and
360 px wide.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import axe_violations, screenshot, type_totp_code
from yiwang.accounts.models import User
from yiwang.core import clock
from yiwang.core.context_processors import LARGE_TEXT_COOKIE
from yiwang.evaluations.models import Evaluation, RectificationOrder
from yiwang.testing.cases import published_item
from yiwang.testing.evaluations import accepted_case, hotline_agent
from yiwang.testing.otp import totp_device_for
from yiwang.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def site(live_server, transactional_db, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)
    world = build_world()
    hotline_agent(world)
    item = published_item(world.dept_a_market)
    case = accepted_case(world, item)
    return live_server.url, world, case


def _login(page, base: str, username: str, *, staff: bool) -> None:
    device = totp_device_for(User.objects.get(username=username)) if staff else None  # before: else enrolment
    page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if staff:
        type_totp_code(page, device)
        page.wait_for_url("**/workbench/")
    else:
        page.wait_for_load_state("load")


def _assert_accessible(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"


def _check_in_every_mode(page, base: str, name: str, url: str) -> None:
    for large in (False, True):
        if large:
            page.context.add_cookies([{"name": LARGE_TEXT_COOKIE, "value": "1", "url": base}])
        for size, label in ((DESKTOP, ""), (PHONE, "-360")):
            page.set_viewport_size(size)
            page.goto(base + url)
            mode = f"{name}{'-large' if large else ''}{label}"
            if size is PHONE:
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    screenshot(page, f"overflow-{mode}")
                assert overflow <= 0, f"{mode} scrolls sideways by {overflow}px"
            _assert_accessible(page, mode)
    page.context.clear_cookies(name=LARGE_TEXT_COOKIE)
    page.set_viewport_size(DESKTOP)


def test_bad_review_is_verified_rectified_revisited_and_counted(site, browser):
    base, world, case = site
    citizen = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    from tests.browser.conftest import AXE_SOURCE

    citizen.add_init_script(script=AXE_SOURCE)
    page = citizen.new_page()
    _login(page, base, "citizen_owner", staff=False)
    page.goto(f"{base}/my/cases/{case.pk}/")
    page.get_by_role("link", name="评价本办件的服务（好差评）").click()
    page.wait_for_url(f"**/my/evaluations/?case={case.pk}")
    _check_in_every_mode(page, base, "my-evaluations", f"/my/evaluations/?case={case.pk}")
    page.get_by_role("link", name="评价：受理 个体工商户登记（设立）").click()
    page.wait_for_url("**/my/evaluations/*/")
    rate_url = page.url.removeprefix(base)
    _check_in_every_mode(page, base, "rate", rate_url)
    assert page.locator("input[name=level]:checked").count() == 0  # no default rating
    page.get_by_label("非常不满意").check()
    page.get_by_role("button", name="提交评价").click()
    assert "请至少选择一项差评原因" in page.locator("#rate-error").inner_text()
    _assert_accessible(page, "rate-error")
    page.get_by_label("非常不满意").check()
    page.get_by_label("办理时间长、等候时间长").check()
    page.get_by_label("评价内容（可选，最多500字）").fill("受理前排队两个小时")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/my/evaluations/")
    assert "差评已转责任部门核实整改" in page.locator(".messages").inner_text()
    order = RectificationOrder.objects.get()
    assert (order.state, order.department_id) == ("verifying", world.dept_a_market.pk)

    staff = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    staff.add_init_script(script=AXE_SOURCE)
    desk = staff.new_page()
    _login(desk, base, "approver_a", staff=True)
    desk.get_by_role("link", name="好差评").click()
    desk.wait_for_url("**/workbench/evaluations/")
    _check_in_every_mode(desk, base, "orders", "/workbench/evaluations/?queue=verifying")
    desk.get_by_role("link", name=f"整改单 {order.pk}").click()
    _check_in_every_mode(desk, base, "order", f"/workbench/evaluations/orders/{order.pk}/")
    desk.get_by_label("情况属实（转整改）").check()
    desk.get_by_label("核实情况").fill("经查当日窗口人手不足，群众等候时间过长")
    desk.get_by_role("button", name="提交核实结论").click()
    desk.get_by_label("整改措施与结果").fill("高峰时段增开一个综合窗口，并提供网上预约")
    desk.get_by_role("button", name="登记整改完成").click()
    assert "已登记整改" in desk.locator(".messages").inner_text()
    order.refresh_from_db()
    assert order.state == "revisiting"

    page.goto(base + "/my/evaluations/")
    revisit = page.locator("section", has=page.get_by_role("heading", name="请确认差评整改结果"))
    revisit.get_by_label("满意", exact=True).check()
    _assert_accessible(page, "revisit")
    revisit.get_by_role("button", name="提交整改结果评价").click()
    assert "整改单已办结" in page.locator(".messages").inner_text()
    order.refresh_from_db()
    assert (order.state, order.revisit_level, order.revisit_method) == ("closed", "satisfied", "online")

    supervisor = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    supervisor.add_init_script(script=AXE_SOURCE)
    board = supervisor.new_page()
    _login(board, base, "supervisor", staff=True)
    board.goto(base + "/workbench/evaluations/stats/")
    assert board.locator("#verify-rate").inner_text().startswith("100.0%")
    assert board.locator("#rectify-rate").inner_text().startswith("100.0%")
    assert board.locator("#revisit-rate").inner_text().startswith("100.0%")
    _check_in_every_mode(board, base, "stats", "/workbench/evaluations/stats/?by=department")
    for context in (citizen, staff, supervisor):
        context.close()


def test_the_hall_tablet_shows_the_clerks_request_and_the_citizen_taps(site, browser):
    base, _world, _ = site
    from tests.browser.conftest import AXE_SOURCE

    admin_context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    admin_context.add_init_script(script=AXE_SOURCE)
    admin = admin_context.new_page()
    _login(admin, base, "admin", staff=True)
    admin.goto(base + "/workbench/evaluations/devices/")
    _assert_accessible(admin, "devices")
    admin.get_by_label("设备名称").fill("A01评价平板")
    admin.get_by_role("button", name="登记设备").click()
    code = admin.locator("#pair-code").inner_text()

    tablet_context = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 768})
    tablet_context.add_init_script(script=AXE_SOURCE)
    tablet = tablet_context.new_page()
    tablet.goto(base + "/evaluations/tablet/")
    tablet.wait_for_url("**/evaluations/tablet/pair/")
    _assert_accessible(tablet, "tablet-pair")
    tablet.get_by_label("配对码").fill(code)
    tablet.get_by_role("button", name="配对").click()
    tablet.wait_for_url("**/evaluations/tablet/")
    assert tablet.get_by_role("heading", name="欢迎您").is_visible()
    _assert_accessible(tablet, "tablet-waiting")

    clerk_context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    clerk_context.add_init_script(script=AXE_SOURCE)
    clerk = clerk_context.new_page()
    _login(clerk, base, "clerk_a", staff=True)
    clerk.get_by_role("link", name="窗口评价").click()
    _assert_accessible(clerk, "window")
    clerk.get_by_label("办理内容").fill("个体工商户登记咨询")
    clerk.get_by_role("button", name="请群众评价").click()
    assert "已请群众在窗口评价器上评价" in clerk.locator(".messages").inner_text()

    # The waiting tablet notices the request by itself (evaluations-tablet.js polls) — nobody touches it.
    tablet.get_by_role("heading", name="请您对本次服务作出评价").wait_for(timeout=15000)
    _assert_accessible(tablet, "tablet-visit")
    tablet.get_by_role("button", name="满意", exact=True).click()
    tablet.get_by_role("heading", name="感谢您的评价！").wait_for()
    evaluation = Evaluation.objects.get()
    assert (evaluation.level, evaluation.channel, evaluation.rater_id) == ("satisfied", "hall_tablet", None)

    # A clerk who signs in on the tablet's browser cannot rate there.
    clerk.get_by_label("办理内容").fill("社保卡补办")
    clerk.get_by_role("button", name="请群众评价").click()
    _login(tablet, base, "clerk_a", staff=True)
    tablet.goto(base + "/evaluations/tablet/")
    assert tablet.get_by_role("heading", name="本设备不能用于评价").is_visible()
    assert tablet.get_by_role("button", name="满意", exact=True).count() == 0
    assert Evaluation.objects.count() == 1
    for context in (admin_context, tablet_context, clerk_context):
        context.close()
