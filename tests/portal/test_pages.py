"""Public pages: content, the 适老化 switch, security headers, and nothing loaded from the internet."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from yiwang.testing.world import World

EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""", re.IGNORECASE)


def test_home_shows_search_themes_and_departments(world: World):
    page = Client().get(reverse("portal:home")).content.decode()
    assert 'lang="zh-CN"' in page
    assert "跳到主要内容" in page
    assert 'role="search"' in page
    for text in ("个人办事", "法人办事", "开办企业", "临沂市行政审批服务局"):
        assert text in page


def test_search_finds_departments_and_venues(world: World):
    page = Client().get(reverse("portal:search"), {"q": "兰山"}).content.decode()
    assert "兰山区市场监督管理局" in page
    assert "兰山区政务服务中心" in page
    assert "罗庄区行政审批服务局" not in page


def test_large_text_switch_is_remembered_and_only_redirects_locally(world: World):
    client = Client()
    response = client.post(reverse("portal:toggle_large_text"), {"next": "/search/?q=a"})
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=a"
    assert client.cookies["yiwang_large"].value == "1"
    assert client.cookies["yiwang_large"]["max-age"] == 365 * 24 * 3600
    page = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="zh-CN" class="large">' in page
    assert 'aria-pressed="true"' in page
    client.post(reverse("portal:toggle_large_text"), {"next": "/"})
    assert client.cookies["yiwang_large"].value == "0"
    evil = client.post(reverse("portal:toggle_large_text"), {"next": "https://evil.example/"})
    assert evil["Location"] == "/"


@pytest.mark.parametrize("name", ["portal:home", "portal:departments", "portal:venues", "accounts:login"])
def test_pages_load_nothing_from_the_internet_and_send_a_strict_csp(world: World, name: str):
    response = Client().get(reverse(name))
    assert response.status_code == 200
    assert not EXTERNAL.search(response.content.decode())
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_api_docs_page_works_offline(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.search(html)
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert Client().get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/django_htmx/htmx-2.min.js", "text/javascript"),
        ("/static/yiwang/site.css", "text/css"),
        ("/static/yiwang/favicon.svg", "image/svg+xml"),
    ],
)
def test_every_asset_the_shell_references_is_served_from_our_own_origin(db, path: str, content_type: str):
    page = Client().get(reverse("portal:home")).content.decode()
    assert path in page
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_venues_page_lists_windows(world: World):
    page = Client().get(reverse("portal:venues"), {"region": "371302"}).content.decode()
    assert "兰山区政务服务中心" in page
    assert "A01 综合窗口" in page


def test_healthz(db):
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_search_finds_published_items_and_themes_lead_to_the_guides(world: World, item):
    from yiwang.catalog.services import publish_directly

    publish_directly(actor=None, item=item)
    page = Client().get(reverse("portal:search"), {"q": "食品经营"}).content.decode()
    assert "办事事项（1）" in page
    assert f'href="/guide/{item.task_code}/"' in page
    home = Client().get(reverse("portal:home")).content.decode()
    assert 'href="/guide/?theme=open"' in home
