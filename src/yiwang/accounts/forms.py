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


class SecondFactorForm(forms.Form):
    """双重验证: a 6-digit code from the authenticator app, or one recovery code (shape only)."""

    otp_token = forms.CharField(
        label="动态验证码或恢复码",
        max_length=20,
        help_text="打开验证器应用，输入当前显示的6位数字；手机不在身边时，可输入一个恢复码（每个只能用一次）。",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
        error_messages={"required": "请输入动态验证码或恢复码"},
    )


class TotpEnrolForm(forms.Form):
    """绑定动态口令: the first code the app shows after scanning, proving the app holds the key."""

    otp_token = forms.CharField(
        label="验证器应用显示的6位数字",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "请输入验证器应用显示的6位数字"},
    )
