"""The role matrix on every ``/api/v1/hotline`` endpoint.

For a 诉求 that ``citizen_owner`` filed on the web, dispatched by the 12345 agent to 兰山区市场监督管理局:

- ``agent`` (12345话务员, 临沂市): registers, dispatches, transfers, closes, revisits;
- ``handler`` (approver_a, 兰山区市场监督管理局 — the assigned organisation): signs for, returns, replies, asks for
  an extension, answers a 督办;
- ``other_handler`` (deptadmin_a_admin, 兰山区行政审批服务局 — another organisation): 404, as for no ticket at all;
- ``supervisor`` (临沂市监察): sees everything of the city, 督办, decides extensions, analysis, 抽查回访;
- ``owner`` sees his own ticket and rates it; ``citizen`` (citizen_other) gets 404; ``anonymous`` 401.

Each persona acts on a fresh ticket in the right state; after a refusal the test asserts nothing changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.test import Client

from yiwang.hotline import services
from yiwang.hotline.models import Extension, SpotCheck, Supervision, Ticket, TicketEvent
from yiwang.testing.hotline import ticket_in_state
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/hotline"
PERSONAS = ("agent", "handler", "other_handler", "supervisor", "owner", "citizen", "anonymous")
USERS = {
    "handler": "approver_a",
    "other_handler": "deptadmin_a_admin",
    "supervisor": "supervisor",
    "owner": "citizen_owner",
    "citizen": "citizen_other",
}


def client_for(world: World, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[USERS.get(persona, persona)])
    return client


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(Ticket.objects.order_by("id").values_list("id", "state", "department_id", "last_event_seq", "due_at")),
        TicketEvent.objects.count(),
        tuple(Extension.objects.order_by("id").values_list("id", "state")),
        tuple(Supervision.objects.order_by("id").values_list("id", "responded_at")),
        tuple(SpotCheck.objects.order_by("id").values_list("id", "state")),
    )


def matrix(
    world: World,
    make: Callable[[], Any],
    send: Callable[[Client, Any], Any],
    expected: Mapping[str, int],
) -> dict[str, Any]:
    """Send ``send(client, make())`` as every persona (a fresh subject each time); check the status, and for a
    refusal that nothing changed."""
    assert set(expected) == set(PERSONAS)
    failures, responses = [], {}
    for persona in PERSONAS:
        subject = make()
        before = snapshot()
        response = send(client_for(world, persona), subject)
        responses[persona] = response
        if response.status_code != expected[persona]:
            failures.append(
                f"{persona}: expected {expected[persona]}, got {response.status_code} {response.content[:300]!r}"
            )
        elif response.status_code >= 400 and snapshot() != before:
            failures.append(f"{persona}: refused with {response.status_code} but the data changed")
    assert not failures, "role matrix failed:\n" + "\n".join(failures)
    return responses


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def tickets(world, agent):
    def make(state: str) -> Callable[[], Ticket]:
        return lambda: ticket_in_state(world, state, citizen="citizen_owner")

    return make


def test_detail(world, tickets):
    responses = matrix(
        world,
        tickets("dispatched"),
        lambda c, t: c.get(f"{API}/tickets/{t.pk}"),
        {
            "agent": 200,
            "handler": 200,
            "other_handler": 404,
            "supervisor": 200,
            "owner": 200,
            "citizen": 404,
            "anonymous": 401,
        },
    )
    owner_view = responses["owner"].json()
    assert all(e["actor_name"] == "" for e in owner_view["events"]) and "extensions" in owner_view
    assert responses["agent"].json()["caller_phone"] == ""  # a web ticket of a signed-in citizen: no phone left


def test_dispatch(world, tickets):
    body = {"department_id": world.dept_a_market.pk}
    matrix(
        world,
        tickets("registered"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/dispatch", body),
        {
            "agent": 200,
            "handler": 404,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_transfer(world, tickets):
    body = {"department_id": world.dept_a_admin.pk, "reason": "属行政审批局职责"}
    matrix(
        world,
        tickets("dispatched"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/transfer", body),
        {
            "agent": 200,
            "handler": 403,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_accept(world, tickets):
    matrix(
        world,
        tickets("dispatched"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/accept"),
        {
            "agent": 403,
            "handler": 200,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_return(world, tickets):
    matrix(
        world,
        tickets("handling"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/return", {"reason": "不属本单位职责"}),
        {
            "agent": 403,
            "handler": 204,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_reply(world, tickets):
    matrix(
        world,
        tickets("handling"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/reply", {"reply": "已联系城管部门清理占道摊点。"}),
        {
            "agent": 403,
            "handler": 200,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_close(world, tickets):
    matrix(
        world,
        tickets("replied"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/close"),
        {
            "agent": 200,
            "handler": 403,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_revisit(world, tickets):
    body = {"satisfaction": "satisfied", "solved": True, "method": "phone"}
    responses = matrix(
        world,
        tickets("closed"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/revisit", body),
        {
            "agent": 200,
            "handler": 403,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 200,
            "citizen": 404,
            "anonymous": 401,
        },
    )
    owner_ticket = Ticket.objects.get(pk=responses["owner"].json()["id"])
    assert owner_ticket.revisits.get().method == "web"  # the citizen's own rating, whatever he sent


def test_extension_request(world, tickets):
    matrix(
        world,
        tickets("handling"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/extensions", {"days": 3, "reason": "需要现场勘查"}),
        {
            "agent": 403,
            "handler": 201,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_extension_decide(world, tickets):
    def make() -> Extension:
        ticket = tickets("handling")()
        return services.ticket_extension_request(
            actor=world.users["approver_a"], ticket_id=ticket.pk, days=2, reason="需要协调"
        )

    matrix(
        world,
        make,
        lambda c, x: post(c, f"{API}/extensions/{x.pk}/decide", {"approve": True, "note": "同意"}),
        {
            "agent": 403,
            "handler": 403,
            "other_handler": 404,
            "supervisor": 200,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_supervise(world, tickets):
    matrix(
        world,
        tickets("dispatched"),
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/supervisions", {"message": "请今日内签收办理"}),
        {
            "agent": 403,
            "handler": 403,
            "other_handler": 404,
            "supervisor": 201,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_supervision_respond(world, tickets):
    def make() -> Supervision:
        ticket = tickets("dispatched")()
        return services.ticket_supervise(actor=world.users["supervisor"], ticket_id=ticket.pk, message="请加快办理")

    matrix(
        world,
        make,
        lambda c, s: post(c, f"{API}/supervisions/{s.pk}/respond", {"response": "已签收，正在办理"}),
        {
            "agent": 403,
            "handler": 200,
            "other_handler": 404,
            "supervisor": 403,
            "owner": 403,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_caller_reveal(world, agent):
    responses = matrix(
        world,
        lambda: ticket_in_state(world, "dispatched"),  # a phone call: the caller left a number
        lambda c, t: post(c, f"{API}/tickets/{t.pk}/caller", {"purpose": "电话回访"}),
        {
            "agent": 200,
            "handler": 200,
            "other_handler": 404,
            "supervisor": 200,
            "owner": 404,
            "citizen": 404,
            "anonymous": 401,
        },
    )
    assert responses["agent"].json()["phone"] == "13905391234"


def test_queue_and_mine(world, tickets):
    tickets("dispatched")()
    expected = {
        "agent": 200,
        "handler": 200,
        "other_handler": 200,
        "supervisor": 200,
        "owner": 403,
        "citizen": 403,
        "anonymous": 401,
    }
    counts = {}
    for persona, status in expected.items():
        response = client_for(world, persona).get(f"{API}/tickets?queue=all")
        assert response.status_code == status, persona
        if status == 200:
            counts[persona] = response.json()["count"]
    assert counts == {"agent": 1, "handler": 1, "other_handler": 0, "supervisor": 1}
    mine = {p: client_for(world, p).get(f"{API}/tickets/mine") for p in PERSONAS}
    assert mine["owner"].json()["count"] == 1 and mine["citizen"].json()["count"] == 0
    assert mine["agent"].json()["count"] == 0 and mine["anonymous"].status_code == 401


def test_create(world, agent):
    body = {
        "source": "web",
        "ticket_type": "consult",
        "title": "咨询社保转移",
        "content": "请问从外地转回临沂，养老保险关系怎么转移？",
        "region_code": world.county_a.code,
    }
    responses = matrix(
        world,
        lambda: None,
        lambda c, _: post(c, f"{API}/tickets", body),
        {
            "agent": 403,
            "handler": 403,
            "other_handler": 403,
            "supervisor": 403,
            "owner": 201,
            "citizen": 201,
            "anonymous": 401,
        },
    )
    assert responses["owner"].json()["state"] == "registered"
    phone = post(
        client_for(world, "agent"),
        f"{API}/tickets",
        body | {"source": "phone", "caller_phone": "13905395555", "caller_name": "赵六"},
    )
    assert phone.status_code == 201 and phone.json()["caller_phone"] == "139****5555"
    refused = post(client_for(world, "owner"), f"{API}/tickets", body | {"source": "phone"})
    assert refused.status_code == 403


def test_duplicates(world, tickets):
    tickets("registered")()
    body = {"caller_phone": "", "title": "小区门口占道经营", "content": "金雀山社区门口早上摊贩占道经营，车辆无法通行"}
    responses = matrix(
        world,
        lambda: None,
        lambda c, _: post(c, f"{API}/tickets/duplicates", body),
        {
            "agent": 200,
            "handler": 403,
            "other_handler": 403,
            "supervisor": 403,
            "owner": 403,
            "citizen": 403,
            "anonymous": 401,
        },
    )
    assert len(responses["agent"].json()) == 1 and responses["agent"].json()[0]["reasons"][0].startswith("主题相近")


def test_analysis_and_csv(world, tickets):
    tickets("revisited")()
    expected = {
        "agent": 403,
        "handler": 403,
        "other_handler": 403,
        "supervisor": 200,
        "owner": 403,
        "citizen": 403,
        "anonymous": 401,
    }
    matrix(world, lambda: None, lambda c, _: c.get(f"{API}/analysis?quarter=2026Q1"), expected)
    responses = matrix(world, lambda: None, lambda c, _: c.get(f"{API}/analysis.csv?quarter=2026Q1"), expected)
    assert responses["supervisor"].content.startswith("\ufeff".encode())


def test_spot_checks(world, tickets):
    body = {"batch": "抽查", "count": 1, "closed_from": "2026-03-01", "closed_to": "2026-03-31", "source": "all"}
    matrix(
        world,
        tickets("revisited"),
        lambda c, _: post(c, f"{API}/spot-checks", body),
        {
            "agent": 403,
            "handler": 403,
            "other_handler": 403,
            "supervisor": 201,
            "owner": 403,
            "citizen": 403,
            "anonymous": 401,
        },
    )

    def make() -> SpotCheck:
        ticket = tickets("revisited")()
        return SpotCheck.objects.create(
            ticket=ticket,
            batch="b",
            drawn_by=world.users["supervisor"],
            drawn_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )

    matrix(
        world,
        make,
        lambda c, s: post(c, f"{API}/spot-checks/{s.pk}/record", {"satisfaction": "satisfied", "solved": True}),
        {
            "agent": 200,
            "handler": 404,
            "other_handler": 404,
            "supervisor": 200,
            "owner": 404,
            "citizen": 404,
            "anonymous": 401,
        },
    )


def test_categories_are_public(world, agent):
    for persona in PERSONAS:
        response = client_for(world, persona).get(f"{API}/categories")
        assert response.status_code == 200
        leaf = next(c for c in response.json() if c["code"] == "0201")
        assert leaf["leaf"] is True
