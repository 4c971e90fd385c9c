"""Reads of the accounts app. Reads of personal data by staff are audit-logged here, where they happen."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiwang.accounts.models import NaturalPerson
from yiwang.accounts.permissions import Action
from yiwang.accounts.services import id_number_index
from yiwang.audit.services import record
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
