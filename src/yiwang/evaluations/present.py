"""Plain dicts of events, evaluations and orders, shared by the API and the pages (so both show the same)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yiwang.core import clock
from yiwang.core.masking import mask_name
from yiwang.evaluations import conf, selectors
from yiwang.evaluations.choices import OPEN_ORDER_STATES, Channel, Level, OrderAction, OrderState, ServiceKind
from yiwang.evaluations.models import Evaluation, RectificationOrder, ServiceEvent


def _window(window: Any) -> str:
    return f"{window.number} {window.name}" if window is not None else ""


def evaluation_dict(evaluation: Evaluation, *, order_id: int | None = None) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": evaluation.pk,
        "service_event_id": evaluation.service_event_id,
        "level": evaluation.level,
        "level_label": Level(evaluation.level).label,
        "level_code": conf.level_code(evaluation.level),
        "channel": evaluation.channel,
        "channel_label": Channel(evaluation.channel).label,
        "reasons": list(evaluation.reasons),
        "reason_labels": conf.reason_labels(list(evaluation.reasons)),
        "text": evaluation.text,
        "rated_at": evaluation.rated_at,
        "changed_at": evaluation.changed_at,
        "change_until": evaluation.change_until,
        "changeable": evaluation.voided_at is None
        and evaluation.rater_id is not None
        and now <= evaluation.change_until,
        "voided": evaluation.voided_at is not None,
        "order_id": order_id,
    }


def open_orders_by_evaluation(evaluation_ids: Iterable[int]) -> dict[int, int]:
    """The live (or else latest) order of each evaluation: one query for a page."""
    out: dict[int, int] = {}
    rows = RectificationOrder.objects.filter(evaluation_id__in=list(evaluation_ids)).order_by("id")
    for evaluation_id, order_id, state in rows.values_list("evaluation_id", "pk", "state"):
        if evaluation_id not in out or state in OPEN_ORDER_STATES:
            out[evaluation_id] = order_id
    return out


def event_dict(event: ServiceEvent, *, evaluation: Evaluation | None, order_id: int | None = None) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "kind_label": ServiceKind(event.kind).label,
        "title": event.title,
        "case_id": event.case_id,
        "case_number": event.case.number if event.case_id and event.case else "",
        "department_name": event.department.name,
        "window": _window(event.window),
        "occurred_at": event.occurred_at,
        "rate_until": event.rate_until,
        "evaluation": evaluation_dict(evaluation, order_id=order_id) if evaluation else None,
    }


def order_row(order: RectificationOrder) -> dict[str, Any]:
    evaluation = order.evaluation
    event = evaluation.service_event
    return {
        "id": order.pk,
        "state": order.state,
        "state_label": OrderState(order.state).label,
        "level": evaluation.level,
        "level_label": Level(evaluation.level).label,
        "case_number": event.case.number if event.case_id and event.case else "",
        "title": event.title,
        "department_name": order.department.name,
        "window": _window(order.window),
        "opened_at": order.opened_at,
        "due": order.due,
        "overdue": selectors.order_is_overdue(order),
    }


def _name(user: Any) -> str:
    return (user.display_name or user.username) if user is not None else ""


def order_detail(order: RectificationOrder, *, viewer: Any) -> dict[str, Any]:
    """An order as ``viewer`` sees it: staff see who did what; the citizen sees what was done, not by whom."""
    evaluation = order.evaluation
    event = evaluation.service_event
    staff_view = selectors.is_staff(viewer)
    applicant = ""
    if event.case_id and event.case:
        applicant = mask_name(event.case.applicant_name)
    events = [
        {
            "seq": e.seq,
            "action": e.action,
            "action_label": OrderAction(e.action).label,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": (_name(e.actor) or "系统") if staff_view else ("" if e.actor_id else "系统"),
            "note": e.note,
            "at": e.at,
        }
        for e in selectors.order_events(order=order)
    ]
    return {
        **order_row(order),
        "reasons": list(evaluation.reasons),
        "reason_labels": conf.reason_labels(list(evaluation.reasons)),
        "text": evaluation.text,
        "applicant": applicant,
        "staff": _name(order.staff) if staff_view else "",
        "verdict": order.verdict,
        "verify_note": order.verify_note,
        "review_decision": order.review_decision,
        "review_note": order.review_note,
        "measures": order.measures,
        "rectified_at": order.rectified_at,
        "revisit_level": order.revisit_level,
        "revisit_method": order.revisit_method,
        "revisit_note": order.revisit_note,
        "revisited_at": order.revisited_at,
        "escalations": sorted(order.escalations.values_list("level", flat=True)),
        "events": events,
    }
