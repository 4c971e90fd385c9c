"""Playwright driving Debian's Chromium (/usr/bin/chromium) — never a downloaded browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from yiwang.testing.components import CHROMIUM, require_executable

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js").read_text(encoding="utf-8")
ARTIFACTS = Path(os.environ.get("YIWANG_TEST_ARTIFACTS", "test-artifacts"))


_LAUNCHED: list[object] = []  # one Chromium per test session, however many conftests import these fixtures


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    # tests/oidc imports these fixtures too; a second sync_playwright() in the same thread would fail, so a
    # second instantiation of this fixture shares the browser the first one launched (and closes nothing).
    if _LAUNCHED:
        yield _LAUNCHED[0]
        return
    from playwright.sync_api import sync_playwright

    executable = require_executable(CHROMIUM, "chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        _LAUNCHED.append(instance)
        try:
            yield instance
        finally:
            _LAUNCHED.clear()
            instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    # axe-core (the npm package's build, bundled by axe-playwright-python) is added as an init script,
    # which the page's Content-Security-Policy does not block; our pages stay strict.
    context.add_init_script(script=AXE_SOURCE)
    page = context.new_page()
    yield page
    context.close()


AXE_RUN = """async () => {
    const r = await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
    return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
}"""

# What Chromium says when a navigation started by the previous click replaces the document under axe.
_NAVIGATED_AWAY = ("Execution context was destroyed", "reading 'documentElement'", "axe is not defined")


def axe_violations(page) -> list[dict]:
    """Run axe-core on the current page (WCAG 2.0/2.1 A and AA rules plus best practices).

    A click on a link returns before the browser has swapped documents; axe started in that gap sees the
    old document torn down. The run waits for the page to load and starts again on the new document then
    (three attempts; a page that keeps navigating is an error, not a pass).
    """
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            return list(page.evaluate(AXE_RUN))
        except PlaywrightError as error:
            if attempt == 2 or not any(sign in str(error) for sign in _NAVIGATED_AWAY):
                raise
            page.wait_for_timeout(200)
    raise AssertionError("unreachable")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def type_totp_code(page, device) -> None:
    """The second step of a staff log-in: type the code an authenticator app holding the device's key shows."""
    from yiwang.testing.otp import totp_code

    page.wait_for_url("**/accounts/2fa/**")
    page.get_by_label("动态验证码或恢复码").fill(totp_code(device))
    page.get_by_role("button", name="验证").click()
