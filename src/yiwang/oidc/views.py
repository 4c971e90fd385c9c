"""Pages of the OpenID Connect provider.

* Protocol pages (mounted at ``/o/`` by ``provider_urls``): DOT's views, with our consent page and
  logout confirmation (Chinese templates, audit records, a CSP that lets the form go back to the client).
* Workbench pages (``/workbench/oidc/``): the platform admin registers clients and sees how to connect.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from oauth2_provider import exceptions as dot_errors
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import (
    AuthorizationView,
    ConnectDiscoveryInfoView,
    IntrospectTokenView,
    RPInitiatedLogoutView,
)
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from yiwang.accounts.decorators import second_factor_redirect
from yiwang.accounts.permissions import Action, second_factor_satisfied, user_can
from yiwang.core.errors import DomainError
from yiwang.core.forms import add_domain_error
from yiwang.oidc import selectors, services
from yiwang.oidc.forms import ClientRegisterForm
from yiwang.oidc.models import ClientPolicy
from yiwang.workbench.views import staff_required

Application = get_application_model()
AccessToken = get_access_token_model()

# What went wrong, for the person looking at the page (the error code stays on the page for developers).
# Most OAuth errors share the code "invalid_request", so the exception class decides the message.
ERROR_MESSAGES_BY_CLASS: list[tuple[type, str]] = [
    (oauth_errors.MismatchingRedirectURIError, "回调地址与登记的地址不一致，请联系该系统的管理员。"),
    (oauth_errors.InvalidRedirectURIError, "回调地址不正确。"),
    (oauth_errors.MissingRedirectURIError, "缺少回调地址。"),
    (oauth_errors.InvalidClientIdError, "接入系统未登记或已停用。"),
    (oauth_errors.MissingClientIdError, "缺少接入系统标识（client_id）。"),
    (dot_errors.InvalidOIDCRedirectURIError, "退出后的跳转地址未登记，请联系该系统的管理员。"),
    (dot_errors.InvalidIDTokenError, "登录凭据无效或已过期。"),
    (dot_errors.ClientIdMissmatch, "登录凭据与接入系统不一致。"),
    (dot_errors.InvalidOIDCClientError, "接入系统未登记。"),
    (dot_errors.LogoutDenied, "您已取消退出，仍保持登录。"),
]
ERROR_MESSAGES_BY_CODE = {
    "invalid_request": "请求缺少必要的参数或参数不正确（例如未使用 PKCE）。",
    "invalid_client": "接入系统未登记或已停用。",
    "invalid_scope": "请求的授权范围超出了该系统获准的范围。",
    "unauthorized_client": "该系统无权使用这种授权方式。",
    "unsupported_response_type": "不支持的授权方式。",
    "access_denied": "您已拒绝授权。",
}
_ORIGIN_HOST = re.compile(r"^[A-Za-z0-9.\-]+$|^\[[0-9A-Fa-f:.]+\]$")


def _origin(uri: str) -> str | None:
    """``scheme://host[:port]`` of a URI, or None if it is not something we would put in a CSP."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if parts.scheme not in ("https", "http") or not _ORIGIN_HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def csp_allowing_form_targets(uris: Iterable[str]) -> str:
    """The site CSP, with the client's origin added to ``form-action``.

    Browsers apply ``form-action`` to the redirects that follow a form submission, so a consent (or
    logout) form that answers with a redirect to the client would otherwise be blocked by our own CSP.
    """
    origins = sorted({origin for origin in map(_origin, uris) if origin})
    if not origins:
        return settings.YIWANG_CSP
    return settings.YIWANG_CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(origins), 1)


def _error_context(error: Any) -> dict[str, str]:
    code = str(getattr(error, "error", "") or "")
    message = next((text for cls, text in ERROR_MESSAGES_BY_CLASS if isinstance(error, cls)), None)
    message = message or ERROR_MESSAGES_BY_CODE.get(code, "请求无效，请返回原系统重新登录。")
    return {"error_code": code, "error_message": message}


# --- protocol pages -------------------------------------------------------------------------------------


class ConsentView(AuthorizationView):
    """授权页: who is asking, for what, as whom; the answer is audit-logged."""

    template_name = "oauth2_provider/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Staff whose role needs a second factor give their identity to no system on the password alone."""
        if request.user.is_authenticated and not second_factor_satisfied(request.user):
            return second_factor_redirect(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        scopes = list(context.get("scopes") or [])
        descriptions = oauth2_settings.SCOPES
        context["scope_items"] = [(scope, descriptions.get(scope, scope)) for scope in scopes]
        context["policy"] = (
            ClientPolicy.objects.filter(application=application).select_related("department").first()
            if application is not None
            else None
        )
        return context

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        if "error" in context:  # DOT renders its errors without get_context_data
            context = {**context, **_error_context(context["error"])}
        response = super().render_to_response(context, **response_kwargs)
        redirect_uri = context.get("redirect_uri")
        if context.get("application") is not None and redirect_uri:
            response["Content-Security-Policy"] = csp_allowing_form_targets([redirect_uri])
        return response

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        """Back to the client — through a page when the browser came here from one of our own forms.

        Browsers apply ``form-action`` to every redirect after a form submission: a user who signs in
        (log-in form, perhaps a second-factor form) and whose consent is already on record would be
        sent log-in → ``/o/authorize/`` → client, and our ``form-action 'self'`` would block the last
        hop. A page that moves on by itself (``<meta http-equiv="refresh">``) starts a new navigation,
        which ``form-action`` does not govern. Straight navigations from the client keep the plain 302.
        """
        response = super().redirect(redirect_to, application)  # DOT's scheme check happens here
        came_from_our_page = self.request.headers.get("Sec-Fetch-Site") == "same-origin"
        if (
            self.request.method == "GET"
            and came_from_our_page
            and _origin(response["Location"]) != _origin(self.request.build_absolute_uri("/"))
        ):
            page = render(
                self.request, "oidc/redirect.html", {"target": response["Location"], "application": application}
            )
            page["Cache-Control"] = "no-store"  # the page carries the authorization code
            page["Referrer-Policy"] = "no-referrer"
            return page
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        allowed = bool(form.cleaned_data.get("allow"))
        answer = parse_qs(urlsplit(response.get("Location", "")).query)
        application = Application.objects.filter(client_id=form.cleaned_data["client_id"]).first()
        # A refused request (tampered scope, missing PKCE …) is no consent either way: only a decision
        # that took effect is recorded — a code issued, or the user's "拒绝".
        if application is not None and ("code" in answer if allowed else True):
            services.oidc_consent_record(
                actor=self.request.user,
                application=application,
                scopes=str(form.cleaned_data.get("scope") or "").split(),
                granted=allowed,
            )
        return response


class LogoutView(RPInitiatedLogoutView):
    """退出确认 (RP-initiated logout): ends the platform session and revokes the user's tokens."""

    template_name = "oauth2_provider/logout_confirm.html"

    def get_request_application(self, id_token: Any, client_id: str | None) -> Any:
        """An unknown ``client_id`` is the client's error (a page saying so), not a server error."""
        if client_id and not Application.objects.filter(client_id=client_id).exists():
            raise dot_errors.InvalidOIDCClientError()
        return super().get_request_application(id_token, client_id)

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        if "error" in context:  # DOT renders its errors without get_context_data
            context = {**context, **_error_context(context["error"])}
        response = super().render_to_response(context, **response_kwargs)
        application = context.get("application")
        target = (self.oidc_data or {}).get("post_logout_redirect_uri")
        if application is not None and target and application.post_logout_redirect_uri_allowed(target):
            response["Content-Security-Policy"] = csp_allowing_form_targets([target])
        return response

    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        user = token_user or self.request.user
        signed_in = bool(getattr(user, "is_authenticated", False))
        live = AccessToken.objects.filter(user=user).count() if signed_in else 0
        response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        services.oidc_logout_record(
            actor=user if signed_in else None, application=application, revoked_access_tokens=live
        )
        return response


class DiscoveryView(ConnectDiscoveryInfoView):
    """DOT's discovery document, naming RS256 only: no client of ours signs with HS256."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        response.content = json.dumps(data).encode("utf-8")
        return response


class IntrospectView(IntrospectTokenView):
    """RFC 7662 introspection for confidential clients, answering with our ``sub``, never the username."""

    @staticmethod
    def get_token_response(token_value: str | None = None) -> HttpResponse:
        response = IntrospectTokenView.get_token_response(token_value)
        data = json.loads(response.content)
        if data.pop("username", None) is not None and token_value:
            checksum = hashlib.sha256(token_value.encode("utf-8")).hexdigest()
            user_id = AccessToken.objects.filter(token_checksum=checksum).values_list("user_id", flat=True).first()
            user = get_user_model().objects.filter(pk=user_id).first()
            if user is not None:
                data["sub"] = services.subject_get_or_create(user=user)
            response.content = json.dumps(data).encode("utf-8")
        return response


# --- workbench pages --------------------------------------------------------------------------------------


def _require_manage(request: HttpRequest) -> None:
    if not user_can(request.user, Action.OIDC_CLIENT_MANAGE):
        raise PermissionDenied


def _issuer(request: HttpRequest) -> str:
    return str(oauth2_settings.oidc_issuer(request))


@staff_required
@never_cache
def client_list(request: HttpRequest) -> HttpResponse:
    """接入系统: every registered client with its type, scopes and user department."""
    _require_manage(request)
    clients = selectors.client_list_for_user(user=request.user)
    return render(request, "oidc/client_list.html", {"clients": clients, "issuer": _issuer(request)})


def _detail(request: HttpRequest, application: Any, *, secret: str | None = None, status: int = 200) -> HttpResponse:
    policy = ClientPolicy.objects.filter(application=application).select_related("department").first()
    scopes = oauth2_settings.SCOPES
    issuer = _issuer(request)
    return render(
        request,
        "oidc/client_detail.html",
        {
            "client": application,
            "policy": policy,
            "scope_items": [(scope, scopes.get(scope, scope)) for scope in (policy.scope_list if policy else [])],
            "secret": secret,
            "issuer": issuer,
            "discovery_url": issuer + "/.well-known/openid-configuration",
        },
        status=status,
    )


@staff_required
@never_cache
def client_register(request: HttpRequest) -> HttpResponse:
    """登记接入系统; a confidential client's secret is shown on the answer page and never again."""
    _require_manage(request)
    form = ClientRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application, secret = services.oidc_client_register(
                actor=request.user,
                name=data["name"],
                client_type=data["client_type"],
                redirect_uris=data["redirect_uris"],
                post_logout_redirect_uris=data["post_logout_redirect_uris"],
                allowed_scopes=data["allowed_scopes"],
                department=data["department"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _detail(request, application, secret=secret, status=201)
    return render(request, "oidc/client_form.html", {"form": form}, status=422 if form.errors else 200)


@staff_required
@never_cache
def client_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    _require_manage(request)
    try:
        application = selectors.client_get_for_user(user=request.user, application_id=application_id)
    except DomainError as exc:
        return render(request, "errors/problem.html", {"error": exc}, status=exc.status)
    return _detail(request, application)


@staff_required
@never_cache
@require_POST
def client_reset_secret(request: HttpRequest, application_id: int) -> HttpResponse:
    """重置密钥: the old secret stops working; the new one is shown once."""
    _require_manage(request)
    try:
        application = selectors.client_get_for_user(user=request.user, application_id=application_id)
        secret = services.oidc_client_reset_secret(actor=request.user, application_id=application.pk)
    except DomainError as exc:
        return render(request, "errors/problem.html", {"error": exc}, status=exc.status)
    return _detail(request, application, secret=secret)
