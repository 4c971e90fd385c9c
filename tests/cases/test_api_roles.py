"""The role matrix on every cases endpoint (the issue's reliability test): citizens see only their own cases,
clerks only their region, approvers only their department, the supervisor views and urges only.

For a case of 兰山区市场监督管理局 applied for by citizen_owner:

- ``citizen_owner`` sees it and acts as the applicant; ``citizen_other`` gets 404, as for no case at all;
- ``clerk_a`` (综合窗口, 兰山区) may accept, refuse, ask for 补正 and hand the result over;
- ``clerk_b`` (罗庄区) gets 404; ``approver_a`` (审批, 市场监管局) reviews and decides; ``supervisor``
  (临沂市监察) views and urges; ``anonymous`` gets 401.

Each request is sent by every persona, the refused ones first; after each refusal the test asserts that
nothing changed (state, events, steps, materials, notices, procedures, urges, checks, drafts, cases).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.test import Client

from tests.cases.test_api import (
    API,
    Clock,
    accepted_case,
    at_final_step,
    decided_for_pickup,
    login,
    moment,  # noqa: F401 - autouse fixture: the frozen clock
    open_step,
    post,
    submit_case,
)
from tests.cases.test_api import _empty_cache as _empty_cache
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode
from yiwang.cases.models import ApplicationDraft, Case, CaseEvent
from yiwang.catalog.models import ServiceItem
from yiwang.testing.cases import published_item, valid_form
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

PERSONAS = ("citizen_owner", "citizen_other", "clerk_a", "clerk_b", "approver_a", "supervisor", "anonymous")


def snapshot(case: Case | None = None) -> tuple[Any, ...]:
    """Everything a case request could change."""
    cases = tuple(Case.objects.order_by("id").values_list("id", "state", "last_event_seq", "delivery_method"))
    drafts = tuple(ApplicationDraft.objects.order_by("id").values_list("id", "revision"))
    if case is None:
        return cases, drafts, CaseEvent.objects.count()
    return (
        cases,
        drafts,
        tuple(case.events.values_list("seq", "action")),
        tuple(case.steps.order_by("id").values_list("id", "state", "assignee_id", "opinion")),
        tuple(case.materials.order_by("id").values_list("code", "status", "problem")),
        tuple(case.notices.values_list("id", "answered_at")),
        tuple(case.special_procedures.values_list("id", "ended_at")),
        tuple(case.urges.values_list("id", "responded_at")),
        tuple(case.__class__.objects.filter(pk=case.pk).values_list("commitment_check__state")),
    )


def check(
    world: World,
    request: Callable[[Client], Any],
    expected: Mapping[str, int],
    *,
    case: Case | None = None,
) -> dict[str, Any]:
    """Send ``request`` as every persona, refused ones first; assert each status, that every refusal is
    problem+json with a Chinese message, and that a refusal changed nothing."""
    assert set(expected) == set(PERSONAS), "state every persona"
    responses: dict[str, Any] = {}
    failures: list[str] = []
    for persona in sorted(PERSONAS, key=lambda p: expected[p] < 400):
        client = login(None if persona == "anonymous" else world.users[persona])
        before = snapshot(case)
        response = request(client)
        responses[persona] = response
        if response.status_code != expected[persona]:
            failures.append(
                f"{persona}: expected {expected[persona]}, got {response.status_code} {response.content[:300].decode()}"
            )
        elif response.status_code >= 400:
            if response["Content-Type"] != "application/problem+json" or not response.json()["detail"]:
                failures.append(f"{persona}: refusal is not problem+json")
            if snapshot(case) != before:
                failures.append(f"{persona}: refused with {response.status_code} but the data changed")
    assert not failures, "role matrix failed:\n" + "\n".join(failures)
    return responses


VIEWERS = {
    "citizen_owner": 200,
    "citizen_other": 404,
    "clerk_a": 200,
    "clerk_b": 404,
    "approver_a": 200,
    "supervisor": 200,
    "anonymous": 401,
}


def acceptor(status: int = 200) -> dict[str, int]:
    """Window work (受理, 不予受理, 补正告知, 出件): clerk_a only."""
    return {
        "citizen_owner": 403,
        "citizen_other": 404,
        "clerk_a": status,
        "clerk_b": 404,
        "approver_a": 403,
        "supervisor": 403,
        "anonymous": 401,
    }


def handler(status: int = 200) -> dict[str, int]:
    """Back-office work (审核, 决定, 特别程序, 核查, 督办反馈): approver_a only."""
    return {
        "citizen_owner": 403,
        "citizen_other": 404,
        "clerk_a": 403,
        "clerk_b": 404,
        "approver_a": status,
        "supervisor": 403,
        "anonymous": 401,
    }


# --- reading ---------------------------------------------------------------------------------------------


def test_case_detail(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    responses = check(world, lambda c: c.get(f"{API}/{case.pk}"), VIEWERS, case=case)
    assert responses["citizen_other"].json()["detail"] == "办件不存在或您无权查看"
    assert responses["clerk_b"].json() == responses["citizen_other"].json() | {"instance": f"{API}/{case.pk}"}
    assert responses["supervisor"].json()["actions"] == []
    assert responses["approver_a"].json()["actions"] == ["step_complete", "step_assign", "special_start", "extend"]


def test_notice_pdf(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    notice = case.notices.get()
    responses = check(world, lambda c: c.get(f"{API}/{case.pk}/notices/{notice.pk}.pdf"), VIEWERS, case=case)
    assert responses["citizen_owner"].content.startswith(b"%PDF")


def test_my_cases(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    everyone = {p: 200 for p in PERSONAS} | {"anonymous": 401}
    responses = check(world, lambda c: c.get(f"{API}/mine"), everyone)
    assert [r["id"] for r in responses["citizen_owner"].json()["items"]] == [case.pk]
    for persona in ("citizen_other", "clerk_a", "clerk_b", "approver_a", "supervisor"):
        assert responses[persona].json()["count"] == 0, persona


def test_staff_lists_show_only_the_scope(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    staff_only = {
        "citizen_owner": 403,
        "citizen_other": 403,
        "clerk_a": 200,
        "clerk_b": 200,
        "approver_a": 200,
        "supervisor": 200,
        "anonymous": 401,
    }
    sync = check(world, lambda c: c.get(f"{API}"), staff_only)
    events = check(world, lambda c: c.get(f"{API}/events"), staff_only)
    to_review_queue = check(world, lambda c: c.get(f"{API}/queues/to_review"), staff_only)
    lights = check(world, lambda c: c.get(f"{API}/stats/lights"), staff_only)
    counts = check(world, lambda c: c.get(f"{API}/queues"), staff_only)
    for persona, sees in (("clerk_a", True), ("clerk_b", False), ("approver_a", True), ("supervisor", True)):
        assert [r["id"] for r in sync[persona].json()["items"]] == ([case.pk] if sees else []), persona
        assert {e["case_id"] for e in events[persona].json()["events"]} == ({case.pk} if sees else set()), persona
        assert lights[persona].json()["total"]["total"] == (1 if sees else 0), persona
    # 待审核 is the approvers' queue: the window and the supervisor have no 审批 rights.
    assert [r["id"] for r in to_review_queue["approver_a"].json()["items"]] == [case.pk]
    for persona in ("clerk_a", "clerk_b", "supervisor"):
        assert to_review_queue[persona].json()["count"] == 0, persona
    to_review = {p: {r["name"]: r["count"] for r in counts[p].json()}["to_review"] for p in ("approver_a", "clerk_a")}
    assert to_review == {"approver_a": 1, "clerk_a": 0}


def test_public_lookup_needs_no_account(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    everyone = {p: 200 for p in PERSONAS}
    check(world, lambda c: c.get(f"{API}/lookup", {"number": case.number, "code": case.lookup_code}), everyone)


# --- the applicant's side --------------------------------------------------------------------------------


def test_drafts(world: World, person_item: ServiceItem):
    url = f"{API}/drafts/{person_item.pk}"
    login(world.users["citizen_owner"]).put(url, {"form": {"shop_name": "甲"}}, content_type="application/json")
    responses = check(
        world,
        lambda c: c.get(url),
        {
            "citizen_owner": 200,
            "citizen_other": 404,
            "clerk_a": 404,
            "clerk_b": 404,
            "approver_a": 404,
            "supervisor": 404,
            "anonymous": 401,
        },
    )
    assert responses["citizen_owner"].json()["form"] == {"shop_name": "甲"}
    check(
        world,
        lambda c: c.put(url, {"form": {"shop_name": "乙"}, "revision": 1}, content_type="application/json"),
        {
            "citizen_owner": 200,
            "citizen_other": 200,  # his own draft of the same item
            "clerk_a": 403,
            "clerk_b": 403,
            "approver_a": 403,
            "supervisor": 403,
            "anonymous": 401,
        },
    )
    assert sorted(ApplicationDraft.objects.values_list("owner__username", "revision")) == [
        ("citizen_other", 1),
        ("citizen_owner", 2),
    ]


def test_submit_online(world: World, person_item: ServiceItem):
    body = {"item_id": person_item.pk, "form": valid_form(), "commitment_signed": True}
    check(
        world,
        lambda c: post(c, f"{API}", body),
        {
            "citizen_owner": 201,
            "citizen_other": 201,
            "clerk_a": 403,  # staff apply on the department channel, naming the applicant
            "clerk_b": 403,
            "approver_a": 403,
            "supervisor": 403,
            "anonymous": 401,
        },
    )


def test_submit_on_the_department_channel(world: World, person_item: ServiceItem):
    body = {"item_id": person_item.pk, "form": valid_form(), "channel": "api", "person_id": world.persons["owner"].pk}
    responses = check(
        world,
        lambda c: post(c, f"{API}", body),
        {
            "citizen_owner": 403,
            "citizen_other": 403,
            "clerk_a": 201,
            "clerk_b": 403,  # the item's department is outside his county
            "approver_a": 403,  # approvers do not accept
            "supervisor": 403,
            "anonymous": 401,
        },
    )
    assert responses["clerk_b"].json()["detail"] == "该事项的实施部门不在您的受理区划内"
    assert Case.objects.get().channel == "api"


def test_supplement(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=case.pk, items=[{"code": "premises", "problem": "不清晰"}]
    )
    new = upload_for(content=b"clear")
    responses = check(
        world,
        lambda c: post(c, f"{API}/{case.pk}/supplement", {"materials": {"premises": [new.pk]}}),
        {
            "citizen_owner": 200,
            "citizen_other": 404,
            "clerk_a": 422,  # may record a 补正 at the window, but not with the applicant's uploads
            "clerk_b": 404,
            "approver_a": 403,
            "supervisor": 403,
            "anonymous": 401,
        },
        case=case,
    )
    assert responses["clerk_a"].json()["errors"][0]["message"] == "文件不存在或不属于您，请重新上传"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("withdraw", {"reason": "不再需要"}),
        ("delivery", {"method": "electronic"}),
    ],
)
def test_applicant_only_actions(world: World, person_item: ServiceItem, upload_for, path: str, body: dict):
    case = accepted_case(world, person_item, upload_for)
    only_the_applicant = {
        "citizen_owner": 200,
        "citizen_other": 404,
        "clerk_a": 404,
        "clerk_b": 404,
        "approver_a": 404,
        "supervisor": 404,
        "anonymous": 401,
    }
    check(world, lambda c: post(c, f"{API}/{case.pk}/{path}", body), only_the_applicant, case=case)


def test_deferred_materials(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for, mode=AcceptMode.DEFERRED)
    photo = upload_for(content=b"photo")
    check(
        world,
        lambda c: post(c, f"{API}/{case.pk}/deferred-materials", {"materials": {"photo": [photo.pk]}}),
        {
            "citizen_owner": 200,
            "citizen_other": 404,
            "clerk_a": 422,  # may record paper at the window, but not the applicant's upload
            "clerk_b": 404,
            "approver_a": 403,
            "supervisor": 403,
            "anonymous": 401,
        },
        case=case,
    )


# --- the window ------------------------------------------------------------------------------------------


def test_accept(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    responses = check(world, lambda c: post(c, f"{API}/{case.pk}/accept", {}), acceptor(), case=case)
    assert responses["approver_a"].json()["detail"] == "您不能办理该办件（不在您的区划或部门范围内）"
    assert responses["clerk_a"].json()["state"] == "handling"


def test_reject(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    body = {"reason": "申请事项不属于本机关职权范围"}
    check(world, lambda c: post(c, f"{API}/{case.pk}/reject", body), acceptor(), case=case)


def test_request_supplement(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    body = {"items": [{"code": "premises", "problem": "复印件不清晰"}]}
    check(world, lambda c: post(c, f"{API}/{case.pk}/request-supplement", body), acceptor(), case=case)


def test_close(world: World, person_item: ServiceItem, upload_for):
    case = decided_for_pickup(world, person_item, upload_for)
    body = {"pickup_code": case.pickup_code}
    check(world, lambda c: post(c, f"{API}/{case.pk}/close", body), acceptor(), case=case)


# --- the back office -------------------------------------------------------------------------------------


def test_step_complete(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    url = f"{API}/{case.pk}/steps/{open_step(case).pk}/complete"
    responses = check(world, lambda c: post(c, url, {"opinion": "符合条件"}), handler(), case=case)
    assert responses["clerk_a"].json()["detail"] == "您不是环节“审核”办理机构的审批人员"


def test_step_return(world: World, person_item: ServiceItem, upload_for):
    case = at_final_step(world, person_item, upload_for)
    url = f"{API}/{case.pk}/steps/{open_step(case).pk}/return"
    check(world, lambda c: post(c, url, {"to_position": 1, "reason": "请补充意见"}), handler(), case=case)


def test_step_assign(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    url = f"{API}/{case.pk}/steps/{open_step(case).pk}/assign"
    check(world, lambda c: post(c, url, {"assignee_id": world.users["approver_a"].pk}), handler(), case=case)


def test_decide(world: World, person_item: ServiceItem, upload_for):
    case = at_final_step(world, person_item, upload_for)
    check(world, lambda c: post(c, f"{API}/{case.pk}/decide", {"decision": "approve"}), handler(), case=case)


def test_special_procedure_start_and_end(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    body = {"name": "专家评审", "reason": "技术复杂", "planned_days": 5}
    started = check(world, lambda c: post(c, f"{API}/{case.pk}/special-procedures", body), handler(201), case=case)
    url = f"{API}/{case.pk}/special-procedures/{started['approver_a'].json()['id']}/end"
    check(world, lambda c: post(c, url, {"result": "评审通过"}), handler(), case=case)


def test_extend(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    body = {"days": 5, "reason": "经局长批准延长审批"}
    check(world, lambda c: post(c, f"{API}/{case.pk}/extend", body), handler(201), case=case)


def test_commitment_check(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for, photo=False)
    services.case_accept(
        actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.COMMITMENT, commitment_signed=True
    )
    body = {"kept": True}
    check(world, lambda c: post(c, f"{API}/{case.pk}/commitment-check", body), handler(), case=case)


# --- supervision -----------------------------------------------------------------------------------------


def test_urge_and_respond(world: World, person_item: ServiceItem, upload_for, moment: Clock):  # noqa: F811
    case = accepted_case(world, person_item, upload_for)
    moment.day(2026, 3, 10)  # red
    urged = check(
        world,
        lambda c: post(c, f"{API}/{case.pk}/urges", {"message": "已超期，请尽快办结"}),
        {
            "citizen_owner": 403,
            "citizen_other": 404,
            "clerk_a": 403,
            "clerk_b": 404,
            "approver_a": 403,
            "supervisor": 201,
            "anonymous": 401,
        },
        case=case,
    )
    url = f"{API}/{case.pk}/urges/{urged['supervisor'].json()['id']}/respond"
    check(world, lambda c: post(c, url, {"response": "今日办结"}), handler(), case=case)


# --- an approver's department ----------------------------------------------------------------------------


def test_approver_of_another_department_neither_sees_nor_handles(world: World, upload_for):
    item = published_item(world.dept_a_admin)  # 兰山区行政审批服务局, not approver_a's bureau
    case = accepted_case(world, item, upload_for)
    approver = login(world.users["approver_a"])
    before = snapshot(case)

    assert approver.get(f"{API}/{case.pk}").status_code == 404
    complete = post(approver, f"{API}/{case.pk}/steps/{open_step(case).pk}/complete", {"opinion": "同意"})
    assert complete.status_code == 404
    assert complete.json()["detail"] == "办件不存在或您无权查看"
    assert post(approver, f"{API}/{case.pk}/extend", {"days": 1, "reason": "经局长批准延长"}).status_code == 404
    assert snapshot(case) == before
    assert login(world.users["clerk_a"]).get(f"{API}/{case.pk}").status_code == 200  # region-wide window
