"""A case from submission to closure through the services, with exact states, events and deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.cases import services
from yiwang.cases.choices import AcceptMode, CaseState, Decision, DeliveryMethod, MaterialStatus, StepState
from yiwang.cases.models import CaseEvent
from yiwang.core import clock
from yiwang.testing.cases import valid_form

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, Monday 2 March 2026


@pytest.fixture(autouse=True)
def _monday(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)


def test_online_case_runs_from_submission_to_closure(world, person_item, upload_for):
    citizen, clerk, approver = world.users["citizen_owner"], world.users["clerk_a"], world.users["approver_a"]
    premises = upload_for()
    case = services.case_submit(
        actor=citizen,
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [premises.pk]},
        idempotency_key="k-1",
    )
    assert case.state == CaseState.SUBMITTED
    assert case.number.startswith(person_item.code + "20260302")
    assert len(case.number) == len(person_item.code) + 12
    statuses = dict(case.materials.values_list("code", "status"))
    assert statuses == {
        "id_card": MaterialStatus.EXEMPT,
        "premises": MaterialStatus.PROVIDED,
        "photo": MaterialStatus.ABSENT,
    }

    again = services.case_submit(
        actor=citizen,
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [premises.pk]},
        idempotency_key="k-1",
    )
    assert again.pk == case.pk

    services.case_accept(actor=clerk, case_id=case.pk, mode=AcceptMode.DEFERRED)
    case.refresh_from_db()
    assert case.state == CaseState.HANDLING
    assert case.promise_due == dt.date(2026, 3, 9)  # 5 working days after Monday 2 March
    assert case.legal_due == dt.date(2026, 3, 30)  # 20 working days
    assert case.warn_on == dt.date(2026, 3, 6)
    assert case.deferred_due == dt.date(2026, 3, 9)
    review = case.steps.get(state=StepState.OPEN)
    assert (review.name, review.due) == ("审核", dt.date(2026, 3, 5))

    services.case_step_complete(actor=approver, case_id=case.pk, step_id=review.pk, opinion="材料齐全，符合条件")
    final = case.steps.get(state=StepState.OPEN)
    assert final.name == "办结" and final.is_final
    services.case_decide(actor=approver, case_id=case.pk, decision=Decision.APPROVE, reason="")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED  # electronic delivery closes at once
    assert case.delivery_method == DeliveryMethod.ELECTRONIC
    actions = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True))
    assert actions == ["submit", "accept", "step_complete", "decide", "close"]
