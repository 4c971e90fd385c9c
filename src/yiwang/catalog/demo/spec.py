"""What one demo item is (``ItemSpec``) and the small helpers the data modules build contents with.

Pure data helpers (no Django imports). A content built here is a complete ``schema.ItemContent`` document
except for what depends on the implementing organisation — 办理地点, 办理时间, 咨询/投诉, 复议/诉讼 — which
the loader fills in per department (see ``loader.localise``); a content may still spell those out itself.
Strings may use the place-holders ``{city}``, ``{county}``, ``{short}``, ``{police}``, ``{town}`` and
``{dept}``; the loader replaces them for each department the spec is implemented by.

Catalog codes (基本编码) are illustrative demo codes in the national shape — ``00`` + 事项类型代码 + a
5-digit serial + ``000`` (e.g. ``000101001000``, see ``catalog_code``) — not the official codes of the
国家政务服务平台. Each data module uses its own range of serials.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

# 行使层级 and code values spelled out so that the data modules need no Django.
CITY, COUNTY, TOWN = 3, 4, 5

LICENSING, CONFIRMATION, PAYMENT, OTHER_POWER, PUBLIC_SERVICE = "01", "07", "05", "10", "20"
LEVY, ADJUDICATION, REWARD = "04", "09", "08"

PERSON, ENTERPRISE, INSTITUTION, SOCIAL_ORG, UNINCORPORATED = "1", "2", "3", "4", "5"
ORGANISATIONS = (ENTERPRISE, UNINCORPORATED)

# The three districts (and their subdistricts) whose organisations implement county- and town-level items.
DEMO_COUNTIES: tuple[str, ...] = ("兰山区", "罗庄区", "河东区")


@dataclass(frozen=True)
class ItemSpec:
    """One 基本目录 entry implemented by one or more organisations.

    ``department`` is an exact organisation name ("临沂市市场监督管理局") or a pattern expanded over
    ``counties`` ("{county}市场监督管理局", "{police}") or over their subdistricts ("{town}办事处"). The
    行使层级 of each item is the level of its organisation's region (市 3, 县 4, 镇/街道 5) and must be
    one of ``levels``. Specs that share a ``code`` must agree on name, type, basis and levels.
    """

    code: str  # 基本编码, 12 characters, code[2:4] == task_type
    name: str  # 基本目录 事项名称
    task_type: str
    legal_basis: str
    levels: tuple[int, ...]
    department: str
    content: dict[str, Any]
    handle_item: str = ""  # 2 digits: the item is a 业务办理项 of the entry
    counties: tuple[str, ...] = DEMO_COUNTIES


@dataclass
class CatalogDemoSummary:
    """The demo items in the database (published versions in effect) and how many carry each flag."""

    entries: int
    items: int
    published: int
    departments: int
    levels: list[int] = dataclass_field(default_factory=list)
    flags: dict[str, int] = dataclass_field(default_factory=dict)
    created: bool = False  # True when this call loaded the items


FLAG_LABELS: dict[str, str] = {
    "commitment": "告知承诺",
    "deferrable": "容缺后补",
    "is_instant": "即办件",
    "is_fully_online": "全程网办",
    "auto_approval": "秒批",
    "high_frequency": "高频",
    "not_in_hall": "不进驻大厅",
}


def catalog_code(task_type: str, serial: int) -> str:
    """基本编码 of a national entry: ``catalog_code("01", 1001) == "000101001000"``."""
    return f"00{task_type}{serial:05d}000"


def limits(legal: int, promise: int, unit: str = "workday", explain: str = "") -> dict[str, Any]:
    """法定 and 承诺 办结时限 in the same unit."""
    return {
        "legal_limit": {"value": legal, "unit": unit},
        "promise_limit": {"value": promise, "unit": unit, "explain": explain},
    }


def steps3(
    unit: str, promise: int, *, accept_unit: str = "综合窗口", time_unit: str = "workday"
) -> list[dict[str, Any]]:
    """受理 → 审核 → 办结, the promised time spread over the three steps."""
    accept = 1 if promise >= 3 else 0
    decide = 1 if promise >= 2 else 0
    review = max(promise - accept - decide, 0)
    return [
        {"name": "受理", "unit": accept_unit, "limit": {"value": accept, "unit": time_unit}},
        {"name": "审核", "unit": unit, "limit": {"value": review, "unit": time_unit}},
        {"name": "办结", "unit": unit, "limit": {"value": decide, "unit": time_unit}},
    ]


def steps_instant(unit: str = "综合窗口") -> list[dict[str, Any]]:
    """即办件: 受理 and 办结 on the spot."""
    return [
        {"name": "受理", "unit": unit, "limit": {"value": 0}},
        {"name": "办结", "unit": unit, "limit": {"value": 0}},
    ]


def result(name: str, kind: str = "licence", licence_type_code: str = "") -> dict[str, Any]:
    """办理结果; ``kind``: licence 证照, document 批文, record 备案/登记结果, other."""
    return {"type": kind, "name": name, "licence_type_code": licence_type_code}


def field(key: str, label: str, kind: str = "text", *, required: bool = True, **extra: Any) -> dict[str, Any]:
    """One typed field of the 申请表."""
    return {"key": key, "label": label, "type": kind, "required": required, **extra}


def person_form(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """申请表 of an individual: name, ID number, mobile phone, then ``extra``."""
    return [
        field("applicant_name", "申请人姓名", max_length=50),
        field("id_number", "公民身份号码", "id_number"),
        field("phone", "联系电话", "phone"),
        *extra,
    ]


def org_form(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """申请表 of an organisation: name, USCC, contact, then ``extra``."""
    return [
        field("org_name", "单位名称", max_length=100),
        field("uscc", "统一社会信用代码", "uscc"),
        field("contact_phone", "联系电话", "phone"),
        *extra,
    ]


# --- 秒批规则 ----------------------------------------------------------------------------------------------


def when(fact: str, op: str, value: Any = None, *, label: str) -> dict[str, Any]:
    """One condition of a 秒批 rule (``schema.AutoCondition``)."""
    return {"fact": fact, "op": op, "value": value, "label": label}


def answer(key: str, op: str, value: Any = None, *, label: str) -> dict[str, Any]:
    """A condition on the applicant's answer to the form field ``key``."""
    return when(f"form.{key}", op, value, label=label)


def age_at_least(years: int) -> dict[str, Any]:
    return when("applicant.age", "ge", years, label=f"申请人年满{years}周岁")


def age_below(years: int) -> dict[str, Any]:
    return when("applicant.age", "lt", years, label=f"申请人未满{years}周岁")


def applicant_is(kind: str) -> dict[str, Any]:
    """``person`` or ``enterprise``."""
    return when("applicant.kind", "eq", kind, label="申请人为自然人" if kind == "person" else "申请人为企业")


def approve(name: str, *conditions: dict[str, Any], reason: str) -> dict[str, Any]:
    """A rule that approves (秒批通过) when every condition holds."""
    return {"name": name, "outcome": "approve", "conditions": list(conditions), "reason": reason}


def refuse(name: str, *conditions: dict[str, Any], reason: str) -> dict[str, Any]:
    """A rule that refuses (不予通过) when every condition holds; the reason is told to the applicant."""
    return {"name": name, "outcome": "refuse", "conditions": list(conditions), "reason": reason}


def warning_days_for(promise: int) -> int:
    """黄灯预警 by the length of the promise: 0 for a one-day promise (it must stay below it), 1 up to 9
    days, 2 up to 29, 3 beyond."""
    if promise <= 1:
        return 0
    return 1 if promise < 10 else 2 if promise < 30 else 3


ONLINE_DEPTHS = {"info": 1, "pre": 2, "accept": 3, "full": 4}


def content(
    name: str,
    *,
    summary: str,
    basis: str,
    accept: str,
    objects: tuple[str, ...] = (PERSON,),
    legal: int = 20,
    promise: int = 10,
    unit: str = "workday",
    limit_explain: str = "",
    instant: bool = False,
    online: str = "accept",
    visits_explain: str = "需到窗口核验身份、提交原件并领取办理结果",
    in_hall: bool = True,
    not_in_hall_reason: str = "",
    results: list[dict[str, Any]],
    review_unit: str = "业务科室",
    steps: list[dict[str, Any]] | None = None,
    materials: list[dict[str, Any]],
    form: list[dict[str, Any]] | None = None,
    commitment_text: str = "",
    auto_approval: bool = False,
    auto_rules: list[dict[str, Any]] | None = None,
    high_frequency: bool = False,
    themes: tuple[str, ...] = (),
    fees: list[dict[str, Any]] | None = None,
    cross_scope: str = "0",
    **extra: Any,
) -> dict[str, Any]:
    """A complete content with consistent flags.

    ``online``: ``info`` 网上咨询 (不可网办, one visit), ``pre`` 网上预审 (one visit), ``accept`` 网上受理
    (one visit), ``full`` 全程网办 (no visit, result sent by post). ``instant`` makes it a 即办件 with a
    promised time of 0. ``commitment_text`` makes it a 告知承诺 item. ``auto_rules`` (built with
    ``approve``/``refuse``) go with ``auto_approval``. ``extra`` overrides any element.
    """
    depth = ONLINE_DEPTHS[online]
    is_online = depth > 1
    forms = ["1", "2", "3"] if is_online else ["1"]
    visits = 0 if depth == 4 else 1
    if instant:
        promise = 0
    doc: dict[str, Any] = {
        "name": name,
        "summary": summary,
        "legal_basis": basis,
        **limits(legal, promise, unit, limit_explain),
        "accept_conditions": accept,
        "process_description": "网上或窗口提交申请 → 受理 → 审核 → 办结（"
        + ("当场办结" if instant else f"承诺{promise}个{'工作日' if unit == 'workday' else '自然日'}内")
        + "）",
        "service_objects": list(objects),
        "case_kind": "1" if instant else "2",
        "handle_forms": forms,
        "visits": visits,
        "visits_explain": "" if visits == 0 else visits_explain,
        "is_online": is_online,
        "online_depth": depth,
        "in_hall": in_hall,
        "not_in_hall_reason": not_in_hall_reason,
        "cross_scope": cross_scope,
        "appointment": is_online,
        "express": depth == 4,
        "results": results,
        "steps": steps if steps is not None else (steps_instant() if instant else steps3(review_unit, promise)),
        "materials": materials,
        "form": form or [],
        "commitment": bool(commitment_text),
        "commitment_text": commitment_text,
        "auto_approval": auto_approval,
        "auto_rules": auto_rules or [],
        "warning_days": warning_days_for(promise),
        "high_frequency": high_frequency,
        "themes": list(themes),
        "is_fee": bool(fees),
        "fees": fees or [],
    }
    doc.update(extra)
    return doc
