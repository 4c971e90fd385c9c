"""办事指南 and 事项清单 in real Chromium: on a desktop and a 360 px phone, in normal and 适老化 (large-text)
mode, axe-core finds no violation and nothing scrolls sideways; tables stack on the phone; printing
shows the guide without the site's navigation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.browser.conftest import AXE_SOURCE, axe_violations, screenshot
from tests.catalog.test_guide_pages import BIRTH_CONTENT, FIRE_CONTENT, _published
from yiwang.catalog.models import ServiceItem
from yiwang.core.context_processors import LARGE_TEXT_COOKIE
from yiwang.testing.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@dataclass
class Site:
    url: str
    food: ServiceItem


@pytest.fixture
def site(live_server, transactional_db) -> Site:
    world = build_world()
    food = _published(world.dept_a_market)
    _published(world.dept_a_admin, task_type="07", **BIRTH_CONTENT)
    _published(world.city_admin_dept, level=3, **FIRE_CONTENT)
    return Site(url=live_server.url, food=food)


def _paths(site: Site) -> list[tuple[str, str]]:
    return [
        ("guide-list", "/guide/"),
        ("guide-detail", f"/guide/{site.food.code}/"),
        ("list-deferrable", "/guide/lists/deferrable/"),
        ("lists", "/guide/lists/"),
        ("departments", "/guide/departments/"),
        ("themes", "/guide/themes/"),
    ]


@pytest.fixture(params=["normal", "large"])
def mode(request) -> str:
    return str(request.param)


@contextmanager
def _open(browser, site: Site, viewport: dict, mode: str, *, phone: bool) -> Iterator[object]:
    options: dict = {"locale": "zh-CN", "viewport": viewport}
    if phone:
        options.update(device_scale_factor=2, is_mobile=True, has_touch=True)
    context = browser.new_context(**options)
    context.add_init_script(script=AXE_SOURCE)
    if mode == "large":
        context.add_cookies([{"name": LARGE_TEXT_COOKIE, "value": "1", "url": site.url}])
    try:
        yield context.new_page()
    finally:
        context.close()


def _check(page, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        screenshot(page, f"axe-{name}")
    assert violations == [], f"axe-core violations on {name}: {violations}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_guide_pages_are_accessible_and_fit_the_screen(browser, site: Site, mode: str, device: str):
    phone = device == "phone"
    with _open(browser, site, PHONE if phone else DESKTOP, mode, phone=phone) as page:
        for name, path in _paths(site):
            response = page.goto(site.url + path)
            assert response is not None and response.status == 200, path
            assert page.evaluate("document.documentElement.classList.contains('large')") == (mode == "large")
            # guide.css is loaded (the base template has no head block; the pages link it themselves)
            assert page.evaluate("getComputedStyle(document.querySelector('.guide-nav')).display") == "block"
            _check(page, f"{device}-{mode}-{name}")
            if name in ("guide-list", "guide-detail", "list-deferrable"):
                screenshot(page, f"guide-{device}-{mode}-{name}")


def test_filters_work_in_the_browser(browser, site: Site):
    with _open(browser, site, DESKTOP, "normal", phone=False) as page:
        page.goto(site.url + "/guide/")
        assert page.locator(".guide-row").count() == 3
        page.get_by_label("服务对象").select_option("person")
        page.get_by_role("button", name="查询").click()
        page.wait_for_url("**/guide/?*audience=person*")
        assert page.locator(".guide-row h3").all_inner_texts() == ["出生医学证明办理"]
        page.get_by_label("只看全程网办").check()
        page.get_by_label("服务对象").select_option("")
        page.get_by_role("button", name="查询").click()
        page.wait_for_url("**/guide/?*online=1*")
        assert page.locator(".guide-row h3").all_inner_texts() == ["食品经营许可（新办）"]
        page.get_by_role("link", name="食品经营许可（新办）").click()
        assert page.locator("h1").inner_text() == "食品经营许可（新办）"
        _check(page, "detail-after-search")


def test_tables_stack_on_a_phone(browser, site: Site, mode: str):
    with _open(browser, site, PHONE, mode, phone=True) as page:
        page.goto(f"{site.url}/guide/{site.food.code}/")
        cell = page.locator("table.materials tbody td").first
        assert cell.evaluate("td => getComputedStyle(td).display") == "block"
        assert not page.locator("table.materials thead").is_visible() or page.evaluate(
            "document.querySelector('table.materials thead').getBoundingClientRect().height <= 1"
        )
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"序号"'
    with _open(browser, site, DESKTOP, mode, phone=False) as page:
        page.goto(f"{site.url}/guide/{site.food.code}/")
        cell = page.locator("table.materials tbody td").first
        assert cell.evaluate("td => getComputedStyle(td).display") == "table-cell"


def test_printing_a_guide_hides_the_navigation(browser, site: Site):
    with _open(browser, site, DESKTOP, "normal", phone=False) as page:
        page.goto(f"{site.url}/guide/{site.food.code}/")
        assert page.locator(".site-header").is_visible()
        page.emulate_media(media="print")
        for selector in (".site-header", ".site-footer", ".guide-nav", ".breadcrumbs", ".toc"):
            assert not page.locator(selector).is_visible(), selector
        assert page.locator("h1").is_visible()
        assert page.locator("table.materials").is_visible()
        assert page.locator(".print-only").is_visible()
        assert page.locator(".print-only").inner_text().endswith(f"/guide/{site.food.code}/")
        screenshot(page, "guide-print")
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
