"""Public pages of the catalog: 办事指南 (search, browse, detail, old versions) and the 派生清单 with
their CSV / Excel downloads.

同源发布: these pages, the read API and the downloads all read the same published versions through
``catalog.selectors``; nothing here writes. Every page runs a fixed number of queries, however many
items there are (the selectors join department, region and item; the rest is in the version row).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yiwang.catalog import exports
from yiwang.catalog.choices import (
    CaseKind,
    CrossScope,
    HandleForm,
    ImplementerNature,
    ItemLevel,
    ItemState,
    MaterialForm,
    MaterialSource,
    MaterialType,
    Necessity,
    OnlineDepth,
    PowerSource,
    ResultType,
    ServiceObject,
    SpecialProcedureType,
    TaskType,
    Theme,
)
from yiwang.catalog.selectors import (
    DERIVED_LISTS,
    GuideFilter,
    derived_list,
    derived_list_counts,
    guide_department_counts,
    guide_get,
    guide_list,
    guide_theme_counts,
    versions_of,
)
from yiwang.core.errors import DomainError, not_found
from yiwang.portal.themes import ENTERPRISE_THEMES, PERSONAL_THEMES

GUIDE_PAGE_SIZE = 20
LIST_PAGE_SIZE = 50
QUERY_MAX_LENGTH = 100
API_PATH = "/api/v1/catalog/"  # the read API (同源发布): the same content, as JSON

# The levels a citizen of a city chooses between (市级 / 县级 / 镇级).
LEVEL_OPTIONS = [(ItemLevel.CITY.value, "市级"), (ItemLevel.COUNTY.value, "县级"), (ItemLevel.TOWN.value, "镇级")]
AUDIENCE_OPTIONS = [("person", "个人办事"), ("organisation", "法人办事")]

# Life-event themes split into 个人 and 法人: the portal's tiles say which are 法人 themes; every other
# ``Theme`` is a 个人 theme (so a theme added to the choices shows up without touching this file).
_HINTS = {key: hint for key, _label, hint in (*PERSONAL_THEMES, *ENTERPRISE_THEMES)}
_ORGANISATION_KEYS = [key for key, _label, _hint in ENTERPRISE_THEMES if key in Theme.values]
THEME_GROUPS: list[tuple[str, str, list[tuple[str, str, str]]]] = [
    (
        "person",
        "个人办事",
        [(t.value, str(t.label), _HINTS.get(t.value, "")) for t in Theme if t.value not in _ORGANISATION_KEYS],
    ),
    ("organisation", "法人办事", [(k, str(Theme(k).label), _HINTS.get(k, "")) for k in _ORGANISATION_KEYS]),
]

LIST_DESCRIPTIONS = {
    "licensing": "依法设定的行政许可事项，办理前须取得许可。",
    "commitment": "申请人书面承诺符合条件后即可办理，部门事后核查。",
    "deferrable": "次要材料暂缺时可先受理，申请人在规定期限内补齐。",
    "licence-free": "所需证照由平台从电子证照库调取，申请人无需提交。",
    "fully-online": "从申请到取得结果全程在网上办理，无需到现场。",
    "not-fully-online": "暂不能全程网办的事项，列明网上办理深度和须到现场的原因。",
    "not-in-hall": "不进驻政务服务大厅办理的事项及其理由。",
    "high-frequency": "群众和企业办理量大的高频事项。",
}


# --- helpers ---------------------------------------------------------------------------------------------


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def _int(raw: str | None) -> int | None:
    """A small positive integer from the query string, else None (a huge number would overflow the column)."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    return int(raw)


def _guide_filter(params: QueryDict) -> GuideFilter:
    """The list's filters from the query string; a value that is not one of the options is ignored."""
    level = _int(params.get("level"))
    theme = params.get("theme", "")
    audience = params.get("audience", "")
    return GuideFilter(
        q=params.get("q", "").strip()[:QUERY_MAX_LENGTH],
        department_id=_int(params.get("department")),
        level=level if level in dict(LEVEL_OPTIONS) else None,
        theme=theme if theme in Theme.values else "",
        audience=audience if audience in dict(AUDIENCE_OPTIONS) else "",
        online=True if params.get("online") == "1" else None,
    )


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _labels(choices: Any, values: Any) -> list[str]:
    return [_label(choices, v) for v in values or []]


def _page(request: HttpRequest, queryset: Any, size: int) -> Any:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


# --- guide list and browse pages -------------------------------------------------------------------------


@require_GET
def guide_list_view(request: HttpRequest) -> HttpResponse:
    """事项检索: search box and filters, 20 per page. Queries: departments, count, page."""
    filters = _guide_filter(request.GET)
    departments = guide_department_counts()
    page = _page(request, guide_list(filters=filters), GUIDE_PAGE_SIZE)
    active = bool(
        filters.q or filters.department_id or filters.level or filters.theme or filters.audience or filters.online
    )
    return render(
        request,
        "catalog/guide_list.html",
        {
            "filters": filters,
            "active": active,
            "departments": departments,
            "levels": LEVEL_OPTIONS,
            "audiences": AUDIENCE_OPTIONS,
            "theme_groups": THEME_GROUPS,
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
            "rows": [_row(v) for v in page.object_list],
            "nav": "list",
        },
    )


def _row(version: Any) -> dict[str, Any]:
    content = version.content
    return {
        "v": version,
        "promise": exports.limit_text(content.get("promise_limit")),
        "badges": _badges(version),
    }


def _badges(version: Any) -> list[tuple[str, str]]:
    """The 办理特点 shown as badges, with the CSS modifier of each."""
    flags = [
        (version.is_fully_online, "全程网办", "online"),
        (version.is_instant, "即办", "instant"),
        (version.commitment, "告知承诺", "commitment"),
        (version.deferrable, "容缺受理", "deferrable"),
        (version.auto_approval, "秒批", "auto"),
    ]
    return [(label, modifier) for flag, label, modifier in flags if flag]


@require_GET
def guide_departments(request: HttpRequest) -> HttpResponse:
    """按部门: every department with items in effect, grouped by region, with its item count (one query)."""
    regions: list[dict[str, Any]] = []
    for row in guide_department_counts():
        if not regions or regions[-1]["code"] != row["department__region__code"]:
            regions.append(
                {"code": row["department__region__code"], "name": row["department__region__name"], "rows": []}
            )
        regions[-1]["rows"].append(row)
    return render(request, "catalog/guide_departments.html", {"regions": regions, "nav": "departments"})


@require_GET
def guide_themes(request: HttpRequest) -> HttpResponse:
    """按主题: 个人 and 法人 life-event tiles with the number of items in each (one query)."""
    counts = guide_theme_counts()
    groups = [
        {"key": key, "title": title, "tiles": [(k, label, hint, counts[k]) for k, label, hint in tiles]}
        for key, title, tiles in THEME_GROUPS
    ]
    return render(request, "catalog/guide_themes.html", {"groups": groups, "nav": "themes"})


# --- guide detail ------------------------------------------------------------------------------------------


@require_GET
def guide_detail(request: HttpRequest, code: str, number: int | None = None) -> HttpResponse:
    """办事指南: the version in effect, or an older version by number (cases pin the version they used)."""
    try:
        version = guide_get(code=code, number=number)
    except DomainError as exc:
        return _problem(request, exc)
    item = version.item
    is_current = item.state == ItemState.PUBLISHED and item.current_version_id == version.pk
    return render(
        request,
        "catalog/guide_detail.html",
        {
            "v": version,
            "item": item,
            "c": _present(version.content),
            "badges": _badges(version),
            "is_current": is_current,
            "is_cancelled": item.state == ItemState.CANCELLED,
            "history": list(
                versions_of(item=item).only("pk", "item_id", "number", "effective_from", "effective_until")
            ),
            "api_url": f"{API_PATH}items/{item.code}" + ("" if number is None else f"/versions/{version.number}"),
            "task_type": _label(TaskType, version.task_type),
            "nav": "list",
            "nav_current": "true",  # in the 事项检索 section, not the search page itself
        },
    )


def _present(content: Mapping[str, Any]) -> dict[str, Any]:
    """The stored content with the Chinese label of every code value, ready for the template.

    Read tolerantly (``.get`` with defaults): an old version keeps the shape it was published with.
    """
    c = dict(content)
    c["service_object_labels"] = _labels(ServiceObject, content.get("service_objects"))
    c["handle_form_labels"] = _labels(HandleForm, content.get("handle_forms"))
    c["case_kind_label"] = _label(CaseKind, content.get("case_kind", CaseKind.PROMISED))
    c["online_depth_label"] = _label(OnlineDepth, content.get("online_depth", OnlineDepth.ONLINE_ACCEPTANCE))
    c["cross_scope_label"] = _label(CrossScope, content.get("cross_scope", CrossScope.NONE))
    c["power_source_label"] = _label(PowerSource, content.get("power_source", PowerSource.STATUTORY))
    c["implementer_nature_label"] = _label(
        ImplementerNature, content.get("implementer_nature", ImplementerNature.STATUTORY)
    )
    c["legal_text"] = exports.limit_text(content.get("legal_limit"))
    c["promise_text"] = exports.limit_text(content.get("promise_limit"))
    c["legal_explain"] = (content.get("legal_limit") or {}).get("explain", "")
    c["promise_explain"] = (content.get("promise_limit") or {}).get("explain", "")
    c["materials"] = [_material(m) for m in content.get("materials", [])]
    c["steps"] = [
        {**s, "limit_text": exports.limit_text(s.get("limit")) if s.get("limit") else ""}
        for s in content.get("steps", [])
    ]
    c["special_procedures"] = [
        {
            **p,
            "type_label": _label(SpecialProcedureType, p.get("type")),
            "limit_text": exports.limit_text(p.get("limit")) if p.get("limit") else "",
        }
        for p in content.get("special_procedures", [])
    ]
    c["results"] = [{**r, "type_label": _label(ResultType, r.get("type"))} for r in content.get("results", [])]
    return c


def _material(m: Mapping[str, Any]) -> dict[str, Any]:
    originals, copies = int(m.get("originals", 1)), int(m.get("copies", 0))
    counts = [f"{label} {n} 份" for label, n in (("原件", originals), ("复印件", copies)) if n]
    exempt = ""
    if m.get("licence_type_code"):
        exempt = "免提交（可调用电子证照）"
    elif m.get("shared_data_code"):
        exempt = "免提交（可调用共享数据）"
    return {
        **m,
        "type_label": _label(MaterialType, m.get("material_type", MaterialType.ORIGINAL)),
        "form_label": _label(MaterialForm, m.get("form", MaterialForm.BOTH)),
        "necessity_label": _label(Necessity, m.get("necessity", Necessity.REQUIRED)),
        "source_label": _label(MaterialSource, m.get("source", MaterialSource.APPLICANT)),
        "counts": "；".join(counts) or "无需纸质材料",
        "exempt": exempt,
        "deferrable": m.get("necessity") == Necessity.DEFERRABLE,
    }


# --- derived lists -----------------------------------------------------------------------------------------


@require_GET
def lists_index(request: HttpRequest) -> HttpResponse:
    """派生清单: the eight lists with the number of items on each (one aggregate query)."""
    counts = derived_list_counts()
    lists = [
        {"key": key, "title": title, "description": LIST_DESCRIPTIONS.get(key, ""), "count": counts[key]}
        for key, (title, _criteria) in DERIVED_LISTS.items()
    ]
    return render(request, "catalog/lists_index.html", {"lists": lists, "nav": "lists"})


@require_GET
def list_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One derived list as a table, 50 per page. Queries: count, page."""
    try:
        versions = derived_list(key=key)
    except DomainError as exc:
        return _problem(request, exc)
    page = _page(request, versions, LIST_PAGE_SIZE)
    extras = exports.extra_columns(key)
    rows = [
        {
            "index": page.start_index() + i,
            "v": v,
            "promise": exports.limit_text(v.content.get("promise_limit")),
            "extras": [(col.header, col.value(v)) for col in extras],
        }
        for i, v in enumerate(page.object_list)
    ]
    return render(
        request,
        "catalog/list_detail.html",
        {
            "key": key,
            "title": DERIVED_LISTS[key][0],
            "description": LIST_DESCRIPTIONS.get(key, ""),
            "extra_headers": [col.header for col in extras],
            "rows": rows,
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
            "api_url": f"{API_PATH}lists/{key}",
            "nav": "lists",
            "nav_current": "true",
        },
    )


@require_GET
def list_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """The whole list as CSV (UTF-8 with BOM) or Excel; one query."""
    try:
        versions = derived_list(key=key)
        if fmt not in ("csv", "xlsx"):
            raise not_found("下载格式")
    except DomainError as exc:
        return _problem(request, exc)
    title = DERIVED_LISTS[key][0]
    headers, rows = exports.list_table(key, versions)
    if fmt == "csv":
        return exports.csv_response(filename=f"{title}.csv", headers=headers, rows=rows)
    return exports.xlsx_response(filename=f"{title}.xlsx", sheet_title=title, headers=headers, rows=rows)
