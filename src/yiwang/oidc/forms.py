"""Page forms of the OpenID Connect provider (shape only; ``services.oidc_client_register`` enforces the rules)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from oauth2_provider.models import AbstractApplication
from oauth2_provider.settings import oauth2_settings

from yiwang.regions.models import Department

CLIENT_TYPE_CHOICES = [
    (AbstractApplication.CLIENT_CONFIDENTIAL, "机密客户端：有自己的后台服务器，能安全保存客户端密钥"),
    (AbstractApplication.CLIENT_PUBLIC, "公开客户端：手机应用或纯前端页面，不保存密钥（仅凭 PKCE）"),
]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ClientRegisterForm(forms.Form):
    name = forms.CharField(
        label="系统名称", max_length=100, help_text="用户在授权页上看到的名称，例如“兰山区不动产登记系统”。"
    )
    department = forms.ModelChoiceField(
        label="使用单位（选填）",
        queryset=Department.objects.select_related("region").order_by("region__path", "name"),
        required=False,
        empty_label="（不指定）",
    )
    client_type = forms.ChoiceField(
        label="客户端类型", choices=CLIENT_TYPE_CHOICES, widget=forms.RadioSelect, initial="confidential"
    )
    redirect_uris = forms.CharField(
        label="登录回调地址",
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono", "spellcheck": "false"}),
        help_text="每行一个完整地址，须为 https；本机调试可用 http://127.0.0.1 或 http://localhost。",
    )
    post_logout_redirect_uris = forms.CharField(
        label="退出后跳转地址（选填）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono", "spellcheck": "false"}),
        help_text="每行一个，规则同上。",
    )
    allowed_scopes = forms.MultipleChoiceField(
        label="允许的授权范围", widget=forms.CheckboxSelectMultiple, initial=["openid", "profile"]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_field = cast(forms.MultipleChoiceField, self.fields["allowed_scopes"])
        scope_field.choices = [(scope, f"{scope}：{text}") for scope, text in oauth2_settings.SCOPES.items()]

    def clean_redirect_uris(self) -> list[str]:
        return _lines(self.cleaned_data["redirect_uris"])

    def clean_post_logout_redirect_uris(self) -> list[str]:
        return _lines(self.cleaned_data["post_logout_redirect_uris"])
