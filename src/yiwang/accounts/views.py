"""Sign-in pages: password, second factor (verify and enrol), recovery codes, sign-in history, log-out.

The flow for a role in ``SECOND_FACTOR_ROLES``: the password page logs the user in (Django rotates the
session key) and sends him to :func:`otp_verify` — or, without a confirmed device yet, to
:func:`otp_enrol`. Until one of them succeeds, ``request.user.is_verified()`` is False and the workbench
and the staff API stay closed (``staff_required``, ``api.auth.SessionAuth``). Success marks the session
verified (django-otp) and rotates the session key again.

Wrong codes are reported through Django's ``user_login_failed`` signal, like a wrong password: django-axes
counts them toward the same per-account lockout, and the audit receiver records them.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.accounts import auth_events, second_factor
from yiwang.accounts.auth_events import LOGOUT_REASON_ATTRIBUTE, SECOND_FACTOR_CREDENTIAL
from yiwang.accounts.decorators import second_factor_redirect, verified_login_required
from yiwang.accounts.forms import LoginForm, SecondFactorForm, TotpEnrolForm
from yiwang.accounts.models import User
from yiwang.accounts.permissions import Action, second_factor_required, user_can
from yiwang.core.errors import DomainError
from yiwang.core.forms import add_domain_error


def _next_url(request: HttpRequest) -> str:
    """The page to return to after the second factor: a same-site ``next``, or the post-log-in router."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url}, safe='/')}"


def _credentials(user: Any, **extra: str) -> dict[str, str]:
    return {"username": user.get_username(), **extra}


def _signin_completed(request: HttpRequest, user: Any) -> None:
    """The whole log-in succeeded: only now are the account's failure counts cleared (see settings)."""
    AxesProxyHandler.reset_attempts(username=user.get_username())


def _second_factor_passed(request: HttpRequest, device: Any) -> None:
    otp_login(request, device)  # the session now names the device that verified it
    request.session.cycle_key()  # a session id seen before the second factor is worth nothing after it
    _signin_completed(request, request.user)


def _locked_out(request: HttpRequest, user: Any) -> HttpResponse:
    """End the half-signed-in session of a locked account and show the lockout page (HTTP 429)."""
    credentials = _credentials(user)
    setattr(request, LOGOUT_REASON_ATTRIBUTE, auth_events.LOCKED_OUT_REASON)
    logout(request)
    return cast(HttpResponse, get_lockout_response(request, None, credentials))


def _is_verified(request: HttpRequest) -> bool:
    """Has this session passed the second factor (``is_verified`` comes from django-otp's OTPMiddleware)?"""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


def _is_locked(request: HttpRequest, user: Any) -> bool:
    return AxesProxyHandler.is_locked(request, _credentials(user))


# --- password ----------------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)  # login(): session key rotated, auth.login audited, clocks started
        user = form.get_user()
        if second_factor_required(user):
            return HttpResponseRedirect(_with_next("accounts:otp_verify", self.get_success_url()))
        _signin_completed(self.request, user)
        return response


class LogoutView(auth_views.LogoutView):
    pass


# --- second factor -------------------------------------------------------------------------------------------


@login_required
@never_cache
@sensitive_post_parameters("otp_token")
def otp_verify(request: HttpRequest) -> HttpResponseBase:
    """双重验证: a 6-digit TOTP code or a recovery code, after the password."""
    user = cast(User, request.user)
    next_url = _next_url(request)
    if not second_factor_required(user) or _is_verified(request):
        return redirect(next_url)
    if second_factor.totp_device_get(user=user) is None:
        return redirect(_with_next("accounts:otp_enrol", next_url))
    if _is_locked(request, user):
        return _locked_out(request, user)
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = second_factor.second_factor_verify(user=user, token=form.cleaned_data["otp_token"])
        if result.ok:
            _second_factor_passed(request, result.device)
            if result.method == auth_events.AuthMethod.RECOVERY_CODE:
                left = second_factor.recovery_codes_left(user=user)
                messages.warning(request, f"您使用了一个恢复码，还剩 {left} 个。可在“登录记录”页重新生成。")
            return redirect(next_url)
        if result.throttled:
            wait = second_factor.throttle_wait_text(result.throttled_until)
            form.add_error("otp_token", f"尝试过于频繁，请{wait}后再试")
        else:
            # Counted by django-axes toward the account's lockout, recorded by the audit receiver.
            user_login_failed.send(
                sender=__name__,
                credentials=_credentials(user, **{SECOND_FACTOR_CREDENTIAL: result.method.value}),
                request=request,
            )
            if getattr(request, "axes_locked_out", False):
                return _locked_out(request, user)
            form.add_error("otp_token", "验证码不正确。连续输错多次后账号将被暂时锁定。")
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


def _qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (the CSP allows data: images, nothing inline)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff"))


def _group(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@never_cache
@sensitive_post_parameters("otp_token")
def otp_enrol(request: HttpRequest) -> HttpResponseBase:
    """绑定动态口令: QR code and secret, confirmed by a first code; then the recovery codes, shown once."""
    user = cast(User, request.user)
    next_url = _next_url(request)
    if not second_factor_required(user):
        return redirect(next_url)
    if second_factor.totp_device_get(user=user) is not None:
        # Never a second device on the password alone: that would turn a stolen password into a bypass.
        return redirect(_with_next("accounts:otp_verify", next_url))
    if _is_locked(request, user):
        return _locked_out(request, user)
    device = second_factor.totp_enrolment_start(user=user)
    form = TotpEnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.totp_enrolment_confirm(user=user, token=form.cleaned_data["otp_token"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            device.refresh_from_db()
            _second_factor_passed(request, device)
            return _recovery_codes_page(request, codes, next_url=next_url, enrolled=True)
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr": _qr_data_uri(device),
            "secret": _group(second_factor.totp_secret(device)),
            "issuer": settings.OTP_TOTP_ISSUER,
            "account": user.get_username(),
        },
    )


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, next_url: str, enrolled: bool) -> HttpResponse:
    # Rendered in the response to the POST that made them, never stored in the session: shown once.
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": [second_factor.format_recovery_code(c) for c in codes], "next": next_url, "enrolled": enrolled},
    )


@verified_login_required
@require_POST
@never_cache
def recovery_codes_new(request: HttpRequest) -> HttpResponseBase:
    """重新生成恢复码 (POST from the history page), for a session that has passed the second factor."""
    if not _is_verified(request):
        return second_factor_redirect(request)
    try:
        codes = second_factor.recovery_codes_regenerate(user=cast(User, request.user))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:history")
    return _recovery_codes_page(request, codes, next_url=reverse("accounts:history"), enrolled=False)


# --- sign-in history -----------------------------------------------------------------------------------------


@verified_login_required
@never_cache
def me(request: HttpRequest) -> HttpResponse:
    """我的: the signed-in user's own tools on one page — what a phone's header links to instead of
    showing them all (the same partial as the wide header)."""
    return render(request, "accounts/me.html")


@verified_login_required
@never_cache
def history(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    """登录记录: the user's own sign-in events; a platform admin may open an account in his scope."""
    viewer = cast(User, request.user)
    can_view_others = user_can(viewer, Action.SIGNIN_HISTORY_VIEW)
    lookup = request.GET.get("username", "").strip()[:150]
    not_found = False
    if user_id is None and lookup and can_view_others:
        found = auth_events.signin_account_find_for_user(viewer=viewer, username=lookup)
        if found is not None:
            return redirect("accounts:history_of", user_id=found.pk)
        not_found = True
    if user_id is None:
        account = viewer
    else:
        try:
            account = auth_events.signin_account_get_for_user(viewer=viewer, user_id=user_id)
        except DomainError as exc:
            return render(request, "errors/problem.html", {"error": exc}, status=exc.status)
    is_self = account.pk == viewer.pk
    needs_second_factor = is_self and second_factor_required(viewer)
    has_device = needs_second_factor and second_factor.totp_device_get(user=viewer) is not None
    return render(
        request,
        "accounts/history.html",
        {
            "account": account,
            "rows": auth_events.signin_history(user=account),
            "is_self": is_self,
            "can_view_others": can_view_others,
            "lookup": lookup,
            "lookup_not_found": not_found,
            "has_device": has_device,
            "recovery_codes_left": second_factor.recovery_codes_left(user=viewer) if has_device else 0,
            "second_factor_required": needs_second_factor,
            "limit": auth_events.HISTORY_LIMIT,
        },
    )
