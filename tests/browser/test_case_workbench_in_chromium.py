"""The 办件 workbench in real Chromium: a window clerk signs in with a TOTP code, takes in a citizen's
application at the 综合窗口 (finds him by ID number, fills the form, records the paper, uploads a scan) and
accepts it on the spot; an approver signs in, completes 审核 and decides. axe-core finds no violation on the
queue, the case page and the intake screen — normal, 长辈模式 (large text) and 360 px wide."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import AXE_SOURCE, axe_violations, screenshot, type_totp_code
from yiwang.accounts.models import User
from yiwang.cases.choices import AcceptMode, CaseState, Channel, StepState
from yiwang.cases.models import Case
from yiwang.core import clock
from yiwang.core.context_processors import LARGE_TEXT_COOKIE
from yiwang.core.identifiers import make_id_number
from yiwang.core.pdf import render_notice
from yiwang.testing.cases import published_item
from yiwang.testing.otp import totp_device_for
from yiwang.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai: every due date is inside 2026
OWNER_ID = make_id_number("371302", dt.date(1985, 6, 1), 12)  # world.persons["owner"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def site(live_server, transactional_db, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)
    world = build_world()
    item = published_item(world.dept_a_market)
    return live_server.url, world, item


def _lease_pdf() -> bytes:
    """A real PDF (so Chromium's viewer renders it inside the page's <iframe>)."""
    return render_notice(
        title="房屋租赁合同",
        number="兰租〔2026〕1号",
        addressee="测试群众甲",
        paragraphs=["出租方将兰山区金雀山路1号一层商铺出租给承租方经营餐饮。"],
        issuer="出租方",
        issued_on=dt.date(2026, 2, 1),
    )


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


def _fits(page, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        screenshot(page, f"overflow-{name}")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"


def _check_in_every_mode(page, base: str, name: str, reach) -> None:
    """axe on the page ``reach(page)`` opens: desktop and 360 px, in normal and in large-text mode."""
    for large in (False, True):
        if large:
            page.context.add_cookies([{"name": LARGE_TEXT_COOKIE, "value": "1", "url": base}])
        for size, label in ((DESKTOP, ""), (PHONE, "-360")):
            page.set_viewport_size(size)
            reach(page)
            assert page.evaluate("document.documentElement.classList.contains('large')") == large
            mode = f"{name}{'-large' if large else ''}{label}"
            if size is PHONE:
                _fits(page, mode)
            _assert_accessible(page, mode)
    page.context.clear_cookies(name=LARGE_TEXT_COOKIE)
    page.set_viewport_size(DESKTOP)


def _find_owner(page) -> None:
    page.locator("#id_find-id_number").fill(OWNER_ID)
    page.get_by_role("button", name="查找", exact=True).click()
    page.locator("#picked-person").wait_for()


def test_clerk_takes_in_and_accepts_then_approver_reviews_and_decides(site, page, browser):
    base, world, item = site
    _login(page, base, "clerk_a")
    page.get_by_role("link", name="综合窗口收件").click()
    page.wait_for_url("**/workbench/cases/intake/")
    _check_in_every_mode(page, base, "intake-items", lambda p: p.goto(base + "/workbench/cases/intake/"))
    page.get_by_label("事项名称").fill("个体工商户")
    page.get_by_role("button", name="查找事项").click()
    page.get_by_role("link", name="收件：个体工商户登记（设立）").click()
    page.wait_for_url(f"**/workbench/cases/intake/?item={item.pk}")
    assert "请先查找或登记申请人" in page.locator("#need-applicant").inner_text()

    intake_url = f"{base}/workbench/cases/intake/?item={item.pk}"
    _check_in_every_mode(page, base, "intake", lambda p: (p.goto(intake_url), _find_owner(p)))
    page.goto(intake_url)
    _find_owner(page)
    assert OWNER_ID not in page.url and OWNER_ID not in page.content()
    assert "3713**********0127" in page.locator("#picked-person").inner_text()

    page.get_by_label("经营者姓名").fill("测试群众甲")
    page.get_by_label("个体工商户名称").fill("甲记小吃店")
    page.get_by_label("经营范围").select_option("餐饮")
    premises = page.get_by_role("group", name="经营场所使用证明")
    premises.get_by_label("原件").fill("1")
    premises.get_by_label("复印件").fill("2")
    premises.get_by_label("扫描件（PDF、JPG、PNG 或 OFD，可多选）").set_input_files(
        files=[{"name": "租赁合同.pdf", "mimeType": "application/pdf", "buffer": _lease_pdf()}]
    )
    page.get_by_role("group", name="经营场所照片").get_by_label("复印件").fill("1")
    assert page.get_by_label("材料齐全的，提交后当场受理").is_checked()
    page.get_by_label("一般受理（材料齐全）").check()
    screenshot(page, "intake-filled")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/workbench/cases/*/")

    case = Case.objects.get()
    assert (case.channel, case.state, case.accept_mode, case.window_id) == (
        Channel.WINDOW,
        CaseState.HANDLING,
        AcceptMode.NORMAL,
        world.window_a1.pk,
    )
    assert f"已当场受理（一般受理），办件编号 {case.number}，查询码 {case.lookup_code}" in page.content()
    assert page.locator("#case-state").inner_text() == "办理中"
    assert page.locator("#promise-due").inner_text() == "2026-03-09（剩余5个工作日）"
    assert page.locator("#legal-due").inner_text() == "2026-03-30（剩余20个工作日）"
    screenshot(page, "case-accepted")
    case_url = f"{base}/workbench/cases/{case.pk}/"
    _check_in_every_mode(page, base, "case-clerk", lambda p: p.goto(case_url))

    # The scanned material opens inline, in an <iframe> served by the staff-only view.
    page.goto(case_url)
    page.get_by_role("link", name="查看：租赁合同.pdf").click()
    frame = page.locator("#viewer iframe")
    frame.wait_for()
    upload_id = case.materials.get(code="premises").uploads.get().pk
    assert frame.get_attribute("src") == f"/workbench/cases/{case.pk}/files/{upload_id}/"
    response = page.request.get(base + frame.get_attribute("src"))
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.headers["x-content-type-options"] == "nosniff"
    page.wait_for_timeout(1000)  # let the PDF viewer paint before the screenshot
    _assert_accessible(page, "case-viewer")
    screenshot(page, "case-viewer")

    # The approver, in a browser of his own.
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    context.add_init_script(script=AXE_SOURCE)
    approver = context.new_page()
    try:
        _login(approver, base, "approver_a")
        approver.get_by_role("link", name="办件工作台").click()
        approver.wait_for_url("**/workbench/cases/")
        assert approver.locator("nav[aria-label='工作队列'] a[aria-current='page']").text_content() == "待审核 （1）"
        row = approver.locator("#queue-table tbody tr")
        assert row.count() == 1
        cells = [" ".join(text.split()) for text in row.locator("td").all_text_contents()]
        assert cells == [
            case.number,
            "个体工商户登记（设立）",
            "测试群众甲",
            "兰山区市场监督管理局",
            "2026-03-02",
            "2026-03-09",
            "剩余5个工作日",
            "●绿灯（正常）",  # a shape and a word, not the colour alone
            "审核",
        ]
        _check_in_every_mode(approver, base, "queue", lambda p: p.goto(base + "/workbench/cases/?queue=to_review"))
        screenshot(approver, "queue")
        approver.get_by_role("link", name=case.number).click()
        approver.wait_for_url(f"**/workbench/cases/{case.pk}/")
        _check_in_every_mode(approver, base, "case-approver", lambda p: p.goto(case_url))
        approver.set_viewport_size(PHONE)
        screenshot(approver, "case-approver-360")
        approver.locator("#actions-title").scroll_into_view_if_needed()
        approver.screenshot(path="test-artifacts/case-approver-360-actions.png")
        approver.set_viewport_size(DESKTOP)

        review = case.steps.get(state=StepState.OPEN)
        step_form = approver.locator(f"#form-step_complete-{review.pk}")
        step_form.get_by_role("button", name="审核通过").click()  # no opinion: refused, shown next to the field
        approver.locator(f"#step_complete-{review.pk}-opinion-error").wait_for()
        assert approver.locator(f"#step_complete-{review.pk}-opinion-error").inner_text() == "请填写审核意见"
        _assert_accessible(approver, "case-refused")
        approver.locator(f"#form-step_complete-{review.pk}").get_by_label("审核意见").fill("材料齐全，符合条件")
        approver.locator(f"#form-step_complete-{review.pk}").get_by_role("button", name="审核通过").click()
        approver.wait_for_url(f"**/workbench/cases/{case.pk}/")
        assert "“审核”环节已办结，办件转入下一环节。" in approver.content()

        decide = approver.locator("#form-decide")
        decide.get_by_label("准予").check()
        decide.get_by_label("决定意见或理由").fill("符合法定条件，准予登记")
        decide.get_by_role("button", name="作出决定").click()
        approver.wait_for_url(f"**/workbench/cases/{case.pk}/")
        assert "已作出准予决定。" in approver.content()
        assert approver.locator("#case-state").inner_text() == "待出件"
        screenshot(approver, "case-decided")
    finally:
        context.close()
    case.refresh_from_db()
    assert (case.state, case.decision) == (CaseState.DECIDED, "approve")
    assert list(case.events.order_by("seq").values_list("action", flat=True)) == [
        "submit",
        "accept",
        "step_complete",
        "decide",
    ]
