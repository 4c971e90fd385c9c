"""Public pages of the hotline: the 诉求 form (/hotline/new/, signed in or anonymous with a phone number) and
我的诉求 (/my/requests/) with the status, the reply, the timeline and the citizen's own rating.

Every write is one call of ``yiwang.hotline.services``; a refusal re-shows the form with the message next to
the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from yiwang.accounts.choices import UserKind
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.forms import add_domain_error
from yiwang.core.ratelimit import attempt_allowed, client_address
from yiwang.hotline import selectors, services
from yiwang.hotline.choices import INTERNAL_EVENTS, TicketSource, TicketState
from yiwang.hotline.forms import RateForm, TicketForm
from yiwang.regions.models import Region

ANONYMOUS_PER_HOUR = 10  # 诉求 from one address without an account


def _anonymous_allowed(request: HttpRequest) -> bool:
    return attempt_allowed(f"hotline:web:{client_address(request)}", limit=ANONYMOUS_PER_HOUR, window_seconds=3600)


@never_cache
def ticket_new(request: HttpRequest) -> HttpResponse:
    """我要反映: the public 诉求 form."""
    user: Any = request.user
    if user.is_authenticated and user.kind == UserKind.STAFF:
        return render(request, "hotline/portal/staff_redirect.html", status=403)
    anonymous = not user.is_authenticated
    form = TicketForm(request.POST or None, phone_required=anonymous)
    if request.method == "POST" and form.is_valid():
        if anonymous and not _anonymous_allowed(request):
            form.add_error(None, "提交过于频繁，请稍后再试，或拨打12345热线")
        else:
            data = form.cleaned_data
            try:
                ticket = services.ticket_create(
                    actor=user,
                    source=TicketSource.MOBILE if request.GET.get("channel") == "mobile" else TicketSource.WEB,
                    ticket_type=data["ticket_type"],
                    category_id=data["category_id"],
                    title=data["title"],
                    content=data["content"],
                    region=Region.objects.get(code=data["region_code"]),
                    address=data["address"],
                    caller_name=data["caller_name"],
                    caller_phone=data["caller_phone"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if not anonymous:
                    return redirect("hotline_portal:mine_detail", ticket_id=ticket.pk)
                return render(request, "hotline/portal/filed.html", {"ticket": ticket})
    return render(request, "hotline/portal/new.html", {"form": form, "anonymous": anonymous})


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.ticket_list_for_citizen(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "hotline/portal/mine.html", {"page_obj": page, "rows": list(page.object_list)})


@login_required
@never_cache
def my_request(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One of my 诉求: status, reply, timeline, and the rating form once it is closed."""
    tickets = selectors.ticket_list_for_citizen(user=request.user)
    ticket = tickets.filter(pk=ticket_id).first()
    if ticket is None:
        error = DomainError(ErrorCode.NOT_FOUND, "诉求不存在或您无权查看")
        return render(request, "errors/problem.html", {"error": error}, status=404)
    can_rate = ticket.state == TicketState.CLOSED
    form = RateForm(request.POST or None) if can_rate else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.ticket_revisit(
                actor=request.user,
                ticket_id=ticket.pk,
                satisfaction=form.cleaned_data["satisfaction"],
                solved=form.cleaned_data["solved"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("hotline_portal:mine_detail", ticket_id=ticket.pk)
    events = [e for e in selectors.ticket_events(ticket=ticket) if e.action not in INTERNAL_EVENTS]
    return render(
        request,
        "hotline/portal/detail.html",
        {
            "ticket": ticket,
            "events": events,
            "form": form,
            "stages": selectors.window_stages(ticket=ticket) if ticket.source == TicketSource.WINDOW else None,
        },
        status=400 if form is not None and form.errors else 200,
    )
