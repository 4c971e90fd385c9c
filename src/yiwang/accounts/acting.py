"""办事身份: whether a signed-in citizen acts as himself (个人) or for an enterprise, kept in the session.

``acting_identity(request)`` is what pages, the middleware and later services read. It re-checks the
enterprise grant on every request through ``selectors.agent_grant_active``: when the grant has expired
or was revoked, the identity falls back to 个人 at once and the session is corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from yiwang.accounts.choices import ActingKind, UserKind
from yiwang.accounts.models import LegalPerson
from yiwang.accounts.selectors import agent_grant_active

SESSION_KEY = "yiwang_acting_as"


@dataclass(frozen=True)
class ActingIdentity:
    """Who a request acts as. ``audit_label`` is what the audit log records (``person``, ``enterprise:<USCC>``)."""

    kind: str = ActingKind.PERSON
    enterprise_id: int | None = None
    enterprise_name: str = ""
    uscc: str = ""

    @classmethod
    def for_enterprise(cls, enterprise: LegalPerson) -> ActingIdentity:
        return cls(ActingKind.ENTERPRISE, enterprise.pk, enterprise.name, enterprise.uscc)

    @property
    def is_enterprise(self) -> bool:
        return self.kind == ActingKind.ENTERPRISE

    @property
    def audit_label(self) -> str:
        return f"enterprise:{self.uscc}" if self.is_enterprise else ActingKind.PERSON.value

    @property
    def label(self) -> str:
        return self.enterprise_name if self.is_enterprise else "个人"

    @property
    def session_value(self) -> dict[str, Any]:
        return {"kind": self.kind, "enterprise_id": self.enterprise_id}


PERSON = ActingIdentity()


def _resolve(request: HttpRequest) -> ActingIdentity:
    user = request.user
    if not (user.is_authenticated and getattr(user, "kind", None) == UserKind.CITIZEN):
        return PERSON
    stored = request.session.get(SESSION_KEY) or {}
    if stored.get("kind") != ActingKind.ENTERPRISE:
        return PERSON
    enterprise_id = stored.get("enterprise_id")
    enterprise = LegalPerson.objects.filter(pk=enterprise_id).first() if isinstance(enterprise_id, int) else None
    if enterprise is None or not agent_grant_active(user=user, enterprise=enterprise):
        request.session.pop(SESSION_KEY, None)
        if hasattr(request, "_messages"):
            messages.warning(request, "您对该企业的经办授权已到期或已被撤销，已切换为以个人身份办事。")
        return PERSON
    return ActingIdentity.for_enterprise(enterprise)


def acting_identity(request: HttpRequest) -> ActingIdentity:
    """The acting identity of this request (computed once per request; see the module docstring)."""
    cached: ActingIdentity | None = getattr(request, "_yiwang_acting", None)
    if cached is None:
        cached = _resolve(request)
        request._yiwang_acting = cached  # type: ignore[attr-defined]
    return cached


def acting_identity_store(request: HttpRequest, identity: ActingIdentity) -> None:
    """Keep the identity chosen through ``services.acting_identity_switch`` for the following requests."""
    if identity.is_enterprise:
        request.session[SESSION_KEY] = identity.session_value
    else:
        request.session.pop(SESSION_KEY, None)
    request._yiwang_acting = identity  # type: ignore[attr-defined]
