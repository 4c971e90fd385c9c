"""Citizen pages of 好差评 and the hall tablet.

- ``/my/evaluations/``: the services awaiting my rating (一事一评), my ratings (changeable within the period)
  and the 差评 whose rectification waits for my confirmation (回访). ``?case=<id>`` narrows to one case (the
  case page links here).
- ``/my/evaluations/<event>/``: rate or change a rating — no level is preselected, and leaving without rating
  is always fine.
- ``/evaluations/tablet/``: the tablet facing the citizen at a window. No login form: the device proves itself
  with its HttpOnly cookie (``HallDevice``), set once by typing a pairing code. It shows the visit the window's
  clerk asked to be rated; five big buttons; a bad level asks for reasons on a second screen. A browser with a
  staff session never rates here (the page says so and the service refuses).

Every write is a call to ``evaluations.services``; a refusal is shown next to the form with its status code.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.identity_views import citizen_required
from yiwang.core.errors import DomainError
from yiwang.evaluations import conf, present, selectors, services
from yiwang.evaluations.choices import BAD_LEVELS, ONLINE_CHANNELS, Channel, Level
from yiwang.evaluations.models import Evaluation, HallDevice

DEVICE_COOKIE = "yiwang_hall_device"
DEVICE_COOKIE_PATH = "/evaluations/tablet/"
DEVICE_COOKIE_AGE = 5 * 365 * 24 * 3600
PAIR_LIMIT = 10  # wrong pairing codes per IP address …
PAIR_WINDOW_SECONDS = 600  # … in ten minutes

# Level buttons from best to worst, with a face that says the level without colour.
LEVEL_FACES = {
    Level.VERY_SATISFIED: "😄",
    Level.SATISFIED: "🙂",
    Level.BASICALLY_SATISFIED: "😐",
    Level.DISSATISFIED: "🙁",
    Level.VERY_DISSATISFIED: "😞",
}


def _levels() -> list[dict[str, Any]]:
    return [
        {"value": level.value, "label": level.label, "face": LEVEL_FACES[level], "bad": level in BAD_LEVELS}
        for level in Level
    ]


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def _online_channel(request: HttpRequest, value: str | None = None) -> str:
    """The channel of an online rating: the page's hidden field (set from ``?via=qr`` or the browser)."""
    if value in ONLINE_CHANNELS:
        return str(value)
    if request.GET.get("via") == "qr":
        return Channel.QRCODE
    agent = request.headers.get("User-Agent", "")
    return Channel.MOBILE if "Mobi" in agent or "Android" in agent else Channel.PC


# --- 我的评价 -------------------------------------------------------------------------------------------


@never_cache
@require_GET
@citizen_required
def my_evaluations(request: HttpRequest) -> HttpResponse:
    user = request.user
    pending = selectors.events_pending_for(user=user)
    evaluations = selectors.evaluations_of(user=user)
    revisits = selectors.orders_to_revisit_for(user=user).select_related("department", "window")
    case_id = request.GET.get("case", "")
    if case_id.isdigit():
        pending = pending.filter(case_id=int(case_id))
        evaluations = evaluations.filter(service_event__case_id=int(case_id))
        revisits = revisits.filter(evaluation__service_event__case_id=int(case_id))
    rated = list(evaluations[:100])
    orders = present.open_orders_by_evaluation(e.pk for e in rated)
    return render(
        request,
        "evaluations/my_list.html",
        {
            "pending": [present.event_dict(e, evaluation=None) for e in pending[:100]],
            "rated": [present.event_dict(e.service_event, evaluation=e, order_id=orders.get(e.pk)) for e in rated],
            "revisits": [present.order_row(o) for o in revisits[:100]],
            "case_filter": case_id if case_id.isdigit() else "",
            "levels": _levels(),
            "change_days": conf.change_period().days,
        },
    )


def _render_rate(
    request: HttpRequest,
    event: Any,
    *,
    evaluation: Evaluation | None,
    posted: dict[str, Any],
    error: DomainError | None,
) -> HttpResponse:
    order_id = present.open_orders_by_evaluation([evaluation.pk]).get(evaluation.pk) if evaluation else None
    shown = present.event_dict(event, evaluation=evaluation, order_id=order_id)
    errors = {e.field.split(".")[-1]: e.message for e in (error.errors if error else [])}
    return render(
        request,
        "evaluations/rate.html",
        {
            "event": shown,
            "evaluation": shown["evaluation"],
            "levels": _levels(),
            "reasons": list(conf.reasons().items()),
            "posted": posted,
            "error": error,
            "errors": errors,
            "channel": posted.get("channel") or _online_channel(request),
            "change_days": conf.change_period().days,
        },
        status=error.status if error else 200,
    )


@never_cache
@citizen_required
def rate(request: HttpRequest, event_id: int) -> HttpResponse:
    """评价 (or change a rating) of one of my services."""
    try:
        event = selectors.event_get_for_rater(user=request.user, event_id=event_id)
    except DomainError as exc:
        return _problem(request, exc)
    evaluation = Evaluation.objects.filter(service_event=event).first()
    if request.method != "POST":
        posted: dict[str, Any] = {}
        if evaluation is not None:
            posted = {"level": evaluation.level, "reasons": list(evaluation.reasons), "text": evaluation.text}
        return _render_rate(request, event, evaluation=evaluation, posted=posted, error=None)
    posted = {
        "level": request.POST.get("level", ""),
        "reasons": request.POST.getlist("reasons"),
        "text": request.POST.get("text", ""),
        "channel": _online_channel(request, request.POST.get("channel")),
    }
    try:
        evaluation, created = services.evaluation_submit(
            actor=request.user,
            service_event_id=event.pk,
            level=posted["level"],
            channel=posted["channel"],
            reasons=posted["reasons"],
            text=posted["text"],
        )
    except DomainError as exc:
        return _render_rate(request, event, evaluation=evaluation, posted=posted, error=exc)
    if evaluation.is_bad:
        messages.success(request, "感谢您的评价。您的差评已转责任部门核实整改，整改后将请您确认整改结果。")
    else:
        messages.success(request, "感谢您的评价！" if created else "评价已修改。")
    return redirect(reverse("evaluations_portal:my_list"))


@never_cache
@require_POST
@citizen_required
def revisit(request: HttpRequest, order_id: int) -> HttpResponse:
    """回访 by the citizen himself: how satisfied he is with the rectification of his 差评."""
    try:
        services.order_revisit(
            actor=request.user,
            order_id=order_id,
            level=request.POST.get("level", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        return _problem(request, exc)
    messages.success(request, "感谢您的反馈，整改单已办结。")
    return redirect(reverse("evaluations_portal:my_list"))


# --- the hall tablet ------------------------------------------------------------------------------------


def _device(request: HttpRequest) -> HallDevice | None:
    return services.hall_device_for_token(request.COOKIES.get(DEVICE_COOKIE))


def _tablet(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(request, template, {"levels": _levels(), **(context or {})}, status=status)


@never_cache
@require_GET
def tablet(request: HttpRequest) -> HttpResponse:
    """The tablet's screen: waiting, or the visit to rate. Unpaired devices are sent to pairing."""
    device = _device(request)
    if device is None:
        return redirect(reverse("evaluations_portal:tablet_pair"))
    staff_session = selectors.is_staff(request.user)
    visit = None if staff_session else selectors.visit_pending_at(window_id=device.window_id)
    return _tablet(
        request,
        "evaluations/tablet.html",
        {"device": device, "visit": visit, "staff_session": staff_session, "step": "level"},
    )


@never_cache
@require_GET
def tablet_pending(request: HttpRequest) -> JsonResponse:
    """What the waiting screen polls (evaluations-tablet.js): the visit id to show, or null."""
    device = _device(request)
    if device is None:
        return JsonResponse({"paired": False, "visit": None}, status=403)
    visit = selectors.visit_pending_at(window_id=device.window_id)
    return JsonResponse({"paired": True, "visit": visit.pk if visit else None})


@never_cache
@require_POST
def tablet_rate(request: HttpRequest) -> HttpResponse:
    device = _device(request)
    if device is None:
        return redirect(reverse("evaluations_portal:tablet_pair"))
    level = request.POST.get("level", "")
    reasons = request.POST.getlist("reasons")
    text = request.POST.get("text", "")
    visit_id = request.POST.get("visit", "")
    visit = selectors.visit_pending_at(window_id=device.window_id)
    context: dict[str, Any] = {"device": device, "visit": visit, "staff_session": selectors.is_staff(request.user)}
    if not visit_id.isdigit():
        return _tablet(request, "evaluations/tablet.html", {**context, "step": "level"}, status=422)
    # A bad level without a reason yet: the second screen (reasons), not an error.
    first_tap_bad = level in BAD_LEVELS and not reasons and not text.strip() and request.POST.get("step") != "reasons"
    if first_tap_bad and visit is not None and visit.pk == int(visit_id) and not context["staff_session"]:
        return _tablet(
            request,
            "evaluations/tablet.html",
            {
                **context,
                "step": "reasons",
                "level": level,
                "level_label": Level(level).label,
                "reasons": list(conf.reasons().items()),
            },
        )
    try:
        services.evaluation_submit_at_device(
            device=device,
            visit_id=int(visit_id),
            level=level,
            reasons=reasons,
            text=text,
            session_user=request.user,
        )
    except DomainError as exc:
        step = "reasons" if level in BAD_LEVELS and exc.field in ("reasons", "text") else "level"
        return _tablet(
            request,
            "evaluations/tablet.html",
            {
                **context,
                "step": step,
                "error": exc,
                "level": level,
                "level_label": Level(level).label if level in Level.values else "",
                "reasons": list(conf.reasons().items()),
                "chosen": reasons,
                "text": text,
            },
            status=exc.status,
        )
    return _tablet(request, "evaluations/tablet.html", {**context, "visit": None, "step": "thanks"})


@never_cache
@require_POST
def tablet_decline(request: HttpRequest) -> HttpResponse:
    device = _device(request)
    if device is None:
        return redirect(reverse("evaluations_portal:tablet_pair"))
    visit_id = request.POST.get("visit", "")
    try:
        if visit_id.isdigit():
            services.window_visit_decline(device=device, visit_id=int(visit_id), session_user=request.user)
    except DomainError as exc:
        return _problem(request, exc)
    return redirect(reverse("evaluations_portal:tablet"))


@never_cache
def tablet_pair(request: HttpRequest) -> HttpResponse:
    """配对: type the code the workbench showed when the device was registered; the device keeps a cookie."""
    error = None
    if request.method == "POST":
        ip = request.META.get("REMOTE_ADDR", "")
        key = f"yiwang:evaluations:pair:{ip}"
        if cache.get(key, 0) >= PAIR_LIMIT:
            error = "尝试次数过多，请10分钟后再试。"
        else:
            try:
                _device, token = services.hall_device_pair(code=request.POST.get("code", ""))
            except DomainError as exc:
                cache.set(key, cache.get(key, 0) + 1, PAIR_WINDOW_SECONDS)
                error = exc.message
            else:
                response = redirect(reverse("evaluations_portal:tablet"))
                response.set_cookie(
                    DEVICE_COOKIE,
                    token,
                    max_age=DEVICE_COOKIE_AGE,
                    path=DEVICE_COOKIE_PATH,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Strict",
                )
                return response
    return render(request, "evaluations/tablet_pair.html", {"error": error}, status=422 if error else 200)
