"""Our rules inside django-oauth-toolkit: claims, per-client scopes, redirect URIs, key lookup by ``kid``,
and an audit row for every code and token the protocol issues, refreshes or revokes.

DOT calls these hooks; they decide nothing DOT already decides well (PKCE, code and token checks,
refresh-token rotation and reuse detection) and write through ``yiwang.oidc.services``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from jwcrypto import jwk, jws
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes

from yiwang.oidc import keyring, selectors, services

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

# The ID token says who signed in; everything else about the person is fetched from userinfo, so an
# ID token that ends up in a log or a logout URL carries no phone or ID number.
ID_TOKEN_CLAIMS = ("sub", "name", "preferred_username")
USERINFO_CLAIMS = ("sub", "name", "preferred_username", "phone_number", "id_number_masked", "enterprises")


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _person(request: Any) -> Any:
    """The user's natural person, looked up once per protocol request."""
    if not hasattr(request, "_yiwang_person"):
        request._yiwang_person = selectors.person_for_user(user=request.user)
    return request._yiwang_person


def _name(request: Any) -> str:
    person = _person(request)
    return person.name if person else (request.user.display_name or request.user.get_username())


def _phone(request: Any) -> str | None:
    person = _person(request)
    return (person.phone_masked or None) if person else None


def _id_number(request: Any) -> str | None:
    person = _person(request)
    return person.id_number_masked if person else None


CLAIMS: dict[str, Callable[[Any], Any]] = {
    "sub": lambda request: services.subject_get_or_create(user=request.user),
    "name": _name,
    "preferred_username": lambda request: request.user.get_username(),
    "phone_number": _phone,  # masked (138****0001): the platform never gives out a full number
    "id_number_masked": _id_number,
    "enterprises": lambda request: selectors.enterprises_for_user(user=request.user),
}


class ClientPolicyScopes(SettingsScopes):
    """A client may ask only for the scopes its :class:`~yiwang.oidc.models.ClientPolicy` allows.

    Asking for more is refused with ``invalid_scope`` (DOT checks requested ⊆ available), so the
    integrator sees the mistake at once instead of wondering why a claim is missing.
    """

    def get_available_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list:
        every = list(super().get_available_scopes(application, request, *args, **kwargs))
        if application is None:  # discovery: everything the platform offers
            return every
        allowed = set(selectors.allowed_scopes_for(application))
        return [scope for scope in every if scope in allowed]

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list:
        defaults = list(super().get_default_scopes(application, request, *args, **kwargs))
        if application is None:
            return defaults
        available = set(self.get_available_scopes(application, request))
        return [scope for scope in defaults if scope in available]


class YiwangOAuth2Validator(OAuth2Validator):
    """DOT's validator with the platform's claims, redirect rule, key lookup and audit records."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "id_number_masked": "idcard_masked",
        "enterprises": "enterprise",
    }

    # --- claims -------------------------------------------------------------------------------------------

    def get_additional_claims(self) -> dict[str, Callable[[Any], Any]]:
        """The request-agnostic form (callables), so discovery lists our claims in ``claims_supported``."""
        return dict(CLAIMS)

    def _claims(self, request: Any, names: tuple[str, ...]) -> dict[str, Any]:
        granted = set(request.scopes or [])
        claims: dict[str, Any] = {}
        for name in names:
            if self.oidc_claim_scope.get(name) not in granted:
                continue
            value = CLAIMS[name](request)
            if value is not None and value != "":
                claims[name] = value
        return claims

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        return self._claims(request, ID_TOKEN_CLAIMS)

    def get_userinfo_claims(self, request: Any) -> dict[str, Any]:
        return self._claims(request, USERINFO_CLAIMS)

    # --- redirect URIs and keys ---------------------------------------------------------------------------

    def validate_redirect_uri(self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Registered exactly, and https unless it points at this machine (checked again at use, because
        DOT's scheme list cannot say "http only for loopback")."""
        if services.redirect_uri_problem(redirect_uri) is not None:
            return False
        return bool(super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs))

    def _get_key_for_token(self, token: str) -> jwk.JWK | None:
        """The published key named by the token's ``kid`` — DOT would try only the active key, so an ID
        token signed before a rotation could no longer be used as ``id_token_hint`` at logout."""
        unverified = jws.JWS()
        unverified.deserialize(token)
        header = unverified.jose_header
        if not isinstance(header, dict) or header.get("alg") != "RS256" or not header.get("kid"):
            return None
        return keyring.verification_key(str(header["kid"]))

    # --- audit of codes and tokens ------------------------------------------------------------------------

    def _create_authorization_code(self, request: Any, code: Any, expires: Any = None) -> Any:
        grant = super()._create_authorization_code(request, code, expires)
        services.oidc_code_issue_record(
            actor=request.user, application=request.client, scopes=list(request.scopes or []), grant_id=grant.pk
        )
        return grant

    def _create_access_token(self, expires: Any, request: Any, token: Any, source_refresh_token: Any = None) -> Any:
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        request._yiwang_access_token = access_token
        return access_token

    def _create_refresh_token(
        self, request: Any, refresh_token_code: Any, access_token: Any, previous_refresh_token: Any
    ) -> Any:
        refresh_token = super()._create_refresh_token(request, refresh_token_code, access_token, previous_refresh_token)
        request._yiwang_refresh_token = refresh_token
        return refresh_token

    def _save_bearer_token(self, token: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        request._yiwang_access_token = request._yiwang_refresh_token = None
        result = super()._save_bearer_token(token, request, *args, **kwargs)
        access, refresh = request._yiwang_access_token, request._yiwang_refresh_token
        services.oidc_token_issue_record(
            actor=request.user,
            application=request.client,
            grant_type=str(request.grant_type),
            scopes=str(token.get("scope", "")).split(),
            access_token_id=access.pk if access is not None else None,
            refresh_token_id=refresh.pk if refresh is not None else None,
            expires=access.expires if access is not None else None,
        )
        return result

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        valid = bool(super().validate_refresh_token(refresh_token, client, request, *args, **kwargs))
        if not valid:
            row = (
                RefreshToken.objects.filter(token_checksum=_checksum(refresh_token), revoked__isnull=False)
                .select_related("user", "application")
                .order_by("-revoked")
                .first()
            )
            if row is not None:  # a revoked or already rotated token came back: worth a look
                services.oidc_token_refused_record(
                    actor=row.user, application=row.application, reason="revoked_or_rotated", refresh_token_id=row.pk
                )
        return valid

    def revoke_token(self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any) -> None:
        application_id = getattr(request.client, "pk", None)
        found: list[tuple[str, Any]] = []
        if application_id is not None:
            lookup = {"token_checksum": _checksum(token), "application_id": application_id}
            found += [("access_token", row) for row in AccessToken.objects.filter(**lookup).select_related("user")]
            found += [
                ("refresh_token", row)
                for row in RefreshToken.objects.filter(**lookup, revoked__isnull=True).select_related("user")
            ]
        super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        for token_type, row in found:
            services.oidc_token_revoke_record(
                actor=row.user, application=request.client, token_type=token_type, token_ids=[row.pk]
            )
