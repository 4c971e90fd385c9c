"""``examples/department-app`` — a separate process that knows nothing of Yiwang's code — signs a citizen in
through a live Yiwang and out again, in Chromium, exactly as README's "How a department system integrates"
describes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import axe_violations
from yiwang.oidc.services import oidc_client_register, signing_key_create
from yiwang.testing.world import PASSWORD, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.django_db(transaction=True)]

APP = Path(__file__).resolve().parents[2] / "examples" / "department-app" / "app.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_world(transactional_db) -> World:
    world = build_world()
    signing_key_create(actor=None)
    return world


@pytest.fixture
def department_app(live_server, live_world: World) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    application, secret = oidc_client_register(
        actor=live_world.users["admin"],
        name="示例部门系统",
        client_type="confidential",
        redirect_uris=[base + "/callback"],
        post_logout_redirect_uris=[base + "/"],
        allowed_scopes=["openid", "profile", "phone", "idcard_masked", "enterprise"],
        department=live_world.dept_a_market,
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "YIWANG_ISSUER": live_server.url + "/o",
        "DEPT_CLIENT_ID": application.client_id,
        "DEPT_CLIENT_SECRET": secret or "",
        "DEPT_BASE_URL": base,
    }
    process = subprocess.Popen(
        [sys.executable, str(APP)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5):  # noqa: S310 — loopback only
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"the example app did not start:\n{output}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_example_department_app_signs_a_citizen_in_and_out(page, department_app: str, live_world: World):
    page.goto(department_app + "/")
    page.get_by_role("link", name="使用一网通办账号登录").click()
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("用户名").fill("citizen_owner")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/o/authorize/**")
    assert "示例部门系统（兰山区市场监督管理局）" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("button", name="同意并登录").click()
    page.wait_for_url(department_app + "/")
    person = live_world.persons["owner"]
    assert page.locator("h1").inner_text() == "示例部门系统"
    assert page.locator("#name").inner_text() == "测试群众甲"
    assert page.locator("#id_number_masked").inner_text() == person.id_number_masked
    assert page.locator("#phone_number").inner_text() == "138****0001"
    assert len(page.locator("#sub").inner_text()) == 32

    page.get_by_role("link", name="退出").click()
    page.wait_for_url("**/o/logout/**")
    page.get_by_role("button", name="确认退出").click()
    page.wait_for_url(department_app + "/?state=*")  # the state the app sent, echoed back
    assert page.get_by_role("link", name="使用一网通办账号登录").is_visible()
