"""Every write of 好差评: one function per action (CONVENTIONS rules 2 and 3).

Who may rate is fixed when the service event is made (``ServiceEvent.rater``, the applicant's own account)
or, for a window visit, by the registered hall device bound to the window — never by a staff session:
``evaluation_submit`` refuses every staff account, and ``evaluation_submit_at_device`` refuses a device
request that carries a staff session. Clerks can only *ask* for a rating of a visit they served.

A bad rating opens a ``RectificationOrder`` in the same transaction (``_order_open``). Each order transition
checks the grant, locks the order row (``select_for_update``), checks the state (so of two concurrent
verifications exactly one wins, the other gets ``invalid_state``), saves with ``update_fields``, appends one
``OrderEvent`` and one audit row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.accounts.choices import UserKind
from yiwang.accounts.models import NaturalPerson, StaffAssignment
from yiwang.accounts.permissions import Action
from yiwang.audit.services import record
from yiwang.cases.choices import DeliveryMethod, EventAction
from yiwang.cases.models import Case, CaseEvent
from yiwang.cases.selectors import staff_may_case
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied
from yiwang.core.prepared import PreparedQuery, row_insert
from yiwang.evaluations import conf, selectors
from yiwang.evaluations.choices import (
    BAD_LEVELS,
    DEVICE_CHANNELS,
    ONLINE_CHANNELS,
    OPEN_ORDER_STATES,
    RUNNING_ORDER_STATES,
    Level,
    OrderAction,
    OrderState,
    ReviewDecision,
    RevisitMethod,
    ServiceKind,
    Verdict,
)
from yiwang.evaluations.models import (
    Evaluation,
    EvaluationRevision,
    HallDevice,
    OrderEscalation,
    OrderEvent,
    RectificationOrder,
    ServiceEvent,
    SyncCursor,
    WindowVisit,
)
from yiwang.regions.models import Department, Window
from yiwang.workdays.calendar import add_workdays, workdays_between

logger = logging.getLogger(__name__)

# Case events that are a rateable service (一事一评). 不予受理 is the outcome of the 受理 service and may be
# rated like an acceptance; 补正 is rated when the one-time notice (一次性告知) is given.
RATEABLE_ACTIONS: dict[str, str] = {
    EventAction.ACCEPT: ServiceKind.ACCEPT,
    EventAction.REJECT: ServiceKind.ACCEPT,
    EventAction.REQUEST_SUPPLEMENT: ServiceKind.SUPPLEMENT,
    EventAction.CLOSE: ServiceKind.CLOSE,
}
TEXT_MAX = 500
NOTE_MAX = 2000
PAIRING_MINUTES = 30
STAFF_CANNOT_RATE = "工作人员不能代替群众评价：评价只能由办事群众本人在本人账号或大厅评价设备上作出"


def _now() -> dt.datetime:
    return clock.now()


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _text(value: str | None, *, field: str, label: str, required: bool, max_length: int = NOTE_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(ErrorCode.VALIDATION, f"请填写{label}", field=field)
    if len(value) > max_length:
        raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过{max_length}个字", field=field)
    return value


def _user_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def due_after(start: dt.date, workdays: int) -> dt.date:
    """``workdays`` working days after ``start`` (the calendar module). A year the calendar does not cover
    yet must not block a citizen's rating: the deadline then falls back to calendar days (7 for every 5
    working days, rounded up) and a warning is logged so someone enters the year's holidays."""
    try:
        return add_workdays(start, workdays)
    except DomainError as exc:
        if exc.code != ErrorCode.CALENDAR_NOT_COVERED:
            raise
        logger.warning("工作日历未覆盖 %s 之后的日期，整改期限按自然日估算", start)
        return start + dt.timedelta(days=-(-workdays * 7 // 5))


# --- service events (一事一评 from case events, 缴费, the catch-up sweep) ---------------------------------


_PERSON_OF_KIND: PreparedQuery[NaturalPerson] = PreparedQuery(  # asked after most case transitions
    lambda pk, kind: NaturalPerson.objects.filter(pk=pk, user__kind=kind).only("user_id").order_by()[:1], arity=2
)


def _case_rater(case: Case) -> int | None:
    """The applicant's own citizen account: the only one that may rate the case's services online."""
    if case.applicant_person_id is None:
        return None
    return next((p.user_id for p in _PERSON_OF_KIND.rows(case.applicant_person_id, UserKind.CITIZEN)), None)


def _event_for_case(
    case: Case, *, kind: str, staff_id: int | None, window_id: int | None, at: dt.datetime, case_event: Any
) -> ServiceEvent:
    version = case.version
    return row_insert(  # made after most case transitions: its INSERT is built once
        ServiceEvent(
            kind=kind,
            case=case,
            case_event=case_event,
            department_id=case.department_id,
            window_id=window_id,
            staff_id=staff_id,
            item_id=case.item_id,
            rater_id=_case_rater(case),
            person_id=case.applicant_person_id,
            title=(getattr(version, "name", "") or case.summary)[:300],
            occurred_at=at,
            rate_until=at + conf.rate_period(),
        )
    )


def service_event_record_for_case_event(*, case_event: CaseEvent, inserted: bool = False) -> ServiceEvent | None:
    """The rateable service event of ``case_event`` (受理、不予受理、补正告知、办结), made once: a second call
    for the same case event returns the first row (``case_event`` is unique). Other actions: None.

    ``inserted``: the case event was inserted by this very transaction (the ``post_save`` receiver), so no
    service event can exist for it yet and the look-up is skipped; the unique constraint still holds."""
    kind = RATEABLE_ACTIONS.get(case_event.action)
    if kind is None:
        return None
    if not inserted:
        existing = ServiceEvent.objects.filter(case_event_id=case_event.pk).first()
        if existing is not None:
            return existing
    case = case_event.case
    if kind == ServiceKind.CLOSE:
        window_id = case.pickup_window_id if case.delivery_method == DeliveryMethod.PICKUP else None
    else:
        window_id = case.window_id
    staff_id = None
    actor = case_event.actor
    if actor is not None and getattr(actor, "kind", None) == UserKind.STAFF:
        staff_id = actor.pk
    return _event_for_case(
        case, kind=kind, staff_id=staff_id, window_id=window_id, at=case_event.at, case_event=case_event
    )


@transaction.atomic
def service_event_record_payment(
    *, case_id: int, at: dt.datetime | None = None, staff_id: int | None = None, window_id: int | None = None
) -> ServiceEvent:
    """缴费: the hook a payment module calls when a case's fee is paid (no payment module exists yet). Called
    by the system, not by a person: no permission of its own, like the case-event hook."""
    case = Case.objects.select_related("version").filter(pk=case_id).first()
    if case is None:
        raise not_found("办件")
    return _event_for_case(
        case, kind=ServiceKind.PAYMENT, staff_id=staff_id, window_id=window_id, at=at or _now(), case_event=None
    )


def service_events_sync(*, limit: int = 1000) -> int:
    """Catch-up sweep (worker tick): make the service events the signal missed (a bug, a restore), reading
    case events after a stored cursor. Returns how many were made. The signal normally made them already;
    a case event committed out of id order is still covered by the signal itself."""
    made = 0
    with transaction.atomic():
        cursor, _ = SyncCursor.objects.select_for_update().get_or_create(name="case_events")
        rows = list(CaseEvent.objects.filter(pk__gt=cursor.position).order_by("pk").values_list("pk", "action")[:limit])
        if not rows:
            return 0
        wanted = [pk for pk, action in rows if action in RATEABLE_ACTIONS]
        have = set(ServiceEvent.objects.filter(case_event_id__in=wanted).values_list("case_event_id", flat=True))
        for event in CaseEvent.objects.filter(pk__in=[pk for pk in wanted if pk not in have]).select_related(
            "case", "case__version", "actor"
        ):
            service_event_record_for_case_event(case_event=event)
            made += 1
        cursor.position = rows[-1][0]
        cursor.save(update_fields=["position"])
    return made


# --- evaluations -----------------------------------------------------------------------------------------


def _valid_rating(level: str | None, reasons: Sequence[str] | None, text: str | None) -> tuple[str, list[str], str]:
    if level not in Level.values:
        raise DomainError(ErrorCode.VALIDATION, "请选择评价等级（非常满意至非常不满意之一）", field="level")
    known = conf.reasons()
    codes: list[str] = []
    for code in reasons or []:
        if code not in known:
            raise DomainError(ErrorCode.VALIDATION, f"差评原因“{code}”不在可选范围内", field="reasons")
        if code not in codes:
            codes.append(code)
    text = _text(text, field="text", label="评价内容", required=False, max_length=TEXT_MAX)
    if level in BAD_LEVELS:
        if not codes and not text:
            raise DomainError(
                ErrorCode.VALIDATION,
                "选择“不满意”或“非常不满意”时，请至少选择一项差评原因或填写评价内容",
                field="reasons",
            )
    else:
        codes = []  # reasons belong to 差评 only
    return level, codes, text


def _lock_event(event_id: int) -> ServiceEvent:
    event = ServiceEvent.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise not_found("可评价的服务")
    return event


def _revision(evaluation: Evaluation, note: str, at: dt.datetime) -> None:
    EvaluationRevision.objects.create(
        evaluation=evaluation,
        level=evaluation.level,
        channel=evaluation.channel,
        reasons=evaluation.reasons,
        text=evaluation.text,
        note=note,
        at=at,
    )


def _create_evaluation(
    event: ServiceEvent,
    *,
    rater_id: int | None,
    device: HallDevice | None,
    level: str,
    channel: str,
    reasons: list[str],
    text: str,
    now: dt.datetime,
) -> Evaluation:
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                service_event=event,
                rater_id=rater_id,
                device=device,
                level=level,
                channel=channel,
                reasons=reasons,
                text=text,
                rated_at=now,
                change_until=now + conf.change_period(),
            )
    except IntegrityError as exc:  # a concurrent first rating won (the event row lock makes this rare)
        raise DomainError(ErrorCode.CONFLICT, "该服务已评价") from exc
    _revision(evaluation, "首次评价", now)
    if evaluation.is_bad:
        _order_open(evaluation, event, now=now)
    return evaluation


@transaction.atomic
def evaluation_submit(
    *,
    actor: Any,
    service_event_id: int,
    level: str,
    channel: str,
    reasons: Sequence[str] | None = None,
    text: str = "",
) -> tuple[Evaluation, bool]:
    """Rate (or, within the change period, re-rate) a service event online, as its rater in his own session.
    Returns the evaluation and whether it was created. Staff are refused whatever the event."""
    if selectors.is_staff(actor):
        raise permission_denied(STAFF_CANNOT_RATE)
    if not selectors.is_citizen(actor):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED, "请先登录后评价")
    if channel not in ONLINE_CHANNELS:
        raise DomainError(ErrorCode.VALIDATION, "评价渠道须为PC端、移动服务端或二维码", field="channel")
    level, codes, text = _valid_rating(level, reasons, text)
    event = _lock_event(service_event_id)
    if event.rater_id != actor.pk:
        raise not_found("可评价的服务")  # someone else's service: the same answer as none at all
    now = _now()
    evaluation = Evaluation.objects.filter(service_event=event).first()
    if evaluation is None:
        if now > event.rate_until:
            raise DomainError(ErrorCode.INVALID_STATE, "该服务已超过评价期限，不能再评价")
        evaluation = _create_evaluation(
            event, rater_id=actor.pk, device=None, level=level, channel=channel, reasons=codes, text=text, now=now
        )
        record(
            actor=actor,
            action="evaluation.rate",
            target=evaluation,
            changes={"level": ["", level], "channel": channel, "service_event": event.pk},
        )
        return evaluation, True
    return _evaluation_change(
        evaluation, event, actor=actor, level=level, channel=channel, codes=codes, text=text
    ), False


def _evaluation_change(
    evaluation: Evaluation, event: ServiceEvent, *, actor: Any, level: str, channel: str, codes: list[str], text: str
) -> Evaluation:
    if evaluation.rater_id != actor.pk:
        raise not_found("可评价的服务")
    if evaluation.voided_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "该评价经申诉复核已作废，不能修改")
    now = _now()
    if now > evaluation.change_until:
        days = conf.change_period().days
        raise DomainError(ErrorCode.INVALID_STATE, f"评价只能在评价后{days}天内修改，已超过修改期限")
    old_level, was_bad = evaluation.level, evaluation.is_bad
    if (evaluation.level, evaluation.channel, evaluation.reasons, evaluation.text) == (level, channel, codes, text):
        return evaluation  # nothing changes
    evaluation.level, evaluation.channel, evaluation.reasons, evaluation.text = level, channel, codes, text
    evaluation.changed_at = now
    evaluation.change_count += 1
    evaluation.save(update_fields=["level", "channel", "reasons", "text", "changed_at", "change_count"])
    _revision(evaluation, "修改评价", now)
    open_order = (
        RectificationOrder.objects.select_for_update()
        .filter(evaluation=evaluation, state__in=OPEN_ORDER_STATES)
        .first()
    )
    if evaluation.is_bad and open_order is None:
        _order_open(evaluation, event, now=now)
    elif was_bad and not evaluation.is_bad and open_order is not None and open_order.state == OrderState.VERIFYING:
        # The citizen took the 差评 back before anyone verified it: nothing left to verify.
        old = open_order.state
        open_order.state = OrderState.WITHDRAWN
        open_order.closed_at = now
        _order_save(open_order, "state", "closed_at")
        _order_event(open_order, action=OrderAction.WITHDRAW, from_state=old, actor=actor, note="群众已修改为好评")
    record(
        actor=actor,
        action="evaluation.change",
        target=evaluation,
        changes={"level": [old_level, level], "channel": channel, "service_event": event.pk},
    )
    return evaluation


@transaction.atomic
def evaluation_submit_at_device(
    *,
    device: HallDevice,
    visit_id: int,
    level: str,
    reasons: Sequence[str] | None = None,
    text: str = "",
    session_user: Any = None,
) -> Evaluation:
    """一次一评 on the hall tablet: the citizen rates the visit the window's clerk asked to be rated. Only a
    paired, active device of that window; never with a staff session in the browser (a clerk who signs in on
    the tablet cannot rate through it); once only (a tablet rating cannot be changed — nobody is signed in)."""
    if selectors.is_staff(session_user):
        raise permission_denied(STAFF_CANNOT_RATE + "；请先退出工作人员账号")
    if device.revoked_at is not None or not device.token_hash:
        raise permission_denied("本设备未登记或已停用，不能用于评价")
    level, codes, text = _valid_rating(level, reasons, text)
    now = _now()
    visit = WindowVisit.objects.select_for_update().filter(pk=visit_id, window_id=device.window_id).first()
    if visit is None:
        raise not_found("待评价的窗口服务")
    if visit.rating_request_until is None or visit.rating_request_until <= now or visit.declined_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "评价请求已过期，请向窗口工作人员重新请求评价")
    event = _lock_event(visit.service_event_id)
    if Evaluation.objects.filter(service_event=event).exists():
        raise DomainError(ErrorCode.CONFLICT, "本次服务已评价，感谢您的参与")
    evaluation = _create_evaluation(
        event, rater_id=None, device=device, level=level, channel=device.channel, reasons=codes, text=text, now=now
    )
    visit.rating_request_until = now  # leaves the tablet at once
    visit.save(update_fields=["rating_request_until"])
    record(
        actor=None,
        action="evaluation.rate",
        target=evaluation,
        changes={"level": ["", level], "channel": device.channel, "device": device.pk, "service_event": event.pk},
    )
    return evaluation


@transaction.atomic
def window_visit_decline(*, device: HallDevice, visit_id: int, session_user: Any = None) -> None:
    """暂不评价 on the tablet: the visit leaves the tablet unrated (nothing is held against anyone)."""
    if selectors.is_staff(session_user):
        raise permission_denied(STAFF_CANNOT_RATE + "；请先退出工作人员账号")
    if device.revoked_at is not None or not device.token_hash:
        raise permission_denied("本设备未登记或已停用")
    visit = WindowVisit.objects.select_for_update().filter(pk=visit_id, window_id=device.window_id).first()
    if visit is None:
        raise not_found("待评价的窗口服务")
    if visit.declined_at is None:
        visit.declined_at = _now()
        visit.save(update_fields=["declined_at"])


# --- window visits (一次一评) -------------------------------------------------------------------------------


def _clerk_window(actor: Any, window_id: int) -> Window:
    if not selectors.is_staff(actor):
        raise permission_denied("只有窗口工作人员可以登记窗口服务")
    window = Window.objects.select_related("venue").filter(pk=window_id).first()
    if window is None:
        raise not_found("窗口")
    if not StaffAssignment.objects.filter(user_id=actor.pk, window_id=window.pk).exists():
        raise permission_denied("您不在该窗口服务，不能为该窗口请求评价")
    return window


def _expire_other_requests(window_id: int, *, keep: int, now: dt.datetime) -> None:
    WindowVisit.objects.filter(window_id=window_id, rating_request_until__gt=now).exclude(pk=keep).update(
        rating_request_until=now
    )


@transaction.atomic
def window_visit_record(
    *, actor: Any, window_id: int, topic: str, case_id: int | None = None, request_rating: bool = True
) -> WindowVisit:
    """窗口服务结束: the clerk records the visit he just served at his window and (normally at once) asks
    the citizen to rate it on the window's tablet. The responsible department is the window's (a 专窗's
    department, else the hall's operator)."""
    window = _clerk_window(actor, window_id)
    topic = _text(topic, field="topic", label="办理内容", required=True, max_length=200)
    case = None
    if case_id is not None:
        case = Case.objects.select_related("version").filter(pk=case_id).first()
        if case is None or not staff_may_case(
            actor, Action.CASE_VIEW, case_id=case.pk, department_id=case.department_id
        ):
            raise DomainError(ErrorCode.NOT_FOUND, "办件不存在或您无权查看", field="case_id")
    now = _now()
    department_id = window.department_id or window.venue.operator_id or actor.department_id
    event = ServiceEvent.objects.create(
        kind=ServiceKind.WINDOW,
        case=case,
        department_id=department_id,
        window=window,
        staff_id=actor.pk,
        item_id=case.item_id if case else None,
        rater=None,
        person_id=case.applicant_person_id if case else None,
        title=topic,
        occurred_at=now,
        rate_until=now + conf.rate_period(),
    )
    visit = WindowVisit.objects.create(
        service_event=event,
        window=window,
        staff_id=actor.pk,
        case=case,
        topic=topic,
        served_at=now,
        rating_requested_at=now if request_rating else None,
        rating_request_until=now + conf.tablet_period() if request_rating else None,
    )
    if request_rating:
        _expire_other_requests(window.pk, keep=visit.pk, now=now)
    record(
        actor=actor, action="evaluation.visit", target=visit, changes={"window": window.pk, "requested": request_rating}
    )
    return visit


@transaction.atomic
def window_visit_request_rating(*, actor: Any, visit_id: int) -> WindowVisit:
    """请群众评价 (again) for a visit the clerk himself served; nobody can ask for someone else's visit."""
    if not selectors.is_staff(actor):
        raise permission_denied("只有窗口工作人员可以请求评价")
    visit = WindowVisit.objects.select_for_update().filter(pk=visit_id).first()
    if visit is None or visit.staff_id != actor.pk:
        raise not_found("窗口服务")  # another clerk's visit: as if none
    if Evaluation.objects.filter(service_event_id=visit.service_event_id).exists():
        raise DomainError(ErrorCode.INVALID_STATE, "群众已评价本次服务")
    now = _now()
    if now > visit.service_event.rate_until:
        raise DomainError(ErrorCode.INVALID_STATE, "本次服务已超过评价期限")
    visit.rating_requested_at = now
    visit.rating_request_until = now + conf.tablet_period()
    visit.declined_at = None
    visit.save(update_fields=["rating_requested_at", "rating_request_until", "declined_at"])
    _expire_other_requests(visit.window_id, keep=visit.pk, now=now)
    record(actor=actor, action="evaluation.request", target=visit, changes={"window": visit.window_id})
    return visit


# --- hall devices ---------------------------------------------------------------------------------------


@transaction.atomic
def hall_device_register(*, actor: Any, window_id: int, name: str, channel: str) -> tuple[HallDevice, str]:
    """登记大厅评价设备 for a window; returns the device and its one-time pairing code (shown once)."""
    if not selectors.is_staff(actor):
        raise permission_denied("只有工作人员可以登记评价设备")
    window = Window.objects.filter(selectors.device_manage_q(actor), pk=window_id).first()
    if window is None:
        raise DomainError(ErrorCode.NOT_FOUND, "窗口不存在或您无权为其登记设备", field="window_id")
    name = _text(name, field="name", label="设备名称", required=True, max_length=100)
    if channel not in DEVICE_CHANNELS:
        raise DomainError(ErrorCode.VALIDATION, "设备类型须为政务大厅平板电脑或政务大厅其他终端", field="channel")
    code = f"{secrets.randbelow(10**8):08d}"
    now = _now()
    device = HallDevice.objects.create(
        window=window,
        name=name,
        channel=channel,
        pairing_hash=_sha(code),
        pairing_until=now + dt.timedelta(minutes=PAIRING_MINUTES),
        registered_at=now,
        registered_by=actor,
    )
    record(actor=actor, action="evaluation.device_register", target=device, changes={"window": window.pk})
    return device, code


@transaction.atomic
def hall_device_pair(*, code: str) -> tuple[HallDevice, str]:
    """配对: the pairing code typed on the device becomes the device's token (returned once, for its cookie)."""
    code = (code or "").strip()
    device = (
        HallDevice.objects.select_for_update()
        .filter(pairing_hash=_sha(code), revoked_at__isnull=True, pairing_until__gt=_now())
        .first()
        if len(code) == 8 and code.isdigit()
        else None
    )
    if device is None:
        raise DomainError(ErrorCode.VALIDATION, "配对码不正确或已过期，请向管理员重新获取", field="code")
    token = secrets.token_urlsafe(32)
    device.token_hash = _sha(token)
    device.pairing_hash = ""
    device.pairing_until = None
    device.paired_at = _now()
    device.save(update_fields=["token_hash", "pairing_hash", "pairing_until", "paired_at"])
    record(actor=None, action="evaluation.device_pair", target=device, changes={"window": device.window_id})
    return device, token


@transaction.atomic
def hall_device_revoke(*, actor: Any, device_id: int) -> HallDevice:
    device = HallDevice.objects.select_for_update().filter(pk=device_id).first()
    if device is None or not Window.objects.filter(selectors.device_manage_q(actor), pk=device.window_id).exists():
        raise not_found("评价设备")
    if device.revoked_at is None:
        device.revoked_at = _now()
        device.revoked_by = actor
        device.token_hash = ""
        device.pairing_hash = ""
        device.save(update_fields=["revoked_at", "revoked_by", "token_hash", "pairing_hash"])
        record(actor=actor, action="evaluation.device_revoke", target=device)
    return device


def hall_device_for_token(token: str | None) -> HallDevice | None:
    """The active device whose cookie holds ``token`` (None for a missing, unknown or revoked token)."""
    if not token:
        return None
    device = (
        HallDevice.objects.select_related("window", "window__venue")
        .filter(token_hash=_sha(token), revoked_at__isnull=True)
        .first()
    )
    if device is not None:
        now = _now()
        if device.last_seen_at is None or now - device.last_seen_at > dt.timedelta(minutes=5):
            HallDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
    return device


# --- the 差评 loop --------------------------------------------------------------------------------------


def _order_save(order: RectificationOrder, *fields: str) -> None:
    order.save(update_fields=list(fields))  # ``last_seq`` is written by ``_order_event``


def _order_event(order: RectificationOrder, *, action: str, from_state: str, actor: Any, note: str = "") -> OrderEvent:
    order.last_seq += 1
    RectificationOrder.objects.filter(pk=order.pk).update(last_seq=order.last_seq)
    user = _user_or_none(actor)
    event = OrderEvent.objects.create(
        order=order,
        seq=order.last_seq,
        action=action,
        from_state=from_state,
        to_state=order.state,
        actor=user,
        note=note,
        at=_now(),
    )
    changes: dict[str, Any] = {"event": event.seq}
    if from_state != order.state:
        changes["state"] = [from_state, order.state]
    record(actor=user, action=f"evaluation.order_{action}", target=order, changes=changes)
    return event


def _order_open(evaluation: Evaluation, event: ServiceEvent, *, now: dt.datetime) -> RectificationOrder:
    """A bad rating opens its order by itself, assigned to the department and window responsible."""
    order = RectificationOrder.objects.create(
        evaluation=evaluation,
        department_id=event.department_id,
        window_id=event.window_id,
        staff_id=event.staff_id,
        state=OrderState.VERIFYING,
        opened_at=now,
        due=due_after(timezone.localdate(now), conf.rectify_workdays()),
    )
    _order_event(order, action=OrderAction.OPEN, from_state="", actor=None, note=f"{evaluation.get_level_display()}")
    return order


def _lock_order(actor: Any, order_id: int) -> RectificationOrder:
    """The order row, locked: concurrent transitions queue here and the second sees the first's state.
    Anyone who may not see the order gets not-found."""
    order = (
        RectificationOrder.objects.select_for_update(of=("self",))
        .filter(selectors.order_visible_q(actor), pk=order_id)
        .first()
    )
    if order is None:
        raise not_found("整改单")
    return order


def _require(order: RectificationOrder, state: str, doing: str) -> None:
    if order.state != state:
        raise DomainError(ErrorCode.INVALID_STATE, f"整改单当前状态为“{order.get_state_display()}”，不能{doing}")


def _may(actor: Any, order: RectificationOrder, q: Any, message: str) -> None:
    if not selectors.order_may(actor, order, q):
        raise permission_denied(message)


@transaction.atomic
def order_verify(*, actor: Any, order_id: int, verdict: str, note: str) -> RectificationOrder:
    """核实: 情况属实 → 整改; 误评 or 恶意差评 → 申诉复核. The rated staff member never verifies his own."""
    order = _lock_order(actor, order_id)
    _may(actor, order, selectors.order_handle_q(actor), "您不是该差评的责任部门人员，不能核实")
    if order.staff_id is not None and order.staff_id == actor.pk:
        raise permission_denied("被评价的工作人员不能核实对本人的差评")
    if verdict not in Verdict.values:
        raise DomainError(ErrorCode.VALIDATION, "请选择核实结论", field="verdict")
    note = _text(note, field="note", label="核实情况", required=True)
    _require(order, OrderState.VERIFYING, "核实")
    old = order.state
    order.verdict = verdict
    order.verify_note = note
    order.verified_at = _now()
    order.verified_by = actor
    order.state = OrderState.RECTIFYING if verdict == Verdict.GENUINE else OrderState.APPEALING
    _order_save(order, "verdict", "verify_note", "verified_at", "verified_by", "state")
    _order_event(order, action=OrderAction.VERIFY, from_state=old, actor=actor, note=note)
    return order


@transaction.atomic
def order_review(*, actor: Any, order_id: int, decision: str, note: str) -> RectificationOrder:
    """申诉复核 by a reviewer (监察、管理机构): 维持评价 → 整改; 评价无效 → the rating is voided (kept, not
    counted) and the order ends. The verifier never reviews his own appeal."""
    order = _lock_order(actor, order_id)
    _may(actor, order, selectors.order_review_q(actor), "只有申诉复核人员（监察或政务服务管理机构）可以复核")
    if order.verified_by_id == actor.pk:
        raise permission_denied("核实人不能复核本人提出的申诉")
    if decision not in ReviewDecision.values:
        raise DomainError(ErrorCode.VALIDATION, "请选择复核结论", field="decision")
    note = _text(note, field="note", label="复核意见", required=True)
    _require(order, OrderState.APPEALING, "复核")
    old = order.state
    now = _now()
    order.review_decision = decision
    order.review_note = note
    order.reviewed_at = now
    order.reviewed_by = actor
    fields = ["review_decision", "review_note", "reviewed_at", "reviewed_by", "state"]
    if decision == ReviewDecision.UPHOLD:
        order.state = OrderState.RECTIFYING
    else:
        order.state = OrderState.VOIDED
        order.closed_at = now
        fields.append("closed_at")
        evaluation = Evaluation.objects.select_for_update().get(pk=order.evaluation_id)
        evaluation.voided_at = now
        evaluation.save(update_fields=["voided_at"])
        _revision(evaluation, "申诉成立，评价作废", now)
    _order_save(order, *fields)
    _order_event(order, action=OrderAction.REVIEW, from_state=old, actor=actor, note=note)
    return order


@transaction.atomic
def order_rectify(*, actor: Any, order_id: int, measures: str) -> RectificationOrder:
    """整改完成: the responsible department records what it changed; the order waits for the 回访."""
    order = _lock_order(actor, order_id)
    _may(actor, order, selectors.order_handle_q(actor), "您不是该差评的责任部门人员，不能登记整改")
    measures = _text(measures, field="measures", label="整改措施", required=True)
    _require(order, OrderState.RECTIFYING, "登记整改")
    old = order.state
    order.measures = measures
    order.rectified_at = _now()
    order.rectified_by = actor
    order.state = OrderState.REVISITING
    _order_save(order, "measures", "rectified_at", "rectified_by", "state")
    _order_event(order, action=OrderAction.RECTIFY, from_state=old, actor=actor, note=measures)
    return order


@transaction.atomic
def order_revisit(
    *, actor: Any, order_id: int, level: str, method: str = RevisitMethod.ONLINE, note: str = ""
) -> RectificationOrder:
    """回访: the citizen's satisfaction with the rectification — given by the rater himself online, or
    recorded by an independent revisitor (12345 话务员, 管理机构) after a call; never by the department that
    rectified or the staff member rated. Closes the order."""
    order = _lock_order(actor, order_id)
    is_rater = selectors.is_citizen(actor) and selectors.order_may(actor, order, selectors.order_citizen_q(actor))
    if is_rater:
        method = RevisitMethod.ONLINE
    else:
        _may(
            actor,
            order,
            selectors.order_revisit_q(actor),
            "回访须由评价人本人或独立的回访人员（12345、政务服务管理机构）记录，责任部门不能自行回访",
        )
        if method not in RevisitMethod.values or method == RevisitMethod.ONLINE:
            raise DomainError(ErrorCode.VALIDATION, "请选择回访方式（电话、短信或上门）", field="method")
    if level not in Level.values:
        raise DomainError(ErrorCode.VALIDATION, "请选择群众对整改结果的满意程度", field="level")
    note = _text(note, field="note", label="回访记录", required=not is_rater)
    _require(order, OrderState.REVISITING, "回访")
    old = order.state
    now = _now()
    order.revisit_level = level
    order.revisit_method = method
    order.revisit_note = note
    order.revisited_at = now
    order.revisited_by = actor
    order.state = OrderState.CLOSED
    order.closed_at = now
    _order_save(
        order, "revisit_level", "revisit_method", "revisit_note", "revisited_at", "revisited_by", "state", "closed_at"
    )
    _order_event(order, action=OrderAction.REVISIT, from_state=old, actor=actor, note=note or Level(level).label)
    if level in BAD_LEVELS:
        _hand_off_to_hotline(order, note)
    return order


def _hand_off_to_hotline(order: RectificationOrder, note: str) -> None:
    """A citizen still dissatisfied after the rectification: the complaint goes on as a 12345 work order
    (投诉, source 好差评) with its own deadline, 督办 and revisit, so no bad review ends unresolved
    (Gonghe 一(二): 好差评 and 12345 linked as one 总客服). The same order never makes two tickets."""
    from yiwang.hotline.choices import TicketSource, TicketType
    from yiwang.hotline.services import ticket_create

    evaluation = order.evaluation
    department = Department.objects.select_related("region").get(pk=order.department_id)
    ticket_create(
        actor=None,
        source=TicketSource.EVALUATION,
        ticket_type=TicketType.COMPLAINT,
        title=f"差评整改后群众仍不满意（{department.name}）"[:100],
        content=(
            f"好差评整改单 {order.pk}：群众评价“{Level(evaluation.level).label}”，"
            f"整改措施：{order.measures or '（无）'}；回访意见：{note or Level(order.revisit_level).label}"
        ),
        region=department.region,
        citizen=evaluation.rater,
        external_ref=f"evaluation:{order.pk}",
    )


def orders_escalate_overdue(*, on: dt.date | None = None, limit: int = 500) -> int:
    """超期督办 (worker tick): each order still to be rectified after its deadline is escalated once at
    level 1 and, ``conf.escalate_workdays()`` working days later, once at level 2. Returns how many
    escalations were recorded. Safe to run concurrently: the order row is locked and (order, level) unique."""
    on = on or _today()
    second = conf.escalate_workdays()
    ids = list(
        RectificationOrder.objects.filter(state__in=RUNNING_ORDER_STATES, due__lt=on)
        .order_by("due", "id")
        .values_list("pk", flat=True)[:limit]
    )
    made = 0
    for order_id in ids:
        with transaction.atomic():
            order = (
                RectificationOrder.objects.select_for_update()
                .filter(pk=order_id, state__in=RUNNING_ORDER_STATES, due__lt=on)
                .first()
            )
            if order is None:
                continue
            try:
                overdue = workdays_between(order.due, on)
            except DomainError:
                overdue = (on - order.due).days
            levels = [1] + ([2] if overdue >= second else [])
            done = set(OrderEscalation.objects.filter(order=order).values_list("level", flat=True))
            for level in levels:
                if level in done:
                    continue
                OrderEscalation.objects.create(order=order, level=level, overdue_workdays=max(overdue, 1), at=_now())
                note = f"超期{max(overdue, 1)}个工作日，{'一级督办（责任部门）' if level == 1 else '二级督办（监察）'}"
                _order_event(order, action=OrderAction.ESCALATE, from_state=order.state, actor=None, note=note)
                made += 1
    return made
