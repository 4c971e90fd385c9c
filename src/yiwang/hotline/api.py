"""12345 API (诉求) at ``/api/v1/hotline``: the same services and selectors as the pages.

- Citizens: file a 诉求 (``web`` / ``mobile``), list their own, read one (without internal events), rate it.
- 话务员 and 办不成事 windows (``HOTLINE_TAKE``): register calls (``phone`` / ``window``), the duplicate hint,
  dispatch, transfer, close, revisit, 抽查回访 results.
- 承办单位 (``HOTLINE_HANDLE``): sign for, return, reply, request an extension, answer a 督办.
- 监督 (``HOTLINE_SUPERVISE``): 督办, extension decisions, 抽查回访 draws, the quarterly analysis (JSON and CSV).

Anyone who may not see a ticket gets the same 404 as for one that does not exist; someone who may see it but
not act on it gets the service's 403 or 409, and nothing is written. A staff read of a ticket is audited.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from yiwang.accounts.permissions import Action, scopes_for
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied
from yiwang.hotline import analysis, keywords, selectors, services
from yiwang.hotline.choices import INTERNAL_EVENTS, OPEN_STATES, TicketSource
from yiwang.hotline.models import Category, Extension, SpotCheck, Supervision, Ticket
from yiwang.hotline.schemas import (
    AnalysisOut,
    CallerOut,
    CategoryOut,
    DecideIn,
    DispatchIn,
    DuplicateOut,
    DuplicateQueryIn,
    ExtensionIn,
    ExtensionOut,
    NoteIn,
    PageQuery,
    PurposeIn,
    QuarterQuery,
    QueueQuery,
    ReasonIn,
    ReplyIn,
    RespondIn,
    RevisitIn,
    SpotCheckOut,
    SpotDrawIn,
    SpotRecordIn,
    SuperviseIn,
    SupervisionOut,
    TicketIn,
    TicketOut,
    TicketPageOut,
    TransferIn,
)
from yiwang.regions.models import Region, Window

router = Router(tags=["12345诉求"])


# --- helpers ---------------------------------------------------------------------------------------------


def row_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "source": ticket.source,
        "ticket_type": ticket.ticket_type,
        "urgency": ticket.urgency,
        "state": ticket.state,
        "state_label": ticket.get_state_display(),
        "title": ticket.title,
        "category": ticket.category.name if ticket.category_id and ticket.category else "",
        "department": ticket.department.name if ticket.department_id and ticket.department else "",
        "registered_at": ticket.registered_at,
        "due_at": ticket.due_at,
        "overdue": ticket.state in OPEN_STATES and ticket.due_at < clock.now(),
    }


def detail_out(ticket: Ticket, *, staff: bool) -> dict[str, Any]:
    events = [e for e in selectors.ticket_events(ticket=ticket) if staff or e.action not in INTERNAL_EVENTS]
    data = row_out(ticket) | {
        "content": ticket.content,
        "region_code": ticket.region.code,
        "address": ticket.address,
        "caller_name": ticket.caller_name_masked,
        "caller_phone": ticket.caller_phone_masked,
        "first_department": ticket.first_department.name if ticket.first_department else "",
        "reply": ticket.reply,
        "reply_outcome": ticket.reply_outcome,
        "replied_at": ticket.replied_at,
        "closed_at": ticket.closed_at,
        "satisfaction": ticket.satisfaction,
        "solved": ticket.solved,
        "reopen_count": ticket.reopen_count,
        "extended_days": ticket.extended_days,
        "events": [
            {
                "seq": e.seq,
                "action": e.action,
                "action_label": e.get_action_display(),
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor_name": e.actor_name if staff else "",
                "department": e.department.name if e.department else "",
                "reason": e.reason,
                "at": e.at,
            }
            for e in events
        ],
        "stages": selectors.window_stages(ticket=ticket),
    }
    if staff:
        data["extensions"] = [extension_out(x) for x in ticket.extensions.select_related("department")]
        data["supervisions"] = [supervision_out(s) for s in ticket.supervisions.select_related("department")]
    return data


def extension_out(extension: Extension) -> dict[str, Any]:
    return {
        "id": extension.pk,
        "ticket_id": extension.ticket_id,
        "days": extension.days,
        "reason": extension.reason,
        "state": extension.state,
        "department": extension.department.name,
        "requested_at": extension.requested_at,
        "decided_at": extension.decided_at,
        "decision_note": extension.decision_note,
    }


def supervision_out(supervision: Supervision) -> dict[str, Any]:
    return {
        "id": supervision.pk,
        "ticket_id": supervision.ticket_id,
        "kind": supervision.kind,
        "message": supervision.message,
        "department": supervision.department.name if supervision.department else "",
        "created_at": supervision.created_at,
        "response": supervision.response,
        "responded_at": supervision.responded_at,
    }


def spot_out(check: SpotCheck) -> dict[str, Any]:
    return {
        "id": check.pk,
        "ticket_id": check.ticket_id,
        "ticket_number": check.ticket.number,
        "batch": check.batch,
        "state": check.state,
        "satisfaction": check.satisfaction,
        "solved": check.solved,
    }


def _visible(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_get_for_user(user=request.user, ticket_id=ticket_id)


def _after(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    """The ticket as the caller sees it after his action (no audit row: he just acted on it)."""
    ticket = selectors.ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    return detail_out(ticket, staff=selectors.is_staff_side(request.user))


def _page(queryset: Any, page: int, size: int) -> tuple[int, list[Ticket]]:
    count = queryset.count()
    return count, list(queryset[(page - 1) * size : page * size])


def _require_staff(request: HttpRequest) -> None:
    if not selectors.is_staff_side(request.user):
        raise permission_denied("仅限12345话务员、承办单位和监督人员")


# --- public reads ----------------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], auth=None, summary="诉求分类（树，按层级排列）")
def category_list(request: HttpRequest) -> Any:
    rows = list(Category.objects.filter(is_active=True).order_by("position", "code"))
    parents = {c.parent_id for c in rows if c.parent_id}
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "parent_id": c.parent_id,
            "leaf": c.pk not in parents,
            "default_type": c.default_type,
        }
        for c in rows
    ]


# --- filing and the citizen's side -----------------------------------------------------------------------


@router.post("/tickets", response={201: TicketOut}, summary="提交或登记诉求")
def ticket_create(request: HttpRequest, payload: TicketIn) -> Status:
    region = Region.objects.filter(code=payload.region_code).first()
    if region is None:
        raise DomainError(ErrorCode.VALIDATION, "受理区划代码不存在", field="region_code")
    window = None
    if payload.window_id is not None:
        window = Window.objects.filter(pk=payload.window_id, is_active=True).first()
        if window is None:
            raise DomainError(ErrorCode.VALIDATION, "受理窗口不存在", field="window_id")
    ticket = services.ticket_create(
        actor=request.user,
        source=payload.source,
        ticket_type=payload.ticket_type,
        urgency=payload.urgency,
        category_id=payload.category_id,
        title=payload.title,
        content=payload.content,
        region=region,
        window=window,
        address=payload.address,
        caller_name=payload.caller_name,
        caller_phone=payload.caller_phone,
    )
    return Status(201, _after(request, ticket.pk))


@router.get("/tickets/mine", response=TicketPageOut, summary="我的诉求")
def ticket_list_mine(request: HttpRequest, query: Query[PageQuery]) -> Any:
    count, rows = _page(selectors.ticket_list_for_citizen(user=request.user), query.page, query.page_size)
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [row_out(t) for t in rows]}


# --- staff -----------------------------------------------------------------------------------------------


@router.get("/tickets", response=TicketPageOut, summary="工单队列（本人范围内）")
def ticket_queue(request: HttpRequest, query: Query[QueueQuery]) -> Any:
    _require_staff(request)
    queryset = selectors.queue(user=request.user, name=query.queue)
    count, rows = _page(queryset, query.page, query.page_size)
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [row_out(t) for t in rows]}


@router.post("/tickets/duplicates", response=list[DuplicateOut], summary="疑似重复诉求提示（来电登记时）")
def ticket_duplicates(request: HttpRequest, payload: DuplicateQueryIn) -> Any:
    if not scopes_for(request.user, Action.HOTLINE_TAKE):
        raise permission_denied("仅限12345话务员和办不成事窗口人员")
    phone = services.normalise_phone(payload.caller_phone)
    words = keywords.extract(f"{payload.title}。{payload.content}") if (payload.title or payload.content) else []
    rows = selectors.duplicates_for(user=request.user, phone_index=services.phone_index(phone), keywords=words)
    return [
        {
            "id": t.pk,
            "number": t.number,
            "title": t.title,
            "state": t.state,
            "registered_at": t.registered_at,
            "reasons": reasons,
        }
        for t, reasons in rows
    ]


@router.get("/tickets/{int:ticket_id}", response=TicketOut, summary="诉求详情与办理过程")
def ticket_detail(request: HttpRequest, ticket_id: int) -> Any:
    ticket = _visible(request, ticket_id)
    staff = ticket.citizen_id != getattr(request.user, "pk", None) and selectors.is_staff_side(request.user)
    if staff:
        services.ticket_view_record(actor=request.user, ticket=ticket)
    return detail_out(ticket, staff=staff)


@router.post(
    "/tickets/{int:ticket_id}/caller", response=CallerOut, summary="查看诉求人完整联系方式（须说明用途，留痕）"
)
def ticket_caller(request: HttpRequest, ticket_id: int, payload: PurposeIn) -> Any:
    _visible(request, ticket_id)
    return services.ticket_caller_reveal(actor=request.user, ticket_id=ticket_id, purpose=payload.purpose)


@router.post("/tickets/{int:ticket_id}/dispatch", response=TicketOut, summary="派单（首接负责，可同时分类）")
def ticket_dispatch(request: HttpRequest, ticket_id: int, payload: DispatchIn) -> Any:
    _visible(request, ticket_id)
    services.ticket_dispatch(
        actor=request.user,
        ticket_id=ticket_id,
        department_id=payload.department_id,
        ticket_type=payload.ticket_type,
        urgency=payload.urgency,
        category_id=payload.category_id,
        note=payload.note,
    )
    return _after(request, ticket_id)


@router.post("/tickets/{int:ticket_id}/transfer", response=TicketOut, summary="转办到其他承办单位")
def ticket_transfer(request: HttpRequest, ticket_id: int, payload: TransferIn) -> Any:
    _visible(request, ticket_id)
    services.ticket_transfer(
        actor=request.user, ticket_id=ticket_id, department_id=payload.department_id, reason=payload.reason
    )
    return _after(request, ticket_id)


@router.post("/tickets/{int:ticket_id}/accept", response=TicketOut, summary="签收（承办单位）")
def ticket_accept(request: HttpRequest, ticket_id: int) -> Any:
    _visible(request, ticket_id)
    services.ticket_accept(actor=request.user, ticket_id=ticket_id)
    return _after(request, ticket_id)


@router.post("/tickets/{int:ticket_id}/return", summary="退回（非本单位职责）")
def ticket_return(request: HttpRequest, ticket_id: int, payload: ReasonIn) -> HttpResponse:
    _visible(request, ticket_id)
    services.ticket_return(actor=request.user, ticket_id=ticket_id, reason=payload.reason)
    return HttpResponse(status=204)  # the returning department no longer sees the ticket


@router.post("/tickets/{int:ticket_id}/reply", response=TicketOut, summary="答复（承办单位）")
def ticket_reply(request: HttpRequest, ticket_id: int, payload: ReplyIn) -> Any:
    _visible(request, ticket_id)
    services.ticket_reply(actor=request.user, ticket_id=ticket_id, reply=payload.reply, outcome=payload.outcome)
    return _after(request, ticket_id)


@router.post("/tickets/{int:ticket_id}/close", response=TicketOut, summary="办结")
def ticket_close(request: HttpRequest, ticket_id: int, payload: NoteIn) -> Any:
    _visible(request, ticket_id)
    services.ticket_close(actor=request.user, ticket_id=ticket_id, note=payload.note)
    return _after(request, ticket_id)


@router.post("/tickets/{int:ticket_id}/revisit", response=TicketOut, summary="回访或评价（未解决则重新办理）")
def ticket_revisit(request: HttpRequest, ticket_id: int, payload: RevisitIn) -> Any:
    _visible(request, ticket_id)
    services.ticket_revisit(
        actor=request.user,
        ticket_id=ticket_id,
        satisfaction=payload.satisfaction,
        solved=payload.solved,
        method=payload.method,
        note=payload.note,
    )
    return _after(request, ticket_id)


@router.post("/tickets/{int:ticket_id}/extensions", response={201: ExtensionOut}, summary="申请延期（期限届满前）")
def ticket_extension_request(request: HttpRequest, ticket_id: int, payload: ExtensionIn) -> Status:
    _visible(request, ticket_id)
    extension = services.ticket_extension_request(
        actor=request.user, ticket_id=ticket_id, days=payload.days, reason=payload.reason
    )
    return Status(201, extension_out(Extension.objects.select_related("department").get(pk=extension.pk)))


@router.post("/extensions/{int:extension_id}/decide", response=ExtensionOut, summary="审批延期申请")
def extension_decide(request: HttpRequest, extension_id: int, payload: DecideIn) -> Any:
    ticket_id = Extension.objects.filter(pk=extension_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise not_found("延期申请")
    _visible(request, ticket_id)
    extension = services.ticket_extension_decide(
        actor=request.user, extension_id=extension_id, approve=payload.approve, note=payload.note
    )
    return extension_out(Extension.objects.select_related("department").get(pk=extension.pk))


@router.post("/tickets/{int:ticket_id}/supervisions", response={201: SupervisionOut}, summary="督办")
def ticket_supervise(request: HttpRequest, ticket_id: int, payload: SuperviseIn) -> Status:
    _visible(request, ticket_id)
    supervision = services.ticket_supervise(actor=request.user, ticket_id=ticket_id, message=payload.message)
    return Status(201, supervision_out(Supervision.objects.select_related("department").get(pk=supervision.pk)))


@router.post("/supervisions/{int:supervision_id}/respond", response=SupervisionOut, summary="督办反馈（承办单位）")
def supervision_respond(request: HttpRequest, supervision_id: int, payload: RespondIn) -> Any:
    ticket_id = Supervision.objects.filter(pk=supervision_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise not_found("督办")
    _visible(request, ticket_id)
    supervision = services.ticket_supervision_respond(
        actor=request.user, supervision_id=supervision_id, response=payload.response
    )
    return supervision_out(Supervision.objects.select_related("department").get(pk=supervision.pk))


@router.post("/spot-checks", response={201: list[SpotCheckOut]}, summary="抽取抽查回访工单（办不成事：抽查回访）")
def spot_check_draw(request: HttpRequest, payload: SpotDrawIn) -> Status:
    checks = services.ticket_spot_check_draw(
        actor=request.user,
        batch=payload.batch,
        count=payload.count,
        closed_from=payload.closed_from,
        closed_to=payload.closed_to,
        source=None if payload.source == "all" else TicketSource.WINDOW,
    )
    return Status(201, [spot_out(c) for c in checks])


@router.post("/spot-checks/{int:check_id}/record", response=SpotCheckOut, summary="记录抽查回访结果")
def spot_check_record(request: HttpRequest, check_id: int, payload: SpotRecordIn) -> Any:
    if not selectors.spot_checks_for(user=request.user).filter(pk=check_id).exists():
        raise not_found("抽查回访")
    check = services.ticket_spot_check_record(
        actor=request.user,
        spot_check_id=check_id,
        satisfaction=payload.satisfaction,
        solved=payload.solved,
        note=payload.note,
    )
    return spot_out(SpotCheck.objects.select_related("ticket").get(pk=check.pk))


# --- analysis --------------------------------------------------------------------------------------------


@router.get(
    "/analysis", response=AnalysisOut, summary="季度分析（受理量、热点、上升话题、各单位响应率解决率满意率、超期）"
)
def analysis_report(request: HttpRequest, query: Query[QuarterQuery]) -> Any:
    report = analysis.quarter_report(user=request.user, quarter=analysis.quarter_parse(query.quarter))
    return {
        "quarter": report["quarter"].code,
        "previous_quarter": report["previous"].code,
        "total": report["total"],
        "previous_total": report["previous_total"],
        "by_type": report["by_type"],
        "by_source": report["by_source"],
        "organisations": report["organisations"],
        "hot_topics": report["hot_topics"],
        "rising_topics": report["rising_topics"],
        "overdue_count": report["overdue_count"],
        "overdue": [row_out(t) for t in report["overdue"]],
    }


@router.get("/analysis.csv", summary="季度分析导出（CSV，UTF-8 BOM）")
def analysis_csv(request: HttpRequest, query: Query[QuarterQuery]) -> HttpResponse:
    report = analysis.quarter_report(user=request.user, quarter=analysis.quarter_parse(query.quarter))
    response = HttpResponse(analysis.quarter_csv(report).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hotline-{report["quarter"].code}.csv"'
    return response
