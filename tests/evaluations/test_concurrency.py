"""Races on one order and one service event, with real connections (the cases app's ``race`` helper: the
threads queue on a lock the main thread holds and are released together). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from tests.cases.test_concurrency import race
from yiwang.accounts.choices import StaffRole
from yiwang.accounts.services import staff_assign, staff_create
from yiwang.core import clock
from yiwang.core.errors import ErrorCode
from yiwang.evaluations import services
from yiwang.evaluations.models import Evaluation, OrderEvent, RectificationOrder, ServiceEvent
from yiwang.testing.cases import published_item
from yiwang.testing.evaluations import accepted_case, event_of, rate
from yiwang.testing.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _monday(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)


def test_two_verifications_of_one_order_have_exactly_one_winner():
    world = build_world()
    item = published_item(world.dept_a_market)
    evaluation, _ = rate(world, event_of(accepted_case(world, item)), "very_dissatisfied", text="态度差")
    order = RectificationOrder.objects.get(evaluation=evaluation)
    second = staff_create(
        actor=None, username="approver_a2", password=PASSWORD, display_name="审批丁", department=world.dept_a_market
    )
    staff_assign(actor=None, user=second, role=StaffRole.APPROVER)
    verifiers = [(world.users["approver_a"], "genuine"), (second, "mistaken")]

    def verify(user, verdict) -> str:
        return services.order_verify(
            actor=user, order_id=order.pk, verdict=verdict, note=f"{user.username}核实"
        ).verdict

    def hold() -> None:
        RectificationOrder.objects.select_for_update().get(pk=order.pk)

    outcomes = race([partial(verify, user, verdict) for user, verdict in verifiers], hold=hold)

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    assert [value for kind, value in outcomes if kind == "error"] == [ErrorCode.INVALID_STATE]
    winner = next(value for kind, value in outcomes if kind == "ok")
    order.refresh_from_db()
    assert order.verdict == winner
    assert order.state == ("rectifying" if winner == "genuine" else "appealing")
    assert list(OrderEvent.objects.filter(order=order).order_by("seq").values_list("seq", "action")) == [
        (1, "open"),
        (2, "verify"),
    ]


def test_two_first_ratings_of_one_event_make_one_evaluation_and_one_order():
    world = build_world()
    item = published_item(world.dept_a_market)
    event = event_of(accepted_case(world, item))
    citizen = world.users["citizen_owner"]

    def submit(level: str) -> bool:
        return services.evaluation_submit(
            actor=citizen, service_event_id=event.pk, level=level, channel="pc", reasons=["slow"]
        )[1]

    def hold() -> None:
        ServiceEvent.objects.select_for_update().get(pk=event.pk)

    outcomes = race([partial(submit, "dissatisfied"), partial(submit, "very_dissatisfied")], hold=hold)

    assert sorted(value for kind, value in outcomes if kind == "ok") == [False, True]  # one created, one changed
    assert Evaluation.objects.filter(service_event=event).count() == 1
    assert RectificationOrder.objects.filter(evaluation__service_event=event).count() == 1
