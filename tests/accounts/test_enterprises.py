"""Enterprises by USCC with their 法定代表人, 经办人 grants (all items or a list, with an expiry) that stop
working the moment they expire or are revoked, and the 办事身份 switch recorded in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.accounts.conftest import MovableClock
from yiwang.accounts import selectors, services
from yiwang.accounts.acting import SESSION_KEY
from yiwang.accounts.models import EnterpriseAgent, LegalPerson
from yiwang.audit.models import AuditEvent
from yiwang.catalog.models import ServiceItem
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_uscc
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World

API = "/api/v1/accounts"
USCC = make_uscc("91", "371302", "MA0E0001")


@pytest.fixture
def company(world: World) -> LegalPerson:
    """临沂青山商贸有限公司, represented by citizen_owner (测试群众甲)."""
    return services.legal_person_register(
        actor=world.users["citizen_owner"],
        uscc=USCC,
        name="临沂青山商贸有限公司",
        legal_representative=world.persons["owner"],
        region=world.county_a,
    )


def _grant(world: World, company: LegalPerson, **overrides: object) -> EnterpriseAgent:
    fields: dict[str, object] = {
        "actor": world.users["citizen_owner"],
        "enterprise": company,
        "person": world.persons["other"],
        "scope_all": True,
        "item_codes": [],
        "valid_until": timezone.now() + dt.timedelta(days=30),
    }
    fields.update(overrides)
    return services.enterprise_agent_grant(**fields)  # type: ignore[arg-type]


def test_the_representative_registers_his_enterprise(world: World, company: LegalPerson):
    assert (company.uscc, company.legal_representative, company.created_by) == (
        USCC,
        world.persons["owner"],
        world.users["citizen_owner"],
    )
    assert selectors.agent_grant_active(user=world.users["citizen_owner"], enterprise=company)


def test_a_citizen_cannot_register_someone_else_as_representative(world: World):
    with pytest.raises(DomainError) as caught:
        services.legal_person_register(
            actor=world.users["citizen_other"],
            uscc=USCC,
            name="冒名公司",
            legal_representative=world.persons["owner"],
            region=world.county_a,
        )
    assert caught.value.code == ErrorCode.PERMISSION_DENIED
    assert not LegalPerson.objects.exists()


def test_only_the_representative_grants_and_revokes(world: World, company: LegalPerson):
    for actor in ("citizen_other", "clerk_a", "admin"):
        with pytest.raises(DomainError) as caught:
            _grant(world, company, actor=world.users[actor])
        assert caught.value.code == ErrorCode.PERMISSION_DENIED
    grant = _grant(world, company)
    assert (grant.granted_by, grant.scope_all, grant.item_codes) == (world.users["citizen_owner"], True, [])
    for actor in ("citizen_other", "clerk_a"):
        with pytest.raises(DomainError) as caught:
            services.enterprise_agent_revoke(actor=world.users[actor], grant_id=grant.pk)
        assert caught.value.code == ErrorCode.NOT_FOUND
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_the_representative_needs_no_grant(world: World, company: LegalPerson):
    with pytest.raises(DomainError) as caught:
        _grant(world, company, person=world.persons["owner"])
    assert caught.value.field == "person"


def test_item_codes_must_exist_in_the_catalog(world: World, company: LegalPerson, item: ServiceItem):
    with pytest.raises(DomainError) as caught:
        _grant(world, company, scope_all=False, item_codes=[item.task_code, "NOSUCHCODE"])
    assert (caught.value.field, caught.value.message) == ("item_codes", "以下事项实施编码不存在：NOSUCHCODE")
    with pytest.raises(DomainError) as caught:
        _grant(world, company, scope_all=False, item_codes=[])
    assert caught.value.field == "item_codes"
    grant = _grant(world, company, scope_all=False, item_codes=[item.task_code, item.task_code])
    assert grant.item_codes == [item.task_code]


def test_a_listed_grant_covers_only_its_items(world: World, company: LegalPerson, item: ServiceItem):
    _grant(world, company, scope_all=False, item_codes=[item.task_code])
    agent = world.users["citizen_other"]
    assert selectors.agent_grant_active(user=agent, enterprise=company)
    assert selectors.agent_grant_active(user=agent, enterprise=company, item_code=item.task_code)
    assert not selectors.agent_grant_active(user=agent, enterprise=company, item_code="OTHERITEM")
    assert selectors.agent_grant_active(user=world.users["citizen_owner"], enterprise=company, item_code="OTHERITEM")


def test_the_expiry_is_required_in_the_future_and_at_most_five_years(world: World, company: LegalPerson):
    now = timezone.now()
    for until in (now - dt.timedelta(minutes=1), now + dt.timedelta(days=5 * 366 + 1)):
        with pytest.raises(DomainError) as caught:
            _grant(world, company, valid_until=until)
        assert caught.value.field == "valid_until"


def test_an_expired_grant_stops_working_at_once(world: World, company: LegalPerson, moving_clock: MovableClock):
    _grant(world, company, valid_until=moving_clock.now + dt.timedelta(hours=1))
    agent = world.users["citizen_other"]
    assert selectors.agent_grant_active(user=agent, enterprise=company)
    assert list(selectors.enterprises_for_user(user=agent)) == [company]
    moving_clock.advance(hours=1)
    assert not selectors.agent_grant_active(user=agent, enterprise=company)
    assert list(selectors.enterprises_for_user(user=agent)) == []
    with pytest.raises(DomainError):
        services.acting_identity_switch(actor=agent, enterprise=company)


def test_a_revoked_grant_stops_working_at_once(world: World, company: LegalPerson):
    grant = _grant(world, company)
    agent = world.users["citizen_other"]
    assert selectors.agent_grant_active(user=agent, enterprise=company)
    services.enterprise_agent_revoke(actor=world.users["citizen_owner"], grant_id=grant.pk)
    assert not selectors.agent_grant_active(user=agent, enterprise=company)
    services.enterprise_agent_revoke(actor=world.users["citizen_owner"], grant_id=grant.pk)  # nothing changes
    assert AuditEvent.objects.filter(action="enterprise_agent.revoke", object_id=str(grant.pk)).count() == 1


def test_a_new_grant_replaces_the_live_one(world: World, company: LegalPerson, item: ServiceItem):
    first = _grant(world, company)
    second = _grant(world, company, scope_all=False, item_codes=[item.task_code])
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert list(EnterpriseAgent.objects.filter(revoked_at__isnull=True)) == [second]
    assert not selectors.agent_grant_active(user=world.users["citizen_other"], enterprise=company, item_code="X")


# --- 办事身份 in the session, re-checked on every request -------------------------------------------------


def _switch(client: Client, value: str):
    return client.post(reverse("identity:acting_switch"), {"identity": value, "next": "/"})


def test_the_agent_switches_to_the_enterprise_and_falls_back_when_revoked(world: World, company: LegalPerson):
    grant = _grant(world, company)
    client = Client()
    client.force_login(world.users["citizen_other"])
    home = client.get("/").content.decode()
    assert 'id="acting-as"' in home and "临沂青山商贸有限公司" in home
    assert _switch(client, f"enterprise:{company.pk}").status_code == 302
    assert client.session[SESSION_KEY] == {"kind": "enterprise", "enterprise_id": company.pk}
    switched = AuditEvent.objects.filter(action="acting.switch").latest("id")
    assert switched.changes == {"identity": f"enterprise:{USCC}", "acting_as": "person"}
    page = client.get(reverse("identity:authorisations")).content.decode()
    assert f'<option value="enterprise:{company.pk}" selected>' in page

    services.enterprise_agent_revoke(actor=world.users["citizen_owner"], grant_id=grant.pk)
    after = client.get(reverse("identity:authorisations")).content.decode()
    assert "您对该企业的经办授权已到期或已被撤销，已切换为以个人身份办事。" in after
    assert SESSION_KEY not in client.session
    assert 'id="acting-as"' not in after  # no enterprise left to choose


def test_switching_to_an_enterprise_one_cannot_act_for_is_refused(world: World, company: LegalPerson):
    client = Client()
    client.force_login(world.users["citizen_other"])
    response = _switch(client, f"enterprise:{company.pk}")
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert not AuditEvent.objects.filter(action="acting.switch").exists()
    assert "您不是该企业的法定代表人或有效经办人" in client.get("/").content.decode()


def test_every_audit_row_records_the_acting_identity(world: World, company: LegalPerson, item: ServiceItem):
    owner = Client()
    owner.force_login(world.users["citizen_owner"])
    grant_form = {
        "person_name": "测试群众乙",
        "person_id_number": _id_number_of_other(),
        "scope": "all",
        "item_codes": "",
        "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }
    assert owner.post(reverse("identity:enterprise", args=[company.pk]), grant_form).status_code == 302
    as_person = AuditEvent.objects.filter(action="enterprise_agent.grant").latest("id")
    assert as_person.changes["acting_as"] == "person"

    _switch(owner, f"enterprise:{company.pk}")
    assert owner.post(reverse("identity:enterprise", args=[company.pk]), grant_form).status_code == 302
    as_enterprise = AuditEvent.objects.filter(action="enterprise_agent.grant").latest("id")
    assert as_enterprise.changes["acting_as"] == f"enterprise:{USCC}"
    revoked = AuditEvent.objects.filter(action="enterprise_agent.revoke").latest("id")  # the replaced grant
    assert revoked.changes == {
        "revoked_at": revoked.changes["revoked_at"],
        "reason": "replaced",
        "acting_as": f"enterprise:{USCC}",
    }

    clerk = Client()
    clerk.force_login(world.users["clerk_a"])
    clerk.post(
        f"{API}/persons/{world.persons['owner'].pk}/reveal",
        {"purpose": "核验申请人身份"},
        content_type="application/json",
    )
    staff_row = AuditEvent.objects.filter(action="person.reveal_id_number").latest("id")
    assert "acting_as" not in staff_row.changes  # staff act as staff: no citizen identity to record


def _id_number_of_other() -> str:
    from yiwang.core.identifiers import make_id_number

    return make_id_number("371311", dt.date(1990, 2, 3), 21)  # see build_world


# --- pages ---------------------------------------------------------------------------------------------


def test_enterprise_pages_register_grant_and_revoke(world: World, item: ServiceItem):
    client = Client()
    client.force_login(world.users["citizen_owner"])
    assert client.get(reverse("identity:enterprises")).status_code == 200
    created = client.post(
        reverse("identity:enterprises"),
        {"uscc": USCC.lower(), "name": "临沂青山商贸有限公司", "region": world.county_a.pk},
    )
    company = LegalPerson.objects.get(uscc=USCC)
    assert created["Location"] == reverse("identity:enterprise", args=[company.pk])
    bad = client.post(
        reverse("identity:enterprise", args=[company.pk]),
        {
            "person_name": "测试群众乙",
            "person_id_number": _id_number_of_other(),
            "scope": "list",
            "item_codes": "NOSUCH",
            "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert "以下事项实施编码不存在：NOSUCH" in bad.content.decode()
    good = client.post(
        reverse("identity:enterprise", args=[company.pk]),
        {
            "person_name": "测试群众乙",
            "person_id_number": _id_number_of_other(),
            "scope": "list",
            "item_codes": item.task_code,
            "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert good.status_code == 302
    grant = EnterpriseAgent.objects.get()
    assert grant.item_codes == [item.task_code]
    assert timezone.localtime(grant.valid_until).time() == dt.time(23, 59, 59)
    page = client.get(reverse("identity:enterprise", args=[company.pk])).content.decode()
    assert "有效" in page and item.task_code in page
    client.post(reverse("identity:enterprise_agent_revoke", args=[company.pk, grant.pk]))
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert "已撤销" in client.get(reverse("identity:enterprise", args=[company.pk])).content.decode()


def test_only_the_representative_sees_the_enterprise_page(world: World, company: LegalPerson):
    _grant(world, company)
    for username in ("citizen_other", "clerk_a"):
        client = Client()
        client.force_login(world.users[username])
        assert client.get(reverse("identity:enterprise", args=[company.pk])).status_code in (403, 404)


# --- the API under the role matrix --------------------------------------------------------------------


@pytest.fixture
def company_matrix(world: World) -> RoleMatrix:
    """Personas around an enterprise of 兰山区 whose 法定代表人 is citizen_owner."""
    return RoleMatrix(
        users={
            "owner": world.users["citizen_owner"],
            "same_department": world.users["clerk_a"],
            "other_department": world.users["approver_a"],
            "other_region": world.users["clerk_b"],
            "citizen": world.users["citizen_other"],
            "anonymous": None,
        }
    )


def test_enterprise_list_role_matrix(world: World, company: LegalPerson, company_matrix: RoleMatrix):
    responses = company_matrix.check(
        lambda c: c.get(f"{API}/enterprises"),
        {
            "owner": 200,
            "same_department": 200,
            "other_department": 200,
            "other_region": 200,
            "citizen": 200,
            "anonymous": 401,
        },
    )
    assert responses["owner"].json() == [
        {
            "id": company.pk,
            "uscc": USCC,
            "name": "临沂青山商贸有限公司",
            "region_code": "371302",
            "role": "representative",
        }
    ]
    for persona in ("same_department", "other_department", "other_region", "citizen"):
        assert responses[persona].json() == []


def test_enterprise_register_role_matrix(world: World, company_matrix: RoleMatrix):
    codes = iter(make_uscc("91", "371302", f"MA0R{n:04d}") for n in range(100))
    body = {"name": "新公司", "region_code": "371302", "representative_name": "测试群众甲"}
    from yiwang.core.identifiers import make_id_number

    body["representative_id_number"] = make_id_number("371302", dt.date(1985, 6, 1), 12)  # the owner (build_world)
    company_matrix.check(
        lambda c: c.post(f"{API}/enterprises", {**body, "uscc": next(codes)}, content_type="application/json"),
        {
            "owner": 201,  # the representative himself
            "same_department": 201,  # window clerk of 兰山区
            "other_department": 403,
            "other_region": 403,
            "citizen": 403,
            "anonymous": 401,
        },
        side_effect=LegalPerson.objects.count,
    )


def test_enterprise_agents_role_matrix(world: World, company: LegalPerson, company_matrix: RoleMatrix):
    _grant(world, company)
    responses = company_matrix.check(
        lambda c: c.get(f"{API}/enterprises/{company.pk}/agents"),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,  # even the 经办人 himself does not manage the grants
            "anonymous": 401,
        },
    )
    [row] = responses["owner"].json()
    assert (row["person_name"], row["scope_all"], row["active"], row["revoked_at"]) == ("测试群众乙", True, True, None)


def test_enterprise_agent_grant_role_matrix(world: World, company: LegalPerson, company_matrix: RoleMatrix):
    body = {
        "person_name": "测试群众乙",
        "person_id_number": _id_number_of_other(),
        "scope_all": True,
        "valid_until": (timezone.now() + dt.timedelta(days=10)).isoformat(),
    }
    company_matrix.check(
        lambda c: c.post(f"{API}/enterprises/{company.pk}/agents", body, content_type="application/json"),
        {
            "owner": 201,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
        side_effect=lambda: list(EnterpriseAgent.objects.values_list("pk", "revoked_at")),
    )


def test_enterprise_agent_revoke_role_matrix(world: World, company: LegalPerson, company_matrix: RoleMatrix):
    grant = _grant(world, company)
    responses = company_matrix.check(
        lambda c: c.post(f"{API}/enterprises/{company.pk}/agents/{grant.pk}/revoke"),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
        side_effect=lambda: list(EnterpriseAgent.objects.values_list("pk", "revoked_at")),
    )
    assert responses["owner"].json()["active"] is False
    assert not selectors.agent_grant_active(user=world.users["citizen_other"], enterprise=company)
