"""Models of the OpenID Connect provider: signing keys, client policies and stable subject identifiers.

django-oauth-toolkit (DOT) owns the protocol tables (``oauth2_provider.Application``, grants, tokens);
this app keeps only what DOT does not: where the signing keys live, what each registered client may ask
for, and the opaque ``sub`` every client sees for a user.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from yiwang.regions.models import Department


class SigningKey(models.Model):
    """ID 令牌签名密钥 (RSA, RS256). The private key is stored only encrypted with the data key.

    Life: *active* (``retired_at`` empty; exactly one, enforced by a partial unique constraint) →
    *retired* (no longer signs, still published in the JWKS so tokens it signed stay verifiable) →
    *expired* (``expires_at`` passed: no longer published). ``kid`` is the RFC 7638 thumbprint, the
    same value django-oauth-toolkit puts in the JWKS and in the ID token header.
    """

    kid = models.CharField("密钥标识(kid)", max_length=64, unique=True)
    algorithm = models.CharField("签名算法", max_length=10, default="RS256")
    private_key_cipher = models.TextField("私钥(密文)")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)
    expires_at = models.DateTimeField("停止发布时间", null=True, blank=True)

    class Meta:
        verbose_name = "OIDC 签名密钥"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        constraints = [
            # One signing key at a time: two concurrent rotations cannot both leave an active key.
            models.UniqueConstraint(
                fields=["algorithm"], condition=Q(retired_at__isnull=True), name="oidc_one_active_key"
            ),
            # Active keys have no end of publication; retired ones are published until expires_at.
            models.CheckConstraint(
                condition=Q(retired_at__isnull=True, expires_at__isnull=True)
                | Q(retired_at__isnull=False, expires_at__isnull=False, expires_at__gte=F("retired_at")),
                name="oidc_key_expiry_follows_retirement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.kid[:12]}…"

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class ClientPolicy(models.Model):
    """接入系统策略: what a registered client (a department system) may ask for, and who registered it.

    Kept beside DOT's ``Application`` rather than in a swapped Application model, so DOT's own
    migrations stay untouched. Every client registered through ``oidc_client_register`` has one; a
    client without a policy may ask for nothing but ``openid``.
    """

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        verbose_name="接入系统",
        on_delete=models.CASCADE,
        related_name="yiwang_policy",
    )
    allowed_scopes = models.CharField("允许的授权范围", max_length=255, help_text="以空格分隔，如 openid profile")
    department = models.ForeignKey(
        Department,
        verbose_name="使用单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "接入系统策略"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.application} · {self.allowed_scopes}"

    @property
    def scope_list(self) -> list[str]:
        return self.allowed_scopes.split()


class Subject(models.Model):
    """OIDC 用户标识: the stable, opaque ``sub`` claim of one user — never the username or the row id,
    so a client learns nothing from it and a renamed account keeps its identity everywhere."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.CASCADE, related_name="oidc_subject"
    )
    sub = models.CharField("用户标识(sub)", max_length=64, unique=True)
    created_at = models.DateTimeField("生成时间", default=timezone.now)

    class Meta:
        verbose_name = "OIDC 用户标识"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.sub
