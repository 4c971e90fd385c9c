"""The draft editor form: scalar elements as fields, list elements (materials, steps, …) as JSON.

The form only converts between the content document and HTML inputs; rules are the services'.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from yiwang.catalog.choices import (
    CaseKind,
    CrossScope,
    HandleForm,
    ImplementerNature,
    OnlineDepth,
    PowerSource,
    ServiceObject,
    Theme,
    TimeUnit,
)
from yiwang.catalog.schema import ItemContent

TEXTAREA = forms.Textarea(attrs={"rows": 3})
JSON_AREA = forms.Textarea(attrs={"rows": 8, "class": "mono", "spellcheck": "false"})

# Sections of the editor: (legend, [field names]).
SECTIONS: list[tuple[str, list[str]]] = [
    (
        "基本信息",
        [
            "name",
            "summary",
            "legal_basis",
            "power_source",
            "implementer_nature",
            "accept_conditions",
            "process_description",
        ],
    ),
    ("时限", ["legal_value", "legal_unit", "promise_value", "promise_unit", "warning_days"]),
    (
        "办理方式",
        [
            "service_objects",
            "case_kind",
            "handle_forms",
            "visits",
            "visits_explain",
            "is_online",
            "online_depth",
            "in_hall",
            "not_in_hall_reason",
            "cross_scope",
            "appointment",
            "express",
            "transact_address",
            "transact_time",
        ],
    ),
    ("咨询、投诉与救济", ["consult", "complaint", "reconsideration", "litigation"]),
    ("收费与承诺", ["is_fee", "commitment", "commitment_text", "auto_approval", "high_frequency", "themes"]),
    (
        "材料、环节与表单（JSON）",
        ["materials", "steps", "fees", "results", "special_procedures", "form", "joint_departments", "auto_rules"],
    ),
]
LIST_ELEMENTS = [
    "materials",
    "steps",
    "fees",
    "results",
    "special_procedures",
    "form",
    "joint_departments",
    "auto_rules",
]
SIMPLE = [
    "name",
    "summary",
    "legal_basis",
    "power_source",
    "implementer_nature",
    "accept_conditions",
    "process_description",
    "case_kind",
    "visits",
    "visits_explain",
    "is_online",
    "online_depth",
    "in_hall",
    "not_in_hall_reason",
    "cross_scope",
    "appointment",
    "express",
    "transact_address",
    "transact_time",
    "is_fee",
    "commitment",
    "commitment_text",
    "auto_approval",
    "high_frequency",
    "warning_days",
]
MULTI = ["service_objects", "handle_forms", "themes"]


class DraftForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label="事项名称", max_length=200)
    summary = forms.CharField(label="一句话说明（群众看得懂的话）", max_length=300, required=False)
    legal_basis = forms.CharField(label="设定依据", widget=TEXTAREA)
    power_source = forms.ChoiceField(label="权力来源", choices=PowerSource.choices)
    implementer_nature = forms.ChoiceField(label="实施主体性质", choices=ImplementerNature.choices)
    accept_conditions = forms.CharField(label="受理条件", widget=TEXTAREA)
    process_description = forms.CharField(label="办理流程说明", widget=TEXTAREA, required=False)
    legal_value = forms.IntegerField(label="法定办结时限", min_value=0, max_value=3650)
    legal_unit = forms.ChoiceField(label="法定时限单位", choices=TimeUnit.choices)
    promise_value = forms.IntegerField(label="承诺办结时限", min_value=0, max_value=3650)
    promise_unit = forms.ChoiceField(label="承诺时限单位", choices=TimeUnit.choices)
    warning_days = forms.IntegerField(
        label="黄灯预警天数",
        min_value=0,
        max_value=30,
        help_text="剩余工作日不超过此数时亮黄灯；应小于承诺办结时限",
    )
    service_objects = forms.MultipleChoiceField(
        label="服务对象", choices=ServiceObject.choices, widget=forms.CheckboxSelectMultiple
    )
    case_kind = forms.ChoiceField(label="办件类型", choices=CaseKind.choices)
    handle_forms = forms.MultipleChoiceField(
        label="办理形式", choices=HandleForm.choices, widget=forms.CheckboxSelectMultiple
    )
    visits = forms.IntegerField(label="到办事现场次数", min_value=0, max_value=10)
    visits_explain = forms.CharField(label="必须到现场的原因", max_length=500, required=False)
    is_online = forms.BooleanField(label="可网上办理", required=False)
    online_depth = forms.TypedChoiceField(label="网上办理深度", choices=OnlineDepth.choices, coerce=int)
    in_hall = forms.BooleanField(label="进驻政务大厅", required=False)
    not_in_hall_reason = forms.CharField(label="不进驻大厅的理由", max_length=500, required=False)
    cross_scope = forms.ChoiceField(label="通办范围", choices=CrossScope.choices)
    appointment = forms.BooleanField(label="支持预约", required=False)
    express = forms.BooleanField(label="结果可快递送达", required=False)
    transact_address = forms.CharField(label="办理地点", max_length=500, required=False)
    transact_time = forms.CharField(label="办理时间", max_length=300, required=False)
    consult = forms.CharField(label="咨询方式", max_length=300)
    complaint = forms.CharField(label="监督投诉方式", max_length=300)
    reconsideration = forms.CharField(label="行政复议机关", max_length=300)
    litigation = forms.CharField(label="行政诉讼机关", max_length=300)
    is_fee = forms.BooleanField(label="收费", required=False)
    commitment = forms.BooleanField(label="告知承诺", required=False)
    commitment_text = forms.CharField(label="承诺书内容", widget=TEXTAREA, required=False)
    auto_approval = forms.BooleanField(label="可秒批", required=False)
    high_frequency = forms.BooleanField(label="高频事项", required=False)
    themes = forms.MultipleChoiceField(
        label="主题分类", choices=Theme.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    materials = forms.CharField(label="申请材料", widget=JSON_AREA, required=False)
    steps = forms.CharField(label="办理环节", widget=JSON_AREA, required=False)
    fees = forms.CharField(label="收费项目", widget=JSON_AREA, required=False)
    results = forms.CharField(label="办理结果", widget=JSON_AREA, required=False)
    special_procedures = forms.CharField(label="特别程序", widget=JSON_AREA, required=False)
    form = forms.CharField(label="申请表字段", widget=JSON_AREA, required=False)
    joint_departments = forms.CharField(label="联办机构（统一社会信用代码）", widget=JSON_AREA, required=False)
    auto_rules = forms.CharField(
        label="秒批规则",
        widget=JSON_AREA,
        required=False,
        help_text='每条规则：{"name", "outcome": "approve"|"refuse", "reason", "conditions": '
        '[{"fact": "applicant.age", "op": "ge", "value": 18, "label": "年满18周岁"}]}',
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in LIST_ELEMENTS:
            text = (data.get(name) or "").strip()
            if not text:
                data[name] = []
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                self.add_error(name, f"不是合法的 JSON：第 {exc.lineno} 行第 {exc.colno} 列")
                continue
            if not isinstance(value, list):
                self.add_error(name, "应为 JSON 数组，例如 [ … ]")
                continue
            data[name] = value
        return data


def _schema_defaults() -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for name, field in ItemContent.model_fields.items():
        if not field.is_required():
            value = field.get_default(call_default_factory=True)
            defaults[name] = getattr(value, "value", value)
    return defaults


def initial_from_content(content: dict[str, Any], revision: int) -> dict[str, Any]:
    """Form values for a draft; elements the draft does not set show the schema's defaults."""
    content = {**_schema_defaults(), **content}
    initial: dict[str, Any] = {"revision": revision}
    for name in SIMPLE + MULTI:
        if name in content:
            initial[name] = content[name]
    for prefix, key in (("legal", "legal_limit"), ("promise", "promise_limit")):
        limit = content.get(key) or {}
        initial[f"{prefix}_value"] = limit.get("value")
        initial[f"{prefix}_unit"] = limit.get("unit", TimeUnit.WORKDAY)
    for name, key in (
        ("consult", "contacts"),
        ("complaint", "contacts"),
        ("reconsideration", "remedies"),
        ("litigation", "remedies"),
    ):
        initial[name] = (content.get(key) or {}).get(name, "")
    for name in LIST_ELEMENTS:
        initial[name] = json.dumps(content.get(name, []), ensure_ascii=False, indent=2)
    return initial


def content_from_form(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The edited content: the base document with every element the form shows replaced."""
    content = dict(base)
    for name in SIMPLE + MULTI + LIST_ELEMENTS:
        content[name] = data.get(name)
    content["legal_limit"] = {
        **(base.get("legal_limit") or {}),
        "value": data["legal_value"],
        "unit": data["legal_unit"],
    }
    content["promise_limit"] = {
        **(base.get("promise_limit") or {}),
        "value": data["promise_value"],
        "unit": data["promise_unit"],
    }
    content["contacts"] = {"consult": data["consult"], "complaint": data["complaint"]}
    content["remedies"] = {"reconsideration": data["reconsideration"], "litigation": data["litigation"]}
    return content
