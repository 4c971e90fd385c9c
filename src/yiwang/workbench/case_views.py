"""Staff pages of 办件: the work queues, the case page and its actions, the materials viewer, notices as PDF,
and the 综合窗口 intake screen (无差别受理).

Every read goes through ``yiwang.cases.selectors`` (scoped to the user: a case outside his region or
department is "not found"); every write is one call of one ``yiwang.cases.services`` function — the same
functions the API calls. Which action forms a page offers is a convenience computed here; whether an action
is allowed is decided by the service alone, and a refusal re-shows the page with the service's message at
the top of the form and each field error next to its input (the status code is the error's).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts import selectors as account_selectors
from yiwang.accounts import services as account_services
from yiwang.accounts.choices import StaffRole
from yiwang.accounts.forms import PersonFindForm, PersonRegisterForm
from yiwang.accounts.models import LegalPerson, NaturalPerson, StaffAssignment, User
from yiwang.accounts.permissions import ROLE_ACTIONS, Action, department_q, user_can
from yiwang.audit.services import record
from yiwang.cases import deadlines, selectors, services
from yiwang.cases.choices import (
    AcceptMode,
    CaseState,
    Channel,
    CheckState,
    Decision,
    DeliveryMethod,
    Light,
    MaterialStatus,
    StepState,
)
from yiwang.cases.form_data import form_display, form_from_post
from yiwang.cases.models import Case, CaseMaterial, CaseStep, CommitmentCheck
from yiwang.cases.notices import notice_pdf
from yiwang.catalog.choices import ItemState, Necessity, SpecialProcedureType
from yiwang.catalog.models import ItemVersion
from yiwang.catalog.selectors import published_versions
from yiwang.core.errors import DomainError, ErrorCode, not_found
from yiwang.core.forms import add_domain_error
from yiwang.core.identifiers import validate_uscc
from yiwang.files.models import Upload
from yiwang.files.selectors import upload_open
from yiwang.regions.models import Department, Region
from yiwang.workbench import case_forms as forms
from yiwang.workbench.views import staff_required
from yiwang.workdays.calendar import workdays_between

PAGE_SIZE = 20
INTAKE_ITEM_LIMIT = 50
TEXT_LIMIT = 2000

# Which grant shows a queue in the menu (the queue itself is scoped by ``selectors.queue``).
QUEUE_ACTIONS: dict[str, str] = {
    "to_accept": Action.CASE_ACCEPT,
    "supplement": Action.CASE_ACCEPT,
    "to_review": Action.CASE_HANDLE,
    "to_decide": Action.CASE_HANDLE,
    "to_deliver": Action.CASE_ACCEPT,
    "deferred": Action.CASE_VIEW,
    "to_verify": Action.CASE_HANDLE,
    "yellow": Action.CASE_VIEW,
    "red": Action.CASE_VIEW,
    "urged": Action.CASE_VIEW,
}

# 时限灯: a shape and a word beside the colour, so the light is never told by colour alone.
LIGHT_SHOWN: dict[str, dict[str, str]] = {
    Light.GREEN: {"code": "green", "symbol": "●", "label": "绿灯", "meaning": "正常"},
    Light.YELLOW: {"code": "yellow", "symbol": "▲", "label": "黄灯", "meaning": "预警"},
    Light.RED: {"code": "red", "symbol": "■", "label": "红灯", "meaning": "超期"},
}
STATUS_TAGS: dict[str, str] = {
    MaterialStatus.PROVIDED: "ok",
    MaterialStatus.ABSENT: "bad",
    MaterialStatus.DEFERRED: "warn",
    MaterialStatus.COMMITTED: "warn",
    MaterialStatus.EXEMPT: "ok",
}


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def _light(code: str) -> dict[str, str]:
    return LIGHT_SHOWN.get(code, LIGHT_SHOWN[Light.GREEN])


def _remaining(case: Case, on: dt.date, due: dt.date | None) -> str:
    """剩余工作日 of a case in handling until ``due`` (its 承诺 or 法定 due date), as people say it."""
    if case.state != CaseState.HANDLING or due is None:
        return "—"
    if case.paused_since is not None:
        return "暂停计时"
    try:
        days = workdays_between(on, due)
    except DomainError:
        return "—"
    if days < 0 or (days == 0 and due < on):
        return f"超期{-days}个工作日"
    return f"剩余{days}个工作日"


# --- 1. 工作队列 -----------------------------------------------------------------------------------------


def _queue_names(user: Any) -> list[str]:
    return [name for name in selectors.QUEUES if user_can(user, QUEUE_ACTIONS[name])]


def _positive(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) < forms.MAX_ID else None


@staff_required
def queues(request: HttpRequest) -> HttpResponse:
    """工作队列: the queues the user's roles give, with counts, and one queue as a filtered, paged table.

    Queries do not grow with the number of cases: one count per queue, one for the page count, one for
    the page's rows (department and version joined) and one for the open steps of those rows."""
    names = _queue_names(request.user)
    if not names:
        raise PermissionDenied("您没有办件相关岗位")
    name = request.GET.get("queue") or names[0]
    if name not in names:
        return _problem(request, not_found("队列"))
    on = selectors.today()
    counts = [
        {
            "name": n,
            "label": selectors.QUEUES[n],
            "count": selectors.queue(user=request.user, name=n, on=on).count(),
            "current": n == name,
        }
        for n in names
    ]
    departments = Department.objects.filter(department_q(request.user, Action.CASE_VIEW)).order_by("name")
    cases = selectors.queue(user=request.user, name=name, on=on)
    department_id = _positive(request.GET.get("department"))
    if department_id:
        cases = cases.filter(department_id=department_id)
    light = request.GET.get("light", "")
    if light in Light.values:
        cases = cases.filter(Q(light=light), state=CaseState.HANDLING)  # the annotation of with_lights
    number = (request.GET.get("number") or "").strip()[:50]
    if number:
        cases = cases.filter(number__icontains=number)
    cases = cases.prefetch_related(
        Prefetch(
            "steps",
            queryset=CaseStep.objects.filter(state=StepState.OPEN).select_related("assignee").order_by("position"),
            to_attr="open_steps",
        )
    )
    paginator: Paginator[Any] = Paginator(cases, PAGE_SIZE)  # rows carry ``light`` and ``open_steps``
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "case": case,
            "submitted_on": timezone.localdate(case.submitted_at),
            "remaining": _remaining(case, on, case.promise_due),
            "light": _light(case.light) if case.state == CaseState.HANDLING else None,
            "overdue_deferred": case.deferred_due is not None and case.deferred_due < on,
            "current": "、".join(
                s.name + (f"（{s.assignee.display_name or s.assignee.username}）" if s.assignee else "")
                for s in case.open_steps
            )
            or case.get_state_display(),
        }
        for case in page
    ]
    return render(
        request,
        "workbench/cases/queues.html",
        {
            "queue": name,
            "queue_label": selectors.QUEUES[name],
            "counts": counts,
            "rows": rows,
            "page_obj": page,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
            "departments": departments,
            "department_id": department_id,
            "light": light if light in Light.values else "",
            "lights": [(code, LIGHT_SHOWN[code]) for code in Light.values],
            "number": number,
            "can_intake": user_can(request.user, Action.CASE_ACCEPT),
            "today": on,
        },
    )


# --- 2. 办件详情 and its actions ----------------------------------------------------------------------------


@dataclass
class Failed:
    """An action that a service (or the shape check) refused: shown again on the case page."""

    key: str
    message: str
    errors: dict[str, str]
    values: QueryDict


def _state(failed: Failed | None, key: str, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What one action form shows: the values posted and the errors when it is the one that failed."""
    if failed is not None and failed.key == key:
        return {"key": key, "values": failed.values, "errors": failed.errors, "message": failed.message}
    return {"key": key, "values": dict(defaults or {}), "errors": {}, "message": ""}


def _upload_ids_in(entries: Iterable[Mapping[str, Any]]) -> list[int]:
    ids: list[int] = []
    for entry in entries:
        ids += [i for i in entry.get("uploads") or [] if isinstance(i, int)]
        for row in entry.get("rows") or []:
            ids += _upload_ids_in(row)
    return ids


def _form_entries(case: Case) -> list[dict[str, Any]]:
    fields = list(case.version.content.get("form") or [])
    return form_display(fields=fields, data=services.case_form(case))


def _case_upload_ids(case: Case, entries: list[dict[str, Any]] | None = None) -> set[int]:
    """Every upload that belongs to the case: attached to one of its materials or to a file field of its form."""
    through = CaseMaterial.uploads.through
    ids = set(through.objects.filter(casematerial__case=case).values_list("upload_id", flat=True))
    return ids | set(_upload_ids_in(entries if entries is not None else _form_entries(case)))


def _approvers_of(department: Department) -> list[User]:
    """审批人员 who may handle steps of ``department`` (the candidates of 分派 / 转办)."""
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.CASE_HANDLE in actions]
    codes = [c for c in department.region.path.strip("/").split("/") if c]
    prefixes = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    grants = StaffAssignment.objects.filter(
        Q(department=department) | Q(all_departments=True),
        role__in=roles,
        region__path__in=prefixes,
        user__is_active=True,
    )
    return list(User.objects.filter(pk__in=grants.values("user_id")).order_by("display_name", "username"))


def _handled_departments(user: Any, department_ids: set[int]) -> set[int]:
    return set(
        Department.objects.filter(department_q(user, Action.CASE_HANDLE), pk__in=department_ids).values_list(
            "pk", flat=True
        )
    )


def _in_scope(user: Any, case: Case, action: str) -> bool:
    return selectors.case_list_for_staff(user=user, action=action).filter(pk=case.pk).exists()


def _paper_rows(materials: Iterable[CaseMaterial], failed: Failed | None, key: str) -> list[dict[str, Any]]:
    """One row of inputs per material: 原件 / 复印件 counts, scans kept from a refused attempt, errors."""
    mine = failed is not None and failed.key == key
    values = failed.values if failed is not None and mine else QueryDict()
    errors = failed.errors if failed is not None and mine else {}
    rows = []
    for m in materials:
        kept = [int(v) for v in values.getlist(forms.KEEP_PREFIX + m.code) if v.isdigit()]
        rows.append(
            {
                "code": m.code,
                "name": m.name,
                "note": MaterialStatus(m.status).label,
                "originals": values.get(f"paper.{m.code}.originals", m.originals_received),
                "copies": values.get(f"paper.{m.code}.copies", m.copies_received),
                "kept": [{"id": i, "name": ""} for i in kept],
                "error": errors.get(f"paper.{m.code}") or errors.get(f"materials.{m.code}", ""),
            }
        )
    return rows


def _attach_files(entries: list[dict[str, Any]], uploads: Mapping[int, Upload]) -> None:
    """Give each file field of the displayed form its uploads (name, type) for the links to the viewer."""
    for entry in entries:
        entry["files"] = [uploads[i] for i in entry.get("uploads") or [] if i in uploads]
        for row in entry.get("rows") or []:
            _attach_files(row, uploads)


def _state_label(value: str) -> str:
    return CaseState(value).label if value in CaseState.values else "—"


def _render_case(request: HttpRequest, case: Case, *, failed: Failed | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    on = selectors.today()
    content = case.version.content
    steps = list(case.steps.select_related("department", "assignee", "finished_by").order_by("started_at", "position"))
    materials = list(case.materials.prefetch_related("uploads__blob").order_by("id"))
    entries = _form_entries(case)
    # Reading the application form shows an applicant's personal data to staff: it is logged (留痕), as
    # reads of a person are in ``accounts.selectors.person_get_for_user``. What was read, never the data.
    record(actor=user, action="case.form.view", target=case, changes={"read": ["form"]})

    form_upload_ids = _upload_ids_in(entries)
    uploads_by_id: dict[int, Upload] = {u.pk: u for m in materials for u in m.uploads.all()}
    missing = [i for i in form_upload_ids if i not in uploads_by_id]
    if missing:
        uploads_by_id.update({u.pk: u for u in Upload.objects.filter(pk__in=missing).select_related("blob")})

    _attach_files(entries, uploads_by_id)
    viewing = None
    view_id = _positive(request.GET.get("view"))
    if view_id is not None and view_id in uploads_by_id:
        upload = uploads_by_id[view_id]
        kind = upload.blob.content_type
        viewing = {
            "upload": upload,
            "kind": "pdf" if kind == "application/pdf" else ("image" if kind.startswith("image/") else "other"),
        }

    paused = case.paused_since is not None
    case_light = deadlines.light_of(due=case.promise_due, warn_on=case.warn_on, paused=paused, today=on)
    open_steps = [s for s in steps if s.state == StepState.OPEN]
    handled = _handled_departments(user, {case.department_id} | {s.department_id for s in steps})
    may_accept = _in_scope(user, case, Action.CASE_ACCEPT)
    may_supervise = _in_scope(user, case, Action.CASE_SUPERVISE)
    handles_case = bool(handled & ({case.department_id} | {s.department_id for s in open_steps}))
    handling = case.state == CaseState.HANDLING

    step_rows = []
    for s in steps:
        row: dict[str, Any] = {
            "step": s,
            "light": _light(deadlines.light_of(due=s.due, warn_on=s.warn_on, paused=paused, today=on))
            if s.state == StepState.OPEN
            else None,
        }
        step_rows.append(row)
    action_steps = []
    for s in open_steps:
        if not handling or s.block != case.current_block or s.department_id not in handled:
            continue
        mine = s.assignee_id in (None, user.pk)
        earlier = {
            t.position: t.name for t in steps if t.position >= 1 and t.block < s.block and t.position != s.position
        }
        action_steps.append(
            {
                "step": s,
                "complete": _state(failed, f"step_complete-{s.pk}") if mine and not s.is_final else None,
                "back": _state(failed, f"step_return-{s.pk}") if mine and earlier else None,
                "earlier": sorted(earlier.items()),
                "assign": _state(failed, f"step_assign-{s.pk}"),
                "approvers": _approvers_of(s.department),
            }
        )
    final_step = next(
        (
            s
            for s in open_steps
            if s.is_final
            and s.block == case.current_block
            and s.department_id in handled
            and s.assignee_id in (None, user.pk)
        ),
        None,
    )

    procedures = list(case.special_procedures.select_related("started_by").order_by("started_at"))
    urges = list(case.urges.select_related("created_by", "responded_by").order_by("-created_at"))
    check = CommitmentCheck.objects.filter(case=case).select_related("checked_by").first()
    notices = list(case.notices.order_by("issued_at", "id"))
    events = list(selectors.case_events(case=case))
    deferred = [m for m in materials if m.status == MaterialStatus.DEFERRED]
    special_names = [
        p["name"] for p in content.get("special_procedures") or [] if p.get("type") != SpecialProcedureType.EXTENSION
    ]
    open_urge = next((u for u in urges if u.responded_at is None), None)

    actions: dict[str, Any] = {}
    if may_accept and case.state == CaseState.SUBMITTED:
        actions["accept"] = _state(failed, "accept", {"mode": AcceptMode.NORMAL})
        actions["accept_rows"] = _paper_rows(materials, failed, "accept")
        actions["supplement"] = _state(failed, "supplement")
        mine = failed is not None and failed.key == "supplement"
        posted = failed.values if failed is not None and mine else QueryDict()
        errors = failed.errors if failed is not None and mine else {}
        actions["supplement_rows"] = [
            {
                "material": m,
                "status": MaterialStatus(m.status).label,
                "ticked": forms.checked(posted, f"need.{m.code}"),
                "problem": posted.get(f"problem.{m.code}", m.problem),
                "error": errors.get(f"problem.{m.code}") or errors.get(f"need.{m.code}", ""),
            }
            for m in materials
            if m.status != MaterialStatus.EXEMPT
        ]
        actions["supplement_extra"] = [
            {
                "index": i,
                "name": posted.get(f"extra.{i}.name", ""),
                "problem": posted.get(f"extra.{i}.problem", ""),
                "name_error": errors.get(f"extra.{i}.name", ""),
                "problem_error": errors.get(f"extra.{i}.problem", ""),
            }
            for i in range(forms.FREE_SUPPLEMENT_ROWS)
        ]
    if may_accept and case.state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT):
        actions["reject"] = _state(failed, "reject")
    if may_accept and case.state == CaseState.SUPPLEMENT:
        actions["supplement_record"] = _state(failed, "supplement_record")
        actions["supplement_record_rows"] = _paper_rows(materials, failed, "supplement_record")
    if may_accept and deferred and case.state in (CaseState.HANDLING, CaseState.DECIDED, CaseState.CLOSED):
        actions["deferred_supply"] = _state(failed, "deferred_supply")
        actions["deferred_rows"] = _paper_rows(deferred, failed, "deferred_supply")
    if final_step is not None:
        actions["decide"] = _state(failed, "decide")
    if handling and handles_case:
        if special_names and not paused:
            actions["special_start"] = _state(failed, "special_start", {"planned_days": ""})
            actions["special_names"] = special_names
        actions["extend"] = _state(failed, "extend")
        actions["special_end"] = [
            {"procedure": p, "form": _state(failed, f"special_end-{p.pk}")} for p in procedures if p.ended_at is None
        ]
    if check is not None and check.state == CheckState.PENDING and case.department_id in handled:
        actions["commitment_check"] = _state(failed, "commitment_check")
    if may_supervise and handling and case_light != Light.GREEN and open_urge is None:
        actions["urge"] = _state(failed, "urge")
    if open_urge is not None and handles_case:
        actions["urge_respond"] = _state(failed, f"urge_respond-{open_urge.pk}")
        actions["open_urge"] = open_urge
    if may_accept and case.state == CaseState.DECIDED:
        actions["close"] = _state(failed, "close")

    applicant = case.applicant_person
    return render(
        request,
        "workbench/cases/case.html",
        {
            "case": case,
            "content": content,
            "today": on,
            "light": _light(case_light) if handling else None,
            "remaining": _remaining(case, on, case.promise_due),
            "legal_remaining": _remaining(case, on, case.legal_due),
            "applicant": applicant,
            "enterprise": case.applicant_enterprise,
            "entries": entries,
            "materials": [
                {
                    "material": m,
                    "necessity": Necessity(m.necessity).label if m.necessity in Necessity.values else m.necessity,
                    "status": MaterialStatus(m.status).label,
                    "tag": STATUS_TAGS.get(m.status, ""),
                    "uploads": list(m.uploads.all()),
                }
                for m in materials
            ],
            "uploads_by_id": uploads_by_id,
            "viewing": viewing,
            "steps": step_rows,
            "action_steps": action_steps,
            "final_step": final_step,
            "actions": actions,
            "failed": failed,
            "procedures": procedures,
            "urges": urges,
            "check": check,
            "notices": notices,
            "events": [
                {"event": e, "from": _state_label(e.from_state), "to": _state_label(e.to_state)} for e in events
            ],
            "accept_modes": _accept_modes(case.version),
            "deferred_default": _deferred_default(on),
            "decisions": Decision.choices,
            "pickup": case.delivery_method in ("", DeliveryMethod.PICKUP),
            "express": case.delivery_method == DeliveryMethod.EXPRESS,
            "delivery_label": DeliveryMethod(case.delivery_method).label if case.delivery_method else "未选择",
        },
        status=status,
    )


def _accept_modes(version: ItemVersion) -> list[tuple[str, str]]:
    modes = [(AcceptMode.NORMAL.value, "一般受理（材料齐全）")]
    if version.deferrable:
        modes.append((AcceptMode.DEFERRED.value, "容缺受理（容缺后补材料限期补齐）"))
    if version.commitment:
        modes.append((AcceptMode.COMMITMENT.value, "告知承诺（申请人签署承诺书）"))
    return modes


def _deferred_default(on: dt.date) -> str:
    try:
        return deadlines.due_date(on, {"value": services.DEFERRED_DEFAULT_DAYS, "unit": "workday"}).isoformat()
    except DomainError:
        return ""


@staff_required
@never_cache
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """办件详情: header, applicant, form (logged read), materials viewer, steps, notices, timeline, actions."""
    try:
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    except DomainError as exc:
        return _problem(request, exc)
    return _render_case(request, case)


# Each action reads its form (``case_forms``) and calls exactly one service; it returns what to tell the user.
Handler = Callable[[HttpRequest, Case], str]


def _do_accept(request: HttpRequest, case: Case) -> str:
    post = request.POST
    mode = forms.text(post, "mode") or AcceptMode.NORMAL
    codes = list(case.materials.values_list("code", flat=True))
    done = services.case_accept(
        actor=request.user,
        case_id=case.pk,
        mode=mode,
        deferred_due=forms.date(post, "deferred_due", label="容缺材料补齐期限")
        if mode == AcceptMode.DEFERRED
        else None,
        commitment_signed=forms.checked(post, "commitment_signed"),
        paper=forms.paper_counts(post, codes),
    )
    if done.state != CaseState.HANDLING:
        return f"即办件已受理并当场办结（{done.get_state_display()}）。"
    return f"已受理（{AcceptMode(done.accept_mode).label}），承诺办结日期 {done.promise_due:%Y-%m-%d}。"


def _do_reject(request: HttpRequest, case: Case) -> str:
    services.case_reject(actor=request.user, case_id=case.pk, reason=forms.text(request.POST, "reason"))
    return "已作出不予受理决定，不予受理通知书已出具。"


def _do_supplement(request: HttpRequest, case: Case) -> str:
    rows = [(m.code, m.name) for m in case.materials.exclude(status=MaterialStatus.EXEMPT).order_by("id")]
    parsed = forms.supplement_items(request.POST, rows)
    try:
        services.case_request_supplement(
            actor=request.user, case_id=case.pk, items=parsed.items, note=forms.text(request.POST, "note")[:500]
        )
    except DomainError as exc:
        raise parsed.translate(exc) from exc
    return f"补正材料一次性告知书已出具（共{len(parsed.items)}项），办件转为待补正。"


def _materials_of(case: Case, *, status: str | None = None) -> list[tuple[str, str]]:
    rows = case.materials.order_by("id")
    if status is not None:
        rows = rows.filter(status=status)
    return list(rows.values_list("code", "name"))


class RefusedWithScans(Exception):
    """A refusal after the scans of the form were stored: the form comes back with them ticked as kept."""

    def __init__(self, error: DomainError, scans: dict[str, list[int]]) -> None:
        super().__init__(error.message)
        self.error, self.scans = error, scans


def _do_supplement_record(request: HttpRequest, case: Case) -> str:
    rows = _materials_of(case)
    paper = forms.paper_counts(request.POST, [code for code, _ in rows])
    scans = forms.scanned_uploads(request, rows)
    try:
        services.case_supplement(actor=request.user, case_id=case.pk, materials=scans, paper=paper)
    except DomainError as exc:
        raise RefusedWithScans(exc, scans) from exc
    return "补正材料已登记，办件回到待受理。"


def _do_deferred_supply(request: HttpRequest, case: Case) -> str:
    rows = _materials_of(case, status=MaterialStatus.DEFERRED)
    paper = forms.paper_counts(request.POST, [code for code, _ in rows])
    scans = forms.scanned_uploads(request, rows)
    try:
        services.case_deferred_supply(actor=request.user, case_id=case.pk, materials=scans, paper=paper)
    except DomainError as exc:
        raise RefusedWithScans(exc, scans) from exc
    return "容缺材料已登记。"


def _step_name(case: Case, step_id: int) -> str:
    return CaseStep.objects.filter(case=case, pk=step_id).values_list("name", flat=True).first() or "环节"


def _do_step_complete(request: HttpRequest, case: Case) -> str:
    step_id = forms.row_id(request.POST, "step_id", what="环节")
    services.case_step_complete(
        actor=request.user, case_id=case.pk, step_id=step_id, opinion=forms.text(request.POST, "opinion")
    )
    return f"“{_step_name(case, step_id)}”环节已办结，办件转入下一环节。"


def _do_step_return(request: HttpRequest, case: Case) -> str:
    post = request.POST
    step_id = forms.row_id(post, "step_id", what="环节")
    position = forms.integer(post, "to_position", label="退回到的环节")
    services.case_step_return(
        actor=request.user,
        case_id=case.pk,
        step_id=step_id,
        to_position=position or 0,
        reason=forms.text(post, "reason"),
    )
    return "已退回，该环节重新办理。"


def _do_step_assign(request: HttpRequest, case: Case) -> str:
    post = request.POST
    step = services.case_step_assign(
        actor=request.user,
        case_id=case.pk,
        step_id=forms.row_id(post, "step_id", what="环节"),
        assignee_id=forms.row_id(post, "assignee_id", what="办理人员"),
        reason=forms.text(post, "reason"),
    )
    assignee = step.assignee
    who = (assignee.display_name or assignee.username) if assignee is not None else ""
    return f"“{step.name}”环节已分派给{who}。"


def _do_decide(request: HttpRequest, case: Case) -> str:
    post = request.POST
    decision = forms.text(post, "decision")
    if decision not in Decision.values:
        raise DomainError(ErrorCode.VALIDATION, "请选择准予或不予", field="decision")
    services.case_decide(actor=request.user, case_id=case.pk, decision=decision, reason=forms.text(post, "reason"))
    return "已作出准予决定。" if decision == Decision.APPROVE else "已作出不予准予决定，决定书已出具。"


def _do_special_start(request: HttpRequest, case: Case) -> str:
    post = request.POST
    procedure = services.case_special_start(
        actor=request.user,
        case_id=case.pk,
        name=forms.text(post, "name"),
        reason=forms.text(post, "reason"),
        planned_days=forms.integer(post, "planned_days", label="所需时间（工作日）") or 0,
    )
    return f"特别程序“{procedure.name}”已开始" + ("，办理时限暂停计算。" if procedure.pauses_clock else "。")


def _do_special_end(request: HttpRequest, case: Case) -> str:
    post = request.POST
    procedure = services.case_special_end(
        actor=request.user,
        case_id=case.pk,
        procedure_id=forms.row_id(post, "procedure_id", what="特别程序"),
        result=forms.text(post, "result"),
    )
    return f"特别程序“{procedure.name}”已结束，办理时限顺延{procedure.paused_workdays}个工作日。"


def _do_extend(request: HttpRequest, case: Case) -> str:
    post = request.POST
    days = forms.integer(post, "days", label="延长工作日数") or 0
    services.case_extend(actor=request.user, case_id=case.pk, days=days, reason=forms.text(post, "reason"))
    case.refresh_from_db(fields=["promise_due"])
    return f"已延长{days}个工作日，承诺办结日期顺延至 {case.promise_due:%Y-%m-%d}。"


def _do_commitment_check(request: HttpRequest, case: Case) -> str:
    post = request.POST
    result = forms.text(post, "result")
    if result not in (CheckState.KEPT, CheckState.BROKEN):
        raise DomainError(ErrorCode.VALIDATION, "请选择核查结果", field="result")
    check = services.case_commitment_check(
        actor=request.user, case_id=case.pk, kept=result == CheckState.KEPT, note=forms.text(post, "note")
    )
    return f"核查结果已记录：{check.get_state_display()}。"


def _do_urge(request: HttpRequest, case: Case) -> str:
    services.case_urge(actor=request.user, case_id=case.pk, message=forms.text(request.POST, "message"))
    return "已督办，等待办理部门反馈。"


def _do_urge_respond(request: HttpRequest, case: Case) -> str:
    post = request.POST
    services.case_urge_respond(
        actor=request.user,
        case_id=case.pk,
        urge_id=forms.row_id(post, "urge_id", what="督办"),
        response=forms.text(post, "response"),
    )
    return "督办反馈已提交。"


def _do_close(request: HttpRequest, case: Case) -> str:
    post = request.POST
    services.case_close(
        actor=request.user,
        case_id=case.pk,
        pickup_code=forms.text(post, "pickup_code"),
        tracking_number=forms.text(post, "tracking_number"),
    )
    return "已出件，办件已办结。"


ACTIONS: dict[str, Handler] = {
    "accept": _do_accept,
    "reject": _do_reject,
    "supplement": _do_supplement,
    "supplement_record": _do_supplement_record,
    "deferred_supply": _do_deferred_supply,
    "step_complete": _do_step_complete,
    "step_return": _do_step_return,
    "step_assign": _do_step_assign,
    "decide": _do_decide,
    "special_start": _do_special_start,
    "special_end": _do_special_end,
    "extend": _do_extend,
    "commitment_check": _do_commitment_check,
    "urge": _do_urge,
    "urge_respond": _do_urge_respond,
    "close": _do_close,
}
# The hidden input that names the row an action form acts on, for telling two such forms apart.
ACTION_TARGETS = {
    "step_complete": "step_id",
    "step_return": "step_id",
    "step_assign": "step_id",
    "special_end": "procedure_id",
    "urge_respond": "urge_id",
}


@staff_required
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One action form of the case page → one service. Success: back to the case page with a message.
    Refusal: the case page again, the refusal next to the form (and nothing written)."""
    try:
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    except DomainError as exc:
        return _problem(request, exc)
    handler = ACTIONS.get(action)
    if handler is None:
        return _problem(request, not_found("操作"))
    key = action
    if action in ACTION_TARGETS:
        key = f"{action}-{forms.text(request.POST, ACTION_TARGETS[action])}"
    values: QueryDict = request.POST
    try:
        message = handler(request, case)
    except (DomainError, RefusedWithScans) as refusal:
        error = refusal.error if isinstance(refusal, RefusedWithScans) else refusal
        if isinstance(refusal, RefusedWithScans):
            values = request.POST.copy()
            for code, ids in refusal.scans.items():
                values.setlist(forms.KEEP_PREFIX + code, [str(i) for i in ids])
        failed = Failed(key=key, message=error.message, errors=forms.field_errors(error), values=values)
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        return _render_case(request, case, failed=failed, status=error.status)
    messages.success(request, message)
    return redirect("workbench:case", case_id=case.pk)


@staff_required
@require_GET
@xframe_options_sameorigin
def case_upload(request: HttpRequest, case_id: int, upload_id: int) -> HttpResponse:
    """An upload of the case, for staff who may see the case, shown inline (``<iframe>`` / ``<img>`` on the
    case page) or downloaded with ``?download=1``. The upload must belong to this case: a staff member
    cannot read another case's file through a case he may see. Every opening is logged."""
    try:
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        if not 0 < upload_id < forms.MAX_ID or upload_id not in _case_upload_ids(case):
            raise not_found("文件")
    except DomainError as exc:
        return _problem(request, exc)
    upload = Upload.objects.select_related("blob").get(pk=upload_id)
    download = request.GET.get("download") == "1"
    record(actor=request.user, action="case.material.view", target=case, changes={"upload": upload.pk})
    response = FileResponse(
        upload_open(upload), as_attachment=download, filename=upload.name, content_type=upload.blob.content_type
    )
    response["Content-Length"] = str(upload.blob.size)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # The file may be framed by our own pages only, and runs nothing (a PDF viewer needs no script of ours).
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'self'"
    return cast(HttpResponse, response)  # streamed; ``staff_required`` is typed for plain responses


@staff_required
@require_GET
def case_notice(request: HttpRequest, case_id: int, notice_id: int) -> HttpResponse:
    """A notice of the case as a PDF, opened in the browser (打印 or 下载 from there)."""
    try:
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        notice = case.notices.filter(pk=notice_id).first() if 0 < notice_id < forms.MAX_ID else None
        if notice is None:
            raise not_found("文书")
    except DomainError as exc:
        return _problem(request, exc)
    response = HttpResponse(notice_pdf(case=case, notice=notice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{notice.number}.pdf") or "inline"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


# --- 3. 综合窗口收件 (无差别受理) -------------------------------------------------------------------------------


def _intake_versions(user: Any) -> QuerySet[ItemVersion]:
    """Items in effect of every department in the clerk's 受理 region (any department: 无差别受理)."""
    departments = Department.objects.filter(department_q(user, Action.CASE_ACCEPT))
    return published_versions().filter(department__in=departments, item__state=ItemState.PUBLISHED)


def _clerk_window_id(user: Any) -> int | None:
    return (
        StaffAssignment.objects.filter(user=user, role=StaffRole.WINDOW_CLERK, window__isnull=False)
        .values_list("window_id", flat=True)
        .first()
    )


@dataclass
class Intake:
    """What the intake screen carries from one POST to the next (hidden inputs, never an ID number)."""

    person: NaturalPerson | None = None
    enterprise: LegalPerson | None = None
    key: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""


def _intake_state(request: HttpRequest) -> Intake:
    post = request.POST
    state = Intake(key=forms.text(post, "idempotency_key")[:64] or uuid.uuid4().hex)
    person_id = _positive(post.get("person_id"))
    if person_id:
        state.person = account_selectors.person_list_for_user(user=request.user).filter(pk=person_id).first()
    enterprise_id = _positive(post.get("enterprise_id"))
    if enterprise_id:
        state.enterprise = LegalPerson.objects.filter(pk=enterprise_id).first()
    return state


@staff_required
@never_cache
def intake(request: HttpRequest) -> HttpResponse:
    """综合窗口收件: choose an item, find or register the applicant (POST only: no ID number in a URL), fill the
    item's form, record the paper received, submit — and accept on the spot if the clerk ticks it."""
    if not user_can(request.user, Action.CASE_ACCEPT):
        raise PermissionDenied("只有综合窗口人员可以收件")
    versions = _intake_versions(request.user)
    item_id = _positive(request.GET.get("item"))
    if item_id is None:
        q = (request.GET.get("q") or "").strip()[:50]
        found = versions.filter(name__icontains=q) if q else versions
        found = found.order_by("department__name", "name", "pk")
        return render(
            request,
            "workbench/cases/intake_items.html",
            {"q": q, "versions": found[:INTAKE_ITEM_LIMIT], "total": found.count(), "limit": INTAKE_ITEM_LIMIT},
        )
    version = versions.filter(item_id=item_id).first()
    if version is None:
        return _problem(request, not_found("事项"))

    op = request.POST.get("op") if request.method == "POST" else None
    state = _intake_state(request) if request.method == "POST" else Intake(key=uuid.uuid4().hex)
    find_form = PersonFindForm(request.POST if op == "find" else None, prefix="find")
    department = getattr(request.user, "department", None)
    register_form = PersonRegisterForm(
        request.POST if op == "register" else None,
        prefix="reg",
        initial={"region_code": department.region.code if department else ""},
    )
    searched = False
    enterprise_error = ""
    fields = list(version.content.get("form") or [])
    material_specs = [(m["code"], m["name"]) for m in version.content.get("materials") or []]
    form_values: dict[str, Any] = {}
    scans: dict[str, list[int]] = {}
    status = 200

    if op == "find" and find_form.is_valid():
        try:
            state.person = account_selectors.person_find_by_id_number(
                user=request.user, id_number=find_form.cleaned_data["id_number"]
            )
            searched = True
        except DomainError as exc:
            add_domain_error(find_form, exc)
    elif op == "register" and register_form.is_valid():
        data = register_form.cleaned_data
        region = Region.objects.filter(code=data["region_code"]).first()
        if region is None:
            register_form.add_error("region_code", "区划代码不存在，请填写6、9或12位行政区划代码")
        else:
            try:
                state.person = account_services.person_register(
                    actor=request.user,
                    name=data["name"],
                    id_number=data["id_number"],
                    region=region,
                    phone=data["phone"],
                )
                register_form = PersonRegisterForm(prefix="reg", initial=register_form.initial)
                messages.success(request, f"已登记申请人{state.person.name}。")
            except DomainError as exc:
                add_domain_error(register_form, exc)
    elif op == "enterprise":
        try:
            code = validate_uscc(forms.text(request.POST, "uscc"))
            state.enterprise = LegalPerson.objects.filter(uscc=code).first()
            if state.enterprise is None:
                enterprise_error = f"未找到统一社会信用代码为 {code} 的单位，请先办理法人登记。"
        except DomainError as exc:
            enterprise_error = exc.message
    elif op == "forget_person":
        state.person = None
    elif op == "forget_enterprise":
        state.enterprise = None
    elif op == "submit":
        form_values = form_from_post(fields=fields, post=request.POST)
        scans = forms.kept_uploads(request, [code for code, _ in material_specs])
        previous = selectors.case_list_for_staff(user=request.user, action=Action.CASE_ACCEPT).filter(
            submitted_by_id=request.user.pk, idempotency_key=state.key
        )
        done = previous.first()
        if done is not None:  # a second click, or the browser resending: the first submission stands
            return redirect("workbench:case", case_id=done.pk)
        try:
            return _intake_submit(request, version, state, fields, form_values, material_specs, scans)
        except DomainError as exc:
            state.message = exc.message
            state.errors = forms.field_errors(exc)
            status = exc.status

    return render(
        request,
        "workbench/cases/intake.html",
        {
            "version": version,
            "state": state,
            "step": 3 if state.person or state.enterprise else 2,
            "find_form": find_form,
            "register_form": register_form,
            "searched": searched,
            "enterprise_error": enterprise_error,
            "uscc": forms.text(request.POST, "uscc") if op == "enterprise" else "",
            "fields": fields,
            "form_values": form_values,
            "form_errors": {k: v for k, v in state.errors.items() if k.startswith("form")},
            "paper_rows": _intake_paper_rows(version, request.POST if op == "submit" else QueryDict(), state, scans),
            "accept_modes": _accept_modes(version),
            "deferred_default": _deferred_default(selectors.today()),
            "posted": request.POST if op == "submit" else {},
            "window_id": _clerk_window_id(request.user),
            "other_errors": {
                k: v
                for k, v in state.errors.items()
                if not k.startswith(("form", "paper.", "materials.")) and v != state.message
            },
        },
        status=status,
    )


def _intake_paper_rows(
    version: ItemVersion, post: QueryDict, state: Intake, scans: dict[str, list[int]]
) -> list[dict[str, Any]]:
    kept_ids = [i for ids in scans.values() for i in ids]
    names = dict(Upload.objects.filter(pk__in=kept_ids).values_list("pk", "name")) if kept_ids else {}
    rows = []
    for m in version.content.get("materials") or []:
        code = m["code"]
        rows.append(
            {
                "code": code,
                "name": m["name"],
                "note": Necessity(m.get("necessity", Necessity.REQUIRED)).label
                + ("，可通过电子证照或数据共享获取" if m.get("licence_type_code") or m.get("shared_data_code") else ""),
                "originals": post.get(f"paper.{code}.originals", ""),
                "copies": post.get(f"paper.{code}.copies", ""),
                "kept": [{"id": i, "name": names.get(i, "")} for i in scans.get(code, [])],
                "error": state.errors.get(f"paper.{code}") or state.errors.get(f"materials.{code}", ""),
            }
        )
    return rows


def _intake_submit(
    request: HttpRequest,
    version: ItemVersion,
    state: Intake,
    fields: list[dict[str, Any]],
    form_values: dict[str, Any],
    material_specs: list[tuple[str, str]],
    scans: dict[str, list[int]],
) -> HttpResponse:
    """提交 (case_submit, channel 窗口) and, when ticked, 当场受理 (case_accept) — two services, in that order.
    A refused acceptance leaves the submitted case waiting in 待受理; the clerk lands on it either way."""
    post = request.POST
    accept_now = forms.checked(post, "accept_now")
    mode = forms.text(post, "mode") or AcceptMode.NORMAL
    deferred_due = forms.date(post, "deferred_due", label="容缺材料补齐期限") if mode == AcceptMode.DEFERRED else None
    paper = forms.paper_counts(post, [code for code, _ in material_specs])
    forms.form_file_uploads(request, fields, form_values)
    scans.update(forms.scanned_uploads(request, material_specs))
    case = services.case_submit(
        actor=request.user,
        item_id=version.item_id,
        form=form_values,
        materials=scans,
        channel=Channel.WINDOW,
        idempotency_key=state.key,
        person_id=state.person.pk if state.person else None,
        enterprise_id=state.enterprise.pk if state.enterprise else None,
        window_id=_clerk_window_id(request.user),
        paper=paper,
    )
    told = f"办件编号 {case.number}，查询码 {case.lookup_code}（请告知申请人）"
    if not accept_now:
        messages.success(request, f"申请已提交，{told}。")
        return redirect("workbench:case", case_id=case.pk)
    try:
        accepted = services.case_accept(
            actor=request.user,
            case_id=case.pk,
            mode=mode,
            deferred_due=deferred_due,
            commitment_signed=forms.checked(post, "commitment_signed"),
        )
    except DomainError as exc:
        messages.error(request, f"申请已提交（{told}），但未能当场受理：{exc.message}")
    else:
        messages.success(request, f"已当场受理（{accepted.get_accept_mode_display()}），{told}。")
    return redirect("workbench:case", case_id=case.pk)
