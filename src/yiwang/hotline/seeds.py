"""Seed data of the hotline app: the classification tree and the deadline table (plain data, no models,
so the data migration and ``services.hotline_seed`` share it).

The deadlines are LOCAL defaults, not national rules (STANDARDS §5 [U]); administrators change them in
the admin (``DeadlineRule``).
"""

from __future__ import annotations

from typing import Any

# (ticket_type, urgency, amount, unit, note)
DEADLINES: tuple[tuple[str, str, int, str, str], ...] = (
    ("consult", "normal", 3, "workday", "地方默认：咨询≤3个工作日（STANDARDS §5，非国家规定）"),
    ("help", "normal", 3, "workday", "地方默认：求助≤3个工作日（STANDARDS §5，非国家规定）"),
    ("complaint", "normal", 13, "workday", "地方默认：投诉≤13个工作日（STANDARDS §5，非国家规定）"),
    ("report", "normal", 13, "workday", "地方默认：举报≤13个工作日（STANDARDS §5，非国家规定）"),
    ("suggestion", "normal", 13, "workday", "地方默认：建议≤13个工作日（STANDARDS §5，非国家规定）"),
    ("consult", "urgent", 2, "hour", "地方默认：紧急诉求2小时（北京，STANDARDS §5）"),
    ("help", "urgent", 2, "hour", "地方默认：紧急诉求2小时（北京，STANDARDS §5）"),
    ("complaint", "urgent", 2, "hour", "地方默认：紧急诉求2小时（北京，STANDARDS §5）"),
    ("report", "urgent", 2, "hour", "地方默认：紧急诉求2小时（北京，STANDARDS §5）"),
    ("suggestion", "urgent", 2, "hour", "地方默认：紧急诉求2小时（北京，STANDARDS §5）"),
)

_STREETLIGHT_ATTRIBUTES: list[dict[str, Any]] = [
    {
        "code": "pole_number",
        "description": "灯杆编号（灯杆上的白色标牌）",
        "datatype": "string",
        "required": False,
        "values": [],
    },
    {
        "code": "fault",
        "description": "故障情况",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [
            {"key": "off", "name": "不亮"},
            {"key": "flicker", "name": "闪烁"},
            {"key": "day", "name": "白天常亮"},
        ],
    },
]

# (code, name, parent code or "", default type, keywords, attributes)
CATEGORIES: tuple[tuple[str, str, str, str, str, list[dict[str, Any]]], ...] = (
    ("01", "政务服务", "", "", "", []),
    ("0101", "办事指南咨询", "01", "consult", "办事,材料,流程", []),
    ("0102", "办事不成（办不成事）", "01", "complaint", "办不成事,堵点", []),
    ("0103", "窗口服务态度与效率", "01", "complaint", "窗口,态度,效率", []),
    ("0104", "政务服务平台使用", "01", "help", "网上办,登录,平台", []),
    ("02", "城市管理", "", "", "", []),
    ("0201", "路灯故障", "02", "report", "路灯,照明", _STREETLIGHT_ATTRIBUTES),
    ("0202", "道路破损", "02", "report", "道路,坑洼,井盖", []),
    ("0203", "占道经营", "02", "complaint", "摊贩,占道", []),
    ("0204", "环境卫生", "02", "complaint", "垃圾,卫生", []),
    ("03", "市场监管", "", "", "", []),
    ("0301", "食品安全", "03", "report", "食品,餐饮", []),
    ("0302", "消费维权", "03", "complaint", "消费,退款,商家", []),
    ("0303", "价格投诉", "03", "complaint", "价格,收费", []),
    ("04", "社会保障", "", "", "", []),
    ("0401", "社保医保", "04", "consult", "社保,医保,养老", []),
    ("0402", "就业创业", "04", "consult", "就业,创业,补贴", []),
    ("0403", "欠薪求助", "04", "help", "工资,拖欠,农民工", []),
    ("05", "公共事业", "", "", "", []),
    ("0501", "供水供电供气供暖", "05", "help", "停水,停电,燃气,供暖", []),
    ("0502", "公共交通", "05", "suggestion", "公交,线路,站点", []),
    ("99", "其他", "", "", "", []),
    ("9901", "其他诉求", "99", "", "", []),
)
