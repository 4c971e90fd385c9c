"""The 电子证照 workbench in real Chromium: the platform admin signs in with a TOTP code, makes a seal for
罗庄区行政审批服务局 and finds it, drawn, in the registry; a window clerk signs in and reads a citizen's licence
from the 亮证码 the citizen shows, stating a purpose — the use is logged for the holder. axe-core finds no
violation on the registry, the seal page and the 亮证核验 page (with a result and with an error) — normal,
长辈模式 (large text) and 360 px wide."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.conftest import AXE_SOURCE, axe_violations, screenshot, type_totp_code
from yiwang.accounts.models import User
from yiwang.core.context_processors import LARGE_TEXT_COOKIE
from yiwang.licenses import pades, services
from yiwang.licenses.choices import SealStatus, UseKind
from yiwang.licenses.models import LicenseUse, Seal
from yiwang.testing.licenses import issued_license, person_license_type
from yiwang.testing.otp import totp_device_for
from yiwang.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
PURPOSE = "办理食品经营许可，核验个体工商户营业执照"


@pytest.fixture
def site(live_server, transactional_db, monkeypatch):
    # pyHanko signs through asyncio.run(), which refuses to start inside the event loop that Playwright's sync
    # API keeps running in this thread; the licence issued here is signed in a worker thread (pure CPU work —
    # the database writes stay in this thread). The live server's own threads have no loop and sign as usual.
    original = pades.sign_pdf

    def sign_in_a_worker(*args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(original, *args, **kwargs).result()

    monkeypatch.setattr(pades, "sign_pdf", sign_in_a_worker)
    world = build_world()
    licence = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    return live_server.url, world, licence


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


def test_platform_admin_creates_a_seal_and_finds_it_in_the_registry(site, page):
    base, world, _licence = site
    _login(page, base, "admin")
    page.get_by_role("link", name="电子印章管理").click()
    page.wait_for_url("**/workbench/seals/")
    page.get_by_label("用章单位").select_option(label="罗庄区行政审批服务局（罗庄区）")
    page.get_by_label("印章类型").select_option(label="单位公章")
    page.get_by_label("有效期（年）").fill("3")
    page.get_by_role("button", name="制发印章").click()
    page.wait_for_url("**/workbench/seals/#seal-*")

    seal = Seal.objects.get(department=world.dept_b_admin)
    assert (seal.kind, seal.status) == ("official", SealStatus.ACTIVE)
    assert "已制发“罗庄区行政审批服务局单位公章”" in page.locator(".messages").inner_text()
    row = page.locator(f"#seal-{seal.pk}")
    assert seal.esid in row.inner_text() and "有效" in row.inner_text()
    drawn = row.get_by_role("img", name="罗庄区行政审批服务局单位公章（电子印章）")
    assert drawn.is_visible() and drawn.bounding_box()["width"] == 96

    _check_in_every_mode(page, base, "seals", lambda p: p.goto(base + "/workbench/seals/"))
    _check_in_every_mode(page, base, "seal", lambda p: p.goto(f"{base}/workbench/seals/{seal.pk}/"))


def test_window_clerk_reads_a_licence_from_the_holders_show_code(site, page):
    base, world, licence = site
    shown = services.show_code_create(actor=world.users["citizen_owner"], license_id=licence.pk)
    _login(page, base, "clerk_a")
    page.get_by_role("link", name="亮证核验").click()
    page.wait_for_url("**/workbench/licenses/use/")

    def redeem(p, code: str = shown.code) -> None:
        p.goto(base + "/workbench/licenses/use/")
        p.get_by_label("亮证码或电子证照标识").fill(code)
        p.get_by_label("用证事由").fill(PURPOSE)
        p.get_by_role("button", name="核验").click()
        p.wait_for_load_state("load")

    redeem(page)
    result = page.locator("#use-result")
    assert "本次查询已记录，持证人可见" in result.inner_text()
    assert "核验结论：真实有效" in result.inner_text()
    for value in ("测试群众甲", "名称示例", "经营范围示例", licence.identifier):
        assert value in result.inner_text()
    first = LicenseUse.objects.order_by("id").first()
    assert (first.license_id, first.kind, first.purpose, first.user_id) == (
        licence.pk,
        UseKind.SHOW,
        PURPOSE,
        world.users["clerk_a"].pk,
    )

    _check_in_every_mode(page, base, "license-use-result", redeem)
    assert LicenseUse.objects.count() == 5  # every reading is logged, each with its purpose

    redeem(page, "0000000000" if shown.code != "0000000000" else "1111111111")
    error = page.locator("#id_code_error")
    assert error.inner_text() == "亮证码无效或已过期，请持证人刷新后重新出示"
    assert page.get_by_label("亮证码或电子证照标识").get_attribute("aria-invalid") == "true"
    _assert_accessible(page, "license-use-error")
    assert LicenseUse.objects.count() == 5


def test_trust_list_and_the_issuers_pages_are_accessible_everywhere(site, page, browser):
    base, world, licence = site
    from yiwang.licenses import keys

    _key, pem = keys.authority_create("江苏省测试电子印章制发中心")
    services.trusted_issuer_add(actor=world.users["admin"], certificate=pem, name="江苏省政务服务管理办公室")
    dispute = services.dispute_raise(actor=world.users["citizen_owner"], license_id=licence.pk, reason="名称少了一个字")

    _login(page, base, "admin")
    page.get_by_role("link", name="互认信任列表").click()
    page.wait_for_url("**/workbench/trust/")
    assert "江苏省政务服务管理办公室" in page.locator("table").inner_text()
    _check_in_every_mode(page, base, "trust", lambda p: p.goto(base + "/workbench/trust/"))

    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    context.add_init_script(script=AXE_SOURCE)
    approver = context.new_page()
    try:
        _login(approver, base, "approver_a")
        approver.get_by_role("link", name="证照管理").click()
        approver.wait_for_url("**/workbench/licenses/")
        assert licence.number in approver.locator("#license-table").inner_text()
        for name, path in (
            ("licenses", "/workbench/licenses/"),
            ("license", f"/workbench/licenses/{licence.pk}/"),
            ("disputes", "/workbench/licenses/disputes/"),
            ("dispute", f"/workbench/licenses/disputes/{dispute.pk}/"),
        ):
            _check_in_every_mode(approver, base, name, lambda p, path=path: p.goto(base + path))
    finally:
        context.close()
