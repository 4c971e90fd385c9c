"""审管联动 webhooks: signed POSTs to a real local HTTP server, retried with backoff, never lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from yiwang.cases import services, webhooks
from yiwang.cases.models import WebhookDelivery
from yiwang.core import clock
from yiwang.core.errors import DomainError
from yiwang.testing.cases import valid_form

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


class Receiver:
    """A department system: answers with the queued status codes, keeps what it received."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def now(monkeypatch):
    moment = [T0]
    monkeypatch.setattr(clock, "now", lambda: moment[0])
    return moment


def test_events_of_the_department_reach_its_system_signed(world, person_item, upload_for, receiver, now):
    _subscription, secret = webhooks.webhook_subscribe(
        actor=world.users["admin"], name="市场监管审批系统", department_id=world.dept_a_market.pk, url=receiver.url
    )
    case = services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [upload_for().pk]},
    )
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode="deferred")

    assert webhooks.webhooks_run() == (2, 2)
    actions = [json.loads(body)["action"] for _, body in receiver.received]
    assert actions == ["submit", "accept"]
    headers, body = receiver.received[0]
    expected = hmac.new(secret.encode(), f"{headers['X-Yiwang-Timestamp']}.".encode() + body, hashlib.sha256)
    assert headers["X-Yiwang-Signature"] == f"sha256={expected.hexdigest()}"
    assert json.loads(body)["case_number"] == case.number
    assert webhooks.webhooks_run() == (0, 0)  # nothing new, nothing sent twice


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(world, person_item, upload_for, receiver, now):
    webhooks.webhook_subscribe(
        actor=world.users["admin"], name="系统", department_id=world.dept_a_market.pk, url=receiver.url
    )
    services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [upload_for().pk]},
    )
    receiver.statuses = [500, 503]
    assert webhooks.webhooks_run() == (1, 0)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status, delivery.next_attempt_at) == (
        1,
        500,
        T0 + dt.timedelta(seconds=30),
    )
    assert webhooks.webhooks_deliver() == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1
    now[0] = T0 + dt.timedelta(seconds=30)
    assert webhooks.webhooks_deliver() == 0
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, now[0] + dt.timedelta(seconds=60))
    now[0] += dt.timedelta(seconds=60)
    assert webhooks.webhooks_deliver() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (WebhookDelivery.State.DELIVERED, 3)


def test_other_departments_events_are_not_pushed(world, person_item, upload_for, receiver, now):
    webhooks.webhook_subscribe(
        actor=world.users["admin"], name="罗庄", department_id=world.dept_b_admin.pk, url=receiver.url
    )
    services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [upload_for().pk]},
    )
    assert webhooks.webhooks_run() == (0, 0)
    assert receiver.received == []


def test_only_the_platform_admin_registers_subscriptions(world):
    with pytest.raises(DomainError) as exc:
        webhooks.webhook_subscribe(
            actor=world.users["clerk_a"], name="x", department_id=world.dept_a_market.pk, url="http://127.0.0.1/"
        )
    assert exc.value.message == "只有政务服务管理机构可以登记部门系统的事件订阅"
    assert not webhooks.WebhookSubscription.objects.exists()


def test_backoff_doubles_and_is_capped():
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff(30) == dt.timedelta(hours=6)


def test_the_command_registers_a_subscription_and_pushes(world, person_item, upload_for, receiver, now):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "cases",
        "webhook-add",
        "--name",
        "审批系统",
        "--department-uscc",
        world.dept_a_market.uscc,
        "--url",
        receiver.url,
        stdout=out,
    )
    assert "签名密钥" in out.getvalue()
    services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [upload_for().pk]},
    )
    out = StringIO()
    call_command("cases", "push", stdout=out)
    assert out.getvalue().strip() == "新入队 1 条，本次送达 1 条"
