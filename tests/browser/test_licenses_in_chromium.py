"""免提交 end to end in real Chromium: a citizen who holds a valid e-licence applies for an item whose material
links that licence type, sees "免提交：已调用电子证照 …" instead of an upload, submits, sees the material as
免提交 on his case, and finds the use with the case number in 我的证照 → 用证记录. Then 亮证 and 分享 from the
licence page. axe-core finds no violation on the wallet, the licence page, the 亮证 page, the shared-link
page and the public verification page — at desktop width and at 360 px, in normal and large-text mode."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.db import connections
from django.urls import reverse

from tests.browser.conftest import AXE_SOURCE, axe_violations, screenshot
from tests.cases.conftest import PDF
from yiwang.cases.choices import MaterialStatus
from yiwang.cases.models import Case
from yiwang.licenses.choices import UseKind
from yiwang.licenses.models import LicenseUse, ShareLink, ShowCode
from yiwang.testing.cases import published_item
from yiwang.testing.licenses import PERSON_TYPE_CODE, issued_license, person_license_type
from yiwang.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
T = TypeVar("T")


def _off_the_event_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Playwright's sync API keeps an asyncio loop running in the test's thread, and pyHanko signs through
    ``asyncio.run``, which refuses to start inside a running loop. So the licence is issued (rendered and
    signed) in a worker thread, on its own database connection, closed afterwards. The server's threads
    have no loop running: this concerns the test's own setup only."""

    def call() -> T:
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


@pytest.fixture
def site(live_server, transactional_db):
    world = build_world()
    licence = _off_the_event_loop(
        issued_license,
        person_license_type(),
        world.dept_a_market,
        person=world.persons["owner"],
        face={"shop_name": "甲记小吃店", "scope": "餐饮服务"},
    )
    item = published_item(
        world.dept_a_market,
        name="食品经营许可（仅销售预包装食品备案）",
        commitment=False,
        materials=[
            {
                "code": "licence",
                "name": "个体工商户营业执照",
                "necessity": "required",
                "licence_type_code": PERSON_TYPE_CODE,
            },
            {"code": "premises", "name": "经营场所使用证明", "necessity": "required"},
        ],
    )
    return live_server.url, world, licence, item


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


def _check_everywhere(page, name: str) -> None:
    """axe in the current mode at desktop width, then at 360 px (no sideways scrolling either)."""
    _assert_accessible(page, name)
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    _fits(page, f"{name}-360")
    _assert_accessible(page, f"{name}-360")
    screenshot(page, f"{name}-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()


def test_a_valid_licence_stands_in_for_the_material_end_to_end(site, page):
    url, world, licence, item = site
    note = f"免提交：已调用电子证照 个体工商户营业执照（{licence.identifier}）"
    page.goto(f"{url}/accounts/login/?next=/apply/{item.pk}/")
    page.get_by_label("用户名").fill("citizen_owner")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/apply/{item.pk}/")

    # The licence material: the note, no upload; the other material: an ordinary upload.
    block = page.locator("#material-licence")
    assert note in block.inner_text()
    assert block.locator("input[type=file]").count() == 0
    assert page.locator("#material-premises input[type=file]").count() == 1
    _check_everywhere(page, "apply-exempt")

    page.get_by_label("经营者姓名").fill("测试群众甲")
    page.get_by_label("个体工商户名称").fill("甲记小吃店")
    page.get_by_label("经营范围").select_option("餐饮")
    page.locator("#file-premises").set_input_files(
        files=[{"name": "场所证明.pdf", "mimeType": "application/pdf", "buffer": PDF + b"premises"}]
    )
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/my/cases/*/")
    case = Case.objects.get()
    assert (case.applicant_person, case.submitted_by) == (world.persons["owner"], world.users["citizen_owner"])
    material = case.materials.get(code="licence")
    assert (material.status, material.exempt_note) == (MaterialStatus.EXEMPT, note)
    materials = page.locator(".material-list").inner_text()
    assert "个体工商户营业执照" in materials and "免提交" in materials and note in materials
    screenshot(page, "case-exempt")

    # 我的证照 → the licence → 用证记录 lists the use with the case number.
    page.get_by_role("link", name="我的证照").first.click()
    page.wait_for_url("**/my/licenses/")
    card = page.locator(".license-card").filter(has_text="个体工商户营业执照")
    assert "有效" in card.inner_text() and "兰山区市场监督管理局" in card.inner_text()
    _check_everywhere(page, "wallet")
    card.get_by_role("link", name="个体工商户营业执照").click()
    page.wait_for_url(f"**/my/licenses/{licence.pk}/")
    uses = page.locator("#uses table").inner_text()
    assert case.number in uses and "免提交调用" in uses and "兰山区市场监督管理局" in uses
    use = LicenseUse.objects.get(license=licence)
    assert (use.kind, use.case_id) == (UseKind.EXEMPT, case.pk)
    assert "甲记小吃店" in page.locator(".license-face").inner_text()  # face data in clear for the holder
    _check_everywhere(page, "licence")
    screenshot(page, "licence")

    # 亮证: a QR drawn on the server and the digits, 5 minutes.
    page.get_by_role("button", name="亮证", exact=True).click()
    page.wait_for_url(f"**/my/licenses/{licence.pk}/show/*/")
    shown = ShowCode.objects.get(license=licence)
    assert page.locator(".show-qr svg[role=img]").is_visible()
    assert page.locator(".show-digits").inner_text().replace(" ", "").endswith(shown.code)
    assert "5分钟内有效" in page.locator(".show-validity").inner_text()
    page.locator("#show-countdown").filter(has_text=re.compile(r"剩余 \d 分 \d{2} 秒")).wait_for(timeout=5_000)
    _check_everywhere(page, "show-code")
    screenshot(page, "show-code")
    page.get_by_role("button", name="刷新亮证码").click()
    page.wait_for_url(f"**/my/licenses/{licence.pk}/show/*/")
    assert ShowCode.objects.filter(license=licence).count() == 2

    # 分享: the link shown once opens for anyone, face data unmasked.
    page.goto(f"{url}/my/licenses/{licence.pk}/")
    page.get_by_label("分享用途").fill("向房东出示营业执照")
    page.get_by_label("有效时长").select_option("24")
    page.get_by_role("button", name="生成分享链接").click()
    page.wait_for_url(f"**/my/licenses/{licence.pk}/#share")
    link = page.get_by_label("分享链接（只显示这一次，请立即复制）").input_value()
    assert re.fullmatch(rf"{re.escape(url)}/licenses/shared/[A-Za-z0-9_-]+/", link)
    assert ShareLink.objects.get(license=licence).purpose == "向房东出示营业执照"
    _assert_accessible(page, "licence-new-share")
    visitor = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        visitor.add_init_script(script=AXE_SOURCE)
        public = visitor.new_page()
        public.goto(link)
        assert "甲记小吃店" in public.locator(".license-face").inner_text()
        _check_everywhere(public, "shared")
    finally:
        visitor.close()

    # 长辈模式: the same pages, larger, still without violations.
    page.goto(f"{url}/my/licenses/")
    page.get_by_role("button", name="长辈模式（大字）").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.classList.contains('large')")
    _check_everywhere(page, "wallet-large")
    page.goto(f"{url}/my/licenses/{licence.pk}/")
    _check_everywhere(page, "licence-large")
    page.get_by_role("button", name="亮证", exact=True).click()
    page.wait_for_url(f"**/my/licenses/{licence.pk}/show/*/")
    _check_everywhere(page, "show-code-large")
    screenshot(page, "show-code-large")

    # The public verification page the QR on the face points to.
    page.goto(url + reverse("verify:detail", args=[licence.identifier]))
    assert licence.identifier in page.content()
    _check_everywhere(page, "verify-large")
    page.get_by_role("button", name="标准模式").click()
    page.wait_for_load_state()
    _check_everywhere(page, "verify")
