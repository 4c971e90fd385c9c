"""好差评 API: exact answers on the happy paths, problem+json refusals, and the role matrix on every endpoint —
each request sent by every persona, refused ones asserting that nothing changed. Nobody rates for anyone
else through the API: staff get 403 whatever the event, other citizens 404."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.test import Client

from yiwang.evaluations import services
from yiwang.evaluations.models import Evaluation, OrderEvent, RectificationOrder, ServiceEvent, WindowVisit
from yiwang.testing.evaluations import accepted_case, event_of, rate

pytestmark = pytest.mark.django_db

API = "/api/v1/evaluations"
PROBLEM = "application/problem+json"
PERSONAS = (
    "citizen_owner",
    "citizen_other",
    "clerk_a",
    "clerk_b",
    "approver_a",
    "deptadmin_a",
    "supervisor",
    "admin",
    "hotline_a",
    "anonymous",
)


def login(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(Evaluation.objects.order_by("id").values_list("id", "level", "change_count", "voided_at")),
        tuple(RectificationOrder.objects.order_by("id").values_list("id", "state", "last_seq")),
        OrderEvent.objects.count(),
        tuple(WindowVisit.objects.order_by("id").values_list("id", "rating_request_until")),
        ServiceEvent.objects.count(),
    )


def check(world, request: Callable[[Client], Any], expected: Mapping[str, int]) -> dict[str, Any]:
    assert set(expected) == set(PERSONAS), "state every persona"
    failures, responses = [], {}
    # Refusals first, then the one allowed persona, then those who find the state already changed (409).
    order = {p: (2 if expected[p] == 409 else 1 if expected[p] < 400 else 0) for p in PERSONAS}
    for persona in sorted(PERSONAS, key=order.__getitem__):
        client = login(None if persona == "anonymous" else world.users[persona])
        before = snapshot()
        response = request(client)
        responses[persona] = response
        if response.status_code != expected[persona]:
            failures.append(
                f"{persona}: expected {expected[persona]}, got {response.status_code} {response.content[:300]!r}"
            )
        elif response.status_code >= 400:
            if response["Content-Type"] != PROBLEM or not response.json()["detail"]:
                failures.append(f"{persona}: refusal is not problem+json")
            if snapshot() != before:
                failures.append(f"{persona}: refused with {response.status_code} but the data changed")
    assert not failures, "role matrix failed:\n" + "\n".join(failures)
    return responses


def matrix(default: int, **overrides: int) -> dict[str, int]:
    out = {p: default for p in PERSONAS}
    out["anonymous"] = 401
    out.update(overrides)
    return out


@pytest.fixture
def event(world, person_item, agent):
    return event_of(accepted_case(world, person_item))


@pytest.fixture
def order(world, event) -> RectificationOrder:
    evaluation, _ = rate(world, event, "very_dissatisfied", reasons=["attitude"], text="态度差")
    return RectificationOrder.objects.get(evaluation=evaluation)


def _put(client: Client, url: str, body: dict[str, Any]):
    return client.put(url, body, content_type="application/json")


def _post(client: Client, url: str, body: dict[str, Any] | None = None):
    return client.post(url, body or {}, content_type="application/json")


# --- happy paths ---------------------------------------------------------------------------------------


def test_reasons_are_public_and_configurable(client, settings):
    assert client.get(f"{API}/reasons").json()[0] == {"code": "attitude", "label": "服务态度差"}
    settings.YIWANG_EVALUATION_REASONS = [("wait", "排队太久")]
    assert client.get(f"{API}/reasons").json() == [{"code": "wait", "label": "排队太久"}]


def test_the_citizen_rates_then_changes_his_rating(world, event):
    owner = login(world.users["citizen_owner"])
    mine = owner.get(f"{API}/mine").json()
    assert [e["id"] for e in mine["pending"]] == [event.pk] and mine["rated"] == [] and mine["revisits"] == []
    first = _put(
        owner,
        f"{API}/events/{event.pk}/evaluation",
        {"level": "dissatisfied", "channel": "mobile", "reasons": ["slow"]},
    )
    assert first.status_code == 201
    body = first.json()
    assert {
        k: body[k] for k in ("level", "level_label", "level_code", "channel", "reasons", "changeable", "voided")
    } == {
        "level": "dissatisfied",
        "level_label": "不满意",
        "level_code": 2,
        "channel": "mobile",
        "reasons": ["slow"],
        "changeable": True,
        "voided": False,
    }
    assert body["order_id"] == RectificationOrder.objects.get().pk
    second = _put(owner, f"{API}/events/{event.pk}/evaluation", {"level": "very_satisfied", "channel": "pc"})
    assert second.status_code == 200
    assert (second.json()["level_code"], second.json()["reasons"]) == (5, [])
    mine = owner.get(f"{API}/mine").json()
    assert mine["pending"] == [] and [e["evaluation"]["level"] for e in mine["rated"]] == ["very_satisfied"]


def test_a_bad_rating_without_reason_is_a_problem_with_a_field_path(world, event):
    response = _put(
        login(world.users["citizen_owner"]),
        f"{API}/events/{event.pk}/evaluation",
        {"level": "very_dissatisfied", "channel": "pc"},
    )
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "body.reasons"
    missing = _put(login(world.users["citizen_owner"]), f"{API}/events/{event.pk}/evaluation", {"channel": "pc"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.level"
    assert not Evaluation.objects.exists()


def test_the_order_loop_through_the_api(world, order, agent):
    approver = login(world.users["approver_a"])
    verified = _post(approver, f"{API}/orders/{order.pk}/verify", {"verdict": "genuine", "note": "属实"})
    assert verified.status_code == 200 and verified.json()["state"] == "rectifying"
    assert _post(approver, f"{API}/orders/{order.pk}/rectify", {"measures": "已培训"}).json()["state"] == "revisiting"
    owner = login(world.users["citizen_owner"])
    assert [o["id"] for o in owner.get(f"{API}/mine").json()["revisits"]] == [order.pk]
    closed = _post(owner, f"{API}/orders/{order.pk}/revisit", {"level": "satisfied"}).json()
    assert (closed["state"], closed["revisit_method"], closed["staff"]) == ("closed", "online", "")
    assert [e["action"] for e in closed["events"]] == ["open", "verify", "rectify", "revisit"]
    assert all(e["actor"] in ("", "系统") for e in closed["events"])  # the citizen does not see staff names
    stats = login(world.users["supervisor"]).get(f"{API}/stats", {"by": "department"}).json()
    assert stats["total"]["verify_rate"] == stats["total"]["rectify_rate"] == stats["total"]["revisit_rate"] == 100.0
    assert [(r["label"], r["events"], r["bad"]) for r in stats["rows"]] == [("兰山区市场监督管理局", 1, 1)]


def test_export_in_the_reporting_format(world, order):
    supervisor = login(world.users["supervisor"])
    csv = supervisor.get(f"{API}/export", {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:9] == [
        "办件编号",
        "实施编码",
        "服务内容",
        "服务名称",
        "服务时间",
        "评价渠道代码",
        "评价渠道",
        "评价等级代码",
        "评价等级",
    ]
    row = lines[1].split(",")
    case = order.evaluation.service_event.case
    assert (row[0], row[1], row[3], row[5], row[6], row[7], row[8]) == (
        case.number,
        case.item.task_code,
        "受理",
        "1",
        "PC端",
        "1",
        "非常不满意",
    )
    xlsx = supervisor.get(f"{API}/export", {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == case.number and values[1][7] == 1 and values[1][8] == "非常不满意"


# --- the role matrix ------------------------------------------------------------------------------------


def test_role_matrix_mine_and_event(world, event):
    check(world, lambda c: c.get(f"{API}/mine"), matrix(403, citizen_owner=200, citizen_other=200))
    check(world, lambda c: c.get(f"{API}/events/{event.pk}"), matrix(403, citizen_owner=200, citizen_other=404))


def test_role_matrix_rate_nobody_rates_for_someone_else(world, event):
    body = {"level": "very_satisfied", "channel": "pc"}
    check(
        world,
        lambda c: _put(c, f"{API}/events/{event.pk}/evaluation", body),
        matrix(403, citizen_owner=201, citizen_other=404),
    )
    assert Evaluation.objects.get().rater_id == world.users["citizen_owner"].pk


def test_role_matrix_orders_list_and_detail(world, order):
    check(
        world,
        lambda c: c.get(f"{API}/orders", {"queue": "verifying"}),
        matrix(200, citizen_owner=403, citizen_other=403),
    )
    listed = login(world.users["approver_a"]).get(f"{API}/orders", {"queue": "verifying"}).json()
    assert [r["id"] for r in listed["items"]] == [order.pk]
    assert (
        login(world.users["clerk_a"]).get(f"{API}/orders", {"queue": "verifying"}).json()["items"] == []
    )  # not a window service
    check(
        world,
        lambda c: c.get(f"{API}/orders/{order.pk}"),
        matrix(200, citizen_other=404, clerk_a=404, clerk_b=404),
    )


def test_role_matrix_verify(world, order):
    check(
        world,
        lambda c: _post(c, f"{API}/orders/{order.pk}/verify", {"verdict": "mistaken", "note": "误评"}),
        matrix(
            403,
            citizen_other=404,
            clerk_a=404,
            clerk_b=404,
            approver_a=200,
            deptadmin_a=409,  # the approver (sent first) won; the order is no longer 待核实
        ),
    )


def test_role_matrix_review(world, order):
    services.order_verify(actor=world.users["approver_a"], order_id=order.pk, verdict="mistaken", note="误评")
    check(
        world,
        lambda c: _post(c, f"{API}/orders/{order.pk}/review", {"decision": "uphold", "note": "维持"}),
        matrix(403, citizen_other=404, clerk_a=404, clerk_b=404, supervisor=200, admin=409),
    )


def test_role_matrix_rectify_and_revisit(world, order):
    services.order_verify(actor=world.users["approver_a"], order_id=order.pk, verdict="genuine", note="属实")
    check(
        world,
        lambda c: _post(c, f"{API}/orders/{order.pk}/rectify", {"measures": "已整改"}),
        matrix(403, citizen_other=404, clerk_a=404, clerk_b=404, approver_a=200, deptadmin_a=409),
    )
    check(
        world,
        lambda c: _post(
            c, f"{API}/orders/{order.pk}/revisit", {"level": "satisfied", "method": "phone", "note": "电话回访"}
        ),
        matrix(
            403,
            citizen_owner=200,  # sent first among the allowed: the citizen's own confirmation (method forced online)
            citizen_other=404,
            clerk_a=404,
            clerk_b=404,
            supervisor=409,
            admin=409,
            hotline_a=409,
        ),
    )
    order.refresh_from_db()
    assert (order.state, order.revisit_method) == ("closed", "online")


def test_role_matrix_visits(world, event):
    body = {"window_id": world.window_a1.pk, "topic": "个体工商户登记咨询"}
    responses = check(world, lambda c: _post(c, f"{API}/visits", body), matrix(403, clerk_a=201))
    visit_id = responses["clerk_a"].json()["id"]
    assert responses["clerk_a"].json()["rated"] is False
    check(
        world,
        lambda c: _post(c, f"{API}/visits/{visit_id}/request-rating"),
        matrix(404, citizen_owner=403, citizen_other=403, clerk_a=200),
    )


def test_role_matrix_stats_and_export(world, order):
    check(world, lambda c: c.get(f"{API}/stats"), matrix(403, supervisor=200, admin=200))
    check(world, lambda c: c.get(f"{API}/export"), matrix(403, supervisor=200, admin=200))
    clerk_b_scope = login(world.users["clerk_b"]).get(f"{API}/stats")
    assert clerk_b_scope.status_code == 403
