"""好差评 API at ``/api/v1/evaluations``.

- Citizens: the reason codes, my service events (待评价 / 已评价) and the orders awaiting my 回访, rating a
  service (``PUT /events/{id}/evaluation``: 201 the first time, 200 for a change within the period), and
  confirming the rectification of my 差评 (``POST /orders/{id}/revisit``).
- Window clerks: record a visit and ask for a rating on the window's tablet (``POST /visits``), ask again.
- Handlers (``EVALUATION_HANDLE``): the order queues, 核实, 整改. Reviewers (``EVALUATION_REVIEW``): 申诉复核,
  statistics, the export. 12345 agents: 回访 by phone.

Nobody rates for anyone else: a staff session is refused (403) on the rating endpoint whatever the event,
and a citizen who is not the event's rater gets the same 404 as for no event. Hall tablets rate through
their pages (device cookie), never through this API.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status

from yiwang.core.errors import DomainError, ErrorCode
from yiwang.evaluations import conf, present, selectors, services, stats
from yiwang.evaluations.models import Evaluation, WindowVisit
from yiwang.evaluations.schemas import (
    EvaluationOut,
    ExportQuery,
    MineOut,
    OrderOut,
    OrderPageOut,
    OrdersQuery,
    RateIn,
    ReasonOut,
    RectifyIn,
    ReviewIn,
    RevisitIn,
    ServiceEventOut,
    StatsOut,
    StatsQuery,
    VerifyIn,
    VisitIn,
    VisitOut,
)

router = Router(tags=["好差评"])

MINE_LIMIT = 100


def _order_out(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    return present.order_detail(order, viewer=request.user)


def _visit_out(visit: WindowVisit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "service_event_id": visit.service_event_id,
        "window_id": visit.window_id,
        "topic": visit.topic,
        "served_at": visit.served_at,
        "rating_requested_at": visit.rating_requested_at,
        "rating_request_until": visit.rating_request_until,
        "rated": Evaluation.objects.filter(service_event_id=visit.service_event_id).exists(),
    }


def _require_citizen(user: Any) -> None:
    if selectors.is_staff(user):
        raise DomainError(ErrorCode.PERMISSION_DENIED, services.STAFF_CANNOT_RATE)


# --- citizens -----------------------------------------------------------------------------------------


@router.get("/reasons", response=list[ReasonOut], auth=None, summary="差评原因代码（可配置）")
def reason_list(request: HttpRequest) -> Any:
    return [{"code": code, "label": label} for code, label in conf.reasons().items()]


@router.get("/mine", response=MineOut, summary="我的评价：待评价的服务、已评价的服务、待我确认整改结果的差评")
def mine(request: HttpRequest) -> Any:
    user: Any = request.user
    _require_citizen(user)
    pending = list(selectors.events_pending_for(user=user)[:MINE_LIMIT])
    evaluations = list(selectors.evaluations_of(user=user)[:MINE_LIMIT])
    orders = present.open_orders_by_evaluation(e.pk for e in evaluations)
    revisits = list(selectors.orders_to_revisit_for(user=user).select_related("department", "window")[:MINE_LIMIT])
    return {
        "pending": [present.event_dict(e, evaluation=None) for e in pending],
        "rated": [present.event_dict(e.service_event, evaluation=e, order_id=orders.get(e.pk)) for e in evaluations],
        "revisits": [present.order_row(o) for o in revisits],
    }


@router.get("/events/{int:event_id}", response=ServiceEventOut, summary="一项可评价的服务（仅评价人本人）")
def event_detail(request: HttpRequest, event_id: int) -> Any:
    _require_citizen(request.user)
    event = selectors.event_get_for_rater(user=request.user, event_id=event_id)
    evaluation = Evaluation.objects.filter(service_event=event).first()
    order_id = present.open_orders_by_evaluation([evaluation.pk]).get(evaluation.pk) if evaluation else None
    return present.event_dict(event, evaluation=evaluation, order_id=order_id)


@router.put(
    "/events/{int:event_id}/evaluation",
    response={200: EvaluationOut, 201: EvaluationOut},
    summary="评价或修改评价（仅办件申请人本人；差评须选原因或填写文字）",
    description="首次评价返回201，评价后可修改期限内的修改返回200。工作人员账号一律403；"
    "不是评价人的群众得到404。不满意、非常不满意自动生成差评整改单。",
)
def event_rate(request: HttpRequest, event_id: int, payload: RateIn) -> Any:
    evaluation, created = services.evaluation_submit(
        actor=request.user,
        service_event_id=event_id,
        level=payload.level,
        channel=payload.channel,
        reasons=payload.reasons,
        text=payload.text,
    )
    order_id = present.open_orders_by_evaluation([evaluation.pk]).get(evaluation.pk)
    return Status(201 if created else 200, present.evaluation_dict(evaluation, order_id=order_id))


# --- window clerks --------------------------------------------------------------------------------------


@router.post("/visits", response={201: VisitOut}, summary="登记窗口服务并请群众在评价器上评价（一次一评）")
def visit_record(request: HttpRequest, payload: VisitIn) -> Any:
    visit = services.window_visit_record(
        actor=request.user,
        window_id=payload.window_id,
        topic=payload.topic,
        case_id=payload.case_id,
        request_rating=payload.request_rating,
    )
    return Status(201, _visit_out(visit))


@router.post("/visits/{int:visit_id}/request-rating", response=VisitOut, summary="再次请群众评价（仅本人服务的）")
def visit_request(request: HttpRequest, visit_id: int) -> Any:
    return _visit_out(services.window_visit_request_rating(actor=request.user, visit_id=visit_id))


# --- orders ---------------------------------------------------------------------------------------------


@router.get("/orders", response=OrderPageOut, summary="差评整改单队列（按整改期限排序）")
def order_list(request: HttpRequest, query: Query[OrdersQuery]) -> Any:
    user: Any = request.user
    if not selectors.is_staff(user):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "仅限工作人员")
    queryset = selectors.order_queue(user=user, name=query.queue)
    count = queryset.count()
    start = (query.page - 1) * query.page_size
    rows = list(queryset[start : start + query.page_size])
    return {
        "queue": query.queue,
        "label": selectors.ORDER_QUEUES[query.queue],
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "items": [present.order_row(o) for o in rows],
    }


@router.get("/orders/{int:order_id}", response=OrderOut, summary="差评整改单详情")
def order_detail(request: HttpRequest, order_id: int) -> Any:
    return _order_out(request, order_id)


@router.post(
    "/orders/{int:order_id}/verify",
    response=OrderOut,
    summary="核实差评（责任部门）",
    description="两人同时核实同一整改单时只有一人成功，另一人得到409（invalid_state）。被评价的工作人员不能核实。",
)
def order_verify(request: HttpRequest, order_id: int, payload: VerifyIn) -> Any:
    services.order_verify(actor=request.user, order_id=order_id, verdict=payload.verdict, note=payload.note)
    return _order_out(request, order_id)


@router.post("/orders/{int:order_id}/review", response=OrderOut, summary="申诉复核（监察、政务服务管理机构）")
def order_review(request: HttpRequest, order_id: int, payload: ReviewIn) -> Any:
    services.order_review(actor=request.user, order_id=order_id, decision=payload.decision, note=payload.note)
    return _order_out(request, order_id)


@router.post("/orders/{int:order_id}/rectify", response=OrderOut, summary="登记整改完成（责任部门）")
def order_rectify(request: HttpRequest, order_id: int, payload: RectifyIn) -> Any:
    services.order_rectify(actor=request.user, order_id=order_id, measures=payload.measures)
    return _order_out(request, order_id)


@router.post(
    "/orders/{int:order_id}/revisit",
    response=OrderOut,
    summary="回访：记录群众对整改结果的满意程度（评价人本人，或12345、管理机构的回访人员）",
)
def order_revisit(request: HttpRequest, order_id: int, payload: RevisitIn) -> Any:
    services.order_revisit(
        actor=request.user, order_id=order_id, level=payload.level, method=payload.method, note=payload.note
    )
    return _order_out(request, order_id)


# --- statistics and export ------------------------------------------------------------------------------


@router.get("/stats", response=StatsOut, summary="好差评统计：主动评价率、好评率、差评核实率、整改率、回访率")
def stats_view(request: HttpRequest, query: Query[StatsQuery]) -> Any:
    rows, total = stats.evaluation_stats(
        user=request.user,
        by=query.by,
        date_from=query.date_from,
        date_to=query.date_to,
        department_id=query.department_id,
    )
    return {
        "by": query.by,
        "date_from": query.date_from,
        "date_to": query.date_to,
        "rows": [r.as_dict() for r in rows],
        "total": total.as_dict(),
    }


@router.get(
    "/export",
    summary="导出评价数据（好差评上报格式：5 非常满意 … 1 非常不满意）",
    response={200: None},
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV（UTF-8 带 BOM）或 xlsx",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            }
        }
    },
)
def export(request: HttpRequest, query: Query[ExportQuery]) -> HttpResponse:
    return export_response(
        user=request.user,
        fmt=query.format,
        date_from=query.date_from,
        date_to=query.date_to,
        department_id=query.department_id,
    )


def export_response(*, user: Any, fmt: str, date_from: Any, date_to: Any, department_id: int | None) -> HttpResponse:
    """The export file (shared with the statistics page); the export itself is audited."""
    from yiwang.audit.services import record

    rows = stats.export_rows(user=user, date_from=date_from, date_to=date_to, department_id=department_id)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    if fmt == "xlsx":
        body = stats.export_xlsx(rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = stats.export_csv(rows)
        content_type = "text/csv; charset=utf-8"
    record(
        actor=user,
        action="evaluation.export",
        object_type="evaluations.evaluation",
        changes={"rows": len(rows), "format": fmt, "from": str(date_from or ""), "to": str(date_to or "")},
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="evaluations-{stamp}.{fmt}"'
    return response
