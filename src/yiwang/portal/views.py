"""Public pages: home, search, departments, venues; the 适老化 switch; post-login routing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.choices import UserKind
from yiwang.catalog.selectors import GuideFilter, guide_list
from yiwang.core.context_processors import LARGE_TEXT_COOKIE
from yiwang.portal.themes import ENTERPRISE_THEMES, PERSONAL_THEMES
from yiwang.regions import selectors as region_selectors
from yiwang.regions.models import Region

SEARCH_LIMIT = 50


def _root_region() -> Region | None:
    """The region this platform serves: the highest region with departments (the demo: 临沂市)."""
    return Region.objects.filter(departments__isnull=False).order_by("level", "code").first()


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    root = _root_region()
    departments = region_selectors.department_list(region=root, include_subregions=False) if root else []
    return render(
        request,
        "portal/home.html",
        {
            "root": root,
            "departments": departments,
            "personal_themes": PERSONAL_THEMES,
            "enterprise_themes": ENTERPRISE_THEMES,
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    departments: list[object] = []
    venues: list[object] = []
    items: list[object] = []
    if query:
        items = list(guide_list(filters=GuideFilter(q=query))[:SEARCH_LIMIT])
        departments = list(
            region_selectors.department_list().filter(Q(name__icontains=query) | Q(short_name__icontains=query))[
                :SEARCH_LIMIT
            ]
        )
        venues = list(
            region_selectors.venue_list().filter(Q(name__icontains=query) | Q(address__icontains=query))[:SEARCH_LIMIT]
        )
    return render(
        request, "portal/search.html", {"q": query, "items": items, "departments": departments, "venues": venues}
    )


@require_GET
def departments(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("region", "")
    region = Region.objects.filter(code=code).first() if code else _root_region()
    children = list(region_selectors.region_children(region=region).filter(level__lte=4)) if region else []
    rows = region_selectors.department_list(region=region, include_subregions=False) if region else []
    return render(request, "portal/departments.html", {"region": region, "children": children, "departments": rows})


@require_GET
def venues(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("region", "")
    region = Region.objects.filter(code=code).first() if code else _root_region()
    rows = (
        region_selectors.venue_list(region=region).filter(level_filter(region)).prefetch_related("windows")
        if region
        else []
    )
    return render(request, "portal/venues.html", {"region": region, "venues": rows})


def level_filter(region: Region) -> Q:
    """Show the venues of the region itself and one level down (a county shows its towns' centres)."""
    return Q(region=region) | Q(region__parent=region)


@require_POST
def toggle_large_text(request: HttpRequest) -> HttpResponse:
    """适老化 switch: flips large text + high contrast and remembers it for a year (works without JS)."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response: HttpResponse = HttpResponseRedirect(target)
    turn_on = request.COOKIES.get(LARGE_TEXT_COOKIE) != "1"
    response.set_cookie(
        LARGE_TEXT_COOKIE, "1" if turn_on else "0", max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "kind", None) == UserKind.STAFF:
        return redirect("workbench:home")
    return redirect("portal:home")


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})
