"""Publishing rules (发布规则): every check returns errors that name the element in Chinese.

``check_content`` runs the shape check (pydantic) and then the rules that span elements. A draft may be
saved in any state; a change request is accepted, and a version published, only with no error.

**黄灯预警 (decision).** ``warning_days`` must be less than the 承诺办结时限 when that limit is above 0: a
case turns yellow when its remaining working days are at or below ``warning_days``, so ``warning_days >=
promise`` would make every case yellow on the day it is accepted, and the warning would say nothing. A
limit in hours counts as the case clock counts it (``cases.deadlines``: working days of 8 hours, rounded
up — a 4-hour promise allows no warning day). 即办件 (limit 0) are not checked: they finish on the spot.

**秒批规则** are checked so that a published rule can be evaluated: every fact is one that
``cases.auto_rules`` knows (``schema.AUTO_FACTS``, ``form.<顶层字段>``, ``licence.<证照类型代码>.valid``),
every operator fits its fact, and every value fits both (a select answer must be one of its options).
A rule that breaks one of these would send every case to manual review without anyone noticing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from yiwang.catalog.choices import CaseKind, FormFieldType, OnlineDepth, TimeUnit
from yiwang.catalog.schema import (
    APPLICANT_KINDS,
    AUTO_FACTS,
    FACT_HINT,
    AutoCondition,
    AutoOperatorCode,
    AutoOutcomeCode,
    FormField,
    ItemContent,
    element_label,
    fact_kind,
    fact_label,
)
from yiwang.core.errors import FieldError
from yiwang.core.validation import error_path, pydantic_message

MAX_STEPS_SINGLE_DEPARTMENT = 3  # 受理、审核、办结 (Xinjiang seed §五)
MAX_STEPS_JOINT = 5  # 多部门联办
HOURS_PER_WORKDAY = 8  # as the case clock counts an hour limit (cases.deadlines.HOURS_PER_WORKDAY)


def _error(path: str, message: str, code: str = "rule") -> FieldError:
    return FieldError(field=path, message=f"{element_label(path)}：{message}", code=code)


def parse_content(raw: Any) -> tuple[ItemContent | None, list[FieldError]]:
    """Shape check. Returns the parsed content, or the errors with paths such as ``materials.2.necessity``."""
    if not isinstance(raw, dict):
        return None, [FieldError(field="content", message="事项内容应为 JSON 对象", code="model_type")]
    try:
        return ItemContent.model_validate(raw), []
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            path = error_path(e["loc"])
            errors.append(
                FieldError(field=path, message=f"{element_label(path)}：{pydantic_message(e)}", code=e["type"])
            )
        return None, errors


def _form_key_errors(fields: Iterable[FormField], prefix: str) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, field in enumerate(fields):
        path = f"{prefix}.{index}"
        if field.key in seen:
            errors.append(_error(f"{path}.key", f"字段标识“{field.key}”重复"))
        seen.add(field.key)
        if field.type == FormFieldType.SELECT and not field.options:
            errors.append(_error(f"{path}.options", "选择字段须列出可选项"))
        if field.type == FormFieldType.GROUP:
            if not field.fields:
                errors.append(_error(f"{path}.fields", "字段组须包含子字段"))
            if field.min_items > field.max_items:
                errors.append(_error(f"{path}.min_items", "最少项数不能大于最多项数"))
            errors += _form_key_errors(field.fields, f"{path}.fields")
        elif field.fields:
            errors.append(_error(f"{path}.fields", "只有字段组可以包含子字段"))
    return errors


def content_rules(content: ItemContent, *, known_usccs: set[str] | None = None) -> list[FieldError]:
    """Rules across elements. ``known_usccs``: organisations that exist (for 委托/联办 references)."""
    errors: list[FieldError] = []
    legal, promise = content.legal_limit, content.promise_limit
    if legal.unit != promise.unit:
        errors.append(_error("promise_limit.unit", "承诺办结时限与法定办结时限的单位应一致"))
    elif promise.value > legal.value:
        errors.append(
            _error("promise_limit.value", f"承诺办结时限（{promise.value}）不能超过法定办结时限（{legal.value}）")
        )
    departments = {u for u in content.joint_departments}
    if len(departments) != len(content.joint_departments):
        errors.append(_error("joint_departments", "联办机构重复"))
    limit = MAX_STEPS_JOINT if departments else MAX_STEPS_SINGLE_DEPARTMENT
    if len(content.steps) > limit:
        kind = "多部门联办事项" if departments else "单部门办理的事项"
        errors.append(_error("steps", f"{kind}最多{limit}个办理环节，现有{len(content.steps)}个"))
    if known_usccs is not None:
        for index, code in enumerate(content.joint_departments):
            if code not in known_usccs:
                errors.append(_error(f"joint_departments.{index}", f"统一社会信用代码 {code} 不是平台上的机构"))
        if content.entrusted_department and content.entrusted_department not in known_usccs:
            errors.append(_error("entrusted_department", "委托部门不是平台上的机构"))
    if content.case_kind == CaseKind.INSTANT and promise.value != 0:
        errors.append(_error("promise_limit.value", "即办件的承诺办结时限应为0（当场办结）"))
    if content.online_depth == OnlineDepth.FULLY_ONLINE:
        if not content.is_online:
            errors.append(_error("online_depth", "全程网办事项须可网上办理"))
        if content.visits != 0:
            errors.append(_error("visits", "全程网办事项的到现场次数应为0"))
    if not content.is_online and content.online_depth > OnlineDepth.INFORMATION:
        errors.append(_error("online_depth", "不可网办的事项，网上办理深度只能为“网上咨询”"))
    if content.visits > 0 and not content.visits_explain:
        errors.append(_error("visits", "到现场次数大于0时须说明必须到现场的原因"))
    if content.is_fee and not content.fees:
        errors.append(_error("fees", "收费事项须列出收费项目"))
    if not content.is_fee and content.fees:
        errors.append(_error("fees", "不收费事项不应有收费项目"))
    if content.commitment and not content.commitment_text:
        errors.append(_error("commitment_text", "告知承诺事项须提供承诺书内容"))
    if content.in_hall and not (content.transact_address and content.transact_time):
        errors.append(_error("transact_address", "进驻大厅的事项须写明办理地点和办理时间"))
    if not content.in_hall and not content.not_in_hall_reason:
        errors.append(_error("in_hall", "不进驻大厅的事项须说明理由（进驻大厅负面清单）"))
    codes: set[str] = set()
    for index, material in enumerate(content.materials):
        if material.code in codes:
            errors.append(_error(f"materials.{index}.code", f"材料编码“{material.code}”重复"))
        codes.add(material.code)
    for index, step in enumerate(content.steps):
        if step.is_special and not step.special_explain:
            errors.append(_error(f"steps.{index}.special_explain", "有特别程序的环节须说明特别程序"))
    errors += _step_errors(content)
    errors += _warning_errors(content)
    errors += _form_key_errors(content.form, "form")
    if content.auto_approval and not content.form:
        errors.append(_error("form", "秒批事项须有申请表，规则依据表单字段判断"))
    errors += _auto_rule_errors(content)
    return errors


def _step_errors(content: ItemContent) -> list[FieldError]:
    """办理机构 of a step is one of the item's 联办机构; the first step has no step before it to run beside."""
    errors: list[FieldError] = []
    joint = set(content.joint_departments)
    for index, step in enumerate(content.steps):
        if step.department and step.department not in joint:
            errors.append(
                _error(
                    f"steps.{index}.department",
                    f"办理机构 {step.department} 不是本事项的联办机构（须先列入联办机构；留空表示由实施主体办理）",
                )
            )
    if content.steps and content.steps[0].parallel:
        errors.append(_error("steps.0.parallel", "第一个环节前面没有环节，不能设为并联办理"))
    return errors


def _warning_errors(content: ItemContent) -> list[FieldError]:
    """See the module docstring (黄灯预警)."""
    promise = content.promise_limit
    hours = promise.unit == TimeUnit.HOUR
    days = math.ceil(promise.value / HOURS_PER_WORKDAY) if hours else promise.value
    if promise.value == 0 or content.warning_days < days:
        return []
    limit = f"{promise.value}个{TimeUnit(promise.unit).label}"
    if hours:
        limit += f"，按每个工作日{HOURS_PER_WORKDAY}小时计为{days}个工作日"
    return [
        _error(
            "warning_days",
            f"预警天数（{content.warning_days}）应小于承诺办结时限（{limit}），否则办件受理当天即亮黄灯",
        )
    ]


# --- 秒批规则 ---------------------------------------------------------------------------------------------

NO_VALUE_OPS = {"is_true", "is_false", "present"}
LIST_OPS = {"in", "not_in"}
ORDER_OPS = {"gt", "ge", "lt", "le"}
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def is_iso_date(value: Any) -> bool:
    """A ``YYYY-MM-DD`` string naming a real day."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _auto_rule_errors(content: ItemContent) -> list[FieldError]:
    errors: list[FieldError] = []
    if content.auto_rules and not content.auto_approval:
        errors.append(_error("auto_rules", "不是秒批事项，不能设置秒批规则（请勾选“秒批”或删除规则）"))
    elif content.auto_approval and not any(r.outcome == AutoOutcomeCode.APPROVE for r in content.auto_rules):
        errors.append(_error("auto_rules", "秒批事项须至少有一条决定结果为“通过”的秒批规则"))
    fields = {f.key: f for f in content.form}
    types = {key: str(f.type) for key, f in fields.items()}
    names: set[str] = set()
    for index, rule in enumerate(content.auto_rules):
        if rule.name in names:
            errors.append(_error(f"auto_rules.{index}.name", f"规则名称“{rule.name}”重复"))
        names.add(rule.name)
        for position, condition in enumerate(rule.conditions):
            path = f"auto_rules.{index}.conditions.{position}"
            errors += _condition_errors(condition, path, fields, types)
    return errors


def _condition_errors(
    condition: AutoCondition, path: str, fields: dict[str, FormField], types: dict[str, str]
) -> list[FieldError]:
    fact, op, value = condition.fact, condition.op, condition.value
    op_label = AutoOperatorCode(op).label
    kind = fact_kind(fact, types)
    if kind is None:
        prefix, _, key = fact.partition(".")
        if prefix == "form" and "." in key:
            message = f"“{fact}”：只能引用申请表的顶层字段（form.字段标识）"
        elif prefix == "form":
            message = f"申请表中没有字段标识为“{key}”的字段"
        else:
            message = f"未知的事实“{fact}”，可用：{FACT_HINT}"
        return [_error(f"{path}.fact", message)]
    label = fact_label(fact, {k: f.label for k, f in fields.items()})
    # The operator against the kind of the fact.
    if kind == "any" and op != "present":
        return [_error(f"{path}.op", f"“{label}”只能用“有值”判断")]
    if kind == "bool" and op not in NO_VALUE_OPS:
        return [_error(f"{path}.op", f"“{label}”是“是/否”类事实，请用“为是”“为否”或“有值”判断")]
    if kind != "bool" and op in ("is_true", "is_false"):
        return [_error(f"{path}.op", f"“{label}”不是“是/否”类事实，不能用“{op_label}”判断")]
    if op in ORDER_OPS and kind not in ("number", "date"):
        return [_error(f"{path}.op", f"“{label}”不是数字或日期，不能用“{op_label}”比较")]
    # The value against the operator.
    if op in NO_VALUE_OPS:
        return [] if value is None else [_error(f"{path}.value", f"“{op_label}”不需要比较值，请留空")]
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            return [_error(f"{path}.value", f"“{op_label}”须列出一个或多个比较值")]
        values = value
    elif op in ORDER_OPS:
        if not (is_number(value) or is_iso_date(value)):
            return [_error(f"{path}.value", f"“{op_label}”的比较值应为数字或日期（YYYY-MM-DD）")]
        values = [value]
    else:
        if value is None or isinstance(value, list | dict):
            return [_error(f"{path}.value", f"“{op_label}”须给出一个比较值（文本、数字或日期）")]
        values = [value]
    # Each value against the kind of the fact.
    errors: list[FieldError] = []
    field = fields.get(fact.partition(".")[2]) if fact.startswith("form.") else None
    for item in values:
        message = _value_message(item, kind, label, fact, field)
        if message:
            errors.append(_error(f"{path}.value", message))
    return errors


def _value_message(value: Any, kind: str, label: str, fact: str, field: FormField | None) -> str:
    if kind == "number" and not is_number(value):
        return f"“{label}”是数字，比较值“{value}”应为数字"
    if kind == "date" and not is_iso_date(value):
        return f"“{label}”是日期，比较值“{value}”应为 YYYY-MM-DD 格式的日期"
    if kind == "text" and not isinstance(value, str):
        return f"“{label}”是文本，比较值“{value}”应为文本"
    if kind == "text" and field is not None and field.type == FormFieldType.SELECT and value not in field.options:
        return f"“{value}”不是“{label}”的可选项（{'、'.join(field.options)}）"
    if fact == "applicant.kind" and value not in APPLICANT_KINDS:
        kinds = "、".join(f"{code}（{name}）" for code, name in APPLICANT_KINDS.items())
        return f"“{value}”不是{AUTO_FACTS[fact][0]}，可选：{kinds}"
    return ""


def check_content(raw: Any, *, known_usccs: set[str] | None = None) -> tuple[ItemContent | None, list[FieldError]]:
    """Shape, then rules. The content is returned only when it has no error at all."""
    content, errors = parse_content(raw)
    if content is None:
        return None, errors
    errors = content_rules(content, known_usccs=known_usccs)
    return (content if not errors else None), errors
