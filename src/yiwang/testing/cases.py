"""Published items and cases for tests and benchmarks, built through the real services.

``person_item`` is a 承诺件 of 兰山区市场监督管理局 for individuals (受理 → 审核 → 办结, 5 of 20 working
days, one 容缺 material, 告知承诺, a pausing 专家评审 and 快递 results); variants come from overrides.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from yiwang.catalog.models import CatalogEntry, ServiceItem
from yiwang.catalog.services import catalog_entry_create, item_create, publish_directly
from yiwang.regions.models import Department

PERSON_CONTENT: dict[str, Any] = {
    "name": "个体工商户登记（设立）",
    "summary": "个人从事工商业经营，须登记为个体工商户。",
    "legal_basis": "《促进个体工商户发展条例》第八条",
    "legal_limit": {"value": 20, "unit": "workday"},
    "promise_limit": {"value": 5, "unit": "workday"},
    "accept_conditions": "有经营能力的自然人，有固定经营场所。",
    "service_objects": ["1"],
    "case_kind": "2",
    "handle_forms": ["1", "2", "3"],
    "visits": 0,
    "is_online": True,
    "online_depth": 4,
    "in_hall": True,
    "express": True,
    "transact_address": "兰山区政务服务中心二楼 综合窗口",
    "transact_time": "周一至周五 9:00-17:00",
    "contacts": {"consult": "0539-12345", "complaint": "0539-12345"},
    "remedies": {"reconsideration": "兰山区人民政府", "litigation": "兰山区人民法院"},
    "results": [{"type": "licence", "name": "个体工商户营业执照"}],
    "steps": [
        {"name": "受理", "unit": "综合窗口", "limit": {"value": 1}},
        {"name": "审核", "unit": "登记注册科", "limit": {"value": 3}},
        {"name": "办结", "unit": "登记注册科", "limit": {"value": 1}},
    ],
    "special_procedures": [
        {"type": "2", "name": "专家评审", "pauses_clock": True, "limit": {"value": 10}},
        {"type": "2", "name": "现场核查", "pauses_clock": False},
    ],
    "materials": [
        {"code": "id_card", "name": "经营者身份证明", "necessity": "required", "shared_data_code": "GA-ID-001"},
        {"code": "premises", "name": "经营场所使用证明", "necessity": "required"},
        {"code": "photo", "name": "经营场所照片", "necessity": "deferrable"},
    ],
    "form": [
        {"key": "applicant_name", "label": "经营者姓名", "type": "text", "required": True, "max_length": 50},
        {"key": "shop_name", "label": "个体工商户名称", "type": "text", "required": True, "max_length": 100},
        {"key": "scope", "label": "经营范围", "type": "select", "required": True, "options": ["餐饮", "零售", "服务"]},
        {"key": "capital", "label": "资金数额（万元）", "type": "number", "required": False},
    ],
    "commitment": True,
    "commitment_text": "本人承诺所提交材料真实有效。",
    "themes": ["open"],
    "warning_days": 1,
}

_codes = itertools.count(1)


def person_content(**overrides: Any) -> dict[str, Any]:
    content = copy.deepcopy(PERSON_CONTENT)
    content.update(overrides)
    return content


def published_item(department: Department, *, level: int = 4, **overrides: Any) -> ServiceItem:
    """A new catalog entry and a published item of ``department`` with ``person_content(**overrides)``."""
    serial = next(_codes)
    entry = CatalogEntry.objects.filter(code=f"0001{serial:05d}900").first() or catalog_entry_create(
        actor=None,
        code=f"0001{serial:05d}900",
        name=overrides.get("name", PERSON_CONTENT["name"]),
        task_type="01",
        legal_basis="测试依据",
        levels=[level],
    )
    item = item_create(actor=None, entry=entry, department=department, level=level, content=person_content(**overrides))
    publish_directly(actor=None, item=item)
    item.refresh_from_db()
    return item


def valid_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"applicant_name": "测试群众甲", "shop_name": "甲记小吃店", "scope": "餐饮", "capital": 5}
    form.update(overrides)
    return form
