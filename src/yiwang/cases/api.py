"""Cases API (办件) at ``/api/v1/cases``: one door for every client of a case.

- Applicants: drafts that save themselves (``PUT /drafts/{item_id}`` with a revision), submission with an
  ``Idempotency-Key``, my cases, a case's detail (steps, materials, notices, timeline, deadlines and the
  actions open to the caller), 补正, 撤回, 出件方式, 容缺后补, and each notice as a PDF.
- The public progress lookup (办件编号 + 查询码), limited against guessing.
- Staff (工作台): queues and their counts, every transition, the lights of their scope.
- Department systems (审管联动): submit cases (``channel="api"``), list changed cases, read the event feed.

Every write is one call to ``cases.services`` and every read goes through the scoped ``cases.selectors``;
the pages call the same functions, so a case behaves the same whichever door it came through. Anyone who
may not see a case gets the same 404 as for a case that does not exist; someone who may see it but not
act on it gets the service's 403 or 409, and nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.params.functions import Header as header_param

from yiwang.accounts.choices import UserKind
from yiwang.accounts.permissions import Action, scopes_for
from yiwang.api.problems import problem
from yiwang.audit.services import record
from yiwang.cases import selectors, services
from yiwang.cases.choices import (
    CaseState,
    CheckState,
    DeliveryMethod,
    EventAction,
    Light,
    MaterialStatus,
    StepState,
)
from yiwang.cases.deadlines import light_of
from yiwang.cases.form_data import form_display
from yiwang.cases.models import (
    ApplicationDraft,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    CommitmentCheck,
    SpecialProcedure,
    Urge,
)
from yiwang.cases.notices import notice_pdf
from yiwang.cases.schemas import (
    AcceptIn,
    CaseDetailOut,
    CasePageOut,
    CaseSubmittedOut,
    CloseIn,
    CommitmentCheckIn,
    DecideIn,
    DeferredSupplyIn,
    DeliverySetIn,
    DraftIn,
    DraftOut,
    DraftQuery,
    EventFeedOut,
    EventsQuery,
    ExtendIn,
    LightsQuery,
    LightStatsOut,
    LookupOut,
    LookupQuery,
    PageQuery,
    ProcedureOut,
    QueueCountOut,
    QueuePageOut,
    QueueQuery,
    RejectIn,
    RequestSupplementIn,
    SpecialEndIn,
    SpecialStartIn,
    StepAssignIn,
    StepCompleteIn,
    StepOut,
    StepReturnIn,
    SubmitIn,
    SupplementIn,
    SyncPageOut,
    SyncQuery,
    UrgeIn,
    UrgeOut,
    UrgeRespondIn,
    WithdrawIn,
)
from yiwang.catalog.choices import SpecialProcedureType
from yiwang.core.errors import DomainError, ErrorCode, FieldError, not_found, permission_denied, status_title
from yiwang.core.masking import mask_name
from yiwang.core.ratelimit import attempt_count, client_address
from yiwang.regions.models import Department, Window

router = Router(tags=["办件"])

READ_PURPOSE = "办理或监督办件（查看申请表）"
IDEMPOTENCY_HEADER = "Idempotency-Key"

# 公开查询 is guarded against guessing the 6-digit 查询码: failed lookups are counted per client address
# and per case number (so a distributed guess at one case is limited too); past either limit every lookup
# is refused for the rest of the window, the right code included.
LOOKUP_WINDOW_SECONDS = 3600
LOOKUP_FAILURES_PER_IP = 10
LOOKUP_FAILURES_PER_NUMBER = 20

# Events an applicant does not see in his timeline: internal supervision and work distribution.
INTERNAL_EVENTS = frozenset({EventAction.URGE, EventAction.URGE_RESPOND, EventAction.STEP_ASSIGN})


# --- helpers ---------------------------------------------------------------------------------------------


def _is_staff(user: Any) -> bool:
    return getattr(user, "kind", None) == UserKind.STAFF


def _in_scope(user: Any, action: str, department: Department) -> bool:
    """``department`` lies in one of ``user``'s scopes for ``action`` (the rule of ``department_q``, in
    Python, so a page of actions costs no query per check)."""
    path = department.region.path
    return any(
        path.startswith(scope.region_path) and scope.department_id in (None, department.pk)
        for scope in scopes_for(user, action)
    )


def _case_in_scope(user: Any, action: str, case: Case, steps: Iterable[CaseStep]) -> bool:
    """The rule of ``selectors.staff_case_q``: the case's department, or a 联办 step's department for a
    department-scoped grant."""
    if _in_scope(user, action, case.department):
        return True
    department_scoped = {s.department_id for s in scopes_for(user, action) if s.department_id is not None}
    return any(step.department_id in department_scoped and _in_scope(user, action, step.department) for step in steps)


def _require_staff_view(user: Any) -> None:
    if not scopes_for(user, Action.CASE_VIEW):
        raise permission_denied("仅有办件查看权限的工作人员可以使用该接口")


def _case_light(case: Case, on: Any) -> str | None:
    if case.state != CaseState.HANDLING:
        return None
    return light_of(due=case.promise_due, warn_on=case.warn_on, paused=case.paused_since is not None, today=on)


def _row_light(case: Case) -> str | None:
    """The light annotated by ``selectors.with_lights``; a case that is not in handling has none."""
    return getattr(case, "light", None) if case.state == CaseState.HANDLING else None


def _page(queryset: QuerySet[Case], page: int, page_size: int) -> tuple[int, list[Case]]:
    count = queryset.count()
    start = (page - 1) * page_size
    return count, list(queryset[start : start + page_size])


def _etag(*parts: object) -> str:
    return '"' + hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32] + '"'


def _not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    tags = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in tags:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    return None


def _user_name(user: Any) -> str:
    return (user.display_name or user.username) if user is not None else ""


# --- drafts ----------------------------------------------------------------------------------------------


def _draft_out(draft: ApplicationDraft) -> dict[str, Any]:
    return {
        "item_id": draft.item_id,
        "identity": draft.identity,
        "revision": draft.revision,
        "form": services.draft_form(draft),
        "materials": draft.materials,
        "updated_at": draft.updated_at,
    }


@router.get(
    "/drafts/{item_id}",
    response=DraftOut,
    summary="读取申请草稿（可在另一台设备上继续填写）",
    description="ETag 为修订号；带 If-None-Match 时未变化返回304。",
)
def case_draft_get(request: HttpRequest, response: HttpResponse, item_id: int, query: Query[DraftQuery]) -> Any:
    identity = services.draft_identity(enterprise_id=query.enterprise_id, principal_id=query.principal_id)
    draft = selectors.draft_get(user=request.user, item_id=item_id, identity=identity)
    if draft is None:
        raise not_found("申请草稿")
    etag = f'"{draft.revision}"'
    early = _not_modified(request, etag)
    if early is not None:
        return early
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return _draft_out(draft)


@router.put(
    "/drafts/{item_id}",
    response=DraftOut,
    summary="保存申请草稿（自动保存，带修订号）",
    description="填写中的内容原样保存，不做必填校验。revision 为读取时的修订号：其他设备已保存过更新的版本时"
    "返回409（code=conflict，字段 body.revision），请重新读取后再保存，双方都不会被静默覆盖。",
)
def case_draft_save(request: HttpRequest, response: HttpResponse, item_id: int, payload: DraftIn) -> Any:
    identity = services.draft_identity(enterprise_id=payload.enterprise_id, principal_id=payload.principal_id)
    draft = services.draft_save(
        actor=request.user,
        item_id=item_id,
        identity=identity,
        form=payload.form,
        materials=payload.materials,
        revision=payload.revision,
    )
    response["ETag"] = f'"{draft.revision}"'
    return _draft_out(draft)


# --- submission ------------------------------------------------------------------------------------------


def _header_problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A DomainError about the idempotency key points at the header it came in, not at the body."""
    errors = [
        FieldError(
            field=f"header.{IDEMPOTENCY_HEADER}" if e.field == "idempotency_key" else f"body.{e.field}",
            message=e.message,
            code=e.code,
        )
        for e in exc.errors
    ]
    return problem(request, status=exc.status, code=exc.code.value, title=exc.title, detail=exc.message, errors=errors)


def _submitted_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "state": case.state,
        "state_label": case.get_state_display(),
        "item_name": case.version.name,
        "department_name": case.department.name,
        "channel": case.channel,
        "submitted_at": case.submitted_at,
        "lookup_code": case.lookup_code,
        "materials": [
            {"code": m.code, "name": m.name, "status": m.status, "status_label": m.get_status_display()}
            for m in case.materials.all()  # known from the submission without a query (case, id order)
        ],
    }


@router.post(
    "",
    response={200: CaseSubmittedOut, 201: CaseSubmittedOut},
    summary="提交申请（网上申请或部门系统推送）",
    description=(
        "返回201和新办件。请求头 Idempotency-Key（≤64位字母、数字或 - _ : .）使提交可以安全重试："
        "同一账号以同一幂等键再次提交同一份申请时，不会产生第二个办件，而是返回第一次创建的办件，状态码为200；"
        "同一幂等键用于内容不同的申请时返回409（字段 header.Idempotency-Key）。"
        "两个相同的请求同时到达时办件也只有一个，但两者都可能得到201。\n\n"
        "channel=online：办事群众本人、企业经办人（enterprise_id）或代办人（principal_id）网上申请；"
        "提交成功后同一身份的申请草稿被删除。channel=api：部门系统以有受理权限的工作人员账号或令牌推送，"
        "须填 person_id 或 enterprise_id。申请表不合法时一次列出全部问题（字段 body.form.<字段>）。"
    ),
)
def case_submit(
    request: HttpRequest,
    payload: SubmitIn,
    idempotency_key: str = header_param(
        "", alias=IDEMPOTENCY_HEADER, max_length=64, description="幂等键：重试同一提交时原样带上"
    ),
) -> Any:
    user: Any = request.user
    key = idempotency_key.strip()
    delivery = payload.delivery
    try:
        case = services.case_submit(
            actor=user,
            item_id=payload.item_id,
            form=payload.form,
            materials=payload.materials,
            channel=payload.channel,
            idempotency_key=key,
            enterprise_id=payload.enterprise_id,
            principal_id=payload.principal_id,
            person_id=payload.person_id,
            delivery_method=delivery.method if delivery else "",
            pickup_window_id=delivery.pickup_window_id if delivery else None,
            address=delivery.address if delivery else "",
            commitment_signed=payload.commitment_signed,
        )
    except DomainError as exc:
        if any(e.field == "idempotency_key" for e in exc.errors):
            return _header_problem(request, exc)
        raise
    # The service marks a case it found by the key (a retried submission) instead of making one.
    return Status(200 if getattr(case, "replayed", False) else 201, _submitted_out(case))


# --- lists -----------------------------------------------------------------------------------------------


def _row(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "item_name": case.version.name,
        "department_id": case.department_id,
        "department_name": case.department.name,
        "state": case.state,
        "state_label": case.get_state_display(),
        "light": _row_light(case),
        "applicant_name": case.applicant_name,
        "channel": case.channel,
        "submitted_at": case.submitted_at,
        "promise_due": case.promise_due,
        "legal_due": case.legal_due,
        "deferred_due": case.deferred_due,
    }


@router.get("/mine", response=CasePageOut, summary="我的办件（本人、代办与所代表企业的）")
def case_list_mine(request: HttpRequest, query: Query[PageQuery]) -> Any:
    queryset = selectors.with_lights(selectors.case_list_for_applicant(user=request.user))
    count, rows = _page(queryset, query.page, query.page_size)
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [_row(c) for c in rows]}


@router.get(
    "",
    response=SyncPageOut,
    summary="办件列表（部门系统同步用，按最近变化排序）",
    description="工作人员或部门系统令牌可见范围内的办件，按最近一次过程事件的时间升序；"
    "updated_after 只列出该时间之后有变化的办件。逐条变化请读 /events。",
)
def case_list_sync(request: HttpRequest, query: Query[SyncQuery]) -> Any:
    user: Any = request.user
    _require_staff_view(user)
    latest = CaseEvent.objects.filter(case_id=OuterRef("pk")).order_by("-seq").values("at")[:1]
    queryset = (
        selectors.with_lights(selectors.case_list_for_staff(user=user, action=Action.CASE_VIEW))
        .annotate(updated_at=Subquery(latest))
        .select_related("department", "version", "item")
        .order_by("updated_at", "id")
    )
    if query.updated_after is not None:
        queryset = queryset.filter(updated_at__gt=query.updated_after)
    count, rows = _page(queryset, query.page, query.page_size)
    items = [
        {
            "id": c.pk,
            "number": c.number,
            "item_code": c.item.code,
            "item_name": c.version.name,
            "department_id": c.department_id,
            "state": c.state,
            "channel": c.channel,
            "accept_mode": c.accept_mode,
            "applicant_kind": c.applicant_kind,
            "applicant_name": c.applicant_name,
            "decision": c.decision,
            "submitted_at": c.submitted_at,
            "accepted_at": c.accepted_at,
            "decided_at": c.decided_at,
            "closed_at": c.closed_at,
            "promise_due": c.promise_due,
            "legal_due": c.legal_due,
            "light": _row_light(c),
            "last_event_seq": c.last_event_seq,
            "updated_at": c.updated_at,  # type: ignore[attr-defined]
        }
        for c in rows
    ]
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": items}


# --- detail ----------------------------------------------------------------------------------------------


def _owed(materials: Sequence[CaseMaterial]) -> bool:
    return any(m.status == MaterialStatus.DEFERRED for m in materials)


def _actions(
    user: Any,
    case: Case,
    *,
    applicant_side: bool,
    steps: Sequence[CaseStep],
    materials: Sequence[CaseMaterial],
    procedures: Sequence[SpecialProcedure],
    open_urge: bool,
    check: CommitmentCheck | None,
    light: str | None,
) -> tuple[list[str], dict[int, list[str]]]:
    """What ``user`` may do now, for showing buttons. A hint only: every service checks again."""
    state = case.state
    owed_and_open = _owed(materials) and state in (CaseState.HANDLING, CaseState.DECIDED, CaseState.CLOSED)
    actions: list[str] = []

    def add(name: str) -> None:
        if name not in actions:
            actions.append(name)

    if applicant_side:
        if state == CaseState.SUPPLEMENT:
            add("supplement")
        if state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING):
            add("withdraw")
        if state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING, CaseState.DECIDED):
            add("delivery")
        if owed_and_open:
            add("deferred_materials")
    if _case_in_scope(user, Action.CASE_ACCEPT, case, steps):
        if state == CaseState.SUBMITTED:
            add("accept")
            add("request_supplement")
        if state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT):
            add("reject")
        if state == CaseState.SUPPLEMENT:
            add("supplement")
        if owed_and_open:
            add("deferred_materials")
        if state == CaseState.DECIDED:
            add("close")

    def handles(department: Department) -> bool:
        return _in_scope(user, Action.CASE_HANDLE, department)

    step_actions: dict[int, list[str]] = {}
    open_steps = [s for s in steps if s.state == StepState.OPEN]
    handler = any(handles(s.department) for s in open_steps) or handles(case.department)
    if state == CaseState.HANDLING:
        current = [s for s in open_steps if s.block == case.current_block]
        parallel_open = any(not s.is_final for s in current)
        for step in current:
            own: list[str] = []
            if handles(step.department):
                own.append("assign")
                if step.assignee_id in (None, user.pk):
                    if not step.is_final:
                        own.append("complete")
                    elif not parallel_open and case.paused_since is None:
                        own.append("decide")
                    if step.block >= 3:  # blocks 2… are the review steps; 受理 (block 1) is never reopened
                        own.append("return")
            step_actions[step.pk] = own
        for step_action, name in (("complete", "step_complete"), ("return", "step_return"), ("assign", "step_assign")):
            if any(step_action in a for a in step_actions.values()):
                add(name)
        if any("decide" in a for a in step_actions.values()):
            add("decide")
        if handler:
            defined = [
                p
                for p in case.version.content.get("special_procedures") or []
                if p.get("type") != SpecialProcedureType.EXTENSION
            ]
            if defined:
                add("special_start")
            if any(p.ended_at is None for p in procedures):
                add("special_end")
            joint = bool(case.version.content.get("joint_departments"))
            if case.extended_days < (services.EXTENSION_MAX_DAYS_JOINT if joint else services.EXTENSION_MAX_DAYS):
                add("extend")
        if (
            light in (Light.YELLOW, Light.RED)
            and not open_urge
            and _case_in_scope(user, Action.CASE_SUPERVISE, case, steps)
        ):
            add("urge")
    if open_urge and handler:
        add("urge_respond")
    if check is not None and check.state == CheckState.PENDING and handles(case.department):
        add("commitment_check")
    return actions, step_actions


def _applicant(case: Case) -> dict[str, Any]:
    person = case.applicant_person
    enterprise = case.applicant_enterprise if case.applicant_enterprise_id else None
    return {
        "kind": case.applicant_kind,
        "name": case.applicant_name,
        "person_id": person.pk if person else None,
        "id_number_masked": person.id_number_masked if person else "",
        "enterprise_id": enterprise.pk if enterprise else None,
        "uscc": enterprise.uscc if enterprise else "",
    }


def _delivery(case: Case, *, applicant_side: bool, show_address: bool) -> dict[str, Any]:
    window = ""
    if case.pickup_window_id:
        row = Window.objects.select_related("venue").get(pk=case.pickup_window_id)
        window = f"{row.venue.name} {row.number} {row.name}"
    return {
        "method": case.delivery_method,
        "method_label": DeliveryMethod(case.delivery_method).label if case.delivery_method else "",
        "pickup_window": window,
        # The clerk checks the code the applicant shows; staff never see it, or the check would mean nothing.
        "pickup_code": case.pickup_code if applicant_side else "",
        "address": services.case_address(case) if show_address else "",
        "tracking_number": case.tracking_number,
    }


def _step_out(step: CaseStep, *, on: Any, paused: bool, actions: list[str]) -> dict[str, Any]:
    is_open = step.state == StepState.OPEN
    return {
        "id": step.pk,
        "position": step.position,
        "block": step.block,
        "name": step.name,
        "is_final": step.is_final,
        "department_id": step.department_id,
        "department_name": step.department.name,
        "state": step.state,
        "state_label": step.get_state_display(),
        "assignee_id": step.assignee_id,
        "assignee_name": _user_name(step.assignee),
        "opinion": step.opinion,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "due": step.due,
        "light": light_of(due=step.due, warn_on=step.warn_on, paused=paused, today=on) if is_open else None,
        "actions": actions,
    }


def _procedure_out(p: SpecialProcedure) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "name": p.name,
        "reason": p.reason,
        "pauses_clock": p.pauses_clock,
        "planned_days": p.planned_days,
        "extension_days": p.extension_days,
        "started_on": p.started_on,
        "ended_on": p.ended_on,
        "paused_workdays": p.paused_workdays,
        "result": p.result,
    }


def _urge_out(u: Urge) -> dict[str, Any]:
    return {
        "id": u.pk,
        "light": u.light,
        "message": u.message,
        "created_at": u.created_at,
        "created_by_name": _user_name(u.created_by),
        "response": u.response,
        "responded_at": u.responded_at,
        "responded_by_name": _user_name(u.responded_by),
    }


def _detail(user: Any, case: Case, *, applicant_side: bool, read_form: bool) -> dict[str, Any]:
    """A case as ``user`` may see it. ``read_form``: include the application form (a staff read of it is
    audited by the caller); transitions answer without it."""
    on = selectors.today()
    steps = list(case.steps.select_related("assignee", "department__region").order_by("started_at", "id"))
    staff_view = _case_in_scope(user, Action.CASE_VIEW, case, steps)
    materials = list(case.materials.order_by("id"))
    links: dict[int, list[int]] = {}
    through = CaseMaterial.uploads.through
    for material_id, upload_id in (
        through.objects.filter(casematerial__case=case).order_by("id").values_list("casematerial_id", "upload_id")
    ):
        links.setdefault(material_id, []).append(upload_id)
    notices = list(case.notices.order_by("issued_at", "id"))
    events = list(selectors.case_events(case=case))
    procedures = list(case.special_procedures.order_by("started_at", "id"))
    urges = list(case.urges.select_related("created_by", "responded_by").order_by("-created_at", "-id"))
    check = CommitmentCheck.objects.filter(case=case).first()
    light = _case_light(case, on)
    actions, step_actions = _actions(
        user,
        case,
        applicant_side=applicant_side,
        steps=steps,
        materials=materials,
        procedures=procedures,
        open_urge=any(u.responded_at is None for u in urges),
        check=check,
        light=light,
    )
    form_rows = form_values = None
    if read_form:
        values = services.case_form(case)
        form_rows = form_display(fields=list(case.version.content.get("form") or []), data=values)
        form_values = values if applicant_side else None
    if not staff_view:
        events = [e for e in events if e.action not in INTERNAL_EVENTS]
    paused = case.paused_since is not None
    return {
        "id": case.pk,
        "number": case.number,
        "item_id": case.item_id,
        "item_code": case.item.code,
        "item_name": case.version.name,
        "version": case.version.number,
        "department_id": case.department_id,
        "department_name": case.department.name,
        "channel": case.channel,
        "channel_label": case.get_channel_display(),
        "state": case.state,
        "state_label": case.get_state_display(),
        "accept_mode": case.accept_mode,
        "light": light,
        "applicant": _applicant(case),
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "decision": case.decision,
        "decision_reason": case.decision_reason,
        "decided_at": case.decided_at,
        "result_name": case.result_name,
        "closed_at": case.closed_at,
        "lookup_code": case.lookup_code if applicant_side else "",
        "deadlines": {
            "legal_due": case.legal_due,
            "promise_due": case.promise_due,
            "warn_on": case.warn_on,
            "deferred_due": case.deferred_due,
            "paused_since": case.paused_since,
            "paused_days": case.paused_days,
            "extended_days": case.extended_days,
        },
        "delivery": _delivery(case, applicant_side=applicant_side, show_address=applicant_side or read_form),
        "steps": [_step_out(s, on=on, paused=paused, actions=step_actions.get(s.pk, [])) for s in steps],
        "materials": [
            {
                "id": m.pk,
                "code": m.code,
                "name": m.name,
                "necessity": m.necessity,
                "status": m.status,
                "status_label": m.get_status_display(),
                "problem": m.problem,
                "uploads": links.get(m.pk, []),
                "originals_received": m.originals_received,
                "copies_received": m.copies_received,
                "supplied_at": m.supplied_at,
            }
            for m in materials
        ],
        "notices": [
            {
                "id": n.pk,
                "kind": n.kind,
                "title": n.get_kind_display(),
                "number": n.number,
                "items": n.items,
                "issued_at": n.issued_at,
                "answered_at": n.answered_at,
                "pdf_url": reverse("api:case_notice_pdf", kwargs={"case_id": case.pk, "notice_id": n.pk}),
            }
            for n in notices
        ],
        "events": [
            {
                "seq": e.seq,
                "action": e.action,
                "action_label": e.get_action_display(),
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor_name": e.actor_name,
                "reason": e.reason,
                "at": e.at,
                "data": e.data if staff_view else {},
            }
            for e in events
        ],
        "special_procedures": [_procedure_out(p) for p in procedures],
        "urges": [_urge_out(u) for u in urges] if staff_view else [],
        "commitment_check": (
            {
                "due": check.due,
                "state": check.state,
                "state_label": check.get_state_display(),
                "note": check.note,
                "checked_at": check.checked_at,
            }
            if check is not None
            else None
        ),
        "auto_decision": case.auto_decision,
        "form": form_rows,
        "form_values": form_values,
        "actions": actions,
    }


def _after(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The detail answered by a transition (without the form, so nothing personal is read again)."""
    user: Any = request.user
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    return _detail(user, case, applicant_side=selectors.case_is_applicant_side(user=user, case=case), read_form=False)


def _visible(request: HttpRequest, case_id: int) -> Case:
    """The case if the caller may see it; else the same 404 as for a case that does not exist."""
    return selectors.case_get_for_user(user=request.user, case_id=case_id)


@router.get(
    "/{int:case_id}",
    response=CaseDetailOut,
    summary="办件详情（状态、环节、材料、文书、时间线、时限、可执行操作）",
    description="申请人与范围内的工作人员可见，其他人得到与不存在相同的404。工作人员每次读取申请表都记入审计日志"
    "（case.read）。身份证号、电话脱敏显示。ETag 随办件过程变化，带 If-None-Match 时未变化返回304。",
)
def case_detail(request: HttpRequest, response: HttpResponse, case_id: int) -> Any:
    user: Any = request.user
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    applicant_side = selectors.case_is_applicant_side(user=user, case=case)
    if _is_staff(user):
        # 个人信息访问留痕: the form (and an express address) is personal data, read here by staff.
        record(
            actor=user,
            action="case.read",
            target=case,
            purpose=READ_PURPOSE,
            changes={"read": ["form", "address"] if case.address_cipher else ["form"]},
        )
    etag = _etag(case.pk, case.last_event_seq, selectors.today(), user.pk, applicant_side)
    early = _not_modified(request, etag)
    if early is not None:
        return early
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return _detail(user, case, applicant_side=applicant_side, read_form=True)


@router.get(
    "/{int:case_id}/notices/{notice_id}.pdf",
    summary="文书 PDF（受理通知书、一次性告知书、不予受理通知书、决定书等）",
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF 文书（A4，GB/T 9704 版式）",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def case_notice_pdf(request: HttpRequest, case_id: int, notice_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    notice = case.notices.filter(pk=notice_id).first()
    if notice is None:
        raise not_found("文书")
    pdf = notice_pdf(case=case, notice=notice)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- applicant actions -----------------------------------------------------------------------------------


@router.post(
    "/{int:case_id}/supplement",
    response=CaseDetailOut,
    summary="补正提交（申请人上传补正材料或修改申请表；窗口人员可登记纸质材料）",
)
def case_supplement(request: HttpRequest, case_id: int, payload: SupplementIn) -> Any:
    _visible(request, case_id)
    services.case_supplement(
        actor=request.user,
        case_id=case_id,
        form=payload.form,
        materials=payload.materials,
        paper=payload.paper or None,
    )
    return _after(request, case_id)


@router.post("/{int:case_id}/withdraw", response=CaseDetailOut, summary="撤回申请（作出决定前）")
def case_withdraw(request: HttpRequest, case_id: int, payload: WithdrawIn) -> Any:
    _visible(request, case_id)
    services.case_withdraw(actor=request.user, case_id=case_id, reason=payload.reason)
    return _after(request, case_id)


@router.post("/{int:case_id}/delivery", response=CaseDetailOut, summary="选择出件方式（窗口领取、快递、电子送达）")
def case_delivery(request: HttpRequest, case_id: int, payload: DeliverySetIn) -> Any:
    _visible(request, case_id)
    services.case_delivery_set(
        actor=request.user,
        case_id=case_id,
        method=payload.method,
        pickup_window_id=payload.pickup_window_id,
        address=payload.address,
    )
    return _after(request, case_id)


@router.post(
    "/{int:case_id}/deferred-materials",
    response=CaseDetailOut,
    summary="补交容缺材料（申请人上传；窗口人员可登记纸质材料）",
)
def case_deferred_materials(request: HttpRequest, case_id: int, payload: DeferredSupplyIn) -> Any:
    _visible(request, case_id)
    services.case_deferred_supply(
        actor=request.user, case_id=case_id, materials=payload.materials, paper=payload.paper or None
    )
    return _after(request, case_id)


# --- public lookup ---------------------------------------------------------------------------------------


def _lookup_keys(request: HttpRequest, number: str) -> list[tuple[str, int]]:
    digest = hashlib.sha256(number.strip().encode("utf-8")).hexdigest()[:32]
    return [
        (f"cases:lookup:ip:{client_address(request)}", LOOKUP_FAILURES_PER_IP),
        (f"cases:lookup:number:{digest}", LOOKUP_FAILURES_PER_NUMBER),
    ]


def _lookup_failed(keys: list[tuple[str, int]]) -> None:
    for key, _ in keys:
        attempt_count(key, window_seconds=LOOKUP_WINDOW_SECONDS)


def _lookup_refused(request: HttpRequest) -> HttpResponse:
    status, title = status_title(ErrorCode.RATE_LIMITED)
    response = problem(
        request,
        status=status,
        code=ErrorCode.RATE_LIMITED.value,
        title=title,
        detail="查询失败次数过多，请1小时后再试；如忘记查询码，请登录后在“我的办件”中查看",
    )
    response["Retry-After"] = str(LOOKUP_WINDOW_SECONDS)
    return response


@router.get(
    "/lookup",
    response=LookupOut,
    auth=None,
    summary="办件进度公开查询（办件编号 + 查询码）",
    description="无需登录。只返回事项名称、状态、脱敏的申请人名称和各环节名称与日期，不含任何个人信息。"
    f"同一来源地址1小时内查询失败{LOOKUP_FAILURES_PER_IP}次、或同一办件编号被查询失败{LOOKUP_FAILURES_PER_NUMBER}次后，"
    "1小时内的查询一律返回429。",
)
def case_lookup(request: HttpRequest, response: HttpResponse, query: Query[LookupQuery]) -> Any:
    keys = _lookup_keys(request, query.number)
    counts = cache.get_many([key for key, _ in keys])
    if any(counts.get(key, 0) >= limit for key, limit in keys):
        return _lookup_refused(request)
    case = selectors.case_lookup_public(number=query.number, code=query.code)
    if case is None:
        _lookup_failed(keys)
        raise DomainError(ErrorCode.NOT_FOUND, "未找到该办件，请核对办件编号和查询码")
    steps = case.steps.order_by("started_at", "id")
    response["Cache-Control"] = "private, no-store"
    return {
        "number": case.number,
        "item_name": case.version.name,
        "state": case.state,
        "state_label": case.get_state_display(),
        "applicant_name": mask_name(case.applicant_name),
        "submitted_on": timezone.localdate(case.submitted_at),
        "steps": [
            {
                "name": s.name,
                "state_label": s.get_state_display(),
                "started_on": timezone.localdate(s.started_at),
                "finished_on": timezone.localdate(s.finished_at) if s.finished_at else None,
            }
            for s in steps
        ],
    }


# --- staff: queues and lights ----------------------------------------------------------------------------


@router.get("/queues", response=list[QueueCountOut], summary="工作台各队列的办件数")
def case_queue_counts(request: HttpRequest) -> Any:
    user: Any = request.user
    _require_staff_view(user)
    on = selectors.today()
    return [
        {"name": name, "label": label, "count": selectors.queue(user=user, name=name, on=on).order_by().count()}
        for name, label in selectors.QUEUES.items()
    ]


@router.get(
    "/queues/{name}",
    response=QueuePageOut,
    summary="队列中的办件（按承诺办结日期排序）",
    description="队列：" + "、".join(f"{k} {v}" for k, v in selectors.QUEUES.items()) + "。",
)
def case_queue(request: HttpRequest, name: str, query: Query[QueueQuery]) -> Any:
    user: Any = request.user
    _require_staff_view(user)
    on = selectors.today()
    queryset = selectors.queue(user=user, name=name, on=on)
    if query.department_id is not None:
        queryset = queryset.filter(department_id=query.department_id)
    if query.light is not None:
        queryset = queryset.filter(selectors.light_q(query.light, on=on))
    if query.q.strip():
        queryset = queryset.filter(number__startswith=query.q.strip())
    count, rows = _page(queryset, query.page, query.page_size)
    return {
        "name": name,
        "label": selectors.QUEUES[name],
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "items": [_row(c) for c in rows],
    }


@router.get("/stats/lights", response=LightStatsOut, summary="办理中办件的红黄绿灯统计（本人查看范围内）")
def case_light_stats(request: HttpRequest, query: Query[LightsQuery]) -> Any:
    user: Any = request.user
    _require_staff_view(user)
    on = selectors.today()
    queryset = selectors.case_list_for_staff(user=user, action=Action.CASE_VIEW)
    if query.department_id is not None:
        queryset = queryset.filter(department_id=query.department_id)
    rows = selectors.light_counts(queryset, on=on, by_department=True)

    def counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
        out = {Light.GREEN.value: 0, Light.YELLOW.value: 0, Light.RED.value: 0}
        for row in rows:
            out[row["light"]] += row["n"]
        return {**out, "total": sum(out.values())}

    departments: list[dict[str, Any]] = []
    if query.by_department and rows:
        names = dict(Department.objects.filter(pk__in={r["department_id"] for r in rows}).values_list("pk", "name"))
        for department_id in sorted(names):
            departments.append(
                {
                    "department_id": department_id,
                    "department_name": names[department_id],
                    **counts(r for r in rows if r["department_id"] == department_id),
                }
            )
    return {"on": on, "total": counts(rows), "departments": departments}


# --- staff: acceptance -----------------------------------------------------------------------------------


@router.post(
    "/{int:case_id}/accept",
    response=CaseDetailOut,
    summary="受理（一般、容缺、告知承诺；即办件当场决定）",
    description="两名工作人员同时受理同一办件时只有一人成功，另一人得到409（invalid_state）。",
)
def case_accept(request: HttpRequest, case_id: int, payload: AcceptIn) -> Any:
    _visible(request, case_id)
    services.case_accept(
        actor=request.user,
        case_id=case_id,
        mode=payload.mode,
        deferred_due=payload.deferred_due,
        commitment_signed=payload.commitment_signed,
        check_due=payload.check_due,
        paper=payload.paper or None,
    )
    return _after(request, case_id)


@router.post("/{int:case_id}/reject", response=CaseDetailOut, summary="不予受理（出具不予受理通知书）")
def case_reject(request: HttpRequest, case_id: int, payload: RejectIn) -> Any:
    _visible(request, case_id)
    services.case_reject(actor=request.user, case_id=case_id, reason=payload.reason)
    return _after(request, case_id)


@router.post(
    "/{int:case_id}/request-supplement",
    response=CaseDetailOut,
    summary="一次性告知补正（列出全部需补正的材料及问题）",
)
def case_request_supplement(request: HttpRequest, case_id: int, payload: RequestSupplementIn) -> Any:
    _visible(request, case_id)
    services.case_request_supplement(
        actor=request.user,
        case_id=case_id,
        items=[item.dict() for item in payload.items],
        note=payload.note,
    )
    return _after(request, case_id)


# --- staff: steps and decision ---------------------------------------------------------------------------


@router.post("/{int:case_id}/steps/{step_id}/complete", response=CaseDetailOut, summary="环节通过（审核）")
def case_step_complete(request: HttpRequest, case_id: int, step_id: int, payload: StepCompleteIn) -> Any:
    _visible(request, case_id)
    services.case_step_complete(actor=request.user, case_id=case_id, step_id=step_id, opinion=payload.opinion)
    return _after(request, case_id)


@router.post("/{int:case_id}/steps/{step_id}/return", response=CaseDetailOut, summary="退回到之前的审批环节")
def case_step_return(request: HttpRequest, case_id: int, step_id: int, payload: StepReturnIn) -> Any:
    _visible(request, case_id)
    services.case_step_return(
        actor=request.user, case_id=case_id, step_id=step_id, to_position=payload.to_position, reason=payload.reason
    )
    return _after(request, case_id)


@router.post("/{int:case_id}/steps/{step_id}/assign", response=StepOut, summary="分派或转办环节")
def case_step_assign(request: HttpRequest, case_id: int, step_id: int, payload: StepAssignIn) -> Any:
    case = _visible(request, case_id)
    step = services.case_step_assign(
        actor=request.user, case_id=case_id, step_id=step_id, assignee_id=payload.assignee_id, reason=payload.reason
    )
    step = CaseStep.objects.select_related("assignee", "department").get(pk=step.pk)
    return _step_out(step, on=selectors.today(), paused=case.paused_since is not None, actions=[])


@router.post("/{int:case_id}/decide", response=CaseDetailOut, summary="作出决定（准予或不予）")
def case_decide(request: HttpRequest, case_id: int, payload: DecideIn) -> Any:
    _visible(request, case_id)
    services.case_decide(actor=request.user, case_id=case_id, decision=payload.decision, reason=payload.reason)
    return _after(request, case_id)


@router.post("/{int:case_id}/close", response=CaseDetailOut, summary="出件办结（核对取件码或登记快递单号）")
def case_close(request: HttpRequest, case_id: int, payload: CloseIn) -> Any:
    _visible(request, case_id)
    services.case_close(
        actor=request.user, case_id=case_id, pickup_code=payload.pickup_code, tracking_number=payload.tracking_number
    )
    return _after(request, case_id)


# --- staff: special procedures, extension, checks, supervision ------------------------------------------


@router.post(
    "/{int:case_id}/special-procedures",
    response={201: ProcedureOut},
    summary="启动特别程序（听证、检验、检测、鉴定、专家评审等；暂停计时的程序停表）",
)
def case_special_start(request: HttpRequest, case_id: int, payload: SpecialStartIn) -> Status:
    _visible(request, case_id)
    procedure = services.case_special_start(
        actor=request.user,
        case_id=case_id,
        name=payload.name,
        reason=payload.reason,
        planned_days=payload.planned_days,
    )
    return Status(201, _procedure_out(procedure))


@router.post(
    "/{int:case_id}/special-procedures/{procedure_id}/end",
    response=ProcedureOut,
    summary="结束特别程序（时限按暂停的工作日顺延）",
)
def case_special_end(request: HttpRequest, case_id: int, procedure_id: int, payload: SpecialEndIn) -> Any:
    _visible(request, case_id)
    procedure = services.case_special_end(
        actor=request.user, case_id=case_id, procedure_id=procedure_id, result=payload.result
    )
    return _procedure_out(procedure)


@router.post("/{int:case_id}/extend", response={201: ProcedureOut}, summary="延长审批期限（经本机关负责人批准）")
def case_extend(request: HttpRequest, case_id: int, payload: ExtendIn) -> Status:
    _visible(request, case_id)
    procedure = services.case_extend(actor=request.user, case_id=case_id, days=payload.days, reason=payload.reason)
    return Status(201, _procedure_out(procedure))


@router.post(
    "/{int:case_id}/commitment-check",
    response=CaseDetailOut,
    summary="告知承诺核查结果（属实守诺或承诺不实）",
)
def case_commitment_check(request: HttpRequest, case_id: int, payload: CommitmentCheckIn) -> Any:
    _visible(request, case_id)
    services.case_commitment_check(actor=request.user, case_id=case_id, kept=payload.kept, note=payload.note)
    return _after(request, case_id)


@router.post("/{int:case_id}/urges", response={201: UrgeOut}, summary="督办（黄灯或红灯的办理中办件）")
def case_urge(request: HttpRequest, case_id: int, payload: UrgeIn) -> Status:
    _visible(request, case_id)
    urge = services.case_urge(actor=request.user, case_id=case_id, message=payload.message)
    return Status(201, _urge_out(Urge.objects.select_related("created_by", "responded_by").get(pk=urge.pk)))


@router.post("/{int:case_id}/urges/{urge_id}/respond", response=UrgeOut, summary="督办反馈（办理部门）")
def case_urge_respond(request: HttpRequest, case_id: int, urge_id: int, payload: UrgeRespondIn) -> Any:
    _visible(request, case_id)
    urge = services.case_urge_respond(actor=request.user, case_id=case_id, urge_id=urge_id, response=payload.response)
    return _urge_out(Urge.objects.select_related("created_by", "responded_by").get(pk=urge.pk))


# --- department systems: the event feed ------------------------------------------------------------------


@router.get(
    "/events",
    response=EventFeedOut,
    summary="办件过程事件流（审管联动，按游标读取）",
    description="返回可见范围内、编号大于 after 的事件，按编号升序，最多 limit 条。把应答中的 next 作为下次的 after；"
    "没有新事件时 events 为空、next 不变。事件只追加、不修改，按游标读取不会漏读也不会重复。",
)
def case_event_feed(request: HttpRequest, query: Query[EventsQuery]) -> Any:
    user: Any = request.user
    _require_staff_view(user)
    events = list(selectors.event_feed(user=user, after=query.after, limit=query.limit))
    return {
        "events": [
            {
                "id": e.pk,
                "case_id": e.case_id,
                "case_number": e.case.number,
                "seq": e.seq,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "at": e.at,
                "data": e.data,
            }
            for e in events
        ],
        "next": events[-1].pk if events else query.after,
    }
