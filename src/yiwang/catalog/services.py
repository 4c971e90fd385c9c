"""Writes of the catalog: entries, items and drafts, change requests, review and publishing (动态管理).

Each transition: guard → lock → early return → state → ``save(update_fields)`` → audit row. A published
``ItemVersion`` is inserted once and its content never updated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from yiwang.accounts.permissions import Action, scopes_for
from yiwang.audit.services import record
from yiwang.catalog.choices import ChangeKind, ChangeRequestState, ItemLevel, ItemState, ServiceObject, TaskType
from yiwang.catalog.models import CatalogEntry, ChangeRequest, ItemDraft, ItemVersion, ServiceItem
from yiwang.catalog.rules import check_content
from yiwang.catalog.schema import ItemContent, content_dump
from yiwang.core.errors import DomainError, ErrorCode, FieldError, not_found, permission_denied
from yiwang.regions.models import Department

CATALOG_CODE = re.compile(r"^[0-9A-Z]{12}$")
PERSON_OBJECTS = {ServiceObject.NATURAL_PERSON.value}


def department_can_edit(actor: Any, department: Department) -> bool:
    """May ``actor`` edit this department's items? The one rule: ``Department.objects.restrict``."""
    if actor is None:
        return True
    return Department.objects.restrict(actor, Action.CATALOG_EDIT).filter(pk=department.pk).exists()


def _require_edit(actor: Any, department: Department) -> None:
    if not department_can_edit(actor, department):
        raise permission_denied("只能编辑本部门的事项")


def _require_review(actor: Any, department: Department) -> None:
    if actor is None:
        return
    if not any(department.region.path.startswith(s.region_path) for s in scopes_for(actor, Action.CATALOG_REVIEW)):
        raise permission_denied("只有政务服务管理机构可以审核发布事项")


def known_usccs() -> set[str]:
    return set(Department.objects.values_list("uscc", flat=True))


def _validated(raw: Any) -> ItemContent:
    content, errors = check_content(raw, known_usccs=known_usccs())
    if content is None:
        located = [FieldError(field=f"content.{e.field}", message=e.message, code=e.code) for e in errors]
        raise DomainError(
            ErrorCode.VALIDATION, f"事项内容有 {len(errors)} 处需要修改：{errors[0].message}", errors=located
        )
    return content


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@transaction.atomic
def catalog_entry_create(
    *, actor: Any, code: str, name: str, task_type: str, legal_basis: str, levels: list[int]
) -> CatalogEntry:
    """新增基本目录 (政务服务管理机构)."""
    if actor is not None and not scopes_for(actor, Action.CATALOG_REVIEW):
        raise permission_denied("只有政务服务管理机构可以维护基本目录")
    code = code.strip().upper()
    if not CATALOG_CODE.match(code):
        raise DomainError(ErrorCode.VALIDATION, "基本编码应为12位数字或大写字母", field="code")
    if task_type not in TaskType.values:
        raise DomainError(ErrorCode.VALIDATION, "事项类型代码不正确", field="task_type")
    if code[2:4] != task_type:
        raise DomainError(ErrorCode.VALIDATION, f"基本编码第3–4位应为事项类型代码 {task_type}", field="code")
    if not levels or any(level not in ItemLevel.values for level in levels):
        raise DomainError(ErrorCode.VALIDATION, "行使层级应为 1–7 中的一个或多个", field="levels")
    if not name.strip() or not legal_basis.strip():
        raise DomainError(
            ErrorCode.VALIDATION, "请填写事项名称和设定依据", field="name" if not name.strip() else "legal_basis"
        )
    if CatalogEntry.objects.filter(code=code).exists():
        raise DomainError(ErrorCode.CONFLICT, f"基本编码 {code} 已存在", field="code")
    entry = CatalogEntry.objects.create(
        code=code, name=name.strip(), task_type=task_type, legal_basis=legal_basis.strip(), levels=sorted(set(levels))
    )
    record(actor=actor, action="catalog_entry.create", target=entry, changes={"code": [None, code]})
    return entry


def task_code_for(department: Department, level: int, entry: CatalogEntry) -> str:
    """实施编码 = 实施主体统一社会信用代码 (18) + 行使层级代码 (1) + 基本编码 (12) — STANDARDS §1.1."""
    return f"{department.uscc}{level}{entry.code}"


@transaction.atomic
def item_create(
    *,
    actor: Any,
    entry: CatalogEntry,
    department: Department,
    level: int,
    handle_item: str = "",
    content: dict[str, Any],
) -> ServiceItem:
    """新增实施清单事项 with its first draft. ``handle_item`` (2 digits) makes it a 业务办理项."""
    _require_edit(actor, department)
    if level not in entry.levels:
        raise DomainError(ErrorCode.VALIDATION, "行使层级不在基本目录规定的层级之内", field="level")
    if handle_item and not re.fullmatch(r"[0-9]{2}", handle_item):
        raise DomainError(ErrorCode.VALIDATION, "业务办理项序号应为2位数字", field="handle_item")
    task_code = task_code_for(department, level, entry)
    handle_code = task_code + handle_item if handle_item else ""
    if ServiceItem.objects.filter(task_code=task_code, handle_item_code=handle_code).exists():
        raise DomainError(ErrorCode.CONFLICT, f"实施编码 {handle_code or task_code} 已存在", field="task_code")
    try:
        with transaction.atomic():
            item = ServiceItem.objects.create(
                task_code=task_code, handle_item_code=handle_code, entry=entry, department=department, level=level
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.CONFLICT, f"实施编码 {handle_code or task_code} 已存在", field="task_code") from exc
    ItemDraft.objects.create(item=item, content=content, updated_by=actor)
    record(actor=actor, action="item.create", target=item, changes={"task_code": [None, item.code]})
    return item


@transaction.atomic
def draft_update(*, actor: Any, item_id: int, content: dict[str, Any], revision: int) -> ItemDraft:
    """保存草稿. Any JSON object may be saved (the editor shows what is still missing); ``revision``
    must be the one the editor loaded — a concurrent save by a colleague wins, this one is refused."""
    if not isinstance(content, dict):
        raise DomainError(ErrorCode.VALIDATION, "事项内容应为 JSON 对象", field="content")
    draft = (
        ItemDraft.objects.select_for_update().select_related("item__department__region").filter(item_id=item_id).first()
    )
    if draft is None:
        raise not_found("事项")
    _require_edit(actor, draft.item.department)
    if draft.item.state == ItemState.CANCELLED:
        raise DomainError(ErrorCode.INVALID_STATE, "已取消的事项不能再编辑")
    if draft.revision != revision:
        raise DomainError(ErrorCode.CONFLICT, "草稿已被他人修改，请刷新后再编辑", field="revision")
    if draft.content == content:
        return draft
    draft.content = content
    draft.revision += 1
    draft.updated_at = timezone.now()
    draft.updated_by = actor
    draft.save(update_fields=["content", "revision", "updated_at", "updated_by"])
    record(actor=actor, action="item.draft_update", target=draft.item, changes={"revision": [revision, draft.revision]})
    return draft


@transaction.atomic
def change_submit(*, actor: Any, item_id: int, kind: str = ChangeKind.PUBLISH, reason: str = "") -> ChangeRequest:
    """提交变更申请: the draft must pass every publishing rule; its content is frozen in the request."""
    item = ServiceItem.objects.select_for_update().select_related("department__region").filter(pk=item_id).first()
    if item is None:
        raise not_found("事项")
    _require_edit(actor, item.department)
    if kind not in ChangeKind.values:
        raise DomainError(ErrorCode.VALIDATION, "申请类型不正确", field="kind")
    if item.state == ItemState.CANCELLED:
        raise DomainError(ErrorCode.INVALID_STATE, "已取消的事项不能再提交变更")
    if ChangeRequest.objects.filter(item=item, state=ChangeRequestState.SUBMITTED).exists():
        raise DomainError(ErrorCode.CONFLICT, "该事项已有待审核的变更申请")
    content: dict[str, Any] | None = None
    if kind == ChangeKind.PUBLISH:
        content = content_dump(_validated(item.draft.content))
        if item.current_version_id and item.current_version and item.current_version.content == content:
            raise DomainError(ErrorCode.INVALID_STATE, "草稿与现行版本相同，无需提交")
    elif item.state != ItemState.PUBLISHED:
        raise DomainError(ErrorCode.INVALID_STATE, "只有已发布的事项可以申请取消")
    elif not reason.strip():
        raise DomainError(ErrorCode.VALIDATION, "申请取消事项须说明理由", field="reason")
    try:
        with transaction.atomic():
            change = ChangeRequest.objects.create(
                item=item,
                kind=kind,
                state=ChangeRequestState.SUBMITTED,
                content=content,
                reason=reason.strip(),
                submitted_by=actor,
            )
    except IntegrityError as exc:  # a concurrent submit won
        raise DomainError(ErrorCode.CONFLICT, "该事项已有待审核的变更申请") from exc
    record(actor=actor, action="change.submit", target=item, changes={"kind": kind, "change": change.pk})
    return change


def _lock_open_change(change_id: int) -> ChangeRequest:
    change = (
        ChangeRequest.objects.select_for_update()
        .select_related("item__department__region")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        raise not_found("变更申请")
    return change


@transaction.atomic
def change_return(*, actor: Any, change_id: int, comment: str) -> ChangeRequest:
    """退回变更申请 with comments; the department edits the draft and submits again."""
    change = _lock_open_change(change_id)
    _require_review(actor, change.item.department)
    if change.state != ChangeRequestState.SUBMITTED:
        raise DomainError(ErrorCode.INVALID_STATE, f"该申请{change.get_state_display()}，不能退回")
    if not comment.strip():
        raise DomainError(ErrorCode.VALIDATION, "退回须填写审核意见", field="comment")
    change.state = ChangeRequestState.RETURNED
    change.reviewed_by = actor
    change.reviewed_at = timezone.now()
    change.review_comment = comment.strip()
    change.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    record(
        actor=actor,
        action="change.return",
        target=change.item,
        changes={"change": change.pk},
        purpose=comment.strip()[:200],
    )
    return change


@transaction.atomic
def change_withdraw(*, actor: Any, change_id: int) -> ChangeRequest:
    """撤回 a submitted request (by the department that submitted it)."""
    change = _lock_open_change(change_id)
    _require_edit(actor, change.item.department)
    if change.state != ChangeRequestState.SUBMITTED:
        raise DomainError(ErrorCode.INVALID_STATE, f"该申请{change.get_state_display()}，不能撤回")
    change.state = ChangeRequestState.WITHDRAWN
    change.save(update_fields=["state"])
    record(actor=actor, action="change.withdraw", target=change.item, changes={"change": change.pk})
    return change


def _denormalised(content: ItemContent) -> dict[str, Any]:
    objects = set(content.service_objects)
    return {
        "name": content.name,
        "for_persons": bool(objects & PERSON_OBJECTS),
        "for_organisations": bool(objects - PERSON_OBJECTS),
        "themes": list(content.themes),
        "is_instant": content.case_kind == "1",
        "is_fully_online": content.online_depth == 4,
        "in_hall": content.in_hall,
        "commitment": content.commitment,
        "deferrable": any(m.necessity == "deferrable" for m in content.materials),
        # 免证办: the applicant brings no certificate the government issued — at least one is fetched
        # electronically and none has to be brought.
        "licence_free": any(m.exempt for m in content.materials)
        and all(m.exempt for m in content.materials if m.source == "government"),
        "auto_approval": content.auto_approval,
        "high_frequency": content.high_frequency,
        "legal_days": content.legal_limit.value,
        "promise_days": content.promise_limit.value,
        "visits": content.visits,
    }


@transaction.atomic
def change_approve(*, actor: Any, change_id: int, comment: str = "") -> ItemVersion | None:
    """审核通过: publish the frozen content as a new immutable version (or cancel the item).

    The new version is effective from today and the one it supersedes ends yesterday (or today, if it
    was itself published today). Returns the new version (None for a cancellation).
    """
    change = _lock_open_change(change_id)
    item = ServiceItem.objects.select_for_update().select_related("entry", "department").get(pk=change.item_id)
    _require_review(actor, item.department)
    if change.state != ChangeRequestState.SUBMITTED:
        raise DomainError(ErrorCode.INVALID_STATE, f"该申请{change.get_state_display()}，不能再审核")
    today = timezone.localdate()
    previous = item.current_version
    content = _validated(change.content) if change.kind == ChangeKind.PUBLISH else None
    # End the version in effect first: at most one version per item may be open (version_one_in_effect).
    if previous is not None and previous.effective_until is None:
        previous.effective_until = max(today - dt.timedelta(days=1), previous.effective_from) if content else today
        previous.save(update_fields=["effective_until"])
    version: ItemVersion | None = None
    if content is not None:  # the rules may have changed since it was submitted: validated again above
        dumped = content_dump(content)
        number = (ItemVersion.objects.filter(item=item).aggregate(n=Max("number"))["n"] or 0) + 1
        version = ItemVersion.objects.create(
            item=item,
            number=number,
            content=dumped,
            content_hash=content_hash(dumped),
            effective_from=today,
            published_by=actor,
            change_request=change,
            task_type=item.entry.task_type,
            department=item.department,
            level=item.level,
            **_denormalised(content),
        )
        item.current_version = version
        item.state = ItemState.PUBLISHED
    else:
        item.state = ItemState.CANCELLED
    item.save(update_fields=["current_version", "state"])
    change.state = ChangeRequestState.APPROVED
    change.reviewed_by = actor
    change.reviewed_at = timezone.now()
    change.review_comment = comment.strip()
    change.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    if version is not None:
        ItemDraft.objects.filter(item=item).update(base_version=version)
    record(
        actor=actor,
        action="change.approve",
        target=item,
        changes={"change": change.pk, "kind": change.kind, "version": version.number if version else None},
    )
    return version


@transaction.atomic
def publish_directly(*, actor: Any, item: ServiceItem, reason: str = "") -> ItemVersion:
    """Submit and approve in one go — for the demo loader and imports run by the platform itself."""
    change = change_submit(actor=actor, item_id=item.pk, reason=reason)
    version = change_approve(actor=actor, change_id=change.pk)
    assert version is not None  # noqa: S101 — a publish request always yields a version
    return version


def validation_report(raw: Any) -> list[FieldError]:
    """What still keeps a draft from being submitted (shown beside the editor)."""
    return check_content(raw, known_usccs=known_usccs())[1]
