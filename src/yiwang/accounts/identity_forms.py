"""Page forms for registration, enterprises, 经办人 and 帮办代办 (shape only; the services enforce the rules)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone

from yiwang.regions.choices import RegionLevel
from yiwang.regions.models import Region

SCOPE_ALL, SCOPE_LIST = "all", "list"


class RegionChoiceField(forms.ModelChoiceField):
    """区县 and 乡镇(街道) in tree order; a town is shown with its county."""

    def __init__(self, **kwargs: Any) -> None:
        queryset = (
            Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.TOWN])
            .select_related("parent")
            .order_by("path")
        )
        super().__init__(queryset=queryset, empty_label="请选择", **kwargs)

    def label_from_instance(self, obj: Region) -> str:
        if obj.level == RegionLevel.TOWN and obj.parent is not None:
            return f"{obj.parent.name} · {obj.name}"
        return obj.name


def _digits(attrs: dict[str, str] | None = None) -> dict[str, str]:
    return {"inputmode": "numeric", "autocomplete": "off", **(attrs or {})}


class PhoneStepForm(forms.Form):
    """Step 1: the phone number, then the code sent to it."""

    phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label="短信验证码",
        max_length=6,
        required=False,
        help_text="6位数字，5分钟内有效，最多可输错5次。",
        widget=forms.TextInput(attrs=_digits({"autocomplete": "one-time-code"})),
    )


class DetailsStepForm(forms.Form):
    """Step 2: real-name details and the account; the verified phone travels as a one-time proof."""

    phone = forms.CharField(widget=forms.HiddenInput, max_length=20)
    proof = forms.CharField(widget=forms.HiddenInput, max_length=100)
    name = forms.CharField(label="姓名", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(
        label="身份证号",
        max_length=20,
        help_text="18位居民身份证号码，末位可以是X。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    region = RegionChoiceField(label="常住地")
    username = forms.CharField(
        label="用户名",
        max_length=150,
        help_text="登录时使用，可用汉字、字母、数字和 @ . + - _。",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        help_text="至少10位，须同时包含字母和数字。",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="再次输入密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "两次输入的密码不一致")
        return data


def end_of_day(day: dt.date) -> dt.datetime:
    """An expiry date on a form means the end of that day, Beijing time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


class ScopeForm(forms.Form):
    """授权范围: all items or a list of 实施编码, and an expiry date."""

    scope = forms.ChoiceField(
        label="授权范围",
        choices=[(SCOPE_ALL, "全部事项"), (SCOPE_LIST, "指定事项")],
        initial=SCOPE_LIST,
        widget=forms.RadioSelect,
    )
    item_codes = forms.CharField(
        label="事项实施编码（指定事项时填写）",
        required=False,
        help_text="每行一个，或用逗号分隔；可在办事指南中查到。",
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
    )
    valid_until = forms.DateField(
        label="有效期至",
        help_text="到期当日24时前有效，最长5年。",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def scope_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        codes = [c for c in re.split(r"[\s,，、;；]+", data.get("item_codes") or "") if c]
        return {
            "scope_all": data["scope"] == SCOPE_ALL,
            "item_codes": [] if data["scope"] == SCOPE_ALL else codes,
            "valid_until": end_of_day(data["valid_until"]),
        }


class EnterpriseRegisterForm(forms.Form):
    uscc = forms.CharField(
        label="统一社会信用代码",
        max_length=20,
        help_text="18位，见营业执照。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(
        label="企业名称", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "organization"})
    )
    region = RegionChoiceField(label="注册地")


class AgentGrantForm(ScopeForm):
    person_name = forms.CharField(
        label="经办人姓名", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    person_id_number = forms.CharField(
        label="经办人身份证号",
        max_length=20,
        help_text="经办人须已实名登记；他注册账号后即可以企业身份办事。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["person_name", "person_id_number", "scope", "item_codes", "valid_until"]


class AuthorisationForm(ScopeForm):
    agent_name = forms.CharField(
        label="代办人姓名", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    agent_id_number = forms.CharField(
        label="代办人身份证号",
        max_length=20,
        help_text="代办人须已在本平台注册账号。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.CharField(label="授权事由", max_length=200, help_text="例如“本人行动不便，委托子女代办”。")
    field_order = ["agent_name", "agent_id_number", "reason", "scope", "item_codes", "valid_until"]


class WindowAuthorisationForm(ScopeForm):
    reason = forms.CharField(
        label="授权事由", max_length=200, help_text="填写书面委托书编号或委托情况，将向委托人公开并记入审计日志。"
    )
    field_order = ["reason", "scope", "item_codes", "valid_until"]
