"""好差评 pages: the citizen's list and rating form (no preselected level, staff refused), the workbench
queues, order page, statistics with export, the clerk's window page and the device page — each with who may
open it, and list pages whose query count does not grow with their rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.evaluations.models import Evaluation, RectificationOrder, WindowVisit
from yiwang.testing.evaluations import accepted_case, event_of, rate

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def event(world, person_item):
    return event_of(accepted_case(world, person_item))


def test_the_citizen_lists_and_rates_his_service(world, event):
    owner = login(world.users["citizen_owner"])
    page = owner.get("/my/evaluations/").content.decode()
    assert "待评价的服务" in page and f"/my/evaluations/{event.pk}/" in page
    form = owner.get(f"/my/evaluations/{event.pk}/").content.decode()
    assert 'name="level"' in form and "checked" not in form and "暂不评价" in form
    refused = owner.post(f"/my/evaluations/{event.pk}/", {"level": "dissatisfied", "channel": "pc"})
    assert refused.status_code == 422 and "差评原因" in refused.content.decode()
    done = owner.post(f"/my/evaluations/{event.pk}/", {"level": "dissatisfied", "reasons": ["slow"], "channel": "pc"})
    assert done.status_code == 302
    assert Evaluation.objects.get().channel == "pc"
    page = owner.get("/my/evaluations/").content.decode()
    assert "修改评价" in page and "差评已转责任部门" in page


def test_the_qr_code_and_mobile_channels_are_recorded(world, event):
    owner = login(world.users["citizen_owner"])
    form = owner.get(f"/my/evaluations/{event.pk}/?via=qr").content.decode()
    assert 'name="channel" value="qrcode"' in form
    mobile = owner.get(f"/my/evaluations/{event.pk}/", headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Mobile"})
    assert 'name="channel" value="mobile"' in mobile.content.decode()
    owner.post(f"/my/evaluations/{event.pk}/", {"level": "satisfied", "channel": "hall_tablet"})
    assert Evaluation.objects.get().channel == "pc"  # a page can never claim a hall channel


def test_nobody_else_rates_through_the_pages(world, event):
    for username in ("clerk_a", "approver_a", "admin", "supervisor"):
        client = login(world.users[username])
        assert client.get(f"/my/evaluations/{event.pk}/").status_code == 403
        assert client.post(f"/my/evaluations/{event.pk}/", {"level": "very_satisfied"}).status_code == 403
    other = login(world.users["citizen_other"])
    assert other.get(f"/my/evaluations/{event.pk}/").status_code == 404
    assert other.post(f"/my/evaluations/{event.pk}/", {"level": "very_satisfied", "channel": "pc"}).status_code == 404
    assert Client().post(f"/my/evaluations/{event.pk}/", {"level": "very_satisfied"}).status_code == 302  # to login
    assert not Evaluation.objects.exists()


def test_workbench_order_pages_by_role(world, event, agent):
    evaluation, _ = rate(world, event, "very_dissatisfied", text="态度差")
    order = RectificationOrder.objects.get(evaluation=evaluation)
    expected = {
        "approver_a": 200,
        "deptadmin_a": 200,
        "supervisor": 200,
        "admin": 200,
        "hotline_a": 200,
        "clerk_a": 404,
        "clerk_b": 404,
    }
    for username, status in expected.items():
        response = login(world.users[username]).get(f"/workbench/evaluations/orders/{order.pk}/")
        assert response.status_code == status, username
    assert login(world.users["citizen_owner"]).get(f"/workbench/evaluations/orders/{order.pk}/").status_code == 403
    approver = login(world.users["approver_a"])
    page = approver.get(f"/workbench/evaluations/orders/{order.pk}/").content.decode()
    assert "提交核实结论" in page and "测*" in page  # the rater's name is masked
    refused = approver.post(f"/workbench/evaluations/orders/{order.pk}/do/verify/", {"verdict": "genuine", "note": ""})
    assert refused.status_code == 422 and "请填写核实情况" in refused.content.decode()
    approver.post(f"/workbench/evaluations/orders/{order.pk}/do/verify/", {"verdict": "genuine", "note": "属实"})
    approver.post(f"/workbench/evaluations/orders/{order.pk}/do/rectify/", {"measures": "已整改"})
    revisitor = login(agent)
    page = revisitor.post(f"/workbench/evaluations/orders/{order.pk}/contact/").content.decode()
    assert "13805390001" in page
    from yiwang.audit.models import AuditEvent

    reveal = AuditEvent.objects.get(action="evaluation.contact_reveal")
    assert (reveal.actor_id, reveal.purpose) == (agent.pk, "差评回访（联系评价人）")
    assert (
        login(world.users["approver_a"]).post(f"/workbench/evaluations/orders/{order.pk}/contact/").status_code == 403
    )
    revisitor.post(
        f"/workbench/evaluations/orders/{order.pk}/do/revisit/",
        {"level": "satisfied", "method": "phone", "note": "认可"},
    )
    order.refresh_from_db()
    assert order.state == "closed"


def test_the_queue_page_queries_do_not_grow_with_rows(world, person_item):
    approver = login(world.users["approver_a"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert approver.get("/workbench/evaluations/?queue=verifying").status_code == 200
        return len(captured)

    rate(world, event_of(accepted_case(world, person_item, key="a")), "dissatisfied")
    one = queries()
    for key in ("b", "c"):
        rate(world, event_of(accepted_case(world, person_item, key=key)), "dissatisfied")
    assert queries() == one


def test_the_my_list_queries_do_not_grow_with_rows(world, person_item):
    owner = login(world.users["citizen_owner"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get("/my/evaluations/").status_code == 200
        return len(captured)

    rate(world, event_of(accepted_case(world, person_item, key="a")), "satisfied")
    one = queries()
    for key in ("b", "c"):
        rate(world, event_of(accepted_case(world, person_item, key=key)), "dissatisfied")
    assert queries() == one


def test_stats_page_and_export_only_for_reviewers(world, event):
    rate(world, event, "satisfied")
    for username, status in {"supervisor": 200, "admin": 200, "approver_a": 403, "clerk_a": 403}.items():
        client = login(world.users[username])
        assert client.get("/workbench/evaluations/stats/?by=window").status_code == status, username
        assert client.get("/workbench/evaluations/stats/export/?format=csv").status_code == status, username
    page = login(world.users["supervisor"]).get("/workbench/evaluations/stats/?by=staff").content.decode()
    assert "测试窗口甲" in page and "100.0%" in page
    xlsx = login(world.users["admin"]).get("/workbench/evaluations/stats/export/?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_clerks_window_page_asks_for_a_rating(world):
    clerk = login(world.users["clerk_a"])
    assert "请群众评价" in clerk.get("/workbench/evaluations/window/").content.decode()
    response = clerk.post("/workbench/evaluations/window/", {"window": world.window_a1.pk, "topic": "社保卡补办咨询"})
    assert response.status_code == 302
    visit = WindowVisit.objects.get()
    assert (visit.staff_id, visit.topic, visit.rating_request_until is not None) == (
        world.users["clerk_a"].pk,
        "社保卡补办咨询",
        True,
    )
    assert (
        login(world.users["clerk_b"])
        .post("/workbench/evaluations/window/", {"window": world.window_a1.pk, "topic": "x"})
        .status_code
        == 403
    )
    assert login(world.users["approver_a"]).get("/workbench/evaluations/window/").status_code == 403


def test_the_device_page_registers_and_shows_the_code_once(world):
    admin = login(world.users["admin"])
    page = admin.post(
        "/workbench/evaluations/devices/", {"window": world.window_a1.pk, "name": "A01平板", "channel": "hall_tablet"}
    )
    assert page.status_code == 200 and 'id="pair-code"' in page.content.decode()
    assert 'id="pair-code"' not in admin.get("/workbench/evaluations/devices/").content.decode()
    assert login(world.users["clerk_a"]).get("/workbench/evaluations/devices/").status_code == 403
