"""Rateable service events are made from the case's events (一事一评), once each, with who is responsible;
a fault in 好差评 never breaks a case transition, and the sweep makes what the signal missed."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.cases import services as case_services
from yiwang.cases.choices import Channel as CaseChannel
from yiwang.cases.models import CaseEvent
from yiwang.evaluations import services
from yiwang.evaluations.choices import ServiceKind
from yiwang.evaluations.models import ServiceEvent, SyncCursor
from yiwang.files.services import upload_create
from yiwang.testing.cases import valid_form
from yiwang.testing.evaluations import PDF, accepted_case, closed_case

pytestmark = pytest.mark.django_db


def test_accept_and_close_make_one_rateable_event_each_for_the_applicant(world, person_item):
    case = closed_case(world, person_item)
    rows = list(
        ServiceEvent.objects.filter(case=case)
        .order_by("occurred_at", "id")
        .values_list("kind", "rater_id", "staff_id", "department_id", "item_id", "window_id", "title")
    )
    citizen = world.users["citizen_owner"].pk
    assert rows == [
        (
            ServiceKind.ACCEPT,
            citizen,
            world.users["clerk_a"].pk,
            world.dept_a_market.pk,
            person_item.pk,
            None,
            "个体工商户登记（设立）",
        ),
        (
            ServiceKind.CLOSE,
            citizen,
            world.users["approver_a"].pk,
            world.dept_a_market.pk,
            person_item.pk,
            None,
            "个体工商户登记（设立）",
        ),
    ]
    event = ServiceEvent.objects.get(case=case, kind=ServiceKind.ACCEPT)
    assert event.rate_until - event.occurred_at == dt.timedelta(days=30)
    assert event.case_event.action == "accept"


def test_reject_and_supplement_notice_are_rateable_too(world, person_item):
    citizen = world.users["citizen_owner"]
    premises = upload_create(actor=citizen, name="场所.pdf", data=PDF + b"x")
    first = case_services.case_submit(
        actor=citizen, item_id=person_item.pk, form=valid_form(), materials={"premises": [premises.pk]}
    )
    case_services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=first.pk, items=[{"code": "premises", "problem": "不清晰"}]
    )
    second = case_services.case_submit(
        actor=citizen, item_id=person_item.pk, form=valid_form(), materials={"premises": [premises.pk]}
    )
    case_services.case_reject(actor=world.users["clerk_a"], case_id=second.pk, reason="不属于本机关职权范围")
    assert list(ServiceEvent.objects.filter(case=first).values_list("kind", flat=True)) == [ServiceKind.SUPPLEMENT]
    assert list(ServiceEvent.objects.filter(case=second).values_list("kind", flat=True)) == [ServiceKind.ACCEPT]


def test_a_window_case_names_its_window(world, person_item):
    clerk = world.users["clerk_a"]
    case = case_services.case_submit(
        actor=clerk,
        channel=CaseChannel.WINDOW,
        item_id=person_item.pk,
        form=valid_form(),
        person_id=world.persons["owner"].pk,
        window_id=world.window_a1.pk,
        paper={"premises": [1, 0], "photo": [1, 0]},
    )
    case_services.case_accept(actor=clerk, case_id=case.pk, mode="normal")
    event = ServiceEvent.objects.get(case=case, kind=ServiceKind.ACCEPT)
    assert (event.window_id, event.rater_id) == (world.window_a1.pk, world.users["citizen_owner"].pk)


def test_submission_and_steps_are_not_rateable(world, person_item):
    case = accepted_case(world, person_item)
    actions = set(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == {"submit", "accept"}
    assert ServiceEvent.objects.filter(case=case).count() == 1


def test_a_fault_in_evaluations_never_breaks_the_case_and_the_sweep_repairs_it(world, person_item, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("evaluations is broken")

    monkeypatch.setattr(services, "service_event_record_for_case_event", broken)
    case = accepted_case(world, person_item)
    assert case.state == "handling"
    assert not ServiceEvent.objects.filter(case=case).exists()
    monkeypatch.undo()
    assert services.service_events_sync() == 1
    assert ServiceEvent.objects.filter(case=case, kind=ServiceKind.ACCEPT).count() == 1
    assert SyncCursor.objects.get(name="case_events").position == CaseEvent.objects.order_by("-pk").first().pk
    assert services.service_events_sync() == 0  # nothing new, nothing twice


def test_recording_a_case_event_twice_makes_one_service_event(world, person_item):
    case = accepted_case(world, person_item)
    accept = CaseEvent.objects.get(case=case, action="accept")
    again = services.service_event_record_for_case_event(case_event=accept)
    assert again == ServiceEvent.objects.get(case=case)


def test_payment_kind_is_supported_for_a_future_payment_module(world, person_item):
    case = accepted_case(world, person_item)
    event = services.service_event_record_payment(case_id=case.pk, staff_id=world.users["clerk_a"].pk)
    assert (event.kind, event.get_kind_display(), event.rater_id) == (
        "payment",
        "缴费",
        world.users["citizen_owner"].pk,
    )
