"""The identity list endpoints and pages run the same number of queries for one row as for five (no N+1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yiwang.accounts import services
from yiwang.accounts.models import LegalPerson, User
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.testing.world import PASSWORD, World


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def _citizen(world: World, n: int) -> User:
    user = services.citizen_create(actor=None, username=f"agent{n}", password=PASSWORD, display_name=f"代办人{n}")
    services.person_register(
        actor=None,
        name=f"代办人{n}",
        id_number=make_id_number("371302", dt.date(1970, 1, 1), 500 + n),
        region=world.county_a,
        user=user,
    )
    return user


def _grow(world: World, start: int, stop: int) -> LegalPerson:
    owner = world.users["citizen_owner"]
    until = timezone.now() + dt.timedelta(days=9)
    legal = LegalPerson.objects.order_by("id").first()
    for n in range(start, stop):
        legal = services.legal_person_register(
            actor=owner,
            uscc=make_uscc("91", "371302", f"MA0Q{n:04d}"),
            name=f"企业{n}",
            legal_representative=world.persons["owner"],
            region=world.county_a,
        )
        agent = _citizen(world, n)
        first = LegalPerson.objects.order_by("id").first()
        assert first is not None
        services.enterprise_agent_grant(
            actor=owner, enterprise=first, person=agent.person, scope_all=True, item_codes=[], valid_until=until
        )
        services.agent_authorisation_grant(
            actor=owner,
            principal=world.persons["owner"],
            agent=agent,
            scope_all=True,
            item_codes=[],
            reason="委托代办",
            valid_until=until,
        )
        services.agent_authorisation_use(actor=agent, principal=world.persons["owner"], item_code=None, act="提交申请")
    assert legal is not None
    return legal


@pytest.mark.parametrize(
    "url",
    [
        lambda legal: "/api/v1/accounts/enterprises",
        lambda legal: f"/api/v1/accounts/enterprises/{LegalPerson.objects.order_by('id').first().pk}/agents",
        lambda legal: "/api/v1/accounts/authorisations",
        lambda legal: reverse("identity:enterprises"),
        lambda legal: reverse("identity:enterprise", args=[LegalPerson.objects.order_by("id").first().pk]),
        lambda legal: reverse("identity:authorisations"),
    ],
    ids=[
        "api-enterprises",
        "api-agents",
        "api-authorisations",
        "page-enterprises",
        "page-enterprise",
        "page-authorisations",
    ],
)
def test_lists_do_not_grow_queries_with_rows(world: World, url: Callable[[LegalPerson], str]):
    client = Client()
    client.force_login(world.users["citizen_owner"])
    legal = _grow(world, 0, 1)
    one = _count(client, url(legal))
    legal = _grow(world, 1, 5)
    five = _count(client, url(legal))
    assert five == one
