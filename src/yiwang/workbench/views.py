"""Staff pages: home, finding and registering applicants, revealing an ID number, the audit log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from yiwang.accounts import selectors as account_selectors
from yiwang.accounts import services as account_services
from yiwang.accounts.choices import StaffRole, UserKind
from yiwang.accounts.decorators import second_factor_redirect
from yiwang.accounts.forms import PersonFindForm, PersonRegisterForm, RevealForm
from yiwang.accounts.models import StaffAssignment, User
from yiwang.accounts.permissions import Action, second_factor_satisfied, user_can
from yiwang.audit.selectors import audit_events_for_user, audit_verify
from yiwang.core.errors import DomainError
from yiwang.core.forms import add_domain_error
from yiwang.regions.models import Region

AUDIT_PAGE_SIZE = 100


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every staff page: signed in, a staff account, and — for a role in ``SECOND_FACTOR_ROLES`` — a session
    that has passed the second factor (otherwise a redirect to it; the password alone opens nothing here)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "kind", None) != UserKind.STAFF:
            raise PermissionDenied("仅限工作人员")
        if not second_factor_satisfied(request.user):
            return second_factor_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    assignments = StaffAssignment.objects.filter(user=cast(User, request.user)).select_related(
        "department", "region", "window"
    )
    return render(
        request,
        "workbench/home.html",
        {
            "assignments": assignments,
            "can_find_person": user_can(request.user, Action.PERSON_VIEW),
            "can_register_person": user_can(request.user, Action.PERSON_REGISTER),
            "can_view_audit": user_can(request.user, Action.AUDIT_VIEW),
            "can_edit_catalog": user_can(request.user, Action.CATALOG_EDIT),
            "can_review_catalog": user_can(request.user, Action.CATALOG_REVIEW),
            "can_manage_oidc_clients": user_can(request.user, Action.OIDC_CLIENT_MANAGE),
            "role_labels": dict(StaffRole.choices),
        },
    )


@staff_required
@never_cache
def persons(request: HttpRequest) -> HttpResponse:
    """查找申请人 by ID number (blind index), and 登记申请人 when none is found.

    Both are POSTs: an ID number must never travel in a URL (access logs, browser history, Referer).
    """
    if not user_can(request.user, Action.PERSON_VIEW):
        raise PermissionDenied
    operation = request.POST.get("op") if request.method == "POST" else None
    find_form = PersonFindForm(request.POST if operation == "find" else None)
    department = getattr(request.user, "department", None)
    register_form = PersonRegisterForm(
        request.POST if operation == "register" else None,
        initial={"region_code": department.region.code if department else ""},
    )
    found = None
    searched = False
    if operation == "register" and user_can(request.user, Action.PERSON_REGISTER) and register_form.is_valid():
        data = register_form.cleaned_data
        region = Region.objects.filter(code=data["region_code"]).first()
        if region is None:
            register_form.add_error("region_code", "区划代码不存在，请填写6、9或12位行政区划代码")
        else:
            try:
                person = account_services.person_register(
                    actor=request.user,
                    name=data["name"],
                    id_number=data["id_number"],
                    region=region,
                    phone=data["phone"],
                )
                return redirect("workbench:person", person_id=person.pk)
            except DomainError as exc:
                add_domain_error(register_form, exc)
    elif operation == "find" and find_form.is_valid():
        try:
            found = account_selectors.person_find_by_id_number(
                user=request.user, id_number=find_form.cleaned_data["id_number"]
            )
            searched = True
        except DomainError as exc:
            add_domain_error(find_form, exc)
    return render(
        request,
        "workbench/persons.html",
        {
            "find_form": find_form,
            "register_form": register_form,
            "found": found,
            "searched": searched,
            "can_register": user_can(request.user, Action.PERSON_REGISTER),
        },
    )


@staff_required
@never_cache
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    """申请人信息, masked; the full ID number only after a stated purpose, shown once and logged."""
    try:
        subject = account_selectors.person_get_for_user(user=request.user, person_id=person_id)
    except DomainError as exc:
        return render(request, "errors/problem.html", {"error": exc}, status=exc.status)
    form = RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = account_services.person_reveal_id_number(
                actor=request.user, person_id=subject.pk, purpose=form.cleaned_data["purpose"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "workbench/person.html",
        {
            "subject": subject,
            "form": form,
            "revealed": revealed,
            "can_reveal": user_can(request.user, Action.PERSON_REVEAL),
        },
    )


@staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Action.AUDIT_VIEW):
        raise PermissionDenied
    events = audit_events_for_user(user=request.user)[:AUDIT_PAGE_SIZE]
    return render(request, "workbench/audit.html", {"events": events, "report": audit_verify()})
