"""Staff pages of 好差评 (``/workbench/evaluations/``).

- 差评整改: the order queues (待核实、整改中 for the responsible department; 申诉复核 for reviewers; 待回访 for
  revisitors; 超期; 已办结) and the order page with the actions the viewer's grants offer. Whether an action is
  allowed is decided by the service alone; a refusal re-shows the page with its message and status.
- 联系电话: a revisitor may reveal the citizen's phone for the call; every reveal is audited.
- 统计: figures by department, window, staff member, item, channel or month, and the export (CSV, xlsx).
- 窗口评价 (``window/``): the clerk's "请群众评价" for the visit he just served, and his recent visits.
- 评价设备 (``devices/``): registering a hall tablet for a window and pairing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiwang.accounts.models import NaturalPerson
from yiwang.accounts.permissions import Action, user_can
from yiwang.accounts.services import phone_of
from yiwang.audit.services import record
from yiwang.core.errors import DomainError, ErrorCode, permission_denied
from yiwang.core.masking import mask_phone
from yiwang.evaluations import api as evaluations_api
from yiwang.evaluations import conf, present, selectors, services, stats
from yiwang.evaluations.choices import Channel, Level, OrderState, ReviewDecision, RevisitMethod, Verdict
from yiwang.evaluations.models import Evaluation
from yiwang.workbench.views import staff_required

PAGE_SIZE = 20
CONTACT_PURPOSE = "差评回访（联系评价人）"


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def evaluation_menu(user: Any) -> dict[str, bool]:
    """Which 好差评 pages the user's grants open (for the workbench home and the page's own menu)."""
    handle = user_can(user, Action.EVALUATION_HANDLE)
    review = user_can(user, Action.EVALUATION_REVIEW)
    revisit = user_can(user, Action.HOTLINE_TAKE)
    return {
        "orders": handle or review or revisit,
        "review": review,
        "stats": review,
        "window": bool(selectors.windows_of_clerk(user=user)),
        "devices": selectors.windows_for_devices(user=user).exists(),
    }


def _queues_for(user: Any) -> list[str]:
    handle = user_can(user, Action.EVALUATION_HANDLE)
    review = user_can(user, Action.EVALUATION_REVIEW)
    revisit = user_can(user, Action.HOTLINE_TAKE) or review
    names = []
    if handle:
        names += ["verifying", "rectifying"]
    if review:
        names.append("appealing")
    if revisit or handle:
        names.append("revisiting")
    names += ["overdue", "closed"]
    return names


# --- queues and the order page ----------------------------------------------------------------------------


@staff_required
@never_cache
def orders(request: HttpRequest) -> HttpResponse:
    menu = evaluation_menu(request.user)
    if not menu["orders"]:
        return _problem(request, permission_denied("您没有好差评整改的岗位"))
    names = _queues_for(request.user)
    name = request.GET.get("queue") or names[0]
    if name not in names:
        name = names[0]
    queryset = selectors.order_queue(user=request.user, name=name)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = [
        {
            "name": n,
            "label": selectors.ORDER_QUEUES[n],
            "count": selectors.order_queue(user=request.user, name=n).order_by().count(),
            "current": n == name,
        }
        for n in names
    ]
    return render(
        request,
        "evaluations/workbench/orders.html",
        {
            "menu": menu,
            "counts": counts,
            "queue": name,
            "queue_label": selectors.ORDER_QUEUES[name],
            "page_obj": page,
            "rows": [present.order_row(o) for o in page.object_list],
        },
    )


@staff_required
def reviews(request: HttpRequest) -> HttpResponse:
    """申诉复核 queue (a bookmarkable address for reviewers)."""
    if not user_can(request.user, Action.EVALUATION_REVIEW):
        return _problem(request, permission_denied("只有申诉复核人员可以查看"))
    return redirect(reverse("evaluations_workbench:orders") + "?queue=appealing")


def _order_context(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    user = request.user
    handle = selectors.order_may(user, order, selectors.order_handle_q(user))
    review = selectors.order_may(user, order, selectors.order_review_q(user))
    revisitor = selectors.order_may(user, order, selectors.order_revisit_q(user))
    state = order.state
    return {
        "order": present.order_detail(order, viewer=user),
        "order_obj": order,
        "overdue": selectors.order_is_overdue(order),
        "can_verify": handle and state == OrderState.VERIFYING and order.staff_id != user.pk,
        "is_rated_staff": order.staff_id == user.pk,
        "can_review": review and state == OrderState.APPEALING and order.verified_by_id != user.pk,
        "can_rectify": handle and state == OrderState.RECTIFYING,
        "can_revisit": revisitor and state == OrderState.REVISITING,
        "can_contact": revisitor and state == OrderState.REVISITING,
        "verdicts": Verdict.choices,
        "decisions": ReviewDecision.choices,
        "levels": Level.choices,
        "methods": [(m.value, m.label) for m in RevisitMethod if m != RevisitMethod.ONLINE],
        "menu": evaluation_menu(user),
        "rectify_days": conf.rectify_workdays(),
    }


def _render_order(
    request: HttpRequest,
    order_id: int,
    *,
    error: DomainError | None = None,
    action: str = "",
    extra: dict | None = None,
) -> HttpResponse:
    try:
        context = _order_context(request, order_id)
    except DomainError as exc:
        return _problem(request, exc)
    errors = {e.field.split(".")[-1]: e.message for e in (error.errors if error else [])}
    context.update({"error": error, "errors": errors, "action": action, "posted": request.POST, **(extra or {})})
    return render(request, "evaluations/workbench/order.html", context, status=error.status if error else 200)


@staff_required
@never_cache
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _render_order(request, order_id)


@staff_required
@never_cache
@require_POST
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    post = request.POST
    try:
        match action:
            case "verify":
                services.order_verify(
                    actor=request.user, order_id=order_id, verdict=post.get("verdict", ""), note=post.get("note", "")
                )
                done = "已核实"
            case "review":
                services.order_review(
                    actor=request.user, order_id=order_id, decision=post.get("decision", ""), note=post.get("note", "")
                )
                done = "已复核"
            case "rectify":
                services.order_rectify(actor=request.user, order_id=order_id, measures=post.get("measures", ""))
                done = "已登记整改"
            case "revisit":
                services.order_revisit(
                    actor=request.user,
                    order_id=order_id,
                    level=post.get("level", ""),
                    method=post.get("method", ""),
                    note=post.get("note", ""),
                )
                done = "已登记回访，整改单办结"
            case _:
                raise DomainError(ErrorCode.NOT_FOUND, "操作不存在")
    except DomainError as exc:
        return _render_order(request, order_id, error=exc, action=action)
    messages.success(request, done)
    return redirect(reverse("evaluations_workbench:order", args=[order_id]))


@staff_required
@never_cache
@require_POST
def order_contact(request: HttpRequest, order_id: int) -> HttpResponse:
    """查看评价人联系电话 for the revisit call: only a revisitor of a 待回访 order; audited with a purpose."""
    try:
        context = _order_context(request, order_id)
        if not context["can_contact"]:
            raise permission_denied("只有回访人员在回访阶段可以查看评价人联系电话")
        order = context["order_obj"]
        event = order.evaluation.service_event
        person = NaturalPerson.objects.filter(pk=event.person_id).first() if event.person_id else None
        phone = phone_of(person) if person else ""
        record(
            actor=request.user,
            action="evaluation.contact_reveal",
            target=order,
            purpose=CONTACT_PURPOSE,
            changes={"person": person.pk if person else None, "fields": ["phone"]},
        )
    except DomainError as exc:
        return _problem(request, exc)
    return _render_order(
        request, order_id, extra={"contact_phone": phone or "（未登记手机号）", "contact_masked": mask_phone(phone)}
    )


# --- statistics -----------------------------------------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@staff_required
@never_cache
def stats_page(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Action.EVALUATION_REVIEW):
        return _problem(request, permission_denied("只有监察人员或政务服务管理机构可以查看好差评统计"))
    by = request.GET.get("by", "department")
    if by not in stats.DIMENSIONS:
        by = "department"
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    error = None
    try:
        rows, total = stats.evaluation_stats(user=request.user, by=by, date_from=date_from, date_to=date_to)
    except DomainError as exc:
        rows, total, error = [], stats.StatRow(key="", label="合计"), exc
    query = "&".join(f"{k}={v}" for k, v in (("from", date_from), ("to", date_to)) if v)
    return render(
        request,
        "evaluations/workbench/stats.html",
        {
            "rows": rows,
            "total": total,
            "by": by,
            "dimensions": stats.DIMENSIONS.items(),
            "date_from": date_from,
            "date_to": date_to,
            "export_query": query,
            "error": error,
            "menu": evaluation_menu(request.user),
        },
        status=error.status if error else 200,
    )


@staff_required
def stats_export(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Action.EVALUATION_REVIEW):
        return _problem(request, permission_denied("只有监察人员或政务服务管理机构可以导出好差评数据"))
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    try:
        return evaluations_api.export_response(
            user=request.user,
            fmt=fmt,
            date_from=_date(request.GET.get("from")),
            date_to=_date(request.GET.get("to")),
            department_id=None,
        )
    except DomainError as exc:
        return _problem(request, exc)


# --- the clerk's window page --------------------------------------------------------------------------------


def _window_page(request: HttpRequest, *, error: DomainError | None = None, status: int = 200) -> HttpResponse:
    windows = selectors.windows_of_clerk(user=request.user)
    visits = selectors.visits_of_clerk(user=request.user)
    rated = set(
        Evaluation.objects.filter(service_event_id__in=[v.service_event_id for v in visits]).values_list(
            "service_event_id", flat=True
        )
    )
    from yiwang.core import clock

    now = clock.now()
    rows = [
        {
            "visit": v,
            "rated": v.service_event_id in rated,
            "waiting": v.service_event_id not in rated
            and v.rating_request_until is not None
            and v.rating_request_until > now
            and v.declined_at is None,
            "declined": v.declined_at is not None,
        }
        for v in visits
    ]
    errors = {e.field.split(".")[-1]: e.message for e in (error.errors if error else [])}
    return render(
        request,
        "evaluations/workbench/window.html",
        {
            "windows": windows,
            "rows": rows,
            "error": error,
            "errors": errors,
            "posted": request.POST,
            "tablet_minutes": int(conf.tablet_period().total_seconds() // 60),
            "menu": evaluation_menu(request.user),
        },
        status=error.status if error else status,
    )


@staff_required
@never_cache
def window_page(request: HttpRequest) -> HttpResponse:
    """请群众评价: record the visit just served and put it on the window's tablet."""
    if request.method == "POST":
        window_id = request.POST.get("window", "")
        case_id = request.POST.get("case_id", "").strip()
        try:
            if not window_id.isdigit():
                raise DomainError(ErrorCode.VALIDATION, "请选择窗口", field="window")
            if case_id and not case_id.isdigit():
                raise DomainError(ErrorCode.VALIDATION, "办件编号须为数字", field="case_id")
            services.window_visit_record(
                actor=request.user,
                window_id=int(window_id),
                topic=request.POST.get("topic", ""),
                case_id=int(case_id) if case_id else None,
            )
        except DomainError as exc:
            return _window_page(request, error=exc)
        messages.success(request, "已请群众在窗口评价器上评价。请勿代替群众操作评价器。")
        return redirect(reverse("evaluations_workbench:window"))
    if not selectors.windows_of_clerk(user=request.user):
        return _problem(request, permission_denied("您没有绑定服务窗口"))
    return _window_page(request)


@staff_required
@never_cache
@require_POST
def visit_request(request: HttpRequest, visit_id: int) -> HttpResponse:
    try:
        services.window_visit_request_rating(actor=request.user, visit_id=visit_id)
    except DomainError as exc:
        return _window_page(request, error=exc)
    messages.success(request, "已再次请群众评价。")
    return redirect(reverse("evaluations_workbench:window"))


# --- hall devices -------------------------------------------------------------------------------------------


@staff_required
@never_cache
def devices(request: HttpRequest) -> HttpResponse:
    windows = list(selectors.windows_for_devices(user=request.user))
    if not windows:
        return _problem(request, permission_denied("您无权登记政务大厅评价设备"))
    error = None
    code = ""
    registered = None
    if request.method == "POST":
        window_id = request.POST.get("window", "")
        try:
            registered, code = services.hall_device_register(
                actor=request.user,
                window_id=int(window_id) if window_id.isdigit() else 0,
                name=request.POST.get("name", ""),
                channel=request.POST.get("channel", ""),
            )
        except DomainError as exc:
            error = exc
    errors = {e.field.split(".")[-1]: e.message for e in (error.errors if error else [])}
    return render(
        request,
        "evaluations/workbench/devices.html",
        {
            "windows": windows,
            "devices": selectors.devices_for(user=request.user),
            "channels": [(c.value, c.label) for c in (Channel.HALL_TABLET, Channel.HALL_TERMINAL)],
            "error": error,
            "errors": errors,
            "code": code,
            "registered": registered,
            "posted": request.POST,
            "pair_url": request.build_absolute_uri(reverse("evaluations_portal:tablet_pair")),
            "menu": evaluation_menu(request.user),
        },
        status=error.status if error else 200,
    )


@staff_required
@require_POST
def device_revoke(request: HttpRequest, device_id: int) -> HttpResponse:
    try:
        services.hall_device_revoke(actor=request.user, device_id=device_id)
    except DomainError as exc:
        return _problem(request, exc)
    messages.success(request, "设备已停用。")
    return redirect(reverse("evaluations_workbench:devices"))
