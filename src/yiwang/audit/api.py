"""API of the audit app: the log and its verification, for platform admins and supervisors."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from yiwang.accounts.permissions import Action, user_can
from yiwang.audit.selectors import audit_events_for_user, audit_verify
from yiwang.core.errors import permission_denied

router = Router(tags=["安全审计"])


class AuditEventOut(Schema):
    id: int
    seq: int | None
    occurred_at: dt.datetime
    actor_username: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    purpose: str
    ip: str | None


class VerifyOut(Schema):
    ok: bool
    checked: int
    unsealed: int
    broken_id: int | None
    broken_seq: int | None
    message: str


@router.get("/events", response=list[AuditEventOut], summary="审计日志（最新在前）")
def audit_events(request: HttpRequest, object_type: str = "", object_id: str = "", limit: int = 100) -> object:
    if not user_can(request.user, Action.AUDIT_VIEW):
        raise permission_denied("只有管理员和监察人员可以查看审计日志")
    limit = max(1, min(limit, 500))
    return list(audit_events_for_user(user=request.user, object_type=object_type, object_id=object_id)[:limit])


@router.get("/verify", response=VerifyOut, summary="校验审计哈希链")
def audit_chain_verify(request: HttpRequest) -> dict[str, object]:
    if not user_can(request.user, Action.AUDIT_VIEW):
        raise permission_denied("只有管理员和监察人员可以校验审计日志")
    report = audit_verify()
    return {
        "ok": report.ok,
        "checked": report.checked,
        "unsealed": report.unsealed,
        "broken_id": report.broken_id,
        "broken_seq": report.broken_seq,
        "message": report.describe(),
    }
