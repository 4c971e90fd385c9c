"""Catalog API: the read API every channel uses (web, mobile, window, kiosk, other systems) and the
staff endpoints of 动态管理 (drafts, change requests, review). Pages use the same selectors/services."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from yiwang.catalog import selectors, services
from yiwang.catalog.choices import ChangeKind
from yiwang.catalog.diff import content_diff
from yiwang.catalog.models import CatalogEntry, ChangeRequest, ServiceItem
from yiwang.core.errors import FieldError, not_found
from yiwang.regions.models import Department

router = Router(tags=["事项管理"])
MAX_PAGE_SIZE = 100


class DepartmentRef(Schema):
    id: int
    name: str
    uscc: str
    region_code: str = Field(..., alias="region.code")


class ItemSummaryOut(Schema):
    """One published item in a list: enough to render a row in any channel."""

    code: str = Field(..., alias="item.code")
    name: str
    version: int = Field(..., alias="number")
    task_type: str
    level: int
    department: DepartmentRef
    promise_days: int
    legal_days: int
    visits: int
    is_fully_online: bool
    is_instant: bool
    commitment: bool
    deferrable: bool
    auto_approval: bool
    themes: list[str]


class ItemPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[ItemSummaryOut]


class ItemDetailOut(Schema):
    code: str = Field(..., alias="item.code")
    task_code: str = Field(..., alias="item.task_code")
    handle_item_code: str = Field(..., alias="item.handle_item_code")
    catalog_code: str = Field(..., alias="item.entry.code")
    version: int = Field(..., alias="number")
    effective_from: dt.date
    effective_until: dt.date | None
    content_hash: str
    department: DepartmentRef
    level: int
    content: dict[str, Any]


class VersionOut(Schema):
    version: int = Field(..., alias="number")
    effective_from: dt.date
    effective_until: dt.date | None
    published_at: dt.datetime
    content_hash: str


class ChangeOut(Schema):
    path: str
    label: str
    kind: str
    old: Any
    new: Any


class ListFilter(Schema):
    q: str = Field("", max_length=100)
    department: int | None = None
    region: str = Field("", max_length=12)
    level: int | None = Field(None, ge=1, le=7)
    theme: str = Field("", max_length=20)
    audience: str = Field("", pattern="^(|person|organisation)$")
    task_type: str = Field("", max_length=2)
    online: bool | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


def _etag(*parts: str) -> str:
    return '"' + hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:32] + '"'


def _not_modified(request: HttpRequest, etag: str) -> bool:
    match = request.headers.get("If-None-Match", "")
    return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"


def _conditional(request: HttpRequest, response: HttpResponse, etag: str) -> HttpResponse | None:
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    if _not_modified(request, etag):
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag
        return not_modified
    return None


@router.get("/items", response=ItemPageOut, auth=None, summary="办事指南列表（检索、筛选、分页）")
def item_list(request: HttpRequest, response: HttpResponse, filters: Query[ListFilter]) -> Any:
    qs = selectors.guide_list(
        filters=selectors.GuideFilter(
            q=filters.q,
            department_id=filters.department,
            region_code=filters.region,
            level=filters.level,
            theme=filters.theme,
            audience=filters.audience,
            task_type=filters.task_type,
            online=filters.online,
        )
    )
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    rows = list(qs[start : start + filters.page_size])
    etag = _etag(str(count), str(filters.page), str(filters.page_size), *(r.content_hash for r in rows))
    early = _conditional(request, response, etag)
    if early is not None:
        return early
    return {"count": count, "page": filters.page, "page_size": filters.page_size, "items": rows}


@router.get("/items/{code}", response=ItemDetailOut, auth=None, summary="事项详情（现行版本）")
def item_detail(request: HttpRequest, response: HttpResponse, code: str) -> Any:
    version = selectors.guide_get(code=code)
    early = _conditional(request, response, f'"{version.content_hash}"')
    return early if early is not None else version


@router.get("/items/{code}/versions", response=list[VersionOut], auth=None, summary="事项的历史版本")
def item_versions(request: HttpRequest, code: str) -> Any:
    version = selectors.guide_get(code=code)
    return list(selectors.versions_of(item=version.item))


@router.get("/items/{code}/versions/{number}", response=ItemDetailOut, auth=None, summary="事项的指定版本")
def item_version(request: HttpRequest, response: HttpResponse, code: str, number: int) -> Any:
    version = selectors.guide_get(code=code, number=number)
    early = _conditional(request, response, f'"{version.content_hash}"')
    return early if early is not None else version


@router.get("/items/{code}/diff", response=list[ChangeOut], auth=None, summary="两个版本的要素级差异")
def item_diff(request: HttpRequest, code: str, old: int, new: int) -> Any:
    before = selectors.guide_get(code=code, number=old)
    after = selectors.guide_get(code=code, number=new)
    return [_change_out(c) for c in content_diff(before.content, after.content)]


def _change_out(change: Any) -> dict[str, Any]:
    return {"path": change.path, "label": change.label, "kind": change.kind, "old": change.old, "new": change.new}


@router.get("/lists/{key}", response=list[ItemSummaryOut], auth=None, summary="派生清单（告知承诺、容缺受理等）")
def derived_list(request: HttpRequest, key: str) -> Any:
    return list(selectors.derived_list(key=key))


# --- staff: 动态管理 -------------------------------------------------------------------------------------


class EntryIn(Schema):
    code: str = Field(..., min_length=12, max_length=12)
    name: str = Field(..., min_length=1, max_length=200)
    task_type: str = Field(..., min_length=2, max_length=2)
    legal_basis: str = Field(..., min_length=1)
    levels: list[int] = Field(..., min_length=1)


class EntryOut(Schema):
    code: str
    name: str
    task_type: str
    levels: list[int]


class ItemIn(Schema):
    catalog_code: str = Field(..., min_length=12, max_length=12)
    department_id: int
    level: int = Field(..., ge=1, le=7)
    handle_item: str = Field("", max_length=2)
    content: dict[str, Any]


class ProblemOut(Schema):
    field: str
    message: str


class DraftOut(Schema):
    item_id: int
    code: str
    state: str
    revision: int
    content: dict[str, Any]
    current_version: int | None
    problems: list[ProblemOut]


class DraftIn(Schema):
    content: dict[str, Any]
    revision: int = Field(..., ge=1)


class SubmitIn(Schema):
    kind: ChangeKind = ChangeKind.PUBLISH
    reason: str = Field("", max_length=2000)


class ReviewIn(Schema):
    comment: str = Field("", max_length=2000)


class ChangeRequestOut(Schema):
    id: int
    item_id: int
    code: str = Field(..., alias="item.code")
    name: str = Field(..., alias="item.entry.name")
    kind: str
    state: str
    reason: str
    submitted_at: dt.datetime
    review_comment: str


class ChangeRequestDetailOut(ChangeRequestOut):
    changes: list[ChangeOut]


def _draft_out(item: ServiceItem) -> dict[str, Any]:
    draft = item.draft
    problems: list[FieldError] = services.validation_report(draft.content)
    return {
        "item_id": item.pk,
        "code": item.code,
        "state": item.state,
        "revision": draft.revision,
        "content": draft.content,
        "current_version": item.current_version.number if item.current_version else None,
        "problems": [{"field": p.field, "message": p.message} for p in problems],
    }


@router.post("/entries", response={201: EntryOut}, summary="新增基本目录")
def entry_create(request: HttpRequest, payload: EntryIn) -> Status:
    entry = services.catalog_entry_create(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        task_type=payload.task_type,
        legal_basis=payload.legal_basis,
        levels=payload.levels,
    )
    return Status(201, entry)


@router.get("/drafts", response=list[DraftOut], summary="我可编辑的事项")
def draft_list(request: HttpRequest, limit: int = 50) -> Any:
    items = selectors.items_for_user(user=request.user).order_by("task_code")[: max(1, min(limit, 200))]
    return [_draft_out(item) for item in items]


@router.post("/drafts", response={201: DraftOut}, summary="新增实施清单事项（草稿）")
def draft_create(request: HttpRequest, payload: ItemIn) -> Status:
    entry = CatalogEntry.objects.filter(code=payload.catalog_code).first()
    if entry is None:
        raise not_found("基本目录")
    department = Department.objects.select_related("region").filter(pk=payload.department_id).first()
    if department is None:
        raise not_found("机构")
    item = services.item_create(
        actor=request.user,
        entry=entry,
        department=department,
        level=payload.level,
        handle_item=payload.handle_item,
        content=payload.content,
    )
    return Status(201, _draft_out(selectors.item_get_for_user(user=request.user, item_id=item.pk)))


@router.get("/drafts/{item_id}", response=DraftOut, summary="事项草稿及待修改问题")
def draft_detail(request: HttpRequest, item_id: int) -> Any:
    return _draft_out(selectors.item_get_for_user(user=request.user, item_id=item_id))


@router.put("/drafts/{item_id}", response=DraftOut, summary="保存草稿（带修订号防止覆盖他人修改）")
def draft_save(request: HttpRequest, item_id: int, payload: DraftIn) -> Any:
    selectors.item_get_for_user(user=request.user, item_id=item_id)
    services.draft_update(actor=request.user, item_id=item_id, content=payload.content, revision=payload.revision)
    return _draft_out(selectors.item_get_for_user(user=request.user, item_id=item_id))


@router.post("/drafts/{item_id}/submit", response={201: ChangeRequestOut}, summary="提交变更申请")
def draft_submit(request: HttpRequest, item_id: int, payload: SubmitIn) -> Status:
    selectors.item_get_for_user(user=request.user, item_id=item_id)
    change = services.change_submit(actor=request.user, item_id=item_id, kind=payload.kind, reason=payload.reason)
    return Status(201, ChangeRequest.objects.select_related("item__entry").get(pk=change.pk))


@router.get("/changes", response=list[ChangeRequestOut], summary="待审核的变更申请")
def change_queue(request: HttpRequest) -> Any:
    return list(selectors.review_queue_for_user(user=request.user)[:200])


@router.get("/changes/{change_id}", response=ChangeRequestDetailOut, summary="变更申请及与现行版本的差异")
def change_detail(request: HttpRequest, change_id: int) -> Any:
    change = selectors.review_queue_for_user(user=request.user).filter(pk=change_id).first()
    if change is None:
        raise not_found("变更申请")
    current = change.item.current_version
    changes = content_diff(current.content if current else None, change.content) if change.content else []
    change.changes = [_change_out(c) for c in changes]  # type: ignore[attr-defined]
    return change


@router.post("/changes/{change_id}/approve", response=ChangeRequestOut, summary="审核通过并发布")
def change_approve(request: HttpRequest, change_id: int, payload: ReviewIn) -> Any:
    services.change_approve(actor=request.user, change_id=change_id, comment=payload.comment)
    return ChangeRequest.objects.select_related("item__entry").get(pk=change_id)


@router.post("/changes/{change_id}/return", response=ChangeRequestOut, summary="退回变更申请")
def change_return(request: HttpRequest, change_id: int, payload: ReviewIn) -> Any:
    services.change_return(actor=request.user, change_id=change_id, comment=payload.comment)
    return ChangeRequest.objects.select_related("item__entry").get(pk=change_id)


@router.post("/changes/{change_id}/withdraw", response=ChangeRequestOut, summary="撤回变更申请")
def change_withdraw(request: HttpRequest, change_id: int) -> Any:
    services.change_withdraw(actor=request.user, change_id=change_id)
    return ChangeRequest.objects.select_related("item__entry").get(pk=change_id)
