"""A complete, valid item content for tests, with overrides."""

from __future__ import annotations

import copy
from typing import Any

SAMPLE_CONTENT: dict[str, Any] = {
    "name": "食品经营许可（新办）",
    "summary": "开办餐馆、超市等销售食品前，须取得食品经营许可证。",
    "legal_basis": "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
    "legal_limit": {"value": 20, "unit": "workday"},
    "promise_limit": {"value": 5, "unit": "workday"},
    "accept_conditions": "申请人已取得营业执照等合法主体资格，具有与经营的食品品种、数量相适应的经营场所。",
    "service_objects": ["2", "5"],
    "case_kind": "2",
    "handle_forms": ["1", "2", "3"],
    "visits": 0,
    "is_online": True,
    "online_depth": 4,
    "in_hall": True,
    "transact_address": "兰山区政务服务中心二楼 综合窗口",
    "transact_time": "周一至周五 9:00-17:00",
    "contacts": {"consult": "0539-12345", "complaint": "0539-12345"},
    "remedies": {"reconsideration": "兰山区人民政府", "litigation": "兰山区人民法院"},
    "results": [
        {"type": "licence", "name": "食品经营许可证", "licence_type_code": "11100000MB0143028L001"},
    ],
    "steps": [
        {"name": "受理", "unit": "综合窗口", "limit": {"value": 1}},
        {"name": "审核", "unit": "食品经营许可科", "limit": {"value": 3}},
        {"name": "办结", "unit": "食品经营许可科", "limit": {"value": 1}},
    ],
    "materials": [
        {
            "code": "business_licence",
            "name": "营业执照",
            "source": "government",
            "licence_type_code": "11100000MB0143028L002",
            "necessity": "required",
        },
        {"code": "food_safety_rules", "name": "食品安全管理制度", "necessity": "deferrable"},
        {"code": "floor_plan", "name": "经营场所平面图", "necessity": "required"},
    ],
    "form": [
        {"key": "shop_name", "label": "经营者名称", "type": "text", "required": True, "max_length": 100},
        {"key": "uscc", "label": "统一社会信用代码", "type": "uscc", "required": True},
        {"key": "category", "label": "主体业态", "type": "select", "options": ["餐饮服务", "食品销售"]},
        {
            "key": "staff",
            "label": "食品安全管理人员",
            "type": "group",
            "fields": [
                {"key": "name", "label": "姓名", "type": "text", "required": True},
                {"key": "id_number", "label": "身份证号", "type": "id_number", "required": True},
            ],
        },
    ],
    "commitment": True,
    "commitment_text": "本人承诺所提交材料真实有效，经营场所符合食品安全要求。",
    "themes": ["open", "license"],
    "high_frequency": True,
}


def sample_content(**overrides: Any) -> dict[str, Any]:
    content = copy.deepcopy(SAMPLE_CONTENT)
    content.update(overrides)
    return content
