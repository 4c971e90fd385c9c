"""A citizen applies online in real Chromium: log in, open the item's 办事指南, 在线申请, fill the form, upload a
PDF, watch the draft save itself, submit, and follow the case — axe-core finds no violation on the apply
page and the case page, in normal and in large-text (长辈模式) mode, and at 360 px wide."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.cases.conftest import PDF
from yiwang.cases import services
from yiwang.cases.models import ApplicationDraft, Case
from yiwang.testing.cases import published_item
from yiwang.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    world = build_world()
    item = published_item(world.dept_a_market)
    return live_server.url, world, item


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


def test_a_citizen_applies_online_and_follows_the_case(site, page):
    url, world, item = site
    page.goto(f"{url}/accounts/login/?next=/guide/{item.code}/")
    page.get_by_label("用户名").fill("citizen_owner")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/guide/{item.code}/")

    page.get_by_role("link", name="在线申请").click()
    page.wait_for_url(f"**/apply/{item.pk}/")
    assert page.locator("h1").inner_text() == "在线申请：个体工商户登记（设立）"
    assert "无需提交，由平台调取" in page.locator("#material-id_card").inner_text()
    _check_everywhere(page, "apply")

    page.get_by_label("经营者姓名").fill("测试群众甲")
    page.get_by_label("个体工商户名称").fill("甲记小吃店")
    page.get_by_label("经营范围").select_option("餐饮")
    page.locator("#file-premises").set_input_files(
        files=[{"name": "场所证明.pdf", "mimeType": "application/pdf", "buffer": PDF + b"premises"}]
    )
    # The draft saves itself (htmx, one second after the last change) and the file comes back as kept.
    status = page.locator("#autosave-status")
    status.filter(has_text=re.compile(r"已自动保存 \d{2}:\d{2}")).wait_for(timeout=10_000)
    page.locator("#material-premises").get_by_label("保留：场所证明.pdf").wait_for(timeout=10_000)
    draft = ApplicationDraft.objects.get()
    assert services.draft_form(draft) == {"applicant_name": "测试群众甲", "shop_name": "甲记小吃店", "scope": "餐饮"}
    assert list(draft.materials) == ["premises"]
    assert re.fullmatch(r"\d+", page.locator("#draft-revision").get_attribute("value") or "")
    _assert_accessible(page, "apply-filled")
    screenshot(page, "apply-filled")

    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/my/cases/*/")
    case = Case.objects.get()
    assert (case.applicant_person, case.submitted_by) == (world.persons["owner"], world.users["citizen_owner"])
    assert f"申请已提交。办件编号：{case.number}；查询码：{case.lookup_code}" in page.content()
    assert page.locator(".case-status .case-number").inner_text() == case.number
    assert list(case.materials.get(code="premises").uploads.values_list("name", flat=True)) == ["场所证明.pdf"]
    assert ApplicationDraft.objects.count() == 0
    _check_everywhere(page, "case")
    screenshot(page, "case")

    page.get_by_role("link", name="我的办件").first.click()
    page.wait_for_url("**/my/cases/")
    assert case.number in page.locator(".case-list").inner_text()
    _check_everywhere(page, "my-cases")

    # 长辈模式: the same pages, larger, still without violations.
    page.get_by_role("button", name="长辈模式（大字）").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.classList.contains('large')")
    _check_everywhere(page, "my-cases-large")
    page.goto(f"{url}/my/cases/{case.pk}/")
    _check_everywhere(page, "case-large")
    page.goto(f"{url}/apply/{item.pk}/")
    _check_everywhere(page, "apply-large")
    screenshot(page, "apply-large")

    page.goto(f"{url}/progress/")
    page.get_by_label("办件编号").fill(case.number)
    page.get_by_label("查询码").fill(case.lookup_code)
    page.get_by_role("button", name="查询").click()
    page.locator("#progress-result").wait_for()
    assert "测****" in page.locator("#progress-result").inner_text()
    _check_everywhere(page, "progress-large")
