"""我的 (accounts:me): every signed-in user's own tools on one page — what a phone's header links to. The
citizen's links, 办事身份, 登录记录 and 退出; a staff member's 工作台 too; nobody else's, and no one unsigned."""

from __future__ import annotations

from django.urls import reverse

from yiwang.testing.roles import RoleMatrix


def test_me_page_role_matrix_and_what_each_sees(person_matrix: RoleMatrix):
    """The page is about its reader: every signed-in persona gets its own, the unsigned go to log in."""
    matrix = person_matrix
    responses = matrix.check(
        lambda c: c.get(reverse("accounts:me")),
        {
            "owner": 200,
            "same_department": 200,
            "other_department": 200,
            "other_region": 200,
            "citizen": 200,
            "anonymous": 302,
        },
    )
    assert responses["anonymous"]["Location"].startswith("/accounts/login/")
    assert "测试群众乙，您好。" in responses["citizen"].content.decode()  # its own, not the owner's
    citizen_page = matrix.client_for("owner").get(reverse("accounts:me")).content.decode()
    main = citizen_page[citizen_page.index('<main id="main"') :]
    for href in ("/my/cases/", "/my/licenses/", "/accounts/authorisations/", "/accounts/enterprises/"):
        assert f'href="{href}"' in main, href
    assert 'href="/accounts/history/"' in main and 'action="/accounts/logout/"' in main
    assert "测试群众甲，您好。" in main
    assert 'href="/workbench/"' not in main
    clerk_page = matrix.client_for("same_department").get(reverse("accounts:me")).content.decode()
    clerk_main = clerk_page[clerk_page.index('<main id="main"') :]
    assert 'href="/workbench/"' in clerk_main and 'href="/accounts/history/"' in clerk_main
    assert 'href="/my/cases/"' not in clerk_main  # a citizen's links are a citizen's
    assert 'aria-current="page">我的</a>' in clerk_page  # the header's 我的 marks the page it is on
