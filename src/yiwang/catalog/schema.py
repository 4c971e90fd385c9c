"""The content of one 实施清单 item version: every element of STANDARDS §1.2 and §1.4, as pydantic models.

A draft, a change request and a published version all hold this document as JSON. Shape is checked
here (types, lengths, code values); the publishing rules that span elements live in ``rules.py``.
``ELEMENT_LABELS`` gives the Chinese name of each element so that every error names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from django.db import models
from pydantic import BaseModel, ConfigDict, Field

from yiwang.catalog.choices import (
    CaseKind,
    CrossScope,
    FormFieldType,
    HandleForm,
    ImplementerNature,
    MaterialForm,
    MaterialSource,
    MaterialType,
    Necessity,
    OnlineDepth,
    PowerSource,
    ResultType,
    ServiceObject,
    SpecialProcedureType,
    Theme,
    TimeUnit,
)

LICENCE_TYPE_CODE = r"^[0-9A-HJ-NPQRTUWXY]{18}[0-9]{3}$"  # 证照类型代码 = 定义机构 USCC + 3 digits (§3)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class TimeLimit(_Strict):
    """办结时限: a number and its unit (working days by default), with an optional explanation."""

    value: int = Field(ge=0, le=3650)
    unit: TimeUnit = TimeUnit.WORKDAY
    explain: str = Field("", max_length=500)


class Fee(_Strict):
    """收费项目."""

    name: str = Field(min_length=1, max_length=200)
    standard: str = Field(min_length=1, max_length=500)  # 收费标准
    basis: str = Field("", max_length=1000)  # 收费依据
    reducible: bool = False  # 是否允许减免
    reduction_basis: str = Field("", max_length=1000)


class Result(_Strict):
    """办理结果 (type, name, sample); ``licence_type_code`` links an e-licence type issued on approval."""

    type: ResultType
    name: str = Field(min_length=1, max_length=200)
    sample: str = Field("", max_length=500)  # 结果样本 (file reference or URL)
    licence_type_code: str = Field("", pattern=r"^$|" + LICENCE_TYPE_CODE)


class Step(_Strict):
    """办理环节 (ml_matter_process_link).

    ``department`` is the USCC of the 联办机构 that handles this step (empty: the implementing
    department). ``parallel`` runs the step at the same time as the step before it (并联审批): a run of
    steps marked parallel after a normal step forms one block, and the case moves on when all are done.
    """

    name: str = Field(min_length=1, max_length=50)
    unit: str = Field(min_length=1, max_length=200)  # 办理处室/单位
    limit: TimeLimit | None = None
    is_special: bool = False  # 有无特别程序
    special_explain: str = Field("", max_length=500)
    department: str = Field("", max_length=18)  # 办理机构 (联办机构 USCC); empty = 实施主体
    parallel: bool = False  # 与上一环节并联办理


class SpecialProcedure(_Strict):
    """特别程序: 延长审批 extends the due date; any other kind may pause the clock (听证、检验、专家评审…)."""

    type: SpecialProcedureType
    name: str = Field(min_length=1, max_length=100)
    limit: TimeLimit | None = None
    pauses_clock: bool = True
    basis: str = Field("", max_length=1000)


class Material(_Strict):
    """申请材料 with every §1.4 attribute. ``code`` is the material's identity in the 材料库, shared by
    items that ask for the same thing; a licence type or a shared-data item makes it 免提交."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    material_type: MaterialType = MaterialType.ORIGINAL
    form: MaterialForm = MaterialForm.BOTH
    necessity: Necessity = Necessity.REQUIRED
    source: MaterialSource = MaterialSource.APPLICANT
    source_explain: str = Field("", max_length=500)
    issuing_body: str = Field("", max_length=200)  # 出具机构
    originals: int = Field(1, ge=0, le=99)  # 原件份数
    copies: int = Field(0, ge=0, le=99)  # 复印件份数
    paper_spec: str = Field("", max_length=100)  # 纸质材料规格
    fill_explain: str = Field("", max_length=1000)  # 填报须知
    accept_standard: str = Field("", max_length=1000)  # 受理标准
    basis: str = Field("", max_length=1000)  # 要求提供材料的依据
    optional_when: str = Field("", max_length=500)  # 非必要时办理情形
    self_present: bool = False  # 是否需要本人到现场填写
    blank_form: str = Field("", max_length=500)  # 空白表格
    sample: str = Field("", max_length=500)  # 示例样表
    licence_type_code: str = Field("", pattern=r"^$|" + LICENCE_TYPE_CODE)
    shared_data_code: str = Field("", max_length=60)  # 共享数据项 (sharing app)

    @property
    def exempt(self) -> bool:
        """免提交: the platform can obtain it from the e-licence store or a data share."""
        return bool(self.licence_type_code or self.shared_data_code)


class FormField(_Strict):
    """One typed field of the application form; ``group`` holds repeatable sub-fields."""

    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=100)
    type: FormFieldType
    required: bool = False
    help: str = Field("", max_length=300)
    options: list[str] = Field(default_factory=list, max_length=200)  # for select
    max_length: int | None = Field(None, ge=1, le=10000)
    fields: list[FormField] = Field(default_factory=list, max_length=50)  # for group
    min_items: int = Field(0, ge=0, le=100)
    max_items: int = Field(20, ge=1, le=100)


AutoOperator = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "is_true", "is_false", "present"]


# The code lists of the two 秒批 literals, with their Chinese labels (the workbook, the editor and the decision
# reasons show these). They belong with the other code lists in ``choices.py``; they sit here, next to the
# literals they mirror, because a test asserts that both spell the same values.
class AutoOutcomeCode(models.TextChoices):
    """秒批决定结果."""

    APPROVE = "approve", "通过"
    REFUSE = "refuse", "不予通过"


class AutoOperatorCode(models.TextChoices):
    """比较方式 of a 秒批 condition."""

    EQ = "eq", "等于"
    NE = "ne", "不等于"
    GT = "gt", "大于"
    GE = "ge", "大于或等于"
    LT = "lt", "小于"
    LE = "le", "小于或等于"
    IN = "in", "属于"
    NOT_IN = "not_in", "不属于"
    IS_TRUE = "is_true", "为是"
    IS_FALSE = "is_false", "为否"
    PRESENT = "present", "有值"


# The facts a 秒批 condition can test (``cases.auto_rules`` establishes them), by name: Chinese label and kind.
# A kind says what a condition may compare the fact with: number, date (ISO YYYY-MM-DD), text, bool (是/否),
# any (only 有值). Besides these: ``form.<字段标识>`` (the kind of the form field) and
# ``licence.<证照类型代码>.valid`` (bool, established by the licence app's fact provider).
AUTO_FACTS: dict[str, tuple[str, str]] = {
    "applicant.age": ("申请人年龄", "number"),  # whole years, from the birth date in the 身份证号
    "applicant.kind": ("申请人类型", "text"),  # APPLICANT_KINDS
    "applicant.region": ("申请人所在地区划代码", "text"),  # 常住地 of a person, 注册地 of an enterprise
    "enterprise.uscc": ("企业统一社会信用代码", "text"),
}
APPLICANT_KINDS: dict[str, str] = {"person": "自然人", "enterprise": "法人"}
LICENCE_FACT = re.compile(r"^licence\.(" + LICENCE_TYPE_CODE[1:-1] + r")\.valid$")
FACT_HINT = "form.<字段标识>、" + "、".join(AUTO_FACTS) + "、licence.<证照类型代码>.valid"
_FORM_FACT_KINDS = {"number": "number", "date": "date", "file": "any", "group": "any"}  # other types: text


def fact_kind(fact: str, form_types: Mapping[str, str]) -> str | None:
    """The kind of a fact (see ``AUTO_FACTS``); None when the fact is unknown. ``form_types``: the type of
    each top-level form field by key (``form.<key>`` of a nested or missing field is unknown)."""
    if fact in AUTO_FACTS:
        return AUTO_FACTS[fact][1]
    if LICENCE_FACT.match(fact):
        return "bool"
    prefix, _, key = fact.partition(".")
    if prefix == "form" and key in form_types:
        return _FORM_FACT_KINDS.get(form_types[key], "text")
    return None


def fact_label(fact: str, form_labels: Mapping[str, str] | None = None) -> str:
    """The Chinese name of a fact: ``applicant.age`` → 申请人年龄, ``form.rent`` → 申请表·月租金 (with the
    form's labels) or 申请表字段 rent, ``licence.<code>.valid`` → 电子证照 <code> 有效."""
    if fact in AUTO_FACTS:
        return AUTO_FACTS[fact][0]
    match = LICENCE_FACT.match(fact)
    if match:
        return f"电子证照 {match.group(1)} 有效"
    prefix, _, key = fact.partition(".")
    if prefix == "form":
        label = (form_labels or {}).get(key)
        return f"申请表·{label}" if label else f"申请表字段 {key}"
    return fact


class AutoCondition(_Strict):
    """One condition of a 秒批 rule on a fact: ``form.<key>`` (a form field), ``applicant.age``,
    ``applicant.kind``, ``applicant.region``, ``licence.<证照类型代码>.valid`` … (see ``cases.auto_rules``)."""

    fact: str = Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$")
    op: AutoOperator
    value: Any = None
    label: str = Field(min_length=1, max_length=200)  # 条件说明, shown in the decision record


class AutoRule(_Strict):
    """秒批规则: when every condition holds, the system decides with ``outcome`` and no human step.

    Rules are tried in order; the first that holds decides. A fact that cannot be established sends the
    case to manual review (人工审核), never to a refusal."""

    name: str = Field(min_length=1, max_length=100)
    outcome: Literal["approve", "refuse"]
    conditions: list[AutoCondition] = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=500)  # 决定理由


class Contacts(_Strict):
    """咨询 and 监督投诉 contacts."""

    consult: str = Field(min_length=1, max_length=300)
    complaint: str = Field(min_length=1, max_length=300)


class Remedies(_Strict):
    """行政复议 and 行政诉讼 bodies told to the applicant with a refusal."""

    reconsideration: str = Field(min_length=1, max_length=300)
    litigation: str = Field(min_length=1, max_length=300)


class ItemContent(_Strict):
    """Everything a guide shows and a case needs about one 实施清单 item."""

    name: str = Field(min_length=1, max_length=200)
    handle_item_name: str = Field("", max_length=200)
    summary: str = Field("", max_length=300)  # plain-language summary (一句话说明)
    legal_basis: str = Field(min_length=1, max_length=5000)
    power_source: PowerSource = PowerSource.STATUTORY
    implementer_nature: ImplementerNature = ImplementerNature.STATUTORY
    entrusted_department: str = Field("", max_length=18)  # USCC of the 委托部门
    joint_departments: list[str] = Field(default_factory=list, max_length=10)  # USCCs of 联办机构
    legal_limit: TimeLimit
    promise_limit: TimeLimit
    accept_conditions: str = Field(min_length=1, max_length=5000)
    process_description: str = Field("", max_length=5000)
    service_objects: list[ServiceObject] = Field(min_length=1)
    case_kind: CaseKind = CaseKind.PROMISED
    handle_forms: list[HandleForm] = Field(min_length=1)
    visits: int = Field(1, ge=0, le=10)  # 到现场次数
    visits_explain: str = Field("", max_length=500)
    is_online: bool = True
    online_depth: OnlineDepth = OnlineDepth.ONLINE_ACCEPTANCE
    online_url: str = Field("", max_length=500)  # ONLINE_HANDLE_URL 在线办理地址
    in_hall: bool = True
    not_in_hall_reason: str = Field("", max_length=500)
    cross_scope: CrossScope = CrossScope.NONE
    appointment: bool = False
    express: bool = False  # 结果快递送达
    mail_materials: bool = False
    intermediary: bool = False  # 中介服务
    transact_address: str = Field("", max_length=500)
    transact_time: str = Field("", max_length=300)
    contacts: Contacts
    remedies: Remedies
    is_fee: bool = False
    fees: list[Fee] = Field(default_factory=list, max_length=50)
    results: list[Result] = Field(min_length=1, max_length=20)
    steps: list[Step] = Field(min_length=1, max_length=10)
    special_procedures: list[SpecialProcedure] = Field(default_factory=list, max_length=20)
    materials: list[Material] = Field(default_factory=list, max_length=100)
    form: list[FormField] = Field(default_factory=list, max_length=200)
    commitment: bool = False  # 告知承诺
    commitment_text: str = Field("", max_length=5000)
    auto_approval: bool = False  # 秒批 eligible
    auto_rules: list[AutoRule] = Field(default_factory=list, max_length=20)  # 秒批规则
    warning_days: int = Field(1, ge=0, le=30)  # 黄灯预警: remaining working days at or below this
    high_frequency: bool = False  # 高频事项
    themes: list[Theme] = Field(default_factory=list, max_length=6)


ELEMENT_LABELS: dict[str, str] = {
    "name": "事项名称",
    "handle_item_name": "业务办理项名称",
    "summary": "一句话说明",
    "legal_basis": "设定依据",
    "power_source": "权力来源",
    "implementer_nature": "实施主体性质",
    "entrusted_department": "委托部门",
    "joint_departments": "联办机构",
    "legal_limit": "法定办结时限",
    "promise_limit": "承诺办结时限",
    "accept_conditions": "受理条件",
    "process_description": "办理流程",
    "service_objects": "服务对象",
    "case_kind": "办件类型",
    "handle_forms": "办理形式",
    "visits": "到办事现场次数",
    "is_online": "是否网办",
    "online_depth": "网上办理深度",
    "in_hall": "是否进驻政务大厅",
    "cross_scope": "通办范围",
    "transact_address": "办理地点",
    "transact_time": "办理时间",
    "contacts": "咨询与监督投诉方式",
    "remedies": "行政复议与行政诉讼",
    "is_fee": "是否收费",
    "fees": "收费项目",
    "results": "办理结果",
    "steps": "办理环节",
    "special_procedures": "特别程序",
    "materials": "申请材料",
    "form": "申请表",
    "commitment": "告知承诺",
    "commitment_text": "承诺书内容",
    "auto_approval": "秒批",
    "auto_rules": "秒批规则",
    "warning_days": "预警天数",
    "high_frequency": "高频事项",
    "themes": "主题分类",
    "value": "时限",
    "unit": "时限单位",
    "code": "材料编码",
    "necessity": "材料必要性",
    "licence_type_code": "证照类型代码",
    "key": "字段标识",
    "label": "字段名称",
    "type": "类型",
    "consult": "咨询方式",
    "complaint": "监督投诉方式",
    "reconsideration": "行政复议机关",
    "litigation": "行政诉讼机关",
    "standard": "收费标准",
}


_LIMIT_LABELS = {"value": "时限", "unit": "时限单位", "explain": "时限说明"}
_FORM_LABELS = {
    "key": "字段标识",
    "label": "字段名称",
    "type": "字段类型",
    "required": "是否必填",
    "help": "填写说明",
    "options": "可选项",
    "max_length": "最大长度",
    "fields": "子字段",
    "min_items": "最少项数",
    "max_items": "最多项数",
}
# Labels of the elements inside a list or object element, by the parent's name.
CHILD_LABELS: dict[str, dict[str, str]] = {
    "legal_limit": _LIMIT_LABELS,
    "promise_limit": _LIMIT_LABELS,
    "limit": _LIMIT_LABELS,
    "steps": {
        "name": "环节名称",
        "unit": "办理处室",
        "limit": "环节时限",
        "is_special": "有无特别程序",
        "special_explain": "特别程序说明",
        "department": "办理机构",
        "parallel": "并联办理",
    },
    "fees": {
        "name": "收费项目名称",
        "standard": "收费标准",
        "basis": "收费依据",
        "reducible": "是否允许减免",
        "reduction_basis": "减免依据",
    },
    "results": {"type": "结果类型", "name": "结果名称", "sample": "结果样本", "licence_type_code": "证照类型代码"},
    "special_procedures": {
        "type": "特别程序种类",
        "name": "特别程序名称",
        "limit": "特别程序时限",
        "pauses_clock": "是否暂停计时",
        "basis": "依据",
    },
    "materials": {
        "code": "材料编码",
        "name": "材料名称",
        "material_type": "材料类型",
        "form": "材料形式",
        "necessity": "材料必要性",
        "source": "来源渠道",
        "source_explain": "来源说明",
        "issuing_body": "出具机构",
        "originals": "原件份数",
        "copies": "复印件份数",
        "paper_spec": "纸质材料规格",
        "fill_explain": "填报须知",
        "accept_standard": "受理标准",
        "basis": "要求提供材料的依据",
        "optional_when": "非必要时办理情形",
        "self_present": "是否需要本人到现场填写",
        "blank_form": "空白表格",
        "sample": "示例样表",
        "licence_type_code": "证照类型代码",
        "shared_data_code": "共享数据项",
    },
    "form": _FORM_LABELS,
    "fields": _FORM_LABELS,
    "auto_rules": {"name": "规则名称", "outcome": "决定结果", "conditions": "条件", "reason": "决定理由"},
    "conditions": {"fact": "依据事实", "op": "比较方式", "value": "比较值", "label": "条件说明"},
    "contacts": {"consult": "咨询方式", "complaint": "监督投诉方式"},
    "remedies": {"reconsideration": "行政复议机关", "litigation": "行政诉讼机关"},
}


def element_label(path: str) -> str:
    """``materials.2.necessity`` → ``申请材料第3项·材料必要性``; a child is named by its parent's table."""
    words: list[str] = []
    parent = ""
    for part in path.split("."):
        if part.isdigit():
            words[-1] = f"{words[-1]}第{int(part) + 1}项" if words else f"第{int(part) + 1}项"
            continue
        labels = CHILD_LABELS.get(parent, {})
        words.append(labels.get(part) or ELEMENT_LABELS.get(part, part))
        parent = part
    return "·".join(words)


def content_dump(content: ItemContent) -> dict[str, Any]:
    """The canonical JSON form stored in the database (enum values, defaults included)."""
    return content.model_dump(mode="json")
