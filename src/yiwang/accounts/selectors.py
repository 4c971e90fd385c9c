"""Reads of the accounts app. Reads of personal data by staff are audit-logged here, where they happen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from yiwang.accounts.choices import UserKind
from yiwang.accounts.indexes import id_number_index
from yiwang.accounts.models import AgentAuthorisation, EnterpriseAgent, LegalPerson, NaturalPerson
from yiwang.accounts.permissions import Action
from yiwang.audit.models import AuditEvent
from yiwang.audit.services import record
from yiwang.core import clock
from yiwang.core.errors import not_found
from yiwang.core.identifiers import validate_id_number


def person_list_for_user(*, user: Any) -> QuerySet[NaturalPerson]:
    """Persons the user may see (masked), newest first."""
    return NaturalPerson.objects.restrict(user, Action.PERSON_VIEW).select_related("region")


def person_get_for_user(*, user: Any, person_id: int) -> NaturalPerson:
    """One person the user may see; a staff read is recorded in the audit log (个人信息访问留痕)."""
    person = person_list_for_user(user=user).filter(pk=person_id).first()
    if person is None:
        raise not_found("自然人")
    if person.user_id != getattr(user, "pk", None):
        record(actor=user, action="person.view", target=person)
    return person


def person_find_by_id_number(*, user: Any, id_number: str) -> NaturalPerson | None:
    """Exact lookup by ID number through the blind index (no row is decrypted); the search is logged."""
    number = validate_id_number(id_number)
    person = person_list_for_user(user=user).filter(id_number_index=id_number_index(number)).first()
    record(
        actor=user,
        action="person.search",
        object_type="accounts.naturalperson",
        object_id=str(person.pk) if person else "",
        changes={"found": person is not None},
    )
    return person


def person_match(*, id_number: str, name: str) -> NaturalPerson | None:
    """The registered person with exactly this 身份证号 *and* this name, or None.

    For naming someone one already knows (a 经办人, a 代办人, a 法定代表人 on a form): nothing is listed or
    shown, and both must match, so it cannot be used to look people up. Invalid numbers raise.
    """
    number = validate_id_number(id_number)
    person = NaturalPerson.objects.filter(id_number_index=id_number_index(number)).select_related("user").first()
    if person is None or person.name != name.strip():
        return None
    return person


def _is_citizen(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.kind == UserKind.CITIZEN)


def _live_q(now: dt.datetime, prefix: str = "") -> Q:
    """Grants in force at ``now``: not revoked and not expired. The one definition, for both kinds of grant."""
    return Q(**{f"{prefix}revoked_at__isnull": True}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": now})
    )


def _covers(scope_all: bool, item_codes: list[str], item_code: str | None) -> bool:
    return item_code is None or scope_all or item_code in (item_codes or [])


def agent_grant_active(*, user: Any, enterprise: LegalPerson | int, item_code: str | None = None) -> bool:
    """Whether ``user`` may act for ``enterprise`` right now — for ``item_code`` (实施编码) when given.

    Yes for its 法定代表人; yes for a 经办人 whose grant is not revoked, not expired and covers the item.
    This is the only test of an enterprise authorisation: the acting-identity switch, the middleware
    that re-checks the session on every request and every service acting for an enterprise call it, so
    a revoked or expired grant stops working on the very next request.
    """
    if not _is_citizen(user):
        return False
    enterprise_id = enterprise if isinstance(enterprise, int) else enterprise.pk
    if LegalPerson.objects.filter(pk=enterprise_id, legal_representative__user=user).exists():
        return True
    grants = EnterpriseAgent.objects.filter(_live_q(clock.now()), enterprise_id=enterprise_id, person__user=user)
    return any(
        _covers(scope_all, codes, item_code) for scope_all, codes in grants.values_list("scope_all", "item_codes")
    )


def enterprises_for_user(*, user: Any) -> QuerySet[LegalPerson]:
    """Enterprises ``user`` may act for: those he represents and those he is a 经办人 of, in force now
    (the same rule as :func:`agent_grant_active` without an item)."""
    if not _is_citizen(user):
        return LegalPerson.objects.none()
    live = _live_q(clock.now(), "agents__") & Q(agents__person__user=user)
    ids = LegalPerson.objects.filter(Q(legal_representative__user=user) | live).values("pk")
    return LegalPerson.objects.filter(pk__in=ids).select_related("region", "legal_representative").order_by("name")


def enterprise_grants_in_force(*, user: Any) -> QuerySet[EnterpriseAgent]:
    """The 经办人 grants of ``user`` in force now (same rule as :func:`agent_grant_active`), by enterprise name."""
    return (
        EnterpriseAgent.objects.filter(_live_q(clock.now()), person__user_id=user.pk)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )


def enterprise_get_for_representative(*, user: Any, enterprise_id: int) -> LegalPerson:
    """An enterprise whose 法定代表人 ``user`` is (only he manages its 经办人)."""
    legal = (
        LegalPerson.objects.filter(pk=enterprise_id, legal_representative__user=user)
        .select_related("region", "legal_representative")
        .first()
        if _is_citizen(user)
        else None
    )
    if legal is None:
        raise not_found("企业")
    return legal


def _with_live(queryset: QuerySet[Any], now: dt.datetime) -> QuerySet[Any]:
    return queryset.annotate(live=ExpressionWrapper(_live_q(now), output_field=BooleanField()))


def enterprise_agents_for_user(*, user: Any, enterprise_id: int) -> QuerySet[EnterpriseAgent]:
    """Every 经办人 grant of an enterprise, newest first, with ``live`` (in force now); representative only."""
    legal = enterprise_get_for_representative(user=user, enterprise_id=enterprise_id)
    rows = EnterpriseAgent.objects.filter(enterprise=legal).select_related("person")
    return _with_live(rows, clock.now())


def agent_authorisation_active(
    *, agent: Any, principal: NaturalPerson | int, item_code: str | None = None
) -> AgentAuthorisation | None:
    """The 帮办代办 authorisation in force now that lets ``agent`` act for ``principal`` (for ``item_code``
    when given), or None. The only test of such an authorisation: expired or revoked means None at once."""
    if agent is None or not agent.is_authenticated or not agent.is_active:
        return None
    principal_id = principal if isinstance(principal, int) else principal.pk
    rows = AgentAuthorisation.objects.filter(_live_q(clock.now()), principal_id=principal_id, agent=agent)
    for row in rows:
        if _covers(row.scope_all, row.item_codes, item_code):
            return row
    return None


def authorisations_given(*, user: Any) -> QuerySet[AgentAuthorisation]:
    """我的授权: every authorisation the citizen gave (all states), newest first, with ``live``."""
    rows = (
        AgentAuthorisation.objects.filter(principal__user=user)
        if _is_citizen(user)
        else AgentAuthorisation.objects.none()
    )
    return _with_live(rows.select_related("agent", "created_by"), clock.now())


def authorisations_received(*, user: Any) -> QuerySet[AgentAuthorisation]:
    """Authorisations that let ``user`` act for others, in force now."""
    if user is None or not user.is_authenticated:
        return AgentAuthorisation.objects.none()
    rows = AgentAuthorisation.objects.filter(_live_q(clock.now()), agent=user).select_related("principal")
    return _with_live(rows, clock.now())


def authorisation_get_for_user(*, user: Any, authorisation_id: int) -> AgentAuthorisation:
    """One authorisation, for its 委托人 or its agent (with ``live``)."""
    if user is None or not user.is_authenticated:
        raise not_found("代办授权")
    rows = AgentAuthorisation.objects.filter(Q(principal__user=user) | Q(agent=user), pk=authorisation_id)
    row = _with_live(rows.select_related("principal", "agent"), clock.now()).first()
    if row is None:
        raise not_found("代办授权")
    return row


def proxy_acts_for(*, user: Any, limit: int = 100) -> QuerySet[AuditEvent]:
    """Who acted for this citizen under his authorisations (the ``proxy.act`` audit rows), newest first."""
    ids = [str(pk) for pk in authorisations_given(user=user).values_list("pk", flat=True)]
    return AuditEvent.objects.filter(
        object_type=AgentAuthorisation._meta.label_lower, object_id__in=ids, action="proxy.act"
    ).order_by("-id")[:limit]
