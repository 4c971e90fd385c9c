"""Reads of the OpenID Connect provider: registered clients (for the platform admin) and the facts the
claims are made of (for the user the token is about)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from oauth2_provider.models import get_application_model

from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.accounts.permissions import Action, user_can
from yiwang.accounts.selectors import enterprise_grants_in_force
from yiwang.core.errors import not_found
from yiwang.oidc.models import ClientPolicy

Application = get_application_model()


def client_list_for_user(*, user: Any) -> QuerySet:
    """Registered clients, newest first — all of them for a platform admin, none for anyone else."""
    if not user_can(user, Action.OIDC_CLIENT_MANAGE):
        return Application.objects.none()
    return Application.objects.select_related("yiwang_policy__department").order_by("-created", "-id")


def client_get_for_user(*, user: Any, application_id: int) -> Any:
    application = client_list_for_user(user=user).filter(pk=application_id).first()
    if application is None:
        raise not_found("接入系统")
    return application


def allowed_scopes_for(application: Any) -> list[str]:
    """What the client may ask for; ``openid`` only when it has no policy (registered outside our service)."""
    scopes = ClientPolicy.objects.filter(application_id=application.pk).values_list("allowed_scopes", flat=True).first()
    return scopes.split() if scopes else ["openid"]


def person_for_user(*, user: Any) -> NaturalPerson | None:
    """The natural person behind an account (citizens registered with real names), or None."""
    return NaturalPerson.objects.filter(user_id=user.pk).first()


def enterprises_for_user(*, user: Any) -> list[dict[str, Any]]:
    """Enterprises the user may act for, as the ``enterprise`` claim: as 法定代表人, or as 经办人 with a grant
    in force now — the accounts app's rule (``enterprise_grants_in_force``), evaluated when the claim is issued."""
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for legal in LegalPerson.objects.filter(legal_representative__user_id=user.pk).order_by("name"):
        seen.add(legal.uscc)
        result.append({"uscc": legal.uscc, "name": legal.name, "role": "legal_representative", "valid_until": None})
    for grant in enterprise_grants_in_force(user=user):
        if grant.enterprise.uscc in seen:
            continue
        seen.add(grant.enterprise.uscc)
        until = grant.valid_until.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if grant.valid_until else None
        result.append(
            {"uscc": grant.enterprise.uscc, "name": grant.enterprise.name, "role": "agent", "valid_until": until}
        )
    return result
