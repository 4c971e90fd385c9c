"""``yiwang oidc create-key | rotate-keys | keys | register-client``: the OpenID Connect provider's keys
and, for scripts and development, client registration (the workbench page is the usual way)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from yiwang.core.errors import DomainError
from yiwang.oidc import keyring, services
from yiwang.regions.models import Department


class Command(BaseCommand):
    help = (
        "统一身份认证（OpenID Connect）：create-key 创建签名密钥；rotate-keys 轮换签名密钥；keys 查看密钥；"
        "register-client 登记接入系统"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="operation", required=True)
        sub.add_parser("create-key", help="创建第一把签名密钥（已有密钥时拒绝）")
        sub.add_parser("rotate-keys", help="轮换：新密钥立即用于签名，旧密钥继续发布到其令牌全部过期")
        sub.add_parser("keys", help="列出签名密钥及其状态")
        register = sub.add_parser("register-client", help="登记接入系统并打印 client_id（与密钥）")
        register.add_argument("--name", required=True)
        register.add_argument("--type", dest="client_type", choices=["confidential", "public"], default="confidential")
        register.add_argument("--redirect-uri", dest="redirect_uris", action="append", required=True)
        register.add_argument("--post-logout-redirect-uri", dest="post_logout_redirect_uris", action="append")
        register.add_argument("--scopes", default="openid profile", help="以空格分隔，如 'openid profile phone'")
        register.add_argument("--department-uscc", default="", help="使用单位的统一社会信用代码（选填）")

    def handle(self, *args: Any, operation: str, **options: Any) -> None:
        try:
            if operation == "create-key":
                key = services.signing_key_create(actor=None, reason="yiwang oidc create-key")
                self.stdout.write(f"已创建签名密钥 kid={key.kid}")
            elif operation == "rotate-keys":
                new, old = services.signing_key_rotate(actor=None)
                self.stdout.write(f"新签名密钥 kid={new.kid} 已启用")
                if old is not None and old.expires_at is not None:
                    until = timezone.localtime(old.expires_at).strftime("%Y-%m-%d %H:%M")
                    self.stdout.write(f"旧密钥 kid={old.kid} 继续在 JWKS 中发布至 {until}")
            elif operation == "keys":
                self._list_keys()
            else:
                self._register(**options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _list_keys(self) -> None:
        from yiwang.oidc.models import SigningKey

        published = set(keyring.published_keys().values_list("pk", flat=True))
        rows = SigningKey.objects.order_by("-created_at", "-id")
        if not rows:
            self.stdout.write("没有签名密钥。请运行：yiwang oidc create-key")
        for key in rows:
            if key.is_active:
                state = "使用中"
            elif key.pk in published:
                state = f"已停用，发布至 {timezone.localtime(key.expires_at):%Y-%m-%d %H:%M}"
            else:
                state = "已过期（不再发布）"
            self.stdout.write(
                f"{key.kid}  {key.algorithm}  创建 {timezone.localtime(key.created_at):%Y-%m-%d %H:%M}  {state}"
            )

    def _register(self, **options: Any) -> None:
        department = None
        if options["department_uscc"]:
            department = Department.objects.filter(uscc=options["department_uscc"]).first()
            if department is None:
                raise CommandError(f"找不到统一社会信用代码为 {options['department_uscc']} 的机构")
        application, secret = services.oidc_client_register(
            actor=None,
            name=options["name"],
            client_type=options["client_type"],
            redirect_uris=options["redirect_uris"],
            post_logout_redirect_uris=options["post_logout_redirect_uris"] or [],
            allowed_scopes=options["scopes"].split(),
            department=department,
        )
        self.stdout.write(f"client_id={application.client_id}")
        if secret:
            self.stdout.write(f"client_secret={secret}")
            self.stderr.write("客户端密钥只显示这一次，请妥善保存。")
