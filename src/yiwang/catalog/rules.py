"""Publishing rules (发布规则): every check returns errors that name the element in Chinese.

``check_content`` runs the shape check (pydantic) and then the rules that span elements. A draft may be
saved in any state; a change request is accepted, and a version published, only with no error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from yiwang.catalog.choices import CaseKind, FormFieldType, OnlineDepth
from yiwang.catalog.schema import FormField, ItemContent, element_label
from yiwang.core.errors import FieldError
from yiwang.core.validation import error_path, pydantic_message

MAX_STEPS_SINGLE_DEPARTMENT = 3  # 受理、审核、办结 (Xinjiang seed §五)
MAX_STEPS_JOINT = 5  # 多部门联办


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
    errors += _form_key_errors(content.form, "form")
    if content.auto_approval and not content.form:
        errors.append(_error("form", "秒批事项须有申请表，规则依据表单字段判断"))
    return errors


def check_content(raw: Any, *, known_usccs: set[str] | None = None) -> tuple[ItemContent | None, list[FieldError]]:
    """Shape, then rules. The content is returned only when it has no error at all."""
    content, errors = parse_content(raw)
    if content is None:
        return None, errors
    errors = content_rules(content, known_usccs=known_usccs)
    return (content if not errors else None), errors
