"""Where django-oauth-toolkit gets its signing keys: from the database, at every use.

DOT reads two settings whenever it signs or publishes: ``OIDC_RSA_PRIVATE_KEY`` (the key that signs ID
tokens; its RFC 7638 thumbprint is the ``kid``) and ``OIDC_RSA_PRIVATE_KEYS_INACTIVE`` (further keys
published in the JWKS). It reads them through the one ``oauth2_settings`` object, as attributes, at the
moment of use (``views/oidc.py``, ``models.Application.jwk_key``, the metadata views).

Our keys live in :class:`~yiwang.oidc.models.SigningKey` (encrypted with the data key) so that
``yiwang oidc rotate-keys`` changes them without a redeploy, and every web process sees the change at
once. :func:`install` (called from ``OidcConfig.ready``) gives that one settings object a subclass whose
two attributes are properties reading the table, so every DOT code path — discovery, JWKS, signing,
RP-initiated logout, the admin checks — sees the database keys and nothing else had to be rewritten.
The alternatives were worse: copying keys into the settings at start-up goes stale after a rotation
in another process, and overriding each DOT view and validator method that reads a key means copying
DOT code. Reading costs one indexed query on a table of two or three rows; the PEM parsing is cached
by DOT (``jwk_from_pem`` is an ``lru_cache`` keyed by the PEM text).

No key: with ``DEBUG`` one is created on first use (a development server just works); otherwise
:class:`SigningKeyMissing` stops the OIDC request with a message telling the operator what to run.
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.settings import OAuth2ProviderSettings, oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from yiwang.core import crypto

log = logging.getLogger(__name__)

PRIVATE_KEY_CONTEXT = "oidc.SigningKey.private_key"
RSA_KEY_BITS = 2048  # RS256 with 2048-bit keys: what every OIDC client library verifies
MISSING_KEY_MESSAGE = (
    "没有可用的 OIDC 签名密钥 (no OpenID Connect signing key). 请运行: yiwang oidc create-key "
    "(run `yiwang oidc create-key` once; rotate later with `yiwang oidc rotate-keys`)"
)


class SigningKeyMissing(ImproperlyConfigured):
    """No active signing key in production; the message names the command that creates one."""


def generate_private_pem() -> str:
    """A new RSA private key as unencrypted PKCS#8 PEM (only ever stored encrypted)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def kid_for(pem: str) -> str:
    """The key id DOT publishes and puts in ID token headers: the JWK's RFC 7638 SHA-256 thumbprint."""
    return str(jwk_from_pem(pem).thumbprint())


def encrypt_pem(pem: str) -> str:
    return crypto.encrypt(pem, context=PRIVATE_KEY_CONTEXT)


def decrypt_pem(cipher: str) -> str:
    return crypto.decrypt(cipher, context=PRIVATE_KEY_CONTEXT)


def published_keys() -> QuerySet:
    """Keys in the JWKS: the active one and retired ones whose publication has not ended, newest first."""
    from yiwang.oidc.models import SigningKey

    return SigningKey.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())).order_by(
        "-created_at", "-id"
    )


def active_private_pem() -> str:
    """The PEM of the key that signs now; created on first use with DEBUG, else :class:`SigningKeyMissing`."""
    from yiwang.oidc.models import SigningKey

    cipher = SigningKey.objects.filter(retired_at__isnull=True).values_list("private_key_cipher", flat=True).first()
    if cipher is None:
        if not settings.DEBUG:
            log.critical(MISSING_KEY_MESSAGE)
            raise SigningKeyMissing(MISSING_KEY_MESSAGE)
        cipher = _create_for_development()
    return decrypt_pem(cipher)


def inactive_private_pems() -> list[str]:
    """PEMs of retired keys still published (their tokens may not have expired yet)."""
    ciphers = published_keys().filter(retired_at__isnull=False).values_list("private_key_cipher", flat=True)
    return [decrypt_pem(cipher) for cipher in ciphers]


def verification_key(kid: str) -> jwk.JWK | None:
    """The published key with this ``kid`` (active or retired, not expired), or None."""
    cipher = published_keys().filter(kid=kid).values_list("private_key_cipher", flat=True).first()
    return jwk_from_pem(decrypt_pem(cipher)) if cipher is not None else None


def _create_for_development() -> str:
    from yiwang.core.errors import DomainError
    from yiwang.oidc.models import SigningKey
    from yiwang.oidc.services import signing_key_create

    try:
        key = signing_key_create(actor=None, reason="DEBUG 模式首次使用时自动创建")
        log.warning("DEBUG: 已自动创建 OIDC 签名密钥 kid=%s（生产环境请用 yiwang oidc create-key）", key.kid)
        return key.private_key_cipher
    except DomainError:  # another process created it between our read and our insert
        return SigningKey.objects.get(retired_at__isnull=True).private_key_cipher


class DatabaseKeyedSettings(OAuth2ProviderSettings):
    """DOT's settings object, with the two key settings read from :class:`SigningKey` at every use."""

    @property
    def OIDC_RSA_PRIVATE_KEY(self) -> str:  # the name DOT reads
        return active_private_pem()

    @property
    def OIDC_RSA_PRIVATE_KEYS_INACTIVE(self) -> list[str]:  # the name DOT reads
        return inactive_private_pems()


def install() -> None:
    """Make DOT's ``oauth2_settings`` read the keys from the database (idempotent)."""
    configured = getattr(settings, "OAUTH2_PROVIDER", {})
    clashing = {"OIDC_RSA_PRIVATE_KEY", "OIDC_RSA_PRIVATE_KEYS_INACTIVE"} & set(configured)
    if clashing:
        raise ImproperlyConfigured(
            f"OAUTH2_PROVIDER 不得设置 {sorted(clashing)}: 签名密钥保存在数据库中，用 yiwang oidc 命令管理"
        )
    if type(oauth2_settings) is OAuth2ProviderSettings:
        oauth2_settings.__class__ = DatabaseKeyedSettings
