"""Services of the OpenID Connect provider: client registration rules, signing keys and their rotation,
subjects, the key ring DOT reads, and the ``yiwang oidc`` command."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from oauth2_provider.models import Application
from oauth2_provider.utils import jwk_from_pem

from tests.oidc.conftest import ALL_SCOPES, register
from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.env import SettingError, env_seconds
from yiwang.oidc import keyring
from yiwang.oidc.models import ClientPolicy, SigningKey, Subject
from yiwang.oidc.services import (
    oidc_client_register,
    publication_window,
    redirect_uri_problem,
    signing_key_create,
    signing_key_rotate,
    subject_get_or_create,
)
from yiwang.testing.world import World


@pytest.mark.parametrize(
    "uri",
    [
        "https://bdc.lanshan.example.gov.cn/oidc/callback",
        "https://dept.example.gov.cn:8443/cb?tenant=3",
        "http://localhost:8080/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:9000/cb",
    ],
)
def test_acceptable_redirect_uris(uri: str):
    assert redirect_uri_problem(uri) is None


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://dept.example.gov.cn/cb", "必须使用 https"),
        ("http://127.0.0.2.example.com/cb", "必须使用 https"),
        ("https://dept.example.gov.cn/cb#top", "不能包含 # 片段"),
        ("https://user:pw@dept.example.gov.cn/cb", "用户名或密码"),
        ("https://*.example.gov.cn/cb", "通配符"),
        ("ftp://dept.example.gov.cn/cb", "https://"),
        ("/relative/cb", "https://"),
        ("https://dept.example.gov.cn/a b", "空格"),
        ("https://dept.example.gov.cn:99999/cb", "格式不正确"),
    ],
)
def test_refused_redirect_uris_say_why(uri: str, problem: str):
    assert problem in (redirect_uri_problem(uri) or "")


def test_registration_is_recorded_without_the_secret(world: World):
    app = register(world)
    assert app.secret and len(app.secret) >= 40
    event = AuditEvent.objects.get(action="oidc.client.register")
    assert event.actor_username == "admin"
    assert event.changes["allowed_scopes"] == [None, ALL_SCOPES]
    assert event.changes["client_id"] == [None, app.client_id]
    assert app.secret not in json.dumps(event.changes)
    assert app.application.algorithm == "RS256"
    assert app.application.authorization_grant_type == "authorization-code"


@pytest.mark.parametrize("username", ["deptadmin_a", "clerk_a", "supervisor", "citizen_owner"])
def test_only_the_platform_admin_registers_clients(world: World, username: str):
    with pytest.raises(DomainError) as refused:
        oidc_client_register(
            actor=world.users[username],
            name="越权登记",
            client_type="confidential",
            redirect_uris=["https://x.example.gov.cn/cb"],
            allowed_scopes=["openid"],
        )
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert (Application.objects.count(), ClientPolicy.objects.count()) == (0, 0)
    assert not AuditEvent.objects.filter(action="oidc.client.register").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"allowed_scopes": ["profile"]}, "allowed_scopes", "必须包含 openid"),
        ({"allowed_scopes": ["openid", "email"]}, "allowed_scopes", "未知的授权范围：email"),
        ({"redirect_uris": []}, "redirect_uris", "至少填写一个"),
        ({"redirect_uris": ["http://x.example.gov.cn/cb"]}, "redirect_uris", "必须使用 https"),
        ({"post_logout_redirect_uris": ["https://x.example.gov.cn/#bye"]}, "post_logout_redirect_uris", "片段"),
        ({"client_type": "hybrid"}, "client_type", "客户端类型"),
        ({"name": " "}, "name", "系统名称"),
    ],
)
def test_registration_refuses_bad_input_with_the_field_named(world: World, changes: dict, field: str, message: str):
    arguments = {
        "actor": world.users["admin"],
        "name": "测试系统",
        "client_type": "confidential",
        "redirect_uris": ["https://x.example.gov.cn/cb"],
        "allowed_scopes": ["openid"],
        **changes,
    }
    with pytest.raises(DomainError) as refused:
        oidc_client_register(**arguments)
    assert refused.value.field == field
    assert message in refused.value.message
    assert Application.objects.count() == 0


def test_a_second_client_with_the_same_name_is_refused(world: World):
    register(world)
    with pytest.raises(DomainError) as refused:
        register(world)
    assert refused.value.code == ErrorCode.CONFLICT


# --- signing keys -----------------------------------------------------------------------------------------


def test_a_key_is_stored_encrypted_under_its_thumbprint(db):
    key = signing_key_create(actor=None)
    assert "PRIVATE KEY" not in key.private_key_cipher
    pem = keyring.decrypt_pem(key.private_key_cipher)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert key.kid == jwk_from_pem(pem).thumbprint()
    assert key.is_active and key.expires_at is None
    assert AuditEvent.objects.get(action="oidc.key.create").changes["kid"] == [None, key.kid]


def test_creating_a_second_key_is_refused_rotation_is_the_way(db):
    signing_key_create(actor=None)
    with pytest.raises(DomainError, match="rotate-keys"):
        signing_key_create(actor=None)
    assert SigningKey.objects.count() == 1


def test_the_database_allows_one_active_key_only(db):
    key = signing_key_create(actor=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.create(kid="other", private_key_cipher=key.private_key_cipher)


def test_rotation_retires_the_old_key_for_the_longest_token_lifetime(db):
    old = signing_key_create(actor=None)
    new, retired = signing_key_rotate(actor=None)
    assert retired is not None and retired.pk == old.pk
    old.refresh_from_db()
    assert old.retired_at is not None and new.retired_at is None
    assert publication_window() == dt.timedelta(seconds=86_400 + 300)  # refresh lifetime + JWKS cache time
    assert old.expires_at == old.retired_at + publication_window()
    event = AuditEvent.objects.get(action="oidc.key.rotate")
    assert event.changes["active_kid"] == [old.kid, new.kid]
    assert keyring.active_private_pem() == keyring.decrypt_pem(new.private_key_cipher)
    assert keyring.inactive_private_pems() == [keyring.decrypt_pem(old.private_key_cipher)]


def test_rotating_with_no_key_creates_the_first(db):
    new, old = signing_key_rotate(actor=None)
    assert old is None and new.is_active


def test_dot_reads_the_keys_from_the_database(db):
    from oauth2_provider.settings import oauth2_settings

    assert isinstance(oauth2_settings, keyring.DatabaseKeyedSettings)
    key = signing_key_create(actor=None)
    assert keyring.decrypt_pem(key.private_key_cipher) == oauth2_settings.OIDC_RSA_PRIVATE_KEY
    new, _ = signing_key_rotate(actor=None)
    assert jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY).thumbprint() == new.kid
    assert [jwk_from_pem(p).thumbprint() for p in oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE] == [key.kid]


def test_without_a_key_production_refuses_with_the_command_to_run(db, caplog):
    with pytest.raises(keyring.SigningKeyMissing, match="yiwang oidc create-key"):
        keyring.active_private_pem()
    assert "yiwang oidc create-key" in caplog.text
    assert SigningKey.objects.count() == 0
    response = Client(raise_request_exception=False).get("/o/.well-known/jwks.json")
    assert response.status_code == 500


def test_with_debug_the_first_use_creates_a_key(db, settings):
    settings.DEBUG = True
    pem = keyring.active_private_pem()
    key = SigningKey.objects.get()
    assert keyring.decrypt_pem(key.private_key_cipher) == pem
    assert AuditEvent.objects.get(action="oidc.key.create").changes["reason"] == "DEBUG 模式首次使用时自动创建"


# --- subjects ---------------------------------------------------------------------------------------------


def test_subject_is_random_stable_and_per_user(world: World):
    owner, other = world.users["citizen_owner"], world.users["citizen_other"]
    first = subject_get_or_create(user=owner)
    assert subject_get_or_create(user=owner) == first
    assert subject_get_or_create(user=other) != first
    assert Subject.objects.count() == 2
    assert len(first) == 32 and int(first, 16) >= 0


# --- the command ------------------------------------------------------------------------------------------


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("oidc", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_command_creates_rotates_and_lists_keys(db):
    assert "yiwang oidc create-key" in _run("keys")
    created = _run("create-key")
    first = SigningKey.objects.get()
    assert created.strip() == f"已创建签名密钥 kid={first.kid}"
    with pytest.raises(CommandError, match="rotate-keys"):
        _run("create-key")
    rotated = _run("rotate-keys")
    second = SigningKey.objects.get(retired_at__isnull=True)
    assert f"新签名密钥 kid={second.kid} 已启用" in rotated
    assert f"旧密钥 kid={first.kid} 继续在 JWKS 中发布至" in rotated
    listing = _run("keys")
    assert f"{second.kid}  RS256" in listing and "使用中" in listing and "已停用，发布至" in listing


def test_command_registers_a_client(world: World):
    output = _run(
        "register-client",
        "--name",
        "示例部门系统",
        "--redirect-uri",
        "http://127.0.0.1:8001/callback",
        "--scopes",
        "openid profile idcard_masked",
        "--department-uscc",
        world.dept_a_admin.uscc,
    )
    application = Application.objects.get(name="示例部门系统")
    assert f"client_id={application.client_id}" in output and "client_secret=" in output
    policy = ClientPolicy.objects.get(application=application)
    assert (policy.allowed_scopes, policy.department) == ("openid profile idcard_masked", world.dept_a_admin)


def test_token_lifetimes_come_from_the_environment_within_bounds(monkeypatch):
    monkeypatch.setenv("YW_TEST_SECONDS", "900")
    assert env_seconds("YW_TEST_SECONDS", 600, maximum=3600) == 900
    monkeypatch.setenv("YW_TEST_SECONDS", "0")
    with pytest.raises(SettingError, match="超出范围"):
        env_seconds("YW_TEST_SECONDS", 600, maximum=3600)
    monkeypatch.setenv("YW_TEST_SECONDS", "ten minutes")
    with pytest.raises(SettingError, match="不是整数"):
        env_seconds("YW_TEST_SECONDS", 600)
