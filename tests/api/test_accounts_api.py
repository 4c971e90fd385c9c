"""The accounts endpoints under the role matrix, and the API's problem+json errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from yiwang.accounts.models import NaturalPerson
from yiwang.accounts.services import api_token_create, api_token_revoke
from yiwang.audit.models import AuditEvent
from yiwang.core.identifiers import make_id_number
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World

API = "/api/v1/accounts"
PROBLEM = "application/problem+json"


def _reveal_count() -> int:
    return AuditEvent.objects.filter(action="person.reveal_id_number").count()


def test_person_detail_role_matrix(world: World, person_matrix: RoleMatrix):
    person = world.persons["owner"]
    responses = person_matrix.check(
        lambda c: c.get(f"{API}/persons/{person.pk}"),
        {
            "owner": 200,
            "same_department": 200,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
    )
    body = responses["same_department"].json()
    assert body == {
        "id": person.pk,
        "name": "测试群众甲",
        "id_number_masked": person.id_number_masked,
        "phone_masked": "138****0001",
        "region_code": "371302",
    }


def test_person_reveal_role_matrix_and_audit(world: World, person_matrix: RoleMatrix):
    person = world.persons["owner"]
    responses = person_matrix.check(
        lambda c: c.post(
            f"{API}/persons/{person.pk}/reveal", {"purpose": "核验申请人身份"}, content_type="application/json"
        ),
        {
            "owner": 404,
            "same_department": 200,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
        side_effect=_reveal_count,
    )
    assert responses["same_department"].json()["id_number"].endswith(person.id_number_masked[-4:])
    assert _reveal_count() == 1


def test_person_register_role_matrix(world: World, person_matrix: RoleMatrix):
    numbers = iter(make_id_number("371302", dt.date(1970, 1, 1), i) for i in range(100, 200))

    def register(client: Client):
        return client.post(
            f"{API}/persons",
            {"name": "新登记", "id_number": next(numbers), "region_code": "371302"},
            content_type="application/json",
        )

    person_matrix.check(
        register,
        {
            "owner": 403,
            "same_department": 201,
            "other_department": 403,
            "other_region": 403,
            "citizen": 403,
            "anonymous": 401,
        },
        side_effect=NaturalPerson.objects.count,
    )


def test_person_search_role_matrix(world: World, person_matrix: RoleMatrix):
    number = make_id_number("371302", dt.date(1985, 6, 1), 12)  # the owner's number (see build_world)
    responses = person_matrix.check(
        lambda c: c.get(f"{API}/persons", {"id_number": number}),
        {
            "owner": 200,
            "same_department": 200,
            "other_department": 200,
            "other_region": 200,
            "citizen": 200,
            "anonymous": 401,
        },
    )
    # Everyone may ask; only staff in scope, and the person himself, get an answer.
    assert [p["id"] for p in responses["same_department"].json()] == [world.persons["owner"].pk]
    assert [p["id"] for p in responses["owner"].json()] == [world.persons["owner"].pk]
    for persona in ("other_department", "other_region", "citizen"):
        assert responses[persona].json() == []


def test_me_role_matrix(world: World, person_matrix: RoleMatrix):
    responses = person_matrix.check(
        lambda c: c.get(f"{API}/me"),
        {
            "owner": 200,
            "same_department": 200,
            "other_department": 200,
            "other_region": 200,
            "citizen": 200,
            "anonymous": 401,
        },
    )
    me = responses["owner"].json()
    assert me["username"] == "citizen_owner"
    assert me["person"]["id_number_masked"] == world.persons["owner"].id_number_masked
    assert responses["same_department"].json()["roles"] == ["window_clerk"]


def test_bad_input_is_problem_json_with_field_path_in_chinese(world: World):
    client = Client()
    client.force_login(world.users["clerk_a"])
    response = client.post(
        f"{API}/persons", {"name": "", "id_number": "123", "region_code": "371302"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields == {"body.name": "长度不能少于 1 个字符", "body.id_number": "长度不能少于 15 个字符"}


def test_domain_error_is_problem_json_and_stores_nothing(world: World):
    client = Client()
    client.force_login(world.users["clerk_a"])
    before = NaturalPerson.objects.count()
    bad = make_id_number("371302", dt.date(1970, 1, 1), 5)[:-1] + "0"
    bad = bad if bad != make_id_number("371302", dt.date(1970, 1, 1), 5) else bad[:-1] + "1"
    response = client.post(
        f"{API}/persons", {"name": "王五", "id_number": bad, "region_code": "371302"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "id_number_invalid"
    assert body["errors"] == [
        {"field": "body.id_number", "code": "id_number_invalid", "message": "身份证号校验位不正确，请核对后重新输入"}
    ]
    assert NaturalPerson.objects.count() == before


def test_reveal_without_purpose_is_refused_with_the_field(world: World):
    client = Client()
    client.force_login(world.users["clerk_a"])
    response = client.post(
        f"{API}/persons/{world.persons['owner'].pk}/reveal", {"purpose": "看"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.purpose"
    assert _reveal_count() == 0


def test_anonymous_gets_problem_json_401():
    response = Client().get(f"{API}/me")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_authenticated"


def test_malformed_json_body_is_a_clear_error(world: World):
    client = Client()
    client.force_login(world.users["clerk_a"])
    response = client.post(f"{API}/persons", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM


@pytest.mark.django_db
def test_bearer_token_authenticates_until_revoked(world: World):
    token, plaintext = api_token_create(actor=None, user=world.users["clerk_a"], name="部门系统")
    client = Client()
    ok = client.get(f"{API}/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert ok.status_code == 200
    assert ok.json()["username"] == "clerk_a"
    api_token_revoke(actor=None, token_id=token.pk)
    refused = client.get(f"{API}/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert refused.status_code == 401
    assert plaintext not in json.dumps(list(AuditEvent.objects.values()), default=str)
