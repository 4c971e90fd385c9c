"""Reads of 好差评, always scoped.

- A citizen sees the service events whose rater he is, his evaluations and the orders they opened.
- Staff see orders by grant: ``EVALUATION_HANDLE`` the orders of their department (a window clerk's
  region-wide grant reaches only orders about a hall window — "window clerks for their hall");
  ``EVALUATION_REVIEW`` every order and statistic of their region; ``HOTLINE_TAKE`` (12345 回访) the orders
  of their region, to record revisits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from yiwang.accounts.choices import StaffRole, UserKind
from yiwang.accounts.models import StaffAssignment
from yiwang.accounts.permissions import Action, scopes_for
from yiwang.core import clock
from yiwang.core.errors import not_found
from yiwang.evaluations.choices import RUNNING_ORDER_STATES, OrderState
from yiwang.evaluations.models import (
    Evaluation,
    HallDevice,
    OrderEvent,
    RectificationOrder,
    ServiceEvent,
    WindowVisit,
)
from yiwang.regions.models import Window


def _none() -> Q:
    return Q(pk__in=[])


def today() -> dt.date:
    return timezone.localdate(clock.now())


def is_staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and getattr(user, "kind", None) == UserKind.STAFF)


def is_citizen(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and getattr(user, "kind", None) == UserKind.CITIZEN)


# --- scope Qs on RectificationOrder ------------------------------------------------------------------


def _department_scope_q(user: Any, action: str, *, prefix: str = "department", clerk_windows_only: bool) -> Q:
    q = _none()
    for scope in scopes_for(user, action):
        part = Q(**{f"{prefix}__region__path__startswith": scope.region_path})
        if scope.department_id is not None:
            part &= Q(**{f"{prefix}_id": scope.department_id})
        if clerk_windows_only and scope.role == StaffRole.WINDOW_CLERK:
            part &= Q(window__isnull=False)
        q |= part
    return q


def order_handle_q(user: Any) -> Q:
    """Orders ``user`` handles (核实、整改)."""
    return _department_scope_q(user, Action.EVALUATION_HANDLE, clerk_windows_only=True)


def order_review_q(user: Any) -> Q:
    """Orders ``user`` reviews (申诉复核) and counts in statistics."""
    return _department_scope_q(user, Action.EVALUATION_REVIEW, clerk_windows_only=False)


def order_revisit_q(user: Any) -> Q:
    """Orders ``user`` may record a revisit of as staff (12345 回访 or the 管理机构), never his own department's."""
    q = _department_scope_q(user, Action.HOTLINE_TAKE, clerk_windows_only=False) | order_review_q(user)
    department_id = getattr(user, "department_id", None)
    if department_id is not None:
        q &= ~Q(department_id=department_id)
    return q & ~Q(staff_id=user.pk)


def order_citizen_q(user: Any) -> Q:
    if not is_citizen(user):
        return _none()
    return Q(evaluation__rater_id=user.pk)


def order_visible_q(user: Any) -> Q:
    if is_citizen(user):
        return order_citizen_q(user)
    if not is_staff(user):
        return _none()
    return order_handle_q(user) | order_review_q(user) | order_revisit_q(user)


def order_may(user: Any, order: RectificationOrder, q: Q) -> bool:
    return RectificationOrder.objects.filter(q, pk=order.pk).exists()


def order_get_for_user(*, user: Any, order_id: int) -> RectificationOrder:
    """The order if ``user`` may see it, else the same not-found answer as for no order."""
    order = (
        RectificationOrder.objects.filter(order_visible_q(user), pk=order_id)
        .select_related(
            "department",
            "window",
            "window__venue",
            "staff",
            "evaluation",
            "evaluation__service_event",
            "evaluation__service_event__case",
            "evaluation__service_event__item",
            "verified_by",
            "reviewed_by",
            "rectified_by",
            "revisited_by",
        )
        .first()
    )
    if order is None:
        raise not_found("整改单")
    return order


def order_events(*, order: RectificationOrder) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor").order_by("seq")


ORDER_QUEUES: dict[str, str] = {
    "verifying": "待核实",
    "appealing": "申诉复核",
    "rectifying": "整改中",
    "revisiting": "待回访",
    "overdue": "超期未整改",
    "closed": "已办结",
}


def order_queue(*, user: Any, name: str, on: dt.date | None = None) -> QuerySet[RectificationOrder]:
    """A work queue of orders, scoped: 待核实 and 整改中 for handlers, 申诉复核 for reviewers, 待回访 for
    revisitors, 超期 and 已办结 for anyone who sees the order."""
    on = on or today()
    match name:
        case "verifying":
            qs = RectificationOrder.objects.filter(order_handle_q(user), state=OrderState.VERIFYING)
        case "appealing":
            qs = RectificationOrder.objects.filter(order_review_q(user), state=OrderState.APPEALING)
        case "rectifying":
            qs = RectificationOrder.objects.filter(order_handle_q(user), state=OrderState.RECTIFYING)
        case "revisiting":
            qs = RectificationOrder.objects.filter(
                order_revisit_q(user) | order_handle_q(user), state=OrderState.REVISITING
            )
        case "overdue":
            qs = RectificationOrder.objects.filter(order_visible_q(user), state__in=RUNNING_ORDER_STATES, due__lt=on)
        case "closed":
            qs = RectificationOrder.objects.filter(
                order_visible_q(user), state__in=[OrderState.CLOSED, OrderState.VOIDED, OrderState.WITHDRAWN]
            )
        case _:
            raise not_found("队列")
    return qs.select_related(
        "department", "window", "evaluation", "evaluation__service_event", "evaluation__service_event__case"
    ).order_by("due", "id")


def order_is_overdue(order: RectificationOrder, *, on: dt.date | None = None) -> bool:
    """超期: still to be rectified after the deadline (the computed flag; escalations are recorded apart)."""
    return order.state in RUNNING_ORDER_STATES and order.due < (on or today())


# --- citizen side --------------------------------------------------------------------------------------


def events_pending_for(*, user: Any, now: dt.datetime | None = None) -> QuerySet[ServiceEvent]:
    """Service events awaiting ``user``'s rating: his, not yet rated, still inside the rating period."""
    if not is_citizen(user):
        return ServiceEvent.objects.none()
    now = now or clock.now()
    rated = Evaluation.objects.filter(service_event_id=OuterRef("pk"))
    return (
        ServiceEvent.objects.filter(rater_id=user.pk, rate_until__gte=now)
        .exclude(Exists(rated))
        .select_related("case", "department", "window")
        .order_by("-occurred_at", "-id")
    )


def evaluations_of(*, user: Any) -> QuerySet[Evaluation]:
    if not is_citizen(user):
        return Evaluation.objects.none()
    return (
        Evaluation.objects.filter(rater_id=user.pk)
        .select_related("service_event", "service_event__case", "service_event__department")
        .order_by("-rated_at", "-id")
    )


def event_get_for_rater(*, user: Any, event_id: int) -> ServiceEvent:
    """A service event ``user`` may rate (or has rated); anyone else gets not-found."""
    if not is_citizen(user):
        raise not_found("可评价的服务")
    event = (
        ServiceEvent.objects.filter(pk=event_id, rater_id=user.pk)
        .select_related("case", "department", "window", "item")
        .first()
    )
    if event is None:
        raise not_found("可评价的服务")
    return event


def orders_to_revisit_for(*, user: Any) -> QuerySet[RectificationOrder]:
    if not is_citizen(user):
        return RectificationOrder.objects.none()
    return (
        RectificationOrder.objects.filter(order_citizen_q(user), state=OrderState.REVISITING)
        .select_related("evaluation", "evaluation__service_event", "evaluation__service_event__case")
        .order_by("-rectified_at", "-id")
    )


# --- windows and devices --------------------------------------------------------------------------------


def windows_of_clerk(*, user: Any) -> list[Window]:
    """The windows ``user`` is assigned to (岗位授权 with a window)."""
    if not is_staff(user):
        return []
    ids = StaffAssignment.objects.filter(user_id=user.pk, window__isnull=False).values("window_id")
    return list(
        Window.objects.filter(pk__in=ids, is_active=True).select_related("venue").order_by("venue_id", "number")
    )


def visits_of_clerk(*, user: Any, limit: int = 20) -> list[WindowVisit]:
    return list(
        WindowVisit.objects.filter(staff_id=user.pk)
        .select_related("window", "service_event", "service_event__evaluation")
        .order_by("-served_at", "-id")[:limit]
    )


def visit_pending_at(*, window_id: int, now: dt.datetime | None = None) -> WindowVisit | None:
    """The visit the window's tablet shows: the newest one its clerk asked to be rated, still unrated,
    not declined and not expired."""
    now = now or clock.now()
    rated = Evaluation.objects.filter(service_event_id=OuterRef("service_event_id"))
    return (
        WindowVisit.objects.filter(window_id=window_id, rating_request_until__gt=now, declined_at__isnull=True)
        .exclude(Exists(rated))
        .select_related("window", "window__venue", "staff")
        .order_by("-rating_requested_at", "-id")
        .first()
    )


def device_manage_q(user: Any) -> Q:
    """Windows whose hall devices ``user`` may register: a platform administrator of the venue's region
    (``ORG_MANAGE``) or an administrator of the hall's operating department (``STAFF_MANAGE``)."""
    q = _none()
    for scope in scopes_for(user, Action.ORG_MANAGE):
        q |= Q(venue__region__path__startswith=scope.region_path)
    for scope in scopes_for(user, Action.STAFF_MANAGE):
        part = Q(venue__operator__region__path__startswith=scope.region_path)
        if scope.department_id is not None:
            part &= Q(venue__operator_id=scope.department_id)
        q |= part
    return q


def windows_for_devices(*, user: Any) -> QuerySet[Window]:
    return (
        Window.objects.filter(device_manage_q(user), is_active=True)
        .select_related("venue")
        .order_by("venue__name", "number")
    )


def devices_for(*, user: Any) -> QuerySet[HallDevice]:
    windows = Window.objects.filter(device_manage_q(user)).values("pk")
    return (
        HallDevice.objects.filter(window_id__in=windows)
        .select_related("window", "window__venue")
        .order_by("window__venue__name", "window__number", "name")
    )
