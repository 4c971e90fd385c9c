"""Workbench pages for registering OpenID Connect clients (接入系统), and who may use them.

Role matrix persona mapping. A client is a platform-wide resource: registering one decides which
department system may learn citizens' (masked) identities, so it is the 政务服务管理机构's decision, not a
department's. The six personas of ``RoleMatrix`` are therefore filled as:

* ``owner`` → ``admin``, the platform administrator (政务服务管理机构管理员) who registers clients: allowed;
* ``same_department`` → ``deptadmin_a``, the department admin of 兰山区市场监督管理局 — the kind of
  department whose system would be the client: refused (403), it must ask the platform;
* ``other_department`` → ``clerk_a``, a window clerk of 兰山区 (another department, same region): refused;
* ``other_region`` → ``clerk_b``, a window clerk of 罗庄区: refused;
* ``citizen`` → ``citizen_owner``: refused (403, the workbench is for staff);
* ``anonymous``: sent to the log-in page (302).

A refused POST must not create a client (``side_effect`` counts applications and audit rows).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import Application

from tests.oidc.conftest import register
from yiwang.audit.models import AuditEvent
from yiwang.oidc.models import ClientPolicy
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World

REFUSED = {"same_department": 403, "other_department": 403, "other_region": 403, "citizen": 403, "anonymous": 302}


@pytest.fixture
def matrix(world: World) -> RoleMatrix:
    return RoleMatrix(
        users={
            "owner": world.users["admin"],
            "same_department": world.users["deptadmin_a"],
            "other_department": world.users["clerk_a"],
            "other_region": world.users["clerk_b"],
            "citizen": world.users["citizen_owner"],
            "anonymous": None,
        }
    )


def _form(**changes) -> dict:
    data = {
        "name": "兰山区不动产登记系统",
        "department": "",
        "client_type": "confidential",
        "redirect_uris": "https://bdc.lanshan.example.gov.cn/oidc/callback\nhttp://127.0.0.1:8080/cb",
        "post_logout_redirect_uris": "https://bdc.lanshan.example.gov.cn/",
        "allowed_scopes": ["openid", "profile", "idcard_masked"],
    }
    data.update(changes)
    return data


def _oidc_audit() -> int:
    # Only our rows: signing in (force_login) writes audit rows of its own.
    return AuditEvent.objects.filter(action__startswith="oidc.").count()


def _snapshot() -> tuple[int, int, int]:
    return Application.objects.count(), ClientPolicy.objects.count(), _oidc_audit()


def test_client_list_role_matrix(matrix: RoleMatrix, world: World, signing_key):
    register(world)
    url = reverse("oidc:client_list")
    responses = matrix.check(lambda client: client.get(url), {"owner": 200, **REFUSED})
    page = responses["owner"].content.decode()
    assert "兰山区不动产登记系统" in page and "兰山区行政审批服务局" in page
    assert "http://testserver/o" in page


def test_client_register_role_matrix_and_nothing_is_created_when_refused(matrix: RoleMatrix):
    url = reverse("oidc:client_register")
    matrix.check(lambda client: client.get(url), {"owner": 200, **REFUSED})
    counter = iter(range(100))
    matrix.check(
        lambda client: client.post(url, _form(name=f"系统{next(counter)}")),
        {"owner": 201, **REFUSED},
        side_effect=_snapshot,
    )
    assert Application.objects.count() == 1


def test_client_detail_and_reset_secret_role_matrix(matrix: RoleMatrix, world: World, signing_key):
    app = register(world)
    detail = reverse("oidc:client_detail", args=[app.application.pk])
    reset = reverse("oidc:client_reset_secret", args=[app.application.pk])
    matrix.check(lambda client: client.get(detail), {"owner": 200, **REFUSED})
    hashes = lambda: (Application.objects.get(pk=app.application.pk).client_secret, _oidc_audit())  # noqa: E731
    matrix.check(lambda client: client.post(reset), {"owner": 200, **REFUSED}, side_effect=hashes)


def test_registering_shows_the_secret_once_and_stores_only_its_hash(world: World):
    admin = Client()
    admin.force_login(world.users["admin"])
    response = admin.post(reverse("oidc:client_register"), _form(department=str(world.dept_a_admin.pk)))
    assert response.status_code == 201
    page = response.content.decode()
    assert "仅显示这一次" in page
    application = Application.objects.get()
    secret = page.split('id="client-secret">')[1].split("<")[0]
    assert len(secret) >= 40
    assert application.client_secret != secret and application.client_secret.startswith(("argon2", "pbkdf2", "md5"))
    assert response["Cache-Control"].startswith("max-age=0")
    policy = ClientPolicy.objects.get(application=application)
    assert (policy.allowed_scopes, policy.department, policy.created_by) == (
        "openid profile idcard_masked",
        world.dept_a_admin,
        world.users["admin"],
    )
    assert application.redirect_uris == "https://bdc.lanshan.example.gov.cn/oidc/callback http://127.0.0.1:8080/cb"
    # The detail page later shows how to connect, never the secret.
    detail = admin.get(reverse("oidc:client_detail", args=[application.pk])).content.decode()
    assert application.client_id in detail and secret not in detail and "仅显示这一次" not in detail
    assert "http://testserver/o/.well-known/openid-configuration" in detail


def test_bad_input_is_explained_in_chinese_and_nothing_is_saved(world: World):
    admin = Client()
    admin.force_login(world.users["admin"])
    response = admin.post(reverse("oidc:client_register"), _form(redirect_uris="http://bdc.lanshan.example.gov.cn/cb"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "必须使用 https" in page
    assert "兰山区不动产登记系统" in page  # what was typed is kept
    assert Application.objects.count() == 0


def test_a_public_client_gets_no_secret(world: World):
    admin = Client()
    admin.force_login(world.users["admin"])
    response = admin.post(reverse("oidc:client_register"), _form(client_type="public"))
    assert response.status_code == 201
    assert "client-secret" not in response.content.decode()
    assert Application.objects.get().client_secret == ""


def test_reset_secret_replaces_the_old_one(world: World, signing_key):
    app = register(world)
    admin = Client()
    admin.force_login(world.users["admin"])
    response = admin.post(reverse("oidc:client_reset_secret", args=[app.application.pk]))
    new_secret = response.content.decode().split('id="client-secret">')[1].split("<")[0]
    assert new_secret != app.secret
    from tests.oidc.flow import refresh

    old_secret, app.secret = app.secret, new_secret
    # The new secret authenticates (the request then fails only on the bogus token); the old one no longer does.
    assert refresh(app, "not-a-token").json()["error"] == "invalid_grant"
    app.secret = old_secret
    assert refresh(app, "not-a-token").status_code == 401
