"""The 差评 loop through the services: 核实 → (申诉复核) → 整改 → 回访 → closed; who may do each step;
overdue orders escalate; the "三个100%" figures follow."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.core.errors import DomainError, ErrorCode
from yiwang.evaluations import services, stats
from yiwang.evaluations.choices import OrderState
from yiwang.evaluations.models import OrderEscalation, RectificationOrder
from yiwang.testing.evaluations import accepted_case, event_of, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world, person_item) -> RectificationOrder:
    evaluation, _ = rate(world, event_of(accepted_case(world, person_item)), "very_dissatisfied", text="态度生硬")
    return RectificationOrder.objects.get(evaluation=evaluation)


def _code(call) -> ErrorCode:
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


def _state(order: RectificationOrder) -> str:
    order.refresh_from_db()
    return order.state


def test_the_whole_loop_closes_with_the_citizens_revisit(world, order):
    approver, citizen = world.users["approver_a"], world.users["citizen_owner"]
    services.order_verify(actor=approver, order_id=order.pk, verdict="genuine", note="经查窗口人员答复不耐心")
    assert _state(order) == OrderState.RECTIFYING
    services.order_rectify(actor=approver, order_id=order.pk, measures="已约谈并开展服务礼仪培训")
    assert _state(order) == OrderState.REVISITING
    services.order_revisit(actor=citizen, order_id=order.pk, level="satisfied")
    order.refresh_from_db()
    assert (order.state, order.revisit_method, order.revisit_level) == (OrderState.CLOSED, "online", "satisfied")
    assert list(order.events.values_list("action", "to_state")) == [
        ("open", "verifying"),
        ("verify", "rectifying"),
        ("rectify", "revisiting"),
        ("revisit", "closed"),
    ]
    _, total = stats.evaluation_stats(user=world.users["supervisor"])
    assert (total.verify_rate, total.rectify_rate, total.revisit_rate) == (100.0, 100.0, 100.0)
    assert (total.events, total.rated, total.bad, total.active_rate, total.good_rate) == (1, 1, 1, 100.0, 0.0)


def test_a_hotline_agent_records_the_revisit_by_phone(world, order, agent):
    approver = world.users["approver_a"]
    services.order_verify(actor=approver, order_id=order.pk, verdict="genuine", note="属实")
    services.order_rectify(actor=approver, order_id=order.pk, measures="已整改")
    assert _code(lambda: services.order_revisit(actor=agent, order_id=order.pk, level="satisfied", method="phone")) == (
        ErrorCode.VALIDATION  # the call must be written down
    )
    services.order_revisit(
        actor=agent, order_id=order.pk, level="basically_satisfied", method="phone", note="电话回访，群众认可"
    )
    order.refresh_from_db()
    assert (order.state, order.revisit_method, order.revisited_by_id) == (OrderState.CLOSED, "phone", agent.pk)


def test_the_responsible_department_cannot_revisit_itself(world, order):
    approver = world.users["approver_a"]
    services.order_verify(actor=approver, order_id=order.pk, verdict="genuine", note="属实")
    services.order_rectify(actor=approver, order_id=order.pk, measures="已整改")
    for username in ("approver_a", "deptadmin_a"):
        code = _code(
            lambda u=username: services.order_revisit(
                actor=world.users[u], order_id=order.pk, level="very_satisfied", method="phone", note="满意"
            )
        )
        assert code == ErrorCode.PERMISSION_DENIED
    assert _code(
        lambda: services.order_revisit(actor=world.users["citizen_other"], order_id=order.pk, level="satisfied")
    ) == (ErrorCode.NOT_FOUND)
    assert _state(order) == OrderState.REVISITING


def test_who_may_verify(world, order):
    note = {"verdict": "genuine", "note": "属实"}
    # The rated clerk may not judge the rating of himself; other departments and regions do not see it.
    assert _code(lambda: services.order_verify(actor=world.users["clerk_a"], order_id=order.pk, **note)) in (
        ErrorCode.PERMISSION_DENIED,
        ErrorCode.NOT_FOUND,
    )
    assert (
        _code(lambda: services.order_verify(actor=world.users["clerk_b"], order_id=order.pk, **note))
        == ErrorCode.NOT_FOUND
    )
    assert _code(lambda: services.order_verify(actor=world.users["supervisor"], order_id=order.pk, **note)) == (
        ErrorCode.PERMISSION_DENIED
    )
    assert _code(lambda: services.order_verify(actor=world.users["citizen_owner"], order_id=order.pk, **note)) == (
        ErrorCode.PERMISSION_DENIED
    )
    assert _state(order) == OrderState.VERIFYING
    services.order_verify(actor=world.users["deptadmin_a"], order_id=order.pk, **note)
    assert _state(order) == OrderState.RECTIFYING


def test_a_second_verification_is_refused(world, order):
    services.order_verify(actor=world.users["approver_a"], order_id=order.pk, verdict="genuine", note="属实")
    code = _code(
        lambda: services.order_verify(
            actor=world.users["deptadmin_a"], order_id=order.pk, verdict="mistaken", note="误评"
        )
    )
    assert code == ErrorCode.INVALID_STATE
    order.refresh_from_db()
    assert (order.verdict, order.verified_by_id) == ("genuine", world.users["approver_a"].pk)


def test_an_appeal_upheld_goes_back_to_rectification(world, order):
    services.order_verify(actor=world.users["approver_a"], order_id=order.pk, verdict="mistaken", note="群众误选")
    assert _state(order) == OrderState.APPEALING
    assert (
        _code(
            lambda: services.order_review(actor=world.users["approver_a"], order_id=order.pk, decision="void", note="x")
        )
        == ErrorCode.PERMISSION_DENIED
    )
    services.order_review(actor=world.users["admin"], order_id=order.pk, decision="uphold", note="证据不足，维持评价")
    assert _state(order) == OrderState.RECTIFYING


def test_an_appeal_granted_voids_the_rating_and_it_stops_counting(world, order):
    services.order_verify(
        actor=world.users["approver_a"], order_id=order.pk, verdict="malicious", note="录像显示服务规范"
    )
    services.order_review(actor=world.users["supervisor"], order_id=order.pk, decision="void", note="恶意差评成立")
    order.refresh_from_db()
    assert order.state == OrderState.VOIDED
    assert order.evaluation.voided_at is not None
    _, total = stats.evaluation_stats(user=world.users["supervisor"])
    assert (total.rated, total.bad, total.orders, total.verified, total.to_rectify) == (0, 0, 1, 1, 0)
    assert total.verify_rate == 100.0 and total.rectify_rate is None


def test_overdue_orders_escalate_once_per_level(world, order, moment):
    assert order.due == dt.date(2026, 3, 23)
    assert services.orders_escalate_overdue(on=dt.date(2026, 3, 23)) == 0  # due today: not yet overdue
    assert services.orders_escalate_overdue(on=dt.date(2026, 3, 24)) == 1
    assert services.orders_escalate_overdue(on=dt.date(2026, 3, 25)) == 0
    assert services.orders_escalate_overdue(on=dt.date(2026, 3, 30)) == 1  # five working days late
    assert list(OrderEscalation.objects.order_by("level").values_list("level", "overdue_workdays")) == [(1, 1), (2, 5)]
    assert order.events.filter(action="escalate").count() == 2
    services.order_verify(actor=world.users["approver_a"], order_id=order.pk, verdict="genuine", note="属实")
    services.order_rectify(actor=world.users["approver_a"], order_id=order.pk, measures="已整改")
    assert services.orders_escalate_overdue(on=dt.date(2026, 4, 30)) == 0  # rectified: no longer escalates


def test_a_citizen_still_dissatisfied_after_rectification_becomes_a_12345_complaint(world, order):
    from yiwang.hotline.models import Ticket

    approver, citizen = world.users["approver_a"], world.users["citizen_owner"]
    services.order_verify(actor=approver, order_id=order.pk, verdict="genuine", note="属实")
    services.order_rectify(actor=approver, order_id=order.pk, measures="已提醒")
    assert not Ticket.objects.exists()
    services.order_revisit(actor=citizen, order_id=order.pk, level="dissatisfied", note="问题没有解决")
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.ticket_type, ticket.external_ref) == (
        "evaluation",
        "complaint",
        f"evaluation:{order.pk}",
    )
    assert "问题没有解决" in ticket.content and "已提醒" in ticket.content
    assert _state(order) == OrderState.CLOSED
