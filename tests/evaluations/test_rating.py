"""Rating a service: five levels with no default, 差评 need a reason, one evaluation per event and person,
changeable within the period and not after, nobody rates for anyone else, and a bad rating opens its order."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.evaluations import services
from yiwang.evaluations.choices import OrderState
from yiwang.evaluations.models import Evaluation, EvaluationRevision, RectificationOrder
from yiwang.testing.evaluations import accepted_case, event_of, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(world, person_item):
    return event_of(accepted_case(world, person_item))


def _error(call) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def test_a_good_rating_is_stored_as_an_unambiguous_word_and_opens_nothing(world, event, moment):
    evaluation, created = rate(world, event, "satisfied", text="窗口服务热情")
    assert created
    row = Evaluation.objects.get(pk=evaluation.pk)
    assert (row.level, row.channel, row.reasons, row.text) == ("satisfied", "pc", [], "窗口服务热情")
    assert row.change_until == moment.at + dt.timedelta(days=7)
    assert not RectificationOrder.objects.exists()
    assert list(EvaluationRevision.objects.values_list("level", "note")) == [("satisfied", "首次评价")]
    assert AuditEvent.objects.filter(action="evaluation.rate", object_id=str(row.pk)).count() == 1


def test_there_is_no_default_level(world, event):
    for level in ("", None, "good", "5"):
        error = _error(lambda level=level: rate(world, event, level))
        assert (error.code, error.field) == (ErrorCode.VALIDATION, "level")
    assert not Evaluation.objects.exists()


def test_a_bad_rating_needs_a_reason_or_text(world, event):
    error = _error(lambda: rate(world, event, "dissatisfied", reasons=[], text="  "))
    assert (error.code, error.field) == (ErrorCode.VALIDATION, "reasons")
    assert "差评原因" in error.message
    error = _error(lambda: rate(world, event, "very_dissatisfied", reasons=["bogus"]))
    assert (error.code, error.field) == (ErrorCode.VALIDATION, "reasons")
    evaluation, _ = rate(world, event, "very_dissatisfied", reasons=[], text="等了两个小时")
    assert evaluation.text == "等了两个小时"


def test_a_bad_rating_opens_an_order_for_the_responsible_department(world, event):
    evaluation, _ = rate(world, event, "very_dissatisfied", reasons=["attitude", "slow"])
    order = RectificationOrder.objects.get(evaluation=evaluation)
    assert (order.state, order.department_id, order.staff_id, order.due) == (
        OrderState.VERIFYING,
        world.dept_a_market.pk,
        world.users["clerk_a"].pk,
        dt.date(2026, 3, 23),  # 15 working days after Monday 2 March 2026
    )
    assert list(order.events.values_list("action", "to_state")) == [("open", "verifying")]


def test_the_deadline_is_configurable(world, event, settings):
    settings.YIWANG_EVALUATION_RECTIFY_WORKDAYS = 5
    evaluation, _ = rate(world, event, "dissatisfied")
    assert RectificationOrder.objects.get(evaluation=evaluation).due == dt.date(2026, 3, 9)


def test_rating_again_within_the_period_changes_the_one_evaluation(world, event, moment):
    first, _ = rate(world, event, "satisfied")
    moment.move(days=6, hours=23)
    second, created = rate(world, event, "very_satisfied", channel="mobile")
    assert not created and second.pk == first.pk
    assert Evaluation.objects.count() == 1
    row = Evaluation.objects.get()
    assert (row.level, row.channel, row.change_count) == ("very_satisfied", "mobile", 1)
    assert list(row.revisions.values_list("level", "note")) == [
        ("satisfied", "首次评价"),
        ("very_satisfied", "修改评价"),
    ]


def test_no_change_after_the_period(world, event, moment):
    rate(world, event, "satisfied")
    moment.move(days=7, seconds=1)
    error = _error(lambda: rate(world, event, "dissatisfied"))
    assert error.code == ErrorCode.INVALID_STATE and "7天内" in error.message
    assert Evaluation.objects.get().level == "satisfied"
    assert not RectificationOrder.objects.exists()


def test_the_change_period_is_configurable(world, event, moment, settings):
    settings.YIWANG_EVALUATION_CHANGE_DAYS = 1
    rate(world, event, "satisfied")
    moment.move(days=1, seconds=1)
    assert _error(lambda: rate(world, event, "very_satisfied")).code == ErrorCode.INVALID_STATE


def test_an_event_not_rated_in_time_leaves_the_list_and_cannot_be_rated(world, event, moment):
    moment.move(days=31)
    assert _error(lambda: rate(world, event, "satisfied")).code == ErrorCode.INVALID_STATE
    assert not Evaluation.objects.exists()


def test_changing_to_bad_opens_an_order_and_back_to_good_withdraws_it_before_verification(world, event):
    rate(world, event, "satisfied")
    evaluation, _ = rate(world, event, "dissatisfied")
    order = RectificationOrder.objects.get(evaluation=evaluation)
    assert order.state == OrderState.VERIFYING
    rate(world, event, "basically_satisfied")
    order.refresh_from_db()
    assert order.state == OrderState.WITHDRAWN
    rate(world, event, "very_dissatisfied")
    assert RectificationOrder.objects.filter(evaluation=evaluation).count() == 2
    assert RectificationOrder.objects.filter(evaluation=evaluation, state=OrderState.VERIFYING).count() == 1


def test_a_verified_order_goes_on_when_the_rating_turns_good(world, event):
    evaluation, _ = rate(world, event, "dissatisfied")
    order = RectificationOrder.objects.get(evaluation=evaluation)
    services.order_verify(actor=world.users["approver_a"], order_id=order.pk, verdict="genuine", note="属实")
    rate(world, event, "satisfied")
    order.refresh_from_db()
    assert order.state == OrderState.RECTIFYING


def test_staff_can_never_rate_for_a_citizen(world, event):
    for username in ("clerk_a", "approver_a", "admin", "supervisor", "deptadmin_a"):
        error = _error(
            lambda u=username: services.evaluation_submit(
                actor=world.users[u], service_event_id=event.pk, level="very_satisfied", channel="pc"
            )
        )
        assert error.code == ErrorCode.PERMISSION_DENIED
    assert not Evaluation.objects.exists()


def test_another_citizen_cannot_rate_and_learns_nothing(world, event):
    error = _error(
        lambda: services.evaluation_submit(
            actor=world.users["citizen_other"], service_event_id=event.pk, level="very_satisfied", channel="pc"
        )
    )
    assert error.code == ErrorCode.NOT_FOUND
    assert not Evaluation.objects.exists()


def test_an_online_rating_cannot_claim_a_hall_channel(world, event):
    error = _error(lambda: rate(world, event, "satisfied", channel="hall_tablet"))
    assert (error.code, error.field) == (ErrorCode.VALIDATION, "channel")


def test_a_voided_rating_cannot_be_changed(world, event):
    evaluation, _ = rate(world, event, "very_dissatisfied")
    order = RectificationOrder.objects.get(evaluation=evaluation)
    services.order_verify(actor=world.users["approver_a"], order_id=order.pk, verdict="malicious", note="无理取闹")
    services.order_review(actor=world.users["supervisor"], order_id=order.pk, decision="void", note="经查证为恶意差评")
    assert _error(lambda: rate(world, event, "satisfied")).code == ErrorCode.INVALID_STATE
