"""Every write to a 诉求: one function per transition (CONVENTIONS rule 3).

Each transition checks who may do it, locks the ticket row (``select_for_update``), checks the state,
sets the new state, saves with ``update_fields`` and appends exactly one ``TicketEvent`` and one audit
row. Two people doing the same thing to one ticket at once queue on the lock; the second sees the state
the first left and is refused, so exactly one wins. Pages, the API, Open311 and other apps (a bad
evaluation, the assistant's hand-off) call these functions and nothing else.

The flow (STANDARDS §5: 受理 → 派单 → 办理 → 回复 → 督办 → 办结 → 回访 → 评价)::

    ticket_create ─▶ registered ─dispatch─▶ dispatched ─accept─▶ handling ─reply─▶ replied ─close─▶ closed
                       ▲   return ◀──────────────┴───────────────────┘ (transfer: to another department)
                       │                                                                         │ revisit
                       └──── reopen (not solved) ◀── dispatched ◀──────────────────────────────┘─▶ revisited
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from yiwang.accounts.choices import UserKind
from yiwang.accounts.permissions import Action, department_q, region_q, scopes_for
from yiwang.audit.services import record
from yiwang.core import clock, crypto
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied
from yiwang.core.masking import mask_name, mask_phone
from yiwang.hotline import deadlines, keywords, seeds
from yiwang.hotline.choices import (
    DONE_STATES,
    OPEN_STATES,
    PUBLIC_SOURCES,
    STAFF_SOURCES,
    WITH_DEPARTMENT_STATES,
    EventAction,
    ExtensionState,
    ReplyOutcome,
    RevisitMethod,
    Satisfaction,
    SpotCheckState,
    SupervisionKind,
    TicketSource,
    TicketState,
    TicketType,
    Urgency,
)
from yiwang.hotline.models import (
    Category,
    DeadlineRule,
    Extension,
    Revisit,
    SpotCheck,
    Supervision,
    Ticket,
    TicketCounter,
    TicketEvent,
)
from yiwang.hotline.selectors import staff_ticket_q
from yiwang.regions.models import Department, Region, Window

NAME_CONTEXT = "hotline.Ticket.caller_name"
PHONE_CONTEXT = "hotline.Ticket.caller_phone"
EMAIL_CONTEXT = "hotline.Ticket.caller_email"
PHONE_INDEX_CONTEXT = "hotline.phone"
EXTENSION_MAX_DAYS = 10  # local default: one request adds at most ten working days (STANDARDS §5 gives none)
SYSTEM_NAME = "系统"
INTERNAL_SOURCES = (TicketSource.EVALUATION, TicketSource.ASSISTANT)

_PHONE = re.compile(r"^\+?\d{7,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- small helpers ---------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return clock.now()


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _actor_name(actor: Any) -> str:
    user = _user(actor)
    if user is None:
        return SYSTEM_NAME
    return (getattr(user, "display_name", "") or user.get_username())[:100]


def _text(value: str | None, *, field: str, label: str, min_length: int = 1, max_length: int = 2000) -> str:
    value = (value or "").strip()
    if len(value) < min_length:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"请填写{label}" + (f"（至少{min_length}个字）" if min_length > 1 else ""),
            field=field,
        )
    if len(value) > max_length:
        raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过{max_length}个字", field=field)
    return value


def normalise_phone(value: str | None) -> str:
    """A phone number without spaces and dashes; "" when empty. Refuses what is not a phone number."""
    phone = re.sub(r"[\s\-()（）]", "", value or "")
    if phone and not _PHONE.match(phone):
        raise DomainError(ErrorCode.VALIDATION, "联系电话格式不正确（7至15位数字，可带区号）", field="caller_phone")
    return phone


def phone_index(phone: str) -> str:
    """Blind index of a normalised phone number (for the duplicate hint); "" for no phone."""
    return crypto.blind_index(phone, context=PHONE_INDEX_CONTEXT) if phone else ""


def _choice(value: str, choices: Any, *, field: str, label: str) -> str:
    if value not in choices.values:
        allowed = "、".join(str(label_) for label_ in choices.labels)
        raise DomainError(ErrorCode.VALIDATION, f"{label}应为：{allowed}", field=field)
    return value


def _lock(ticket_id: int) -> Ticket:
    """The ticket row, locked until the transaction ends (see the module docstring for the race)."""
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None:
        raise not_found("诉求")
    return ticket


def _state_error(ticket: Ticket, doing: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, f"诉求当前状态为“{ticket.get_state_display()}”，不能{doing}")


def _require_state(ticket: Ticket, states: tuple[str, ...] | list[str], doing: str) -> None:
    if ticket.state not in states:
        raise _state_error(ticket, doing)


def _may(actor: Any, ticket: Ticket, *actions: str) -> bool:
    return any(
        scopes_for(actor, action) and Ticket.objects.filter(staff_ticket_q(actor, action), pk=ticket.pk).exists()
        for action in actions
    )


def _require(actor: Any, ticket: Ticket, *actions: str, message: str) -> None:
    if not _may(actor, ticket, *actions):
        raise permission_denied(message)


def _event(
    ticket: Ticket,
    *,
    action: str,
    from_state: str,
    actor: Any,
    department: Department | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append the ticket's next event and its audit row; the caller saves ``last_event_seq``."""
    ticket.last_event_seq += 1
    user = _user(actor)
    event = TicketEvent.objects.create(
        ticket=ticket,
        seq=ticket.last_event_seq,
        action=action,
        from_state=from_state,
        to_state=ticket.state,
        actor=user,
        actor_name=_actor_name(actor),
        department=department,
        reason=reason,
        data=data or {},
        at=_now(),
    )
    changes: dict[str, Any] = {"event": event.seq}
    if from_state != ticket.state:
        changes["state"] = [from_state, ticket.state]
    if department is not None:
        changes["department"] = department.pk
    record(actor=user, action=f"hotline.{action}", target=ticket, changes=changes)
    return event


def _save(ticket: Ticket, *fields: str) -> None:
    ticket.save(update_fields=[*fields, "last_event_seq"])


def _next_number(day: dt.date) -> str:
    """工单编号 ``H<yyyyMMdd><5 digits>``: the day's counter row is locked, so no two tickets share one."""
    TicketCounter.objects.get_or_create(day=day)  # get_or_create retries the get when a racer created it
    counter = TicketCounter.objects.select_for_update().get(day=day)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"H{day:%Y%m%d}{counter.last:05d}"


def _department_for_dispatch(actor: Any, department_id: int) -> Department:
    """An active department the actor may dispatch to (inside his 受理 region scope)."""
    department = (
        Department.objects.filter(department_q(actor, Action.HOTLINE_TAKE), pk=department_id, is_active=True)
        .select_related("region")
        .first()
    )
    if department is None:
        raise DomainError(ErrorCode.VALIDATION, "承办单位不存在或不在您的派单范围内", field="department_id")
    return department


def _leaf_category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id, is_active=True).first()
    if category is None or Category.objects.filter(parent=category, is_active=True).exists():
        raise DomainError(ErrorCode.VALIDATION, "请选择最末一级的诉求分类", field="category_id")
    return category


def _coordinate(value: Any, *, field: str, label: str, bound: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(ErrorCode.VALIDATION, f"{label}应为数字", field=field) from exc
    if not -bound <= number <= bound:
        raise DomainError(ErrorCode.VALIDATION, f"{label}应在 -{bound} 与 {bound} 之间", field=field)
    return number


def caller_of(ticket: Ticket) -> dict[str, str]:
    """The caller's name, phone and e-mail in clear — for the citizen's own page and the system's messages
    only; staff go through :func:`ticket_caller_reveal`, which asks a purpose and is audited."""
    return {
        "name": crypto.decrypt(ticket.caller_name_cipher, context=NAME_CONTEXT) if ticket.caller_name_cipher else "",
        "phone": crypto.decrypt(ticket.caller_phone_cipher, context=PHONE_CONTEXT)
        if ticket.caller_phone_cipher
        else "",
        "email": crypto.decrypt(ticket.caller_email_cipher, context=EMAIL_CONTEXT)
        if ticket.caller_email_cipher
        else "",
    }


# --- 受理登记 --------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    actor: Any,
    source: str,
    ticket_type: str,
    title: str,
    content: str,
    region: Region,
    category_id: int | None = None,
    urgency: str = Urgency.NORMAL,
    caller_name: str = "",
    caller_phone: str = "",
    caller_email: str = "",
    address: str = "",
    lat: Any = None,
    long: Any = None,
    attributes: Mapping[str, Any] | None = None,
    window: Window | None = None,
    citizen: Any = None,
    external_ref: str = "",
) -> Ticket:
    """受理登记 of a 诉求 from any channel.

    - ``phone`` and ``window``: staff with ``HOTLINE_TAKE`` over ``region`` (话务员, 办不成事 window).
    - ``web`` and ``mobile``: a signed-in citizen (it appears on his 我的诉求) or an anonymous person, who
      must leave a phone number.
    - ``open311``: anybody (the Open311 interface); contact data is optional, as in GeoReport v2.
    - ``evaluation`` and ``assistant``: other apps of the platform (the evaluations app hands over a bad
      rating with ``external_ref="evaluation:<id>"``; the same ref returns the first ticket again, so a
      retried hand-off never makes two tickets). ``citizen`` links the ticket to the citizen's account.
    """
    _choice(source, TicketSource, field="source", label="来源")
    _choice(ticket_type, TicketType, field="ticket_type", label="诉求类型")
    _choice(urgency, Urgency, field="urgency", label="紧急程度")
    user = _user(actor)
    is_staff = user is not None and user.kind == UserKind.STAFF
    external_ref = (external_ref or "").strip()[:64]
    if external_ref:
        existing = Ticket.objects.filter(source=source, external_ref=external_ref).first()
        if existing is not None:
            return existing
    linked_citizen = None
    if source in STAFF_SOURCES:
        if (
            not is_staff
            or not Region.objects.filter(region_q(user, Action.HOTLINE_TAKE, path_field="path"), pk=region.pk).exists()
        ):
            raise permission_denied("只有本区划的12345话务员或办不成事窗口人员可以登记该诉求")
        if source == TicketSource.WINDOW and window is None:
            raise DomainError(ErrorCode.VALIDATION, "请选择受理窗口", field="window")
    elif source in PUBLIC_SOURCES:
        if is_staff:
            raise permission_denied("工作人员请在工作台登记来电或窗口诉求")
        linked_citizen = user
        if user is None and not caller_phone.strip():
            raise DomainError(ErrorCode.VALIDATION, "未登录时请留下联系电话，以便答复和回访", field="caller_phone")
    elif source in INTERNAL_SOURCES:
        citizen_user = _user(citizen) or (user if user is not None and not is_staff else None)
        if citizen_user is not None and citizen_user.kind != UserKind.CITIZEN:
            raise DomainError(ErrorCode.VALIDATION, "关联账号须为群众账号", field="citizen")
        linked_citizen = citizen_user
    # open311: anybody; an API key's account is recorded as created_by.
    if window is not None and source != TicketSource.WINDOW:
        window = None
    category = _leaf_category(category_id)
    title = _text(title, field="title", label="标题", min_length=2, max_length=100)
    content = _text(content, field="content", label="诉求内容", min_length=5, max_length=2000)
    name = _text(caller_name, field="caller_name", label="诉求人姓名", min_length=0, max_length=50)
    if not name and linked_citizen is not None:
        name = (linked_citizen.display_name or "")[:50]
    phone = normalise_phone(caller_phone)
    email = (caller_email or "").strip()
    if email and (len(email) > 200 or not _EMAIL.match(email)):
        raise DomainError(ErrorCode.VALIDATION, "电子邮箱格式不正确", field="email")
    if source == TicketSource.PHONE and not phone:
        raise DomainError(ErrorCode.VALIDATION, "请填写来电号码", field="caller_phone")
    address = _text(address, field="address", label="事发地址", min_length=0, max_length=300)
    now = _now()
    ticket = Ticket(
        number=_next_number(timezone.localdate(now)),
        source=source,
        ticket_type=ticket_type,
        urgency=urgency,
        category=category,
        title=title,
        content=content,
        keywords=keywords.extract(f"{title}。{content}"),
        region=region,
        window=window,
        address=address,
        lat=_coordinate(lat, field="lat", label="纬度", bound=90),
        long=_coordinate(long, field="long", label="经度", bound=180),
        attributes=dict(attributes or {}),
        caller_name_cipher=crypto.encrypt(name, context=NAME_CONTEXT) if name else "",
        caller_name_masked=mask_name(name),
        caller_phone_cipher=crypto.encrypt(phone, context=PHONE_CONTEXT) if phone else "",
        caller_phone_index=phone_index(phone),
        caller_phone_masked=mask_phone(phone) if phone else "",
        caller_email_cipher=crypto.encrypt(email, context=EMAIL_CONTEXT) if email else "",
        citizen=linked_citizen,
        created_by=user if (is_staff or source == TicketSource.OPEN311) else None,
        external_ref=external_ref,
        open311_token=secrets.token_urlsafe(16) if source == TicketSource.OPEN311 else "",
        registered_at=now,
        due_at=deadlines.due_at(now, ticket_type=ticket_type, urgency=urgency),
        state=TicketState.REGISTERED,
    )
    ticket.save()
    _event(
        ticket,
        action=EventAction.CREATE,
        from_state="",
        actor=actor,
        data={"source": source, "type": ticket_type, "urgency": urgency, "due_at": ticket.due_at.isoformat()},
    )
    _save(ticket)
    return ticket


# --- 分类处置: 派单, 转办, 签收, 退回 -----------------------------------------------------------------------


@transaction.atomic
def ticket_dispatch(
    *,
    actor: Any,
    ticket_id: int,
    department_id: int,
    ticket_type: str | None = None,
    urgency: str | None = None,
    category_id: int | None = None,
    note: str = "",
) -> Ticket:
    """派单 (首接负责): give a registered ticket to its 承办单位, classifying it on the way (type, urgency,
    category). A changed type or urgency recomputes the deadline from 受理."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_TAKE, message="只有本区划的话务员或办不成事窗口人员可以派单")
    _require_state(ticket, [TicketState.REGISTERED], "派单")
    department = _department_for_dispatch(actor, department_id)
    fields = ["state", "department", "dispatched_at"]
    changed_kind = False
    if ticket_type and ticket_type != ticket.ticket_type:
        ticket.ticket_type = _choice(ticket_type, TicketType, field="ticket_type", label="诉求类型")
        fields.append("ticket_type")
        changed_kind = True
    if urgency and urgency != ticket.urgency:
        ticket.urgency = _choice(urgency, Urgency, field="urgency", label="紧急程度")
        fields.append("urgency")
        changed_kind = True
    if category_id is not None and category_id != ticket.category_id:
        ticket.category = _leaf_category(category_id)
        fields.append("category")
    if changed_kind:
        due = deadlines.due_at(ticket.registered_at, ticket_type=ticket.ticket_type, urgency=ticket.urgency)
        ticket.due_at = deadlines.extended(due, ticket.extended_days) if ticket.extended_days else due
        fields.append("due_at")
    if ticket.first_department_id is None:
        ticket.first_department = department
        fields.append("first_department")
    ticket.department = department
    ticket.dispatched_at = _now()
    ticket.state = TicketState.DISPATCHED
    _event(
        ticket,
        action=EventAction.DISPATCH,
        from_state=TicketState.REGISTERED,
        actor=actor,
        department=department,
        reason=_text(note, field="note", label="派单说明", min_length=0, max_length=500),
        data={"type": ticket.ticket_type, "urgency": ticket.urgency, "due_at": ticket.due_at.isoformat()},
    )
    _save(ticket, *fields)
    return ticket


@transaction.atomic
def ticket_transfer(*, actor: Any, ticket_id: int, department_id: int, reason: str) -> Ticket:
    """转办: the centre gives a dispatched ticket to another 承办单位 (which must sign for it again)."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_TAKE, message="只有本区划的话务员或办不成事窗口人员可以转办")
    _require_state(ticket, list(WITH_DEPARTMENT_STATES), "转办")
    reason = _text(reason, field="reason", label="转办理由", min_length=2, max_length=500)
    department = _department_for_dispatch(actor, department_id)
    if department.pk == ticket.department_id:
        raise DomainError(ErrorCode.VALIDATION, "请选择另一个承办单位", field="department_id")
    from_state = ticket.state
    ticket.department = department
    ticket.dispatched_at = _now()
    ticket.state = TicketState.DISPATCHED
    _event(
        ticket, action=EventAction.TRANSFER, from_state=from_state, actor=actor, department=department, reason=reason
    )
    _save(ticket, "department", "dispatched_at", "state")
    return ticket


@transaction.atomic
def ticket_accept(*, actor: Any, ticket_id: int) -> Ticket:
    """签收: the 承办单位 takes the ticket on (this is its response, counted in the 响应率)."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_HANDLE, message="只有承办单位的人员可以签收")
    _require_state(ticket, [TicketState.DISPATCHED], "签收")
    ticket.state = TicketState.HANDLING
    fields = ["state"]
    if ticket.responded_at is None:
        ticket.responded_at = _now()
        fields.append("responded_at")
    _event(
        ticket, action=EventAction.ACCEPT, from_state=TicketState.DISPATCHED, actor=actor, department=ticket.department
    )
    _save(ticket, *fields)
    return ticket


@transaction.atomic
def ticket_return(*, actor: Any, ticket_id: int, reason: str) -> Ticket:
    """退回: the 承办单位 says the ticket is not its own and sends it back to the centre for dispatch.
    The deadline keeps running (the clock belongs to the citizen, not to the department)."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_HANDLE, message="只有承办单位的人员可以退回")
    _require_state(ticket, list(WITH_DEPARTMENT_STATES), "退回")
    reason = _text(reason, field="reason", label="退回理由", min_length=2, max_length=500)
    from_state = ticket.state
    department = ticket.department
    ticket.department = None
    ticket.state = TicketState.REGISTERED
    _event(ticket, action=EventAction.RETURN, from_state=from_state, actor=actor, department=department, reason=reason)
    _save(ticket, "department", "state")
    return ticket


# --- 限时办结: 延期, 督办, 答复, 办结 ----------------------------------------------------------------------


@transaction.atomic
def ticket_extension_request(*, actor: Any, ticket_id: int, days: int, reason: str) -> Extension:
    """申请延期: before the deadline, by the 承办单位; one request waits at a time."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_HANDLE, message="只有承办单位的人员可以申请延期")
    _require_state(ticket, list(WITH_DEPARTMENT_STATES), "申请延期")
    if not 1 <= int(days) <= EXTENSION_MAX_DAYS:
        raise DomainError(ErrorCode.VALIDATION, f"延期天数应为1至{EXTENSION_MAX_DAYS}个工作日", field="days")
    reason = _text(reason, field="reason", label="延期理由", min_length=4, max_length=1000)
    if _now() >= ticket.due_at:
        raise DomainError(ErrorCode.INVALID_STATE, "已超过办理期限，不能再申请延期；请尽快办理并答复")
    if ticket.extensions.filter(state=ExtensionState.PENDING).exists():
        raise DomainError(ErrorCode.CONFLICT, "已有一条延期申请等待审批")
    if ticket.department is None:  # impossible in these states (CheckConstraint); keeps the type checker honest
        raise _state_error(ticket, "申请延期")
    extension = Extension.objects.create(
        ticket=ticket,
        days=int(days),
        reason=reason,
        requested_by=actor,
        requested_at=_now(),
        department=ticket.department,
    )
    _event(
        ticket,
        action=EventAction.EXTENSION_REQUEST,
        from_state=ticket.state,
        actor=actor,
        department=ticket.department,
        reason=reason,
        data={"extension": extension.pk, "days": extension.days},
    )
    _save(ticket)
    return extension


@transaction.atomic
def ticket_extension_decide(*, actor: Any, extension_id: int, approve: bool, note: str = "") -> Extension:
    """审批延期 (``HOTLINE_SUPERVISE``): an approval moves the deadline by the requested working days."""
    row = Extension.objects.filter(pk=extension_id).values_list("ticket_id", flat=True).first()
    if row is None:
        raise not_found("延期申请")
    ticket = _lock(row)  # the ticket first, then the request: the same order as every other transition
    _require(actor, ticket, Action.HOTLINE_SUPERVISE, message="只有监督人员可以审批延期")
    extension = Extension.objects.select_for_update().get(pk=extension_id)
    if extension.state != ExtensionState.PENDING:
        raise DomainError(ErrorCode.INVALID_STATE, f"该延期申请已{extension.get_state_display()}")
    note = _text(note, field="note", label="审批意见", min_length=0 if approve else 2, max_length=1000)
    extension.state = ExtensionState.APPROVED if approve else ExtensionState.REJECTED
    extension.decided_by = actor
    extension.decided_at = _now()
    extension.decision_note = note
    extension.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    fields: list[str] = []
    old_due = ticket.due_at
    if approve:
        ticket.due_at = deadlines.extended(ticket.due_at, extension.days)
        ticket.extended_days += extension.days
        fields += ["due_at", "extended_days"]
    _event(
        ticket,
        action=EventAction.EXTENSION_DECIDE,
        from_state=ticket.state,
        actor=actor,
        department=extension.department,
        reason=note,
        data={
            "extension": extension.pk,
            "approved": approve,
            "days": extension.days,
            "due_at": [old_due.isoformat(), ticket.due_at.isoformat()],
        },
    )
    _save(ticket, *fields)
    return extension


@transaction.atomic
def ticket_supervise(*, actor: Any, ticket_id: int, message: str) -> Supervision:
    """人工督办 of an open ticket by a supervisor; the 承办单位 answers with :func:`ticket_supervision_respond`."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_SUPERVISE, message="只有监督人员可以督办")
    _require_state(ticket, list(OPEN_STATES), "督办")
    message = _text(message, field="message", label="督办内容", min_length=4, max_length=1000)
    supervision = Supervision.objects.create(
        ticket=ticket,
        kind=SupervisionKind.MANUAL,
        message=message,
        due_at=ticket.due_at,
        department=ticket.department,
        created_by=actor,
        created_at=_now(),
    )
    _event(
        ticket,
        action=EventAction.SUPERVISE,
        from_state=ticket.state,
        actor=actor,
        department=ticket.department,
        reason=message,
        data={"supervision": supervision.pk, "kind": SupervisionKind.MANUAL},
    )
    _save(ticket)
    return supervision


def ticket_supervise_overdue(*, at: dt.datetime | None = None, limit: int = 500) -> int:
    """到期督办 (the worker's tick): one automatic 督办 for every open ticket past its deadline, once per
    due time (an approved extension makes a new due time, hence a new 督办 when that one passes too).
    Returns how many were written. Safe on several workers at once: the row lock and the partial unique
    constraint keep it to one."""
    at = at or _now()
    candidates = list(
        Ticket.objects.filter(state__in=OPEN_STATES, due_at__lt=at)
        .exclude(
            Exists(
                Supervision.objects.filter(
                    ticket_id=OuterRef("pk"), kind=SupervisionKind.AUTO, due_at=OuterRef("due_at")
                )
            )
        )
        .values_list("pk", flat=True)[:limit]
    )
    written = 0
    for ticket_id in candidates:
        with transaction.atomic():
            ticket = _lock(ticket_id)
            if ticket.state not in OPEN_STATES or ticket.due_at >= at:
                continue
            if ticket.supervisions.filter(kind=SupervisionKind.AUTO, due_at=ticket.due_at).exists():
                continue
            local_due = timezone.localtime(ticket.due_at)
            message = f"该诉求已超过办理期限（{local_due:%Y-%m-%d %H:%M}），请立即办理并反馈。"
            supervision = Supervision.objects.create(
                ticket=ticket,
                kind=SupervisionKind.AUTO,
                message=message,
                due_at=ticket.due_at,
                department=ticket.department,
                created_at=at,
            )
            _event(
                ticket,
                action=EventAction.SUPERVISE,
                from_state=ticket.state,
                actor=None,
                department=ticket.department,
                reason=message,
                data={"supervision": supervision.pk, "kind": SupervisionKind.AUTO},
            )
            _save(ticket)
            written += 1
    return written


@transaction.atomic
def ticket_supervision_respond(*, actor: Any, supervision_id: int, response: str) -> Supervision:
    """督办反馈 by the 承办单位 that holds the ticket."""
    ticket_id = Supervision.objects.filter(pk=supervision_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise not_found("督办")
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_HANDLE, message="只有承办单位的人员可以反馈督办")
    supervision = Supervision.objects.select_for_update().get(pk=supervision_id)
    if supervision.responded_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "该督办已反馈")
    supervision.response = _text(response, field="response", label="反馈内容", min_length=4, max_length=1000)
    supervision.responded_by = actor
    supervision.responded_at = _now()
    supervision.save(update_fields=["response", "responded_by", "responded_at"])
    _event(
        ticket,
        action=EventAction.SUPERVISE_RESPOND,
        from_state=ticket.state,
        actor=actor,
        department=ticket.department,
        reason=supervision.response,
        data={"supervision": supervision.pk},
    )
    _save(ticket)
    return supervision


@transaction.atomic
def ticket_reply(*, actor: Any, ticket_id: int, reply: str, outcome: str = ReplyOutcome.SOLVED) -> Ticket:
    """答复: the 承办单位's answer to the citizen (signing for the ticket on the way if it had not)."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_HANDLE, message="只有承办单位的人员可以答复")
    _require_state(ticket, list(WITH_DEPARTMENT_STATES), "答复")
    reply = _text(reply, field="reply", label="答复内容", min_length=5, max_length=2000)
    _choice(outcome, ReplyOutcome, field="outcome", label="答复结果")
    now = _now()
    from_state = ticket.state
    fields = ["state", "reply", "reply_outcome", "replied_at"]
    if ticket.responded_at is None:
        ticket.responded_at = now
        fields.append("responded_at")
    ticket.reply = reply
    ticket.reply_outcome = outcome
    ticket.replied_at = now
    ticket.state = TicketState.REPLIED
    _event(
        ticket,
        action=EventAction.REPLY,
        from_state=from_state,
        actor=actor,
        department=ticket.department,
        reason=reply,
        data={"outcome": outcome, "on_time": now <= ticket.due_at},
    )
    _save(ticket, *fields)
    return ticket


@transaction.atomic
def ticket_close(*, actor: Any, ticket_id: int, note: str = "") -> Ticket:
    """办结: the centre has checked the reply and closes the ticket; 回访 follows."""
    ticket = _lock(ticket_id)
    _require(actor, ticket, Action.HOTLINE_TAKE, message="只有本区划的话务员或办不成事窗口人员可以办结")
    _require_state(ticket, [TicketState.REPLIED], "办结")
    ticket.state = TicketState.CLOSED
    ticket.closed_at = _now()
    _event(
        ticket,
        action=EventAction.CLOSE,
        from_state=TicketState.REPLIED,
        actor=actor,
        reason=_text(note, field="note", label="办结说明", min_length=0, max_length=500),
    )
    _save(ticket, "state", "closed_at")
    return ticket


# --- 评价反馈: 回访, 重新办理 -------------------------------------------------------------------------------


def _reopen(ticket: Ticket, *, actor: Any, reason: str) -> list[str]:
    """重新办理: back to the department that answered, with a fresh deadline from now. Returns the fields
    changed (the caller saves them with its own)."""
    if ticket.department_id is None:
        raise DomainError(ErrorCode.INVALID_STATE, "该诉求没有承办单位，不能重新办理")
    from_state = ticket.state
    now = _now()
    ticket.state = TicketState.DISPATCHED
    ticket.reopen_count += 1
    ticket.due_at = deadlines.due_at(now, ticket_type=ticket.ticket_type, urgency=ticket.urgency)
    ticket.dispatched_at = now
    ticket.reply = ""
    ticket.reply_outcome = ""
    ticket.replied_at = None
    ticket.closed_at = None
    _event(
        ticket,
        action=EventAction.REOPEN,
        from_state=from_state,
        actor=actor,
        department=ticket.department,
        reason=reason,
        data={"due_at": ticket.due_at.isoformat(), "reopen": ticket.reopen_count},
    )
    return [
        "state",
        "reopen_count",
        "due_at",
        "dispatched_at",
        "reply",
        "reply_outcome",
        "replied_at",
        "closed_at",
    ]


@transaction.atomic
def ticket_revisit(
    *,
    actor: Any,
    ticket_id: int,
    satisfaction: str,
    solved: bool,
    method: str = RevisitMethod.PHONE,
    note: str = "",
) -> Revisit:
    """回访 after 办结: by the centre (phone, SMS, visit), or by the citizen himself on 我的诉求 (always
    ``web``; staff can never rate for him). Not solved → the ticket is reopened for the same 承办单位."""
    ticket = _lock(ticket_id)
    user = _user(actor)
    own = user is not None and ticket.citizen_id == user.pk and user.kind == UserKind.CITIZEN
    if own:
        method = RevisitMethod.WEB
    else:
        _require(actor, ticket, Action.HOTLINE_TAKE, message="只有诉求人本人或本区划的话务员可以回访")
        if method == RevisitMethod.WEB:
            raise DomainError(ErrorCode.VALIDATION, "网上评价只能由诉求人本人提交", field="method")
    _require_state(ticket, [TicketState.CLOSED], "回访")
    _choice(satisfaction, Satisfaction, field="satisfaction", label="满意度")
    _choice(method, RevisitMethod, field="method", label="回访方式")
    note = _text(note, field="note", label="回访记录", min_length=0 if solved else 2, max_length=1000)
    now = _now()
    revisit = Revisit.objects.create(
        ticket=ticket, method=method, satisfaction=satisfaction, solved=solved, note=note, by=user, at=now
    )
    ticket.satisfaction = satisfaction
    ticket.solved = solved
    ticket.revisited_at = now
    fields = ["satisfaction", "solved", "revisited_at"]
    if solved:
        ticket.state = TicketState.REVISITED
        fields.append("state")
    _event(
        ticket,
        action=EventAction.REVISIT,
        from_state=TicketState.CLOSED,
        actor=actor,
        reason=note,
        data={"satisfaction": satisfaction, "solved": solved, "method": method},
    )
    if not solved:
        fields += _reopen(ticket, actor=actor, reason=note or "回访未解决")
    _save(ticket, *fields)
    return revisit


# --- 抽查回访 (the fifth step of the 办不成事 window) ---------------------------------------------------


@transaction.atomic
def ticket_spot_check_draw(
    *,
    actor: Any,
    batch: str,
    count: int,
    closed_from: dt.date,
    closed_to: dt.date,
    source: str | None = TicketSource.WINDOW,
) -> list[SpotCheck]:
    """抽查回访: draw ``count`` closed tickets at random (``secrets``, not ``random``) from those closed in
    the period, in the actor's supervision scope, not drawn before. ``source=None`` draws from every
    channel; the default is the 办不成事 window."""
    if not scopes_for(actor, Action.HOTLINE_SUPERVISE):
        raise permission_denied("只有监督人员可以抽取回访工单")
    batch = _text(batch, field="batch", label="批次名称", min_length=2, max_length=40)
    if not 1 <= int(count) <= 200:
        raise DomainError(ErrorCode.VALIDATION, "抽取数量应为1至200", field="count")
    if closed_to < closed_from:
        raise DomainError(ErrorCode.VALIDATION, "截止日期不能早于起始日期", field="closed_to")
    start = deadlines.end_of_day(closed_from - dt.timedelta(days=1))
    end = deadlines.end_of_day(closed_to)
    pool = Ticket.objects.filter(
        staff_ticket_q(actor, Action.HOTLINE_SUPERVISE),
        state__in=DONE_STATES,
        closed_at__gt=start,
        closed_at__lte=end,
        spot_check__isnull=True,
    )
    if source:
        pool = pool.filter(source=_choice(source, TicketSource, field="source", label="来源"))
    ids = list(pool.values_list("pk", flat=True))
    chosen = secrets.SystemRandom().sample(ids, min(int(count), len(ids)))
    now = _now()
    rows = [SpotCheck(ticket_id=pk, batch=batch, drawn_by=actor, drawn_at=now) for pk in sorted(chosen)]
    SpotCheck.objects.bulk_create(rows)
    record(
        actor=actor,
        action="hotline.spot_check_draw",
        object_type="hotline.spotcheck",
        object_id=batch,
        object_repr=batch,
        changes={"pool": len(ids), "drawn": len(rows), "tickets": sorted(chosen)},
    )
    return list(SpotCheck.objects.filter(batch=batch, drawn_at=now, ticket_id__in=chosen).select_related("ticket"))


@transaction.atomic
def ticket_spot_check_record(
    *, actor: Any, spot_check_id: int, satisfaction: str, solved: bool, note: str = ""
) -> SpotCheck:
    """The result of one 抽查回访; not solved → the ticket is reopened for its 承办单位."""
    ticket_id = SpotCheck.objects.filter(pk=spot_check_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise not_found("抽查回访")
    ticket = _lock(ticket_id)
    _require(
        actor, ticket, Action.HOTLINE_TAKE, Action.HOTLINE_SUPERVISE, message="只有话务员或监督人员可以记录抽查回访"
    )
    check = SpotCheck.objects.select_for_update().get(pk=spot_check_id)
    if check.state != SpotCheckState.PENDING:
        raise DomainError(ErrorCode.INVALID_STATE, "该抽查回访已记录")
    _choice(satisfaction, Satisfaction, field="satisfaction", label="满意度")
    note = _text(note, field="note", label="回访记录", min_length=0 if solved else 2, max_length=1000)
    check.state = SpotCheckState.DONE
    check.satisfaction = satisfaction
    check.solved = solved
    check.note = note
    check.done_by = actor
    check.done_at = _now()
    check.save(update_fields=["state", "satisfaction", "solved", "note", "done_by", "done_at"])
    _event(
        ticket,
        action=EventAction.SPOT_CHECK,
        from_state=ticket.state,
        actor=actor,
        reason=note,
        data={"spot_check": check.pk, "satisfaction": satisfaction, "solved": solved},
    )
    fields: list[str] = []
    if not solved and ticket.state in DONE_STATES:
        fields = _reopen(ticket, actor=actor, reason=note or "抽查回访未解决")
    _save(ticket, *fields)
    return check


# --- personal data ----------------------------------------------------------------------------------------


@transaction.atomic
def ticket_caller_reveal(*, actor: Any, ticket_id: int, purpose: str) -> dict[str, str]:
    """查看诉求人完整联系方式 (to call back, to revisit): staff of the ticket's scope, with a purpose; every
    reveal writes an audit row naming the purpose."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise not_found("诉求")
    _require(
        actor,
        ticket,
        Action.HOTLINE_TAKE,
        Action.HOTLINE_HANDLE,
        Action.HOTLINE_SUPERVISE,
        message="您无权查看该诉求人的联系方式",
    )
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise DomainError(ErrorCode.PURPOSE_REQUIRED, "请说明查看用途（如：回访、核实情况）", field="purpose")
    record(
        actor=actor,
        action="hotline.caller_reveal",
        target=ticket,
        purpose=purpose[:200],
        changes={"read": ["caller_name", "caller_phone", "caller_email"]},
    )
    return caller_of(ticket)


def ticket_view_record(*, actor: Any, ticket: Ticket) -> None:
    """审计: a staff member opened a ticket (its content may carry personal data; the caller is masked)."""
    record(
        actor=actor, action="hotline.view", target=ticket, purpose="办理或监督12345诉求", changes={"read": ["ticket"]}
    )


# --- configuration ----------------------------------------------------------------------------------------


def _require_config(actor: Any) -> None:
    # Configuration of the hotline belongs to the 政务服务管理机构 (who maintains organisations).
    if not scopes_for(actor, Action.ORG_MANAGE):
        raise permission_denied("只有政务服务管理机构管理员可以维护诉求分类和办理时限")


@transaction.atomic
def deadline_rule_set(
    *, actor: Any, ticket_type: str, urgency: str, amount: int, unit: str, note: str = ""
) -> DeadlineRule:
    """Change one row of the deadline table (applies to tickets registered from now on)."""
    _require_config(actor)
    _choice(ticket_type, TicketType, field="ticket_type", label="诉求类型")
    _choice(urgency, Urgency, field="urgency", label="紧急程度")
    from yiwang.hotline.choices import DeadlineUnit

    _choice(unit, DeadlineUnit, field="unit", label="单位")
    if not 1 <= int(amount) <= 365:
        raise DomainError(ErrorCode.VALIDATION, "时限应为1至365", field="amount")
    rule = DeadlineRule.objects.select_for_update().filter(ticket_type=ticket_type, urgency=urgency).first()
    old = (rule.amount, rule.unit) if rule else None
    if rule is None:
        rule = DeadlineRule(ticket_type=ticket_type, urgency=urgency)
    rule.amount = int(amount)
    rule.unit = unit
    rule.note = _text(note, field="note", label="说明", min_length=0, max_length=200)
    rule.save()
    record(actor=actor, action="hotline.deadline_set", target=rule, changes={"rule": [old, [rule.amount, unit]]})
    return rule


@transaction.atomic
def category_save(
    *,
    actor: Any,
    code: str,
    name: str,
    parent_id: int | None = None,
    default_type: str = "",
    keywords_text: str = "",
    is_active: bool = True,
    category_id: int | None = None,
) -> Category:
    """Add or change a node of the classification tree."""
    _require_config(actor)
    code = _text(code, field="code", label="分类编码", min_length=1, max_length=20)
    if not re.fullmatch(r"[0-9A-Za-z_-]+", code):
        raise DomainError(ErrorCode.VALIDATION, "分类编码只能包含字母、数字、下划线和连字符", field="code")
    name = _text(name, field="name", label="分类名称", min_length=2, max_length=100)
    if default_type:
        _choice(default_type, TicketType, field="default_type", label="常见诉求类型")
    category = (
        Category() if category_id is None else Category.objects.select_for_update().filter(pk=category_id).first()
    )
    if category is None:
        raise not_found("诉求分类")
    if Category.objects.filter(code=code).exclude(pk=category.pk).exists():
        raise DomainError(ErrorCode.CONFLICT, "分类编码已被使用", field="code")
    parent = None
    if parent_id is not None:
        parent = Category.objects.filter(pk=parent_id).first()
        if parent is None or (category.pk and parent.pk == category.pk):
            raise DomainError(ErrorCode.VALIDATION, "上级分类不存在", field="parent_id")
    old = {"code": category.code, "name": category.name, "active": category.is_active} if category.pk else None
    category.code, category.name, category.parent = code, name, parent
    category.default_type, category.keywords, category.is_active = default_type, keywords_text[:200], is_active
    category.save()
    record(
        actor=actor,
        action="hotline.category_save",
        target=category,
        changes={"category": [old, {"code": code, "name": name, "active": is_active}]},
    )
    return category


def hotline_seed() -> dict[str, int]:
    """Seed the classification tree and the deadline table (idempotent: existing rows are kept as edited)."""
    made = {"categories": 0, "deadlines": 0}
    with transaction.atomic():
        by_code = {c.code: c for c in Category.objects.all()}
        for position, (code, name, parent_code, default_type, words, attributes) in enumerate(seeds.CATEGORIES):
            if code in by_code:
                continue
            by_code[code] = Category.objects.create(
                code=code,
                name=name,
                parent=by_code.get(parent_code) if parent_code else None,
                default_type=default_type,
                keywords=words,
                attributes=attributes,
                position=position,
            )
            made["categories"] += 1
        for ticket_type, urgency, amount, unit, note in seeds.DEADLINES:
            _, created = DeadlineRule.objects.get_or_create(
                ticket_type=ticket_type, urgency=urgency, defaults={"amount": amount, "unit": unit, "note": note}
            )
            made["deadlines"] += int(created)
    return made
