"""Staff pages of the hotline (/workbench/hotline/): the queues (待派单, 本单位待办, 待办结, 待回访, 超期, 延期待审批,
督办待反馈), 来电登记 with the duplicate hint, the ticket page with its full timeline and the actions open to
the reader, 抽查回访, the deadline table, and the quarterly analysis with its CSV export.

Reads go through ``yiwang.hotline.selectors`` (scoped); every write is one call of one service — the same
functions the API and Open311 call. Which forms a page offers is a convenience; whether an action is allowed
is decided by the service, and a refusal re-shows the page with its message (and the error's status code).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.accounts.permissions import Action, department_q, user_can
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.forms import add_domain_error
from yiwang.hotline import analysis, keywords, selectors, services
from yiwang.hotline.choices import (
    OPEN_STATES,
    WITH_DEPARTMENT_STATES,
    ExtensionState,
    TicketSource,
    TicketState,
    TicketType,
    Urgency,
)
from yiwang.hotline.forms import (
    CloseForm,
    DeadlineForm,
    DecideForm,
    DispatchForm,
    ExtensionForm,
    IntakeForm,
    ReasonForm,
    ReplyForm,
    RespondForm,
    RevealForm,
    RevisitForm,
    SpotDrawForm,
    SpotRecordForm,
    SuperviseForm,
    TransferForm,
)
from yiwang.hotline.models import DeadlineRule, Ticket
from yiwang.regions.models import Department, Region, Window
from yiwang.workbench.views import staff_required

PAGE_SIZE = 20


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def _dispatch_departments(user: Any) -> Any:
    return Department.objects.filter(department_q(user, Action.HOTLINE_TAKE), is_active=True).order_by(
        "region__path", "name"
    )


def _require_staff_side(user: Any) -> None:
    if not selectors.is_staff_side(user):
        raise PermissionDenied("仅限12345话务员、承办单位和监督人员")


# --- queues ----------------------------------------------------------------------------------------------


@staff_required
def queues(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff_side(user)
    names = selectors.queues_for(user)
    name = request.GET.get("queue") or names[0]
    try:
        rows = selectors.queue(user=user, name=name)
    except DomainError as exc:
        return _problem(request, exc)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    counts = [
        {
            "name": n,
            "label": selectors.QUEUES[n],
            "count": selectors.queue(user=user, name=n).count(),
            "current": n == name,
        }
        for n in names
    ]
    return render(
        request,
        "hotline/workbench/queues.html",
        {
            "counts": counts,
            "queue": name,
            "queue_label": selectors.QUEUES[name],
            "page_obj": page,
            "rows": [{"ticket": t, "overdue": t.state in OPEN_STATES and t.due_at < now} for t in page.object_list],
            "can_intake": user_can(user, Action.HOTLINE_TAKE),
            "can_analyse": user_can(user, Action.HOTLINE_SUPERVISE),
            "can_configure": user_can(user, Action.ORG_MANAGE),
        },
    )


# --- 来电登记 ---------------------------------------------------------------------------------------------


def _clerk_window(user: Any) -> Window | None:
    """The window of a comprehensive-window clerk: what he registers is a 办不成事 window ticket."""
    from yiwang.accounts.choices import StaffRole
    from yiwang.accounts.models import StaffAssignment

    assignment = (
        StaffAssignment.objects.filter(user=user, role=StaffRole.WINDOW_CLERK, window__isnull=False)
        .select_related("window")
        .first()
    )
    return assignment.window if assignment else None


@staff_required
@never_cache
def intake(request: HttpRequest) -> HttpResponse:
    """来电登记 (话务员) or 办不成事窗口登记 (window clerk): the duplicate hint is shown before a new ticket
    is made; the agent confirms it is new (or opens the existing one). Optionally dispatched at once."""
    user: Any = request.user
    if not user_can(user, Action.HOTLINE_TAKE):
        raise PermissionDenied
    departments = _dispatch_departments(user)
    window = _clerk_window(user)
    initial = {"region_code": user.department.region.code if user.department else ""}
    form = IntakeForm(request.POST or None, departments=departments, initial=initial)
    duplicates: list[tuple[Ticket, list[str]]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            phone = services.normalise_phone(data["caller_phone"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            duplicates = selectors.duplicates_for(
                user=user,
                phone_index=services.phone_index(phone),
                keywords=keywords.extract(f"{data['title']}。{data['content']}"),
            )
            if duplicates and not data["confirm_new"]:
                form.add_error("confirm_new", "发现疑似重复诉求：请核对下方列表，确认是新诉求后勾选此项再登记")
            else:
                region = Region.objects.filter(code=data["region_code"]).first()
                try:
                    ticket = services.ticket_create(
                        actor=user,
                        source=TicketSource.WINDOW if window else TicketSource.PHONE,
                        window=window,
                        ticket_type=data["ticket_type"],
                        urgency=data["urgency"],
                        category_id=data["category_id"],
                        title=data["title"],
                        content=data["content"],
                        region=region or user.department.region,
                        address=data["address"],
                        caller_name=data["caller_name"],
                        caller_phone=phone,
                    )
                    if data["department_id"]:
                        services.ticket_dispatch(actor=user, ticket_id=ticket.pk, department_id=data["department_id"])
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, f"已登记诉求 {ticket.number}")
                    return redirect("hotline_workbench:ticket", ticket_id=ticket.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "hotline/workbench/intake.html",
        {"form": form, "duplicates": duplicates, "window": window},
        status=status,
    )


# --- the ticket page -------------------------------------------------------------------------------------


def _forms_for(user: Any, ticket: Ticket, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """The action forms the reader may use on this ticket now (the services decide in the end)."""
    take = selectors.ticket_may(user, Action.HOTLINE_TAKE, ticket)
    handle = selectors.ticket_may(user, Action.HOTLINE_HANDLE, ticket)
    supervise = selectors.ticket_may(user, Action.HOTLINE_SUPERVISE, ticket)
    bound = bound or {}
    forms: dict[str, Any] = {}
    departments = _dispatch_departments(user) if take else None
    if take and ticket.state == TicketState.REGISTERED:
        forms["dispatch"] = bound.get("dispatch") or DispatchForm(
            departments=departments,
            initial={"ticket_type": ticket.ticket_type, "urgency": ticket.urgency},
            prefix="dispatch",
        )
    if take and ticket.state in WITH_DEPARTMENT_STATES:
        forms["transfer"] = bound.get("transfer") or TransferForm(departments=departments, prefix="transfer")
    if handle and ticket.state == TicketState.DISPATCHED:
        forms["accept"] = True
    if handle and ticket.state in WITH_DEPARTMENT_STATES:
        forms["reply"] = bound.get("reply") or ReplyForm(prefix="reply")
        forms["return"] = bound.get("return") or ReasonForm(prefix="return")
        if selectors.pending_extension(ticket=ticket) is None and ticket.due_at > clock.now():
            forms["extension"] = bound.get("extension") or ExtensionForm(prefix="extension")
    if take and ticket.state == TicketState.REPLIED:
        forms["close"] = bound.get("close") or CloseForm(prefix="close")
    if take and ticket.state == TicketState.CLOSED:
        forms["revisit"] = bound.get("revisit") or RevisitForm(prefix="revisit")
    if supervise and ticket.state in OPEN_STATES:
        forms["supervise"] = bound.get("supervise") or SuperviseForm(prefix="supervise")
    if take or handle or supervise:
        forms["reveal"] = bound.get("reveal") or RevealForm(prefix="reveal")
    forms["_handle"] = handle
    forms["_supervise"] = supervise
    return forms


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: dict[str, Any] | None = None,
    error: DomainError | None = None,
    caller: dict[str, str] | None = None,
) -> HttpResponse:
    user: Any = request.user
    forms = _forms_for(user, ticket, bound)
    handle, supervise = forms.pop("_handle"), forms.pop("_supervise")
    extensions = list(ticket.extensions.select_related("department", "requested_by", "decided_by"))
    supervisions = list(ticket.supervisions.select_related("department", "created_by", "responded_by"))
    keywords_ = list(ticket.keywords or [])
    duplicates = selectors.duplicates_for(
        user=user, phone_index=ticket.caller_phone_index, keywords=keywords_, exclude_id=ticket.pk
    )
    now = clock.now()
    context = {
        "ticket": ticket,
        "events": list(selectors.ticket_events(ticket=ticket)),
        "forms": forms,
        "extensions": extensions,
        "supervisions": supervisions,
        "decide_form": DecideForm() if supervise else None,
        "respond_form": RespondForm() if handle else None,
        "duplicates": duplicates,
        "stages": selectors.window_stages(ticket=ticket),
        "overdue": ticket.state in OPEN_STATES and ticket.due_at < now,
        "error": error,
        "caller": caller,
        "revisits": list(ticket.revisits.select_related("by")),
        "pending_extension": ExtensionState.PENDING,
    }
    return render(request, "hotline/workbench/ticket.html", context, status=error.status if error else 200)


@staff_required
@never_cache
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user: Any = request.user
    _require_staff_side(user)
    try:
        ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    except DomainError as exc:
        return _problem(request, exc)
    services.ticket_view_record(actor=user, ticket=ticket)
    return _ticket_page(request, ticket)


ACTIONS = {
    "dispatch": DispatchForm,
    "transfer": TransferForm,
    "accept": None,
    "return": ReasonForm,
    "reply": ReplyForm,
    "extension": ExtensionForm,
    "close": CloseForm,
    "revisit": RevisitForm,
    "supervise": SuperviseForm,
    "reveal": RevealForm,
}


@staff_required
@require_POST
def ticket_action(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    """One action form of the ticket page → one service call."""
    user: Any = request.user
    _require_staff_side(user)
    try:
        ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id)
    except DomainError as exc:
        return _problem(request, exc)
    if action not in ACTIONS:
        return _problem(request, DomainError(ErrorCode.NOT_FOUND, "没有这个操作"))
    form_class = ACTIONS[action]
    form: Any = None
    if form_class is not None:
        kwargs: dict[str, Any] = {}
        if form_class in (DispatchForm, TransferForm):
            kwargs["departments"] = _dispatch_departments(user)
        form = form_class(request.POST, prefix=action, **kwargs)
        if not form.is_valid():
            return _ticket_page(
                request,
                ticket,
                bound={action: form},
                error=DomainError(ErrorCode.VALIDATION, "请按提示修改后重新提交"),
            )
    data = form.cleaned_data if form is not None else {}
    caller = None
    try:
        match action:
            case "dispatch":
                services.ticket_dispatch(
                    actor=user,
                    ticket_id=ticket.pk,
                    department_id=data["department_id"],
                    ticket_type=data["ticket_type"],
                    urgency=data["urgency"],
                    note=data["note"],
                )
            case "transfer":
                services.ticket_transfer(
                    actor=user, ticket_id=ticket.pk, department_id=data["department_id"], reason=data["reason"]
                )
            case "accept":
                services.ticket_accept(actor=user, ticket_id=ticket.pk)
            case "return":
                services.ticket_return(actor=user, ticket_id=ticket.pk, reason=data["reason"])
                messages.success(request, f"已退回诉求 {ticket.number}")
                return redirect("hotline_workbench:queues")
            case "reply":
                services.ticket_reply(actor=user, ticket_id=ticket.pk, reply=data["reply"], outcome=data["outcome"])
            case "extension":
                services.ticket_extension_request(
                    actor=user, ticket_id=ticket.pk, days=data["days"], reason=data["reason"]
                )
            case "close":
                services.ticket_close(actor=user, ticket_id=ticket.pk, note=data["note"])
            case "revisit":
                services.ticket_revisit(
                    actor=user,
                    ticket_id=ticket.pk,
                    satisfaction=data["satisfaction"],
                    solved=data["solved"],
                    method=data["method"] or "phone",
                    note=data["note"],
                )
            case "supervise":
                services.ticket_supervise(actor=user, ticket_id=ticket.pk, message=data["message"])
            case "reveal":
                caller = services.ticket_caller_reveal(actor=user, ticket_id=ticket.pk, purpose=data["purpose"])
    except DomainError as exc:
        if form is not None:
            add_domain_error(form, exc)
        return _ticket_page(request, ticket, bound={action: form} if form is not None else None, error=exc)
    if caller is not None:
        return _ticket_page(request, ticket, caller=caller)
    messages.success(request, "已办理")
    return redirect("hotline_workbench:ticket", ticket_id=ticket.pk)


@staff_required
@require_POST
def extension_decide(request: HttpRequest, extension_id: int) -> HttpResponse:
    user: Any = request.user
    form = DecideForm(request.POST)
    from yiwang.hotline.models import Extension

    ticket_id = Extension.objects.filter(pk=extension_id).values_list("ticket_id", flat=True).first()
    try:
        ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id or 0)
        if not form.is_valid():
            raise DomainError(ErrorCode.VALIDATION, "请选择审批结果", field="approve")
        services.ticket_extension_decide(
            actor=user, extension_id=extension_id, approve=form.cleaned_data["approve"], note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        if ticket_id is None or exc.code == ErrorCode.NOT_FOUND:
            return _problem(request, exc)
        return _ticket_page(request, selectors.ticket_get_for_user(user=user, ticket_id=ticket_id), error=exc)
    messages.success(request, "已审批延期申请")
    return redirect("hotline_workbench:ticket", ticket_id=ticket.pk)


@staff_required
@require_POST
def supervision_respond(request: HttpRequest, supervision_id: int) -> HttpResponse:
    user: Any = request.user
    form = RespondForm(request.POST)
    from yiwang.hotline.models import Supervision

    ticket_id = Supervision.objects.filter(pk=supervision_id).values_list("ticket_id", flat=True).first()
    try:
        ticket = selectors.ticket_get_for_user(user=user, ticket_id=ticket_id or 0)
        if not form.is_valid():
            raise DomainError(ErrorCode.VALIDATION, "请填写督办反馈", field="response")
        services.ticket_supervision_respond(
            actor=user, supervision_id=supervision_id, response=form.cleaned_data["response"]
        )
    except DomainError as exc:
        if ticket_id is None or exc.code == ErrorCode.NOT_FOUND:
            return _problem(request, exc)
        return _ticket_page(request, selectors.ticket_get_for_user(user=user, ticket_id=ticket_id), error=exc)
    messages.success(request, "已反馈督办")
    return redirect("hotline_workbench:ticket", ticket_id=ticket.pk)


# --- 抽查回访 ---------------------------------------------------------------------------------------------


@staff_required
@never_cache
def spot_checks(request: HttpRequest) -> HttpResponse:
    """抽查回访: draw a sample of closed tickets (supervisors) and record each visit (agents, supervisors)."""
    user: Any = request.user
    can_draw = user_can(user, Action.HOTLINE_SUPERVISE)
    if not (can_draw or user_can(user, Action.HOTLINE_TAKE)):
        raise PermissionDenied
    draw_form = SpotDrawForm(request.POST if request.POST.get("op") == "draw" else None) if can_draw else None
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("op") == "draw" and draw_form is not None:
                if not draw_form.is_valid():
                    raise DomainError(ErrorCode.VALIDATION, "请按提示填写抽取条件")
                d = draw_form.cleaned_data
                drawn = services.ticket_spot_check_draw(
                    actor=user,
                    batch=d["batch"],
                    count=d["count"],
                    closed_from=d["closed_from"],
                    closed_to=d["closed_to"],
                    source=None if d["source"] == "all" else TicketSource.WINDOW,
                )
                messages.success(request, f"已抽取 {len(drawn)} 件")
                return redirect("hotline_workbench:spot_checks")
            if request.POST.get("op") == "record":
                check_id = int(request.POST.get("check", "0") or 0)
                if not selectors.spot_checks_for(user=user).filter(pk=check_id).exists():
                    raise DomainError(ErrorCode.NOT_FOUND, "抽查回访不存在或您无权查看")
                record_form = SpotRecordForm(request.POST)
                if not record_form.is_valid():
                    raise DomainError(ErrorCode.VALIDATION, "请选择满意度和是否解决")
                r = record_form.cleaned_data
                services.ticket_spot_check_record(
                    actor=user,
                    spot_check_id=check_id,
                    satisfaction=r["satisfaction"],
                    solved=r["solved"],
                    note=r["note"],
                )
                messages.success(request, "已记录抽查回访")
                return redirect("hotline_workbench:spot_checks")
        except DomainError as exc:
            error = exc
            if draw_form is not None and request.POST.get("op") == "draw":
                add_domain_error(draw_form, exc)
    checks = list(selectors.spot_checks_for(user=user)[:100])
    return render(
        request,
        "hotline/workbench/spot_checks.html",
        {"draw_form": draw_form, "checks": checks, "record_form": SpotRecordForm(), "error": error},
        status=error.status if error else 200,
    )


# --- the deadline table ----------------------------------------------------------------------------------


@staff_required
@never_cache
def settings_page(request: HttpRequest) -> HttpResponse:
    """办理时限 (and a look at the classification tree): configuration of the 政务服务管理机构."""
    user: Any = request.user
    if not user_can(user, Action.ORG_MANAGE):
        raise PermissionDenied
    error = None
    if request.method == "POST":
        form = DeadlineForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(ErrorCode.VALIDATION, "时限应为1至365的整数")
            services.deadline_rule_set(
                actor=user,
                ticket_type=request.POST.get("ticket_type", ""),
                urgency=request.POST.get("urgency", ""),
                amount=form.cleaned_data["amount"],
                unit=form.cleaned_data["unit"],
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "已保存办理时限")
            return redirect("hotline_workbench:settings")
    rules = {(r.ticket_type, r.urgency): r for r in DeadlineRule.objects.all()}
    rows = [
        {"type": t, "type_label": tl, "urgency": u, "urgency_label": ul, "rule": rules.get((t, u))}
        for u, ul in Urgency.choices
        for t, tl in TicketType.choices
    ]
    from yiwang.hotline.models import Category

    categories = list(Category.objects.select_related("parent").order_by("position", "code"))
    return render(
        request,
        "hotline/workbench/settings.html",
        {"rows": rows, "categories": categories, "error": error},
        status=error.status if error else 200,
    )


# --- 季度分析 --------------------------------------------------------------------------------------------


@staff_required
def analysis_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        quarter = analysis.quarter_parse(request.GET.get("quarter"))
        report = analysis.quarter_report(user=user, quarter=quarter)
    except DomainError as exc:
        return _problem(request, exc)
    biggest = max([row["count"] for row in report["by_type"] + report["by_source"]] + [1])
    return render(
        request,
        "hotline/workbench/analysis.html",
        {
            "report": report,
            "biggest": biggest,
            "previous_code": quarter.previous().code,
            "next_code": quarter.next().code,
            "now": timezone.localtime(clock.now()),
        },
    )


@staff_required
def analysis_csv(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        report = analysis.quarter_report(user=user, quarter=analysis.quarter_parse(request.GET.get("quarter")))
    except DomainError as exc:
        return _problem(request, exc)
    response = HttpResponse(analysis.quarter_csv(report).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hotline-{report["quarter"].code}.csv"'
    return response
