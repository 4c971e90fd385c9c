"""Demo cases (all fictional): cases of 兰山区 in every state, so the workbench queues and the citizen's
“我的办件” have something to show right after ``make run``.

Made through the services, like real cases, on a clock moved back in time (``clock.travel``) so that
some are yellow and some red today. Idempotent: once any case exists, nothing is added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.accounts.models import LegalPerson, NaturalPerson, User
from yiwang.accounts.services import person_id_number, phone_of
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode, CaseState, Channel, Decision, StepState
from yiwang.cases.exemptions import exemption_find
from yiwang.cases.models import Case
from yiwang.catalog.models import ItemVersion
from yiwang.core import clock
from yiwang.core.errors import DomainError
from yiwang.core.pdf import render_notice
from yiwang.files.services import upload_create
from yiwang.regions.models import Window
from yiwang.workdays.calendar import add_workdays

COUNTY_CODE = "371302"  # 兰山区


@dataclass(frozen=True)
class CasesDemoSummary:
    created: bool
    cases: int
    by_state: dict[str, int]


def sample_form(
    fields: list[dict[str, Any]], *, person: NaturalPerson, enterprise: LegalPerson | None
) -> dict[str, Any]:
    """A valid answer to any generated form, from the applicant's own data (for the demo and benchmarks)."""
    answer: dict[str, Any] = {}
    for field in fields:
        kind = field["type"]
        if kind == "group":
            rows = max(int(field.get("min_items") or 0), 1)
            answer[field["key"]] = [
                sample_form(field.get("fields") or [], person=person, enterprise=enterprise) for _ in range(rows)
            ]
            continue
        if kind == "file":
            continue
        value: Any
        match kind:
            case "number":
                value = 1
            case "date":
                value = timezone.localdate(clock.now()).isoformat()
            case "select":
                value = (field.get("options") or ["是"])[0]
            case "id_number":
                value = person_id_number(person)
            case "uscc":
                value = enterprise.uscc if enterprise else "91110000MA01ABCD52"
            case "region":
                value = COUNTY_CODE
            case "phone":
                value = phone_of(person) or "13805390199"
            case "address":
                value = "山东省临沂市兰山区金雀山路8号"
            case _:
                label = field.get("label", "")
                value = (
                    person.name
                    if ("姓名" in label or "申请人" in label)
                    else (enterprise.name if enterprise and ("名称" in label) else "示例内容")
                )
                value = value[: int(field.get("max_length") or 500)]
        answer[field["key"]] = value
    return answer


def _demo_pdf(title: str) -> bytes:
    return render_notice(
        title=title,
        number="演示材料",
        addressee="",
        paragraphs=["本文件为演示用材料，内容均为虚构。"],
        issuer="一网 Yiwang 演示",
        issued_on=timezone.localdate(clock.now()),
    )


def _materials(
    user: User,
    version: ItemVersion,
    *,
    skip_deferrable: bool,
    person: NaturalPerson | None = None,
    enterprise: LegalPerson | None = None,
) -> dict[str, list[int]]:
    """Uploads for what the applicant must hand in: everything but what the platform obtains itself (免提交 —
    an e-licence the applicant holds, a data share), asked exactly as ``case_submit`` asks."""
    uploads: dict[str, list[int]] = {}
    for material in version.content.get("materials") or []:
        if exemption_find(person=person, enterprise=enterprise, material=material) is not None:
            continue
        if skip_deferrable and material.get("necessity") == "deferrable":
            continue
        if material.get("necessity") == "optional":
            continue
        upload = upload_create(actor=user, name=f"{material['name']}.pdf", data=_demo_pdf(material["name"]))
        uploads[material["code"]] = [upload.pk]
    return uploads


def cases_demo_is_loaded() -> bool:
    return Case.objects.exists()


def cases_demo_load() -> CasesDemoSummary:
    """Create the demo cases unless any case exists. Needs the demo region and catalog."""
    created = not cases_demo_is_loaded()
    if created:
        with transaction.atomic():
            _load()
    by_state = {state.label: Case.objects.filter(state=state).count() for state in CaseState}
    return CasesDemoSummary(created=created, cases=Case.objects.count(), by_state=by_state)


def _load() -> None:
    citizen = User.objects.get(username="citizen")
    clerk = User.objects.get(username="clerk")
    approver = User.objects.get(username="approver")
    person = NaturalPerson.objects.get(user=citizen)
    window = Window.objects.filter(venue__name="兰山区政务服务中心", number="A01").first()
    enterprise = LegalPerson.objects.filter(legal_representative=person).first()
    in_effect = ItemVersion.objects.filter(effective_until__isnull=True, is_instant=False, auto_approval=False)
    market = list(
        in_effect.filter(department__name="兰山区市场监督管理局", for_organisations=True).order_by("name")[:6]
    )
    personal = list(in_effect.filter(department__region__code=COUNTY_CODE, for_persons=True).order_by("name")[:6])
    today = timezone.localdate(clock.now())
    # (working days ago, what happens, for the enterprise?) — old enough cases turn yellow or red today.
    plan = [
        (0, "submitted", True),
        (0, "submitted", False),
        (1, "supplement", True),
        (1, "review", True),
        (2, "review", True),
        (4, "decide", True),
        (6, "review", True),
        (9, "decide", True),
        (3, "closed", True),
        (2, "window", False),
        (1, "review", False),
        (5, "rejected", False),
        (4, "closed", False),
    ]
    for index, (days_ago, outcome, for_enterprise) in enumerate(plan):
        pool = market if for_enterprise and enterprise is not None else personal
        if not pool:
            continue
        version = pool[index % len(pool)]
        day = add_workdays(today, -days_ago) if days_ago else today
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30 + index)))
        with clock.travel(moment):
            try:
                _one(
                    version,
                    outcome,
                    citizen=citizen,
                    clerk=clerk,
                    approver=approver,
                    person=person,
                    enterprise=enterprise if pool is market else None,
                    window=window,
                )
            except DomainError:
                continue  # an item whose rules need something the demo lacks: skip it, keep the others


def _one(
    version: ItemVersion,
    outcome: str,
    *,
    citizen: User,
    clerk: User,
    approver: User,
    person: NaturalPerson,
    enterprise: LegalPerson | None,
    window: Window | None,
) -> None:
    form = sample_form(version.content.get("form") or [], person=person, enterprise=enterprise)
    if outcome == "window":
        case = services.case_submit(
            actor=clerk,
            channel=Channel.WINDOW,
            item_id=version.item_id,
            form=form,
            person_id=person.pk,
            window_id=window.pk if window else None,
            materials=_materials(clerk, version, skip_deferrable=False, person=person),
        )
    else:
        case = services.case_submit(
            actor=citizen,
            item_id=version.item_id,
            form=form,
            enterprise_id=enterprise.pk if enterprise else None,
            materials=_materials(citizen, version, skip_deferrable=False, person=person, enterprise=enterprise),
        )
    if outcome == "submitted":
        return
    if outcome == "supplement":
        first = case.materials.first()
        items = [{"code": first.code, "problem": "复印件不清晰，请重新上传清晰的扫描件"}] if first else []
        items.append({"name": "申请表", "problem": "联系地址请写到门牌号"})
        services.case_request_supplement(actor=clerk, case_id=case.pk, items=items)
        return
    if outcome == "rejected":
        services.case_reject(actor=clerk, case_id=case.pk, reason="申请事项不属于本机关职权范围，请向属地乡镇申请")
        return
    mode = AcceptMode.COMMITMENT if version.commitment else AcceptMode.NORMAL
    services.case_accept(actor=clerk, case_id=case.pk, mode=mode, commitment_signed=mode == AcceptMode.COMMITMENT)
    if outcome in ("review", "window"):
        return
    case.refresh_from_db()
    if case.state != CaseState.HANDLING:
        return
    while True:
        step = case.steps.filter(state=StepState.OPEN, is_final=False).first()
        if step is None:
            break
        services.case_step_complete(actor=approver, case_id=case.pk, step_id=step.pk, opinion="材料齐全，符合法定条件")
    if outcome == "decide":
        return
    services.case_decide(actor=approver, case_id=case.pk, decision=Decision.APPROVE, reason="")
