"""Reads of 诉求, always scoped (CONVENTIONS rule 8).

Who sees a ticket:

- 受理 (``HOTLINE_TAKE``: 话务员, 办不成事 window clerks) and 监督 (``HOTLINE_SUPERVISE``): tickets whose
  受理区划 lies in their region subtree;
- 承办 (``HOTLINE_HANDLE``): tickets currently dispatched to a department in their scope;
- a citizen: the tickets he filed while signed in (``citizen``).

Anyone else gets the same not-found answer as for a ticket that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from yiwang.accounts.permissions import Action, department_q, region_q, scopes_for
from yiwang.core import clock
from yiwang.core.errors import not_found
from yiwang.hotline.choices import (
    OPEN_STATES,
    WITH_DEPARTMENT_STATES,
    ExtensionState,
    TicketState,
)
from yiwang.hotline.keywords import similar
from yiwang.hotline.models import Extension, SpotCheck, Supervision, Ticket, TicketEvent
from yiwang.regions.models import Department

DUPLICATE_DAYS_DEFAULT = 30
DUPLICATE_CANDIDATES = 500  # recent tickets compared by keywords (the newest first)


def _none() -> Q:
    return Q(pk__in=[])


def duplicate_days() -> int:
    """How far back the duplicate hint looks (``YIWANG_HOTLINE_DUPLICATE_DAYS``, default 30 days)."""
    return int(getattr(settings, "YIWANG_HOTLINE_DUPLICATE_DAYS", DUPLICATE_DAYS_DEFAULT))


def handled_departments_q(user: Any) -> Q:
    """Departments whose tickets ``user`` handles (``HOTLINE_HANDLE``)."""
    return department_q(user, Action.HOTLINE_HANDLE)


def staff_ticket_q(user: Any, action: str) -> Q:
    """Tickets inside ``user``'s scopes for ``action``."""
    if not scopes_for(user, action):
        return _none()
    if action == Action.HOTLINE_HANDLE:
        departments = Department.objects.filter(handled_departments_q(user)).values("pk")
        return Q(department_id__in=departments)
    return region_q(user, action, path_field="region__path")


def staff_view_q(user: Any) -> Q:
    return (
        staff_ticket_q(user, Action.HOTLINE_TAKE)
        | staff_ticket_q(user, Action.HOTLINE_SUPERVISE)
        | staff_ticket_q(user, Action.HOTLINE_HANDLE)
    )


def citizen_ticket_q(user: Any) -> Q:
    if user is None or not user.is_authenticated:
        return _none()
    return Q(citizen_id=user.pk)


def is_staff_side(user: Any) -> bool:
    return any(
        scopes_for(user, action) for action in (Action.HOTLINE_TAKE, Action.HOTLINE_HANDLE, Action.HOTLINE_SUPERVISE)
    )


def ticket_may(user: Any, action: str, ticket: Ticket) -> bool:
    """Whether ``ticket`` lies in ``user``'s scope for ``action`` (one query)."""
    return Ticket.objects.filter(staff_ticket_q(user, action), pk=ticket.pk).exists()


def ticket_get_for_user(*, user: Any, ticket_id: int) -> Ticket:
    """The ticket if ``user`` may see it (staff scope or the citizen who filed it)."""
    ticket = (
        Ticket.objects.filter(staff_view_q(user) | citizen_ticket_q(user), pk=ticket_id)
        .select_related("category", "region", "department", "first_department", "citizen", "created_by", "window")
        .first()
    )
    if ticket is None:
        raise not_found("诉求")
    return ticket


def ticket_list_for_citizen(*, user: Any) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(citizen_ticket_q(user))
        .select_related("category", "department")
        .order_by("-registered_at", "-id")
    )


def ticket_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("department").order_by("seq")


def now() -> dt.datetime:
    return clock.now()


def overdue_q(*, at: dt.datetime | None = None) -> Q:
    """Open tickets past their deadline."""
    return Q(state__in=OPEN_STATES, due_at__lt=at or now())


QUEUES: dict[str, str] = {
    "dispatch": "待派单",
    "department": "本单位待办",
    "replied": "待办结",
    "revisit": "待回访",
    "overdue": "超期工单",
    "extensions": "延期待审批",
    "supervised": "督办待反馈",
    "all": "全部工单",
}

# Which grant shows a queue (the rows themselves are scoped by ``queue``).
QUEUE_ACTIONS: dict[str, tuple[str, ...]] = {
    "dispatch": (Action.HOTLINE_TAKE,),
    "department": (Action.HOTLINE_HANDLE,),
    "replied": (Action.HOTLINE_TAKE,),
    "revisit": (Action.HOTLINE_TAKE,),
    "overdue": (Action.HOTLINE_SUPERVISE, Action.HOTLINE_TAKE, Action.HOTLINE_HANDLE),
    "extensions": (Action.HOTLINE_SUPERVISE,),
    "supervised": (Action.HOTLINE_HANDLE, Action.HOTLINE_SUPERVISE),
    "all": (Action.HOTLINE_TAKE, Action.HOTLINE_SUPERVISE, Action.HOTLINE_HANDLE),
}


def queues_for(user: Any) -> list[str]:
    return [name for name, actions in QUEUE_ACTIONS.items() if any(scopes_for(user, a) for a in actions)]


def queue(*, user: Any, name: str) -> QuerySet[Ticket]:
    """A work queue, scoped to ``user``; unknown names (or ones he has no grant for) are not found."""
    if name not in queues_for(user):
        raise not_found("队列")
    take = Ticket.objects.filter(staff_ticket_q(user, Action.HOTLINE_TAKE))
    handle = Ticket.objects.filter(staff_ticket_q(user, Action.HOTLINE_HANDLE))
    supervise = Ticket.objects.filter(staff_ticket_q(user, Action.HOTLINE_SUPERVISE))
    view = Ticket.objects.filter(staff_view_q(user))
    order: tuple[str, ...] = ("due_at", "registered_at", "id")
    match name:
        case "dispatch":
            qs = take.filter(state=TicketState.REGISTERED)
        case "department":
            qs = handle.filter(state__in=WITH_DEPARTMENT_STATES)
        case "replied":
            qs = take.filter(state=TicketState.REPLIED)
        case "revisit":
            qs = take.filter(state=TicketState.CLOSED)
            order = ("closed_at", "id")
        case "overdue":
            qs = view.filter(overdue_q())
        case "extensions":
            pending = Extension.objects.filter(ticket_id=OuterRef("pk"), state=ExtensionState.PENDING)
            qs = supervise.filter(Exists(pending))
        case "supervised":
            open_supervision = Supervision.objects.filter(ticket_id=OuterRef("pk"), responded_at__isnull=True)
            qs = view.filter(Exists(open_supervision), state__in=OPEN_STATES)
        case _:
            qs = view
            order = ("-registered_at", "-id")
    return qs.select_related("category", "department").order_by(*order)


def duplicates_for(
    *,
    user: Any,
    phone_index: str,
    keywords: list[str],
    exclude_id: int | None = None,
    days: int | None = None,
    limit: int = 5,
) -> list[tuple[Ticket, list[str]]]:
    """疑似重复: tickets ``user`` may see, filed within ``days`` days, from the same phone (blind index)
    or on a similar topic (shared jieba keywords). Returns ``(ticket, reasons)`` pairs, newest first."""
    since = now() - dt.timedelta(days=days if days is not None else duplicate_days())
    visible = Ticket.objects.filter(staff_view_q(user) | citizen_ticket_q(user), registered_at__gte=since)
    if exclude_id is not None:
        visible = visible.exclude(pk=exclude_id)
    found: dict[int, tuple[Ticket, list[str]]] = {}
    if phone_index:
        for ticket in visible.filter(caller_phone_index=phone_index).order_by("-registered_at")[:limit]:
            found[ticket.pk] = (ticket, ["同一联系电话"])
    if keywords:
        for ticket in visible.order_by("-registered_at", "-id")[:DUPLICATE_CANDIDATES]:
            shared = similar(keywords, list(ticket.keywords or []))
            if not shared:
                continue
            reason = "主题相近（" + "、".join(shared) + "）"
            if ticket.pk in found:
                found[ticket.pk][1].append(reason)
            else:
                found[ticket.pk] = (ticket, [reason])
    rows = sorted(found.values(), key=lambda pair: (pair[0].registered_at, pair[0].pk), reverse=True)
    return rows[:limit]


def pending_extension(*, ticket: Ticket) -> Extension | None:
    return ticket.extensions.filter(state=ExtensionState.PENDING).first()


def spot_checks_for(*, user: Any) -> QuerySet[SpotCheck]:
    """抽查回访 rows of tickets ``user`` may take or supervise, pending first."""
    q = staff_ticket_q(user, Action.HOTLINE_TAKE) | staff_ticket_q(user, Action.HOTLINE_SUPERVISE)
    tickets = Ticket.objects.filter(q).values("pk")
    return (
        SpotCheck.objects.filter(ticket_id__in=tickets)
        .select_related("ticket", "ticket__department")
        .order_by("-state", "-drawn_at", "-id")  # "pending" sorts after "done": descending puts it first
    )


def window_stages(*, ticket: Ticket) -> list[dict[str, Any]]:
    """The five steps of the 办不成事 window for ``ticket`` (Gonghe 十八), each ``done`` / ``current`` /
    ``todo`` with a short note: 接受登记 (registered), 分类处置 (classified and dispatched), 限时办结
    (closed; on time or not), 评价反馈 (the citizen's rating or the revisit), 抽查回访 (drawn and visited,
    or not drawn)."""
    from yiwang.hotline.choices import DONE_STATES, WindowStage

    check = SpotCheck.objects.filter(ticket_id=ticket.pk).first()
    on_time = ticket.replied_at is not None and ticket.replied_at <= ticket.due_at
    done = [
        True,
        ticket.dispatched_at is not None and ticket.state != TicketState.REGISTERED,
        ticket.state in DONE_STATES,
        ticket.revisited_at is not None and ticket.state == TicketState.REVISITED,
        check is not None and check.state == "done",
    ]
    notes = [
        f"{ticket.get_source_display()}受理",
        ticket.department.name if ticket.department_id and ticket.department else "待派单",
        ("按期办结" if on_time else "超期办结") if done[2] else "办理中",
        ticket.get_satisfaction_display() if ticket.satisfaction else "待评价",
        ("已抽查回访" if done[4] else "已抽中，待回访") if check else "未抽中",
    ]
    stages = []
    current_found = False
    for stage, is_done, note in zip(WindowStage, done, notes, strict=True):
        status = "done" if is_done else ("todo" if current_found else "current")
        if not is_done:
            current_found = True
        stages.append({"number": int(stage), "label": stage.label, "status": status, "note": note})
    return stages
