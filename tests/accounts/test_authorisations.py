"""帮办代办: acting for a citizen only with a recorded authorisation (scope, reason, expiry), which the
citizen sees — with every act done under it — and can revoke, effective at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.accounts.conftest import MovableClock
from yiwang.accounts import selectors, services
from yiwang.accounts.models import AgentAuthorisation, NaturalPerson, User
from yiwang.catalog.models import ServiceItem
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_id_number
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import PASSWORD, World

API = "/api/v1/accounts"
HELPER_ID = make_id_number("371302", dt.date(1995, 9, 9), 45)


@pytest.fixture
def helper(world: World) -> User:
    """A third citizen of 兰山区 (the owner's daughter, say), with an account and a person record."""
    user = services.citizen_create(actor=None, username="helper", password=PASSWORD, display_name="测试群众丙")
    services.person_register(actor=None, name="测试群众丙", id_number=HELPER_ID, region=world.county_a, user=user)
    return user


def _authorise(world: World, agent: User, **overrides: object) -> AgentAuthorisation:
    fields: dict[str, object] = {
        "actor": world.users["citizen_owner"],
        "principal": world.persons["owner"],
        "agent": agent,
        "scope_all": True,
        "item_codes": [],
        "reason": "本人行动不便，委托女儿代办",
        "valid_until": timezone.now() + dt.timedelta(days=30),
    }
    fields.update(overrides)
    return services.agent_authorisation_grant(**fields)  # type: ignore[arg-type]


def _use(world: World, agent: User, item_code: str | None = None) -> AgentAuthorisation:
    return services.agent_authorisation_use(
        actor=agent, principal=world.persons["owner"], item_code=item_code, act="提交申请"
    )


def test_the_citizen_authorises_and_sees_who_acted_for_him(world: World, helper: User):
    authorisation = _authorise(world, helper)
    assert authorisation.created_by == world.users["citizen_owner"]
    _use(world, helper, "ITEM1")
    acts = list(selectors.proxy_acts_for(user=world.users["citizen_owner"]))
    assert [(e.actor_username, e.changes["act"], e.changes["item_code"]) for e in acts] == [
        ("helper", "提交申请", "ITEM1")
    ]
    assert list(selectors.proxy_acts_for(user=world.users["citizen_other"])) == []


def test_no_authorisation_no_act(world: World, helper: User):
    with pytest.raises(DomainError) as caught:
        _use(world, helper)
    assert caught.value.code == ErrorCode.PERMISSION_DENIED


def test_a_revoked_authorisation_stops_working_at_once(world: World, helper: User):
    authorisation = _authorise(world, helper)
    _use(world, helper)
    services.agent_authorisation_revoke(actor=world.users["citizen_owner"], authorisation_id=authorisation.pk)
    with pytest.raises(DomainError):
        _use(world, helper)
    assert selectors.agent_authorisation_active(agent=helper, principal=world.persons["owner"]) is None


def test_an_expired_authorisation_stops_working_at_once(world: World, helper: User, moving_clock: MovableClock):
    _authorise(world, helper, valid_until=moving_clock.now + dt.timedelta(minutes=10))
    _use(world, helper)
    moving_clock.advance(minutes=10)
    with pytest.raises(DomainError):
        _use(world, helper)
    assert list(selectors.authorisations_received(user=helper)) == []


def test_a_listed_authorisation_covers_only_its_items(world: World, helper: User, item: ServiceItem):
    _authorise(world, helper, scope_all=False, item_codes=[item.task_code])
    _use(world, helper, item.task_code)
    with pytest.raises(DomainError):
        _use(world, helper, "ANOTHERITEM")


def test_only_the_principal_or_a_window_clerk_in_scope_for_himself_may_record_it(world: World, helper: User):
    for actor, agent in (("citizen_other", helper), ("clerk_a", helper), ("clerk_b", None), ("approver_a", None)):
        with pytest.raises(DomainError) as caught:
            _authorise(world, agent or world.users[actor], actor=world.users[actor])
        assert caught.value.code == ErrorCode.PERMISSION_DENIED
    clerk = world.users["clerk_a"]
    at_window = _authorise(world, clerk, actor=clerk, reason="委托书 LS-2026-0012")
    assert (at_window.agent, at_window.created_by) == (clerk, clerk)
    assert [a.pk for a in selectors.authorisations_given(user=world.users["citizen_owner"])] == [at_window.pk]


def test_one_cannot_authorise_oneself_and_a_reason_is_required(world: World, helper: User):
    with pytest.raises(DomainError) as caught:
        _authorise(world, world.users["citizen_owner"])
    assert caught.value.field == "agent"
    with pytest.raises(DomainError) as caught:
        _authorise(world, helper, reason=" ")
    assert caught.value.field == "reason"


def test_the_agent_may_give_it_up_but_nobody_else_may_revoke(world: World, helper: User):
    authorisation = _authorise(world, helper)
    for username in ("citizen_other", "clerk_a"):
        with pytest.raises(DomainError) as caught:
            services.agent_authorisation_revoke(actor=world.users[username], authorisation_id=authorisation.pk)
        assert caught.value.code == ErrorCode.NOT_FOUND
    services.agent_authorisation_revoke(actor=helper, authorisation_id=authorisation.pk)
    authorisation.refresh_from_db()
    assert authorisation.revoked_by == helper


# --- pages ---------------------------------------------------------------------------------------------


def test_my_authorisations_page_grant_acts_and_revoke(world: World, helper: User):
    client = Client()
    client.force_login(world.users["citizen_owner"])
    assert client.get(reverse("identity:authorisations")).status_code == 200
    response = client.post(
        reverse("identity:authorisations"),
        {
            "agent_name": "测试群众丙",
            "agent_id_number": HELPER_ID,
            "reason": "本人行动不便，委托女儿代办",
            "scope": "all",
            "item_codes": "",
            "valid_until": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 302
    authorisation = AgentAuthorisation.objects.get()
    _use(world, helper, "ITEM9")
    page = client.get(reverse("identity:authorisations")).content.decode()
    assert "测试群众丙" in page and "本人行动不便，委托女儿代办" in page and "有效" in page
    assert "提交申请" in page and "ITEM9" in page
    client.post(reverse("identity:authorisation_revoke", args=[authorisation.pk]))
    assert "已撤销" in client.get(reverse("identity:authorisations")).content.decode()
    with pytest.raises(DomainError):
        _use(world, helper)

    agent_page = Client()
    agent_page.force_login(helper)
    assert "暂无。" in agent_page.get(reverse("identity:authorisations")).content.decode()


def test_the_page_refuses_an_agent_without_an_account(world: World):
    stranger = make_id_number("371302", dt.date(1960, 1, 1), 3)
    services.person_register(actor=None, name="无账号", id_number=stranger, region=world.county_a)
    client = Client()
    client.force_login(world.users["citizen_owner"])
    page = client.post(
        reverse("identity:authorisations"),
        {
            "agent_name": "无账号",
            "agent_id_number": stranger,
            "reason": "委托代办",
            "scope": "all",
            "valid_until": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        },
    ).content.decode()
    assert "未找到该代办人的账号" in page
    assert not AgentAuthorisation.objects.exists()


def test_window_clerk_records_an_authorisation_for_himself(world: World):
    client = Client()
    client.force_login(world.users["clerk_a"])
    url = reverse("identity:authorisation_record", args=[world.persons["owner"].pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "reason": "委托书 LS-2026-0012",
            "scope": "all",
            "valid_until": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    row = AgentAuthorisation.objects.get()
    assert (row.agent, row.principal) == (world.users["clerk_a"], world.persons["owner"])
    other_region = Client()
    other_region.force_login(world.users["clerk_b"])
    assert other_region.get(url).status_code == 404


# --- the API under the role matrix --------------------------------------------------------------------


def test_authorisation_list_role_matrix(world: World, helper: User, person_matrix: RoleMatrix):
    authorisation = _authorise(world, helper)
    responses = person_matrix.check(
        lambda c: c.get(f"{API}/authorisations"),
        {
            "owner": 200,
            "same_department": 200,
            "other_department": 200,
            "other_region": 200,
            "citizen": 200,
            "anonymous": 401,
        },
    )
    given = responses["owner"].json()["given"]
    assert [(a["id"], a["agent_username"], a["active"]) for a in given] == [(authorisation.pk, "helper", True)]
    for persona in ("same_department", "other_department", "other_region", "citizen"):
        assert responses[persona].json() == {"given": [], "received": []}


def test_authorisation_grant_role_matrix(world: World, helper: User, person_matrix: RoleMatrix):
    body = {
        "agent_name": "测试群众丙",
        "agent_id_number": HELPER_ID,
        "reason": "委托女儿代办",
        "scope_all": True,
        "valid_until": (timezone.now() + dt.timedelta(days=7)).isoformat(),
    }
    person_matrix.check(
        lambda c: c.post(f"{API}/authorisations", body, content_type="application/json"),
        {
            "owner": 201,
            "same_department": 403,  # staff have no person of their own to authorise for
            "other_department": 403,
            "other_region": 403,
            "citizen": 201,  # citizen_other authorises the same helper for himself
            "anonymous": 401,
        },
        side_effect=AgentAuthorisation.objects.count,
    )
    assert sorted(AgentAuthorisation.objects.values_list("principal__name", flat=True)) == ["测试群众乙", "测试群众甲"]


def test_window_authorisation_role_matrix(world: World, person_matrix: RoleMatrix):
    body = {
        "reason": "委托书 LS-2026-0012",
        "scope_all": True,
        "valid_until": (timezone.now() + dt.timedelta(days=7)).isoformat(),
    }
    person_matrix.check(
        lambda c: c.post(
            f"{API}/persons/{world.persons['owner'].pk}/authorisations", body, content_type="application/json"
        ),
        {
            "owner": 404,
            "same_department": 201,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
        side_effect=AgentAuthorisation.objects.count,
    )
    assert AgentAuthorisation.objects.get().agent == world.users["clerk_a"]


def test_authorisation_revoke_role_matrix(world: World, helper: User, person_matrix: RoleMatrix):
    authorisation = _authorise(world, helper)
    responses = person_matrix.check(
        lambda c: c.post(f"{API}/authorisations/{authorisation.pk}/revoke"),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
        side_effect=lambda: list(AgentAuthorisation.objects.values_list("pk", "revoked_at")),
    )
    assert responses["owner"].json()["active"] is False
    assert selectors.agent_authorisation_active(agent=helper, principal=world.persons["owner"]) is None


def test_an_agent_person_is_found_only_by_name_and_number_together(world: World, helper: User):
    assert selectors.person_match(id_number=HELPER_ID, name="测试群众丙") == NaturalPerson.objects.get(user=helper)
    assert selectors.person_match(id_number=HELPER_ID, name="别人") is None


def test_the_workbench_person_page_links_to_the_window_authorisation_for_clerks_in_scope(world: World):
    url = reverse("workbench:person", args=[world.persons["owner"].pk])
    link = reverse("identity:authorisation_record", args=[world.persons["owner"].pk])
    clerk = Client()
    clerk.force_login(world.users["clerk_a"])
    assert link in clerk.get(url).content.decode()
    supervisor = Client()
    supervisor.force_login(world.users["supervisor"])
    page = supervisor.get(url)
    assert page.status_code == 200
    assert link not in page.content.decode()
