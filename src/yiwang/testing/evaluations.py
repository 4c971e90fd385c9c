"""Helpers of the 好差评 tests: cases whose services are rateable, a 12345 agent, a paired hall tablet."""

from __future__ import annotations

from typing import Any

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.models import User
from yiwang.accounts.services import staff_assign, staff_create
from yiwang.cases import services as case_services
from yiwang.cases.choices import AcceptMode, Decision, StepState
from yiwang.cases.models import Case
from yiwang.catalog.models import ServiceItem
from yiwang.evaluations import services
from yiwang.evaluations.choices import Channel, ServiceKind
from yiwang.evaluations.models import HallDevice, ServiceEvent
from yiwang.files.services import upload_create
from yiwang.testing.cases import valid_form
from yiwang.testing.world import PASSWORD, World

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def hotline_agent(world: World, username: str = "hotline_a") -> User:
    """A 12345 话务员 of the city's administration (records 回访 by phone)."""
    user = staff_create(
        actor=None, username=username, password=PASSWORD, display_name="测试话务员", department=world.city_admin_dept
    )
    staff_assign(actor=None, user=user, role=StaffRole.HOTLINE_AGENT)
    world.users[username] = user
    return user


def accepted_case(world: World, item: ServiceItem, *, key: str = "") -> Case:
    """A case of citizen_owner, submitted online with every material and accepted by clerk_a."""
    citizen = world.users["citizen_owner"]
    premises = upload_create(actor=citizen, name="场所.pdf", data=PDF + key.encode() + b"premises")
    photo = upload_create(actor=citizen, name="照片.pdf", data=PDF + key.encode() + b"photo")
    case = case_services.case_submit(
        actor=citizen,
        item_id=item.pk,
        form=valid_form(),
        materials={"premises": [premises.pk], "photo": [photo.pk]},
        idempotency_key=key,
    )
    case_services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.NORMAL)
    case.refresh_from_db()
    return case


def closed_case(world: World, item: ServiceItem, *, key: str = "") -> Case:
    """Accepted, reviewed and approved by approver_a; electronic delivery closes it at once."""
    case = accepted_case(world, item, key=key)
    approver = world.users["approver_a"]
    while (step := case.steps.filter(state=StepState.OPEN, is_final=False).first()) is not None:
        case_services.case_step_complete(actor=approver, case_id=case.pk, step_id=step.pk, opinion="材料齐全")
    case_services.case_decide(actor=approver, case_id=case.pk, decision=Decision.APPROVE, reason="")
    case.refresh_from_db()
    return case


def event_of(case: Case, kind: str = ServiceKind.ACCEPT) -> ServiceEvent:
    return ServiceEvent.objects.get(case=case, kind=kind)


def paired_tablet(world: World, *, name: str = "A01评价平板") -> tuple[HallDevice, str]:
    """A tablet of window A01, registered by the platform admin and paired; returns it and its token."""
    device, code = services.hall_device_register(
        actor=world.users["admin"], window_id=world.window_a1.pk, name=name, channel=Channel.HALL_TABLET
    )
    device, token = services.hall_device_pair(code=code)
    return device, token


def rate(world: World, event: ServiceEvent, level: str, **kwargs: Any):
    kwargs.setdefault("channel", Channel.PC)
    if level in ("dissatisfied", "very_dissatisfied"):
        kwargs.setdefault("reasons", ["attitude"])
    return services.evaluation_submit(
        actor=world.users["citizen_owner"], service_event_id=event.pk, level=level, **kwargs
    )
