"""Page forms of the accounts app (shape only; the services enforce the rules)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。连续输错多次后账号将被暂时锁定。",
        "inactive": "该账号已停用。",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class PersonFindForm(forms.Form):
    id_number = forms.CharField(label="身份证号", max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class PersonRegisterForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=100)
    id_number = forms.CharField(label="身份证号", max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label="手机号（选填）", max_length=20, required=False)
    region_code = forms.CharField(label="常住地区划代码", max_length=12)


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label="查看用途",
        max_length=200,
        help_text="须说明用途（4–200字），将记入审计日志，例如“核验申请人身份”。",
    )
