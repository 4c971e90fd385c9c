"""Pages of 统一身份认证 for people and enterprises: registration (phone code, then real-name details),
my enterprises and their 经办人, 我的授权 (帮办代办), the 办事身份 switch, and the developer SMS inbox.

The pages call the same services as the API (``accounts.services``); they only turn forms into
arguments and service refusals into messages next to the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from yiwang.accounts import selectors, services, sms
from yiwang.accounts.acting import acting_identity, acting_identity_store
from yiwang.accounts.choices import PhoneCodePurpose, UserKind
from yiwang.accounts.decorators import verified_login_required
from yiwang.accounts.identity_forms import (
    AgentGrantForm,
    AuthorisationForm,
    DetailsStepForm,
    EnterpriseRegisterForm,
    PhoneStepForm,
    WindowAuthorisationForm,
)
from yiwang.accounts.models import LegalPerson, NaturalPerson, User
from yiwang.accounts.permissions import Action
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.forms import add_domain_error

ModelBackend = "django.contrib.auth.backends.ModelBackend"


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in with a citizen account (staff have no 个人/企业 identity here)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "kind", None) != UserKind.CITIZEN:
            return _problem(request, DomainError(ErrorCode.PERMISSION_DENIED, "此页面仅供办事群众使用"))
        return view(request, *args, **kwargs)

    return wrapper


def _problem(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": error}, status=error.status)


def _own_person(user: Any) -> NaturalPerson | None:
    return NaturalPerson.objects.filter(user_id=user.pk).select_related("region").first()


# --- registration ------------------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("code")
def register(request: HttpRequest) -> HttpResponse:
    """注册 step 1: send a code to the phone, then check it. The right code moves on to step 2 with a
    one-time proof in a hidden field (the code itself is never kept anywhere)."""
    if request.user.is_authenticated:
        return redirect("home")
    operation = request.POST.get("op") if request.method == "POST" else None
    form = PhoneStepForm(request.POST or None)
    sent_to = ""
    if operation in {"send", "verify"} and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            if operation == "send":
                row = services.phone_code_send(
                    phone=phone, purpose=PhoneCodePurpose.REGISTER, ip=request.META.get("REMOTE_ADDR")
                )
                sent_to = row.phone_masked
            else:
                proof = services.phone_code_verify(
                    phone=phone, purpose=PhoneCodePurpose.REGISTER, code=form.cleaned_data["code"]
                )
                details = DetailsStepForm(initial={"phone": phone, "proof": proof})
                return render(request, "accounts/register_details.html", {"form": details, "phone": phone})
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "accounts/register_phone.html",
        {"form": form, "sent_to": sent_to, "dev_inbox": settings.DEBUG},
    )


@never_cache
@require_POST
@sensitive_post_parameters("password", "password_again", "proof")
def register_details(request: HttpRequest) -> HttpResponse:
    """注册 step 2: real-name details and the account; on success the citizen is signed in."""
    form = DetailsStepForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = services.citizen_register(
                username=data["username"],
                password=data["password"],
                name=data["name"],
                id_number=data["id_number"],
                region=data["region"],
                phone=data["phone"],
                proof=data["proof"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            login(request, user, backend=ModelBackend)
            messages.success(request, f"注册成功，欢迎您，{user.display_name}。")
            return redirect("identity:authorisations")
    return render(request, "accounts/register_details.html", {"form": form, "phone": request.POST.get("phone", "")})


def dev_sms_inbox(request: HttpRequest) -> HttpResponse:
    """开发用短信收件箱: what the LogBackend would have sent. Exists only with DEBUG."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "accounts/dev_sms.html", {"rows": sms.dev_inbox()})


# --- 办事身份 ----------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


@require_POST
@citizen_required
def acting_switch(request: HttpRequest) -> HttpResponse:
    """Switch between 个人 and an enterprise (POST from the header); back to the page it came from."""
    choice = request.POST.get("identity", "person")
    enterprise = None
    if choice != "person":
        kind, _, raw_id = choice.partition(":")
        if kind == "enterprise" and raw_id.isdigit():
            enterprise = LegalPerson.objects.filter(pk=int(raw_id)).first()
        if enterprise is None:
            messages.error(request, "所选的办事身份不存在")
            return redirect(_safe_next(request))
    try:
        identity = services.acting_identity_switch(actor=request.user, enterprise=enterprise)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        acting_identity_store(request, identity)
        messages.success(request, f"已切换为以“{identity.label}”身份办事。")
    return redirect(_safe_next(request))


# --- enterprises and 经办人 ----------------------------------------------------------------------------


@never_cache
@citizen_required
def enterprises(request: HttpRequest) -> HttpResponse:
    """我的企业: those I represent or am a 经办人 of, and the form to register one as its 法定代表人."""
    person = _own_person(request.user)
    form = EnterpriseRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if person is None:
            form.add_error(None, "请先完成实名登记，再以法定代表人身份登记企业")
        else:
            data = form.cleaned_data
            try:
                legal = services.legal_person_register(
                    actor=request.user,
                    uscc=data["uscc"],
                    name=data["name"],
                    legal_representative=person,
                    region=data["region"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已登记企业“{legal.name}”。")
                return redirect("identity:enterprise", enterprise_id=legal.pk)
    rows = list(selectors.enterprises_for_user(user=request.user))
    for row in rows:
        row.is_mine = row.legal_representative.user_id == request.user.pk  # type: ignore[attr-defined]
    return render(request, "accounts/enterprises.html", {"rows": rows, "form": form, "person": person})


@never_cache
@citizen_required
def enterprise(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    """One enterprise for its 法定代表人: the 经办人 grants (all states) and the form to grant one."""
    try:
        legal = selectors.enterprise_get_for_representative(user=request.user, enterprise_id=enterprise_id)
    except DomainError as exc:
        return _problem(request, exc)
    form = AgentGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = selectors.person_match(id_number=data["person_id_number"], name=data["person_name"])
            if person is None:
                raise DomainError(
                    ErrorCode.VALIDATION,
                    "未找到该经办人，请核对姓名和身份证号（须已实名登记）",
                    field="person_id_number",
                )
            services.enterprise_agent_grant(actor=request.user, enterprise=legal, person=person, **form.scope_values())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已授权 {person.name} 为经办人。")
            return redirect("identity:enterprise", enterprise_id=legal.pk)
    grants = selectors.enterprise_agents_for_user(user=request.user, enterprise_id=legal.pk)
    return render(request, "accounts/enterprise.html", {"legal": legal, "grants": grants, "form": form})


@require_POST
@citizen_required
def enterprise_agent_revoke(request: HttpRequest, enterprise_id: int, grant_id: int) -> HttpResponse:
    try:
        selectors.enterprise_get_for_representative(user=request.user, enterprise_id=enterprise_id)
        grant = services.enterprise_agent_revoke(actor=request.user, grant_id=grant_id)
    except DomainError as exc:
        return _problem(request, exc)
    messages.success(request, f"已撤销 {grant.person.name} 的经办人授权，立即生效。")
    return redirect("identity:enterprise", enterprise_id=enterprise_id)


# --- 帮办代办 ------------------------------------------------------------------------------------------


@never_cache
@login_required
def authorisations(request: HttpRequest) -> HttpResponse:
    """我的授权: authorisations I gave (revoke), who acted for me under them, those given to me; and the form
    to authorise another registered citizen."""
    user = cast(User, request.user)
    person = _own_person(user) if user.kind == UserKind.CITIZEN else None
    form = AuthorisationForm(request.POST or None) if person is not None else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agent = selectors.person_match(id_number=data["agent_id_number"], name=data["agent_name"])
            if agent is None or agent.user is None:
                raise DomainError(
                    ErrorCode.VALIDATION,
                    "未找到该代办人的账号，请核对姓名和身份证号（代办人须已注册）",
                    field="agent_id_number",
                )
            services.agent_authorisation_grant(
                actor=user,
                principal=cast(NaturalPerson, person),
                agent=agent.user,
                reason=data["reason"],
                **form.scope_values(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已授权 {agent.name} 为您代办。")
            return redirect("identity:authorisations")
    context = {
        "person": person,
        "form": form,
        "given": selectors.authorisations_given(user=user),
        "acts": selectors.proxy_acts_for(user=user),
        "received": selectors.authorisations_received(user=user).select_related("principal"),
        "acting": acting_identity(request),
    }
    return render(request, "accounts/authorisations.html", context)


@require_POST
@login_required
def authorisation_revoke(request: HttpRequest, authorisation_id: int) -> HttpResponse:
    try:
        services.agent_authorisation_revoke(actor=request.user, authorisation_id=authorisation_id)
    except DomainError as exc:
        return _problem(request, exc)
    messages.success(request, "已撤销该代办授权，立即生效。")
    return redirect("identity:authorisations")


@never_cache
@verified_login_required
def authorisation_record(request: HttpRequest, person_id: int) -> HttpResponse:
    """登记帮办代办授权 (window clerk): from the 委托人's written authorisation, for the clerk himself."""
    principal = (
        NaturalPerson.objects.restrict(cast(User, request.user), Action.PROXY_AUTHORISE)
        .select_related("region")
        .filter(pk=person_id)
        .first()
    )
    if principal is None:
        return _problem(request, DomainError(ErrorCode.NOT_FOUND, "自然人不存在或您无权查看"))
    form = WindowAuthorisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_authorisation_grant(
                actor=request.user,
                principal=principal,
                agent=cast(User, request.user),
                reason=form.cleaned_data["reason"],
                **form.scope_values(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记 {principal.name} 的帮办代办授权，委托人可在“我的授权”中查看或撤销。")
            return redirect("identity:authorisation_record", person_id=principal.pk)
    mine = selectors.authorisations_received(user=request.user).filter(principal=principal)
    return render(request, "accounts/authorisation_record.html", {"principal": principal, "form": form, "mine": mine})
