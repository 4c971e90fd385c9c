"""Writes of the OpenID Connect provider. Every one is atomic and writes an audit row.

Two kinds: the platform's own decisions (register a client, reset its secret, create or rotate the
signing key, assign a subject id) and records of what the protocol did (consent, code, token issued,
refreshed, revoked, logout), called from our DOT validator and views. No token, code or secret value is
ever written to the audit log — only row ids, client ids, scopes and times.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AbstractApplication, get_application_model
from oauth2_provider.settings import oauth2_settings

from yiwang.accounts.permissions import Action, user_can
from yiwang.audit.services import record
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied
from yiwang.oidc import keyring
from yiwang.oidc.models import ClientPolicy, SigningKey, Subject
from yiwang.regions.models import Department

Application = get_application_model()

CLIENT_TYPES = (AbstractApplication.CLIENT_CONFIDENTIAL, AbstractApplication.CLIENT_PUBLIC)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URIS = 10
MAX_URI_LENGTH = 500
NAME_MAX = 100


# --- validation shared by registration and the DOT validator ----------------------------------------------


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a redirect URI, in Chinese, or None when it can.

    https everywhere; plain http only to this machine (RFC 8252 §7.3: a native app or a developer's
    laptop listening on a loopback port). No fragment (RFC 6749 §3.1.2), no user name in the URL, no
    wildcard: the authorization code goes exactly where the platform admin registered.
    """
    if not uri or len(uri) > MAX_URI_LENGTH or any(ch.isspace() for ch in uri):
        return f"地址不能为空、不能含空格且不超过{MAX_URI_LENGTH}个字符"
    try:
        parts = urlsplit(uri)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return "地址格式不正确"
    del port
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "须为完整的 https:// 地址"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "必须使用 https；只有本机调试地址（localhost、127.0.0.1）可以使用 http"
    if parts.fragment or "#" in uri:
        return "回调地址不能包含 # 片段"
    if parts.username or parts.password:
        return "地址中不能包含用户名或密码"
    if "*" in uri:
        return "不支持通配符，请逐一填写完整地址"
    return None


def _clean_uris(uris: Iterable[str], *, field: str, required: bool) -> list[str]:
    cleaned: list[str] = []
    for raw in uris:
        uri = raw.strip()
        if not uri:
            continue
        problem = redirect_uri_problem(uri)
        if problem:
            raise DomainError(ErrorCode.VALIDATION, f"{uri[:80]}：{problem}", field=field)
        if uri not in cleaned:
            cleaned.append(uri)
    if required and not cleaned:
        raise DomainError(ErrorCode.VALIDATION, "请至少填写一个回调地址", field=field)
    if len(cleaned) > MAX_URIS:
        raise DomainError(ErrorCode.VALIDATION, f"最多登记{MAX_URIS}个地址", field=field)
    return cleaned


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    known = list(oauth2_settings.SCOPES)
    wanted = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise DomainError(ErrorCode.VALIDATION, f"未知的授权范围：{'、'.join(unknown)}", field="allowed_scopes")
    if "openid" not in wanted:
        raise DomainError(ErrorCode.VALIDATION, "统一身份认证登录必须包含 openid", field="allowed_scopes")
    return [scope for scope in known if scope in wanted]  # in the settings' order


def _require_manage(actor: Any) -> None:
    if actor is not None and not user_can(actor, Action.OIDC_CLIENT_MANAGE):
        raise permission_denied("只有政务服务管理机构管理员可以登记接入系统")


# --- clients ----------------------------------------------------------------------------------------------


@transaction.atomic
def oidc_client_register(
    *,
    actor: Any,
    name: str,
    client_type: str,
    redirect_uris: Sequence[str],
    allowed_scopes: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    department: Department | None = None,
) -> tuple[Any, str | None]:
    """登记接入系统 (an OpenID Connect client of a department system).

    Returns the application and, for a confidential client, its secret — the only time the secret is
    seen: DOT stores only its hash. Public clients (mobile apps, single-page apps) get no secret and
    rely on PKCE, which every client must use anyway.
    """
    _require_manage(actor)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError(ErrorCode.VALIDATION, f"请填写系统名称（不超过{NAME_MAX}字）", field="name")
    if client_type not in CLIENT_TYPES:
        raise DomainError(ErrorCode.VALIDATION, "客户端类型应为机密客户端或公开客户端", field="client_type")
    redirects = _clean_uris(redirect_uris, field="redirect_uris", required=True)
    logouts = _clean_uris(post_logout_redirect_uris, field="post_logout_redirect_uris", required=False)
    scopes = _clean_scopes(allowed_scopes)
    if Application.objects.filter(name=name).exists():
        raise DomainError(ErrorCode.CONFLICT, "已有同名的接入系统，请换一个名称", field="name")
    confidential = client_type == AbstractApplication.CLIENT_CONFIDENTIAL
    secret = generate_client_secret() if confidential else ""
    application = Application(
        name=name,
        client_type=client_type,
        authorization_grant_type=AbstractApplication.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirects),
        post_logout_redirect_uris=" ".join(logouts),
        client_secret=secret,
        hash_client_secret=confidential,  # DOT hashes it on save; an empty public secret stays empty
        algorithm=AbstractApplication.RS256_ALGORITHM,
        skip_authorization=False,
    )
    application.save()
    ClientPolicy.objects.create(
        application=application,
        allowed_scopes=" ".join(scopes),
        department=department,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record(
        actor=actor,
        action="oidc.client.register",
        target=application,
        changes={
            "client_id": [None, application.client_id],
            "client_type": [None, client_type],
            "redirect_uris": [None, redirects],
            "post_logout_redirect_uris": [None, logouts],
            "allowed_scopes": [None, scopes],
            "department": [None, department.pk if department else None],
        },
    )
    return application, (secret or None)


@transaction.atomic
def oidc_client_reset_secret(*, actor: Any, application_id: int) -> str:
    """重置客户端密钥: the old secret stops working at once; the new one is returned once."""
    _require_manage(actor)
    application = Application.objects.select_for_update().filter(pk=application_id).first()
    if application is None:
        raise not_found("接入系统")
    if application.client_type != AbstractApplication.CLIENT_CONFIDENTIAL:
        raise DomainError(ErrorCode.INVALID_STATE, "公开客户端没有密钥")
    secret = generate_client_secret()
    application.client_secret = secret
    application.hash_client_secret = True
    application.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    record(actor=actor, action="oidc.client.reset_secret", target=application, changes={"client_secret": "reset"})
    return secret


# --- signing keys -----------------------------------------------------------------------------------------


def publication_window() -> dt.timedelta:
    """How long a retired key stays in the JWKS: the longest token lifetime plus the JWKS cache time.

    ID tokens live ``ID_TOKEN_EXPIRE_SECONDS``, but a client keeps its ID token for the whole session
    (until its refresh token expires) and sends it back as ``id_token_hint`` at logout; a client that
    cached the JWKS just before the rotation keeps the old set for ``OIDC_JWKS_MAX_AGE_SECONDS``.
    """
    longest = max(
        oauth2_settings.ID_TOKEN_EXPIRE_SECONDS,
        oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS,
        oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS or 0,
    )
    return dt.timedelta(seconds=longest + oauth2_settings.OIDC_JWKS_MAX_AGE_SECONDS)


def _new_key() -> SigningKey:
    pem = keyring.generate_private_pem()
    return SigningKey.objects.create(kid=keyring.kid_for(pem), private_key_cipher=keyring.encrypt_pem(pem))


@transaction.atomic
def signing_key_create(*, actor: Any, reason: str = "") -> SigningKey:
    """创建第一把签名密钥. Refused when one is active: changing it is a rotation."""
    if SigningKey.objects.select_for_update().filter(retired_at__isnull=True).exists():
        raise DomainError(ErrorCode.CONFLICT, "已有正在使用的签名密钥；如需更换请运行 yiwang oidc rotate-keys")
    try:
        with transaction.atomic():
            key = _new_key()
    except IntegrityError as exc:  # a concurrent create won (the partial unique constraint)
        raise DomainError(ErrorCode.CONFLICT, "签名密钥已由另一进程创建") from exc
    changes = {"kid": [None, key.kid], **({"reason": reason} if reason else {})}
    record(actor=actor, action="oidc.key.create", target=key, changes=changes)
    return key


@transaction.atomic
def signing_key_rotate(*, actor: Any) -> tuple[SigningKey, SigningKey | None]:
    """轮换签名密钥: a new key signs from now on; the old one stays published for
    :func:`publication_window`, so every token it signed can still be verified through the JWKS.

    Returns ``(new, old)``; ``old`` is None when there was no key yet.
    """
    now = timezone.now()
    old = SigningKey.objects.select_for_update().filter(retired_at__isnull=True).first()
    if old is not None:
        old.retired_at = now
        old.expires_at = now + publication_window()
        old.save(update_fields=["retired_at", "expires_at"])
    try:
        with transaction.atomic():
            new = _new_key()
    except IntegrityError as exc:  # a concurrent rotation created its key first
        raise DomainError(ErrorCode.CONFLICT, "另一轮换正在进行，请稍后重试") from exc
    record(
        actor=actor,
        action="oidc.key.rotate",
        target=new,
        changes={
            "active_kid": [old.kid if old else None, new.kid],
            "old_key_published_until": old.expires_at if old else None,
        },
    )
    return new, old


# --- subjects ---------------------------------------------------------------------------------------------


def subject_get_or_create(*, user: Any) -> str:
    """The user's ``sub``: 32 random hex characters, assigned on the first sign-in through OIDC."""
    existing = Subject.objects.filter(user_id=user.pk).values_list("sub", flat=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            subject = Subject.objects.create(user_id=user.pk, sub=secrets.token_hex(16))
            record(actor=None, action="oidc.subject.create", target=subject, object_repr=f"user {user.pk}")
    except IntegrityError:  # the user's first two token requests raced; the other one assigned it
        return Subject.objects.get(user_id=user.pk).sub
    return subject.sub


# --- records of what the protocol did -------------------------------------------------------------------


def _client_changes(application: Any, **extra: Any) -> dict[str, Any]:
    return {"client_id": getattr(application, "client_id", None), **extra}


@transaction.atomic
def oidc_consent_record(*, actor: Any, application: Any, scopes: Sequence[str], granted: bool) -> None:
    """The user's answer on the consent page (同意 / 拒绝)."""
    record(
        actor=actor,
        action="oidc.consent.grant" if granted else "oidc.consent.deny",
        target=application,
        changes=_client_changes(application, scopes=list(scopes)),
    )


@transaction.atomic
def oidc_code_issue_record(*, actor: Any, application: Any, scopes: Sequence[str], grant_id: int) -> None:
    """An authorization code was issued (after consent, or with a consent already on record)."""
    record(
        actor=actor,
        action="oidc.code.issue",
        target=application,
        changes=_client_changes(application, scopes=list(scopes), grant_id=grant_id),
    )


@transaction.atomic
def oidc_token_issue_record(
    *,
    actor: Any,
    application: Any,
    grant_type: str,
    scopes: Sequence[str],
    access_token_id: int | None,
    refresh_token_id: int | None,
    expires: dt.datetime | None,
) -> None:
    """Tokens were issued for a code (``oidc.token.issue``) or for a refresh token (``oidc.token.refresh``)."""
    record(
        actor=actor,
        action="oidc.token.refresh" if grant_type == "refresh_token" else "oidc.token.issue",
        target=application,
        changes=_client_changes(
            application,
            grant_type=grant_type,
            scopes=list(scopes),
            access_token_id=access_token_id,
            refresh_token_id=refresh_token_id,
            expires=expires,
        ),
    )


@transaction.atomic
def oidc_token_refused_record(*, actor: Any, application: Any, reason: str, refresh_token_id: int) -> None:
    """A refresh token was presented after it had been revoked or rotated (possible theft)."""
    record(
        actor=actor,
        action="oidc.token.refresh_refused",
        target=application,
        changes=_client_changes(application, reason=reason, refresh_token_id=refresh_token_id),
    )


@transaction.atomic
def oidc_token_revoke_record(*, actor: Any, application: Any, token_type: str, token_ids: Sequence[int]) -> None:
    """A client revoked a token at the revocation endpoint (RFC 7009)."""
    record(
        actor=actor,
        action="oidc.token.revoke",
        target=application,
        changes=_client_changes(application, token_type=token_type, token_ids=list(token_ids)),
    )


@transaction.atomic
def oidc_logout_record(*, actor: Any, application: Any | None, revoked_access_tokens: int) -> None:
    """RP-initiated logout: the platform session ended and the user's tokens were revoked."""
    record(
        actor=actor,
        action="oidc.logout",
        target=application,
        changes=_client_changes(application, revoked_access_tokens=revoked_access_tokens),
    )
