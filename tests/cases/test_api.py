"""Cases API: every endpoint's happy path with exact JSON, problem+json with field paths and Chinese
messages for bad input, idempotent submission, the public lookup and its limit, the event feed, and
fixed query counts on the list endpoints. The role matrix is in ``test_api_roles.py``."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from yiwang.accounts.services import api_token_create
from yiwang.audit.models import AuditEvent
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode, Decision, StepState
from yiwang.cases.models import ApplicationDraft, Case, CaseEvent, CaseStep
from yiwang.catalog.models import ServiceItem
from yiwang.core import clock
from yiwang.core.identifiers import make_id_number
from yiwang.files.services import upload_create
from yiwang.testing.cases import published_item, valid_form
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/cases"
PROBLEM = "application/problem+json"
MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, Monday 2 March 2026
ISO_MONDAY = "2026-03-02T02:00:00Z"


class Clock:
    """The platform clock, movable by a test (``clock.at = …``)."""

    def __init__(self) -> None:
        self.at = MONDAY

    def day(self, year: int, month: int, day: int) -> None:
        self.at = dt.datetime(year, month, day, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def moment(monkeypatch) -> Clock:
    current = Clock()
    monkeypatch.setattr(clock, "now", lambda: current.at)
    return current


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the lookup limit counts in the cache
    yield
    cache.clear()


# --- helpers shared with test_api_roles.py ----------------------------------------------------------------


def login(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any] | None = None, **headers: str):
    return client.post(url, body or {}, content_type="application/json", headers=headers)


def submit_case(world: World, item: ServiceItem, upload_for, *, photo: bool = True, **kwargs: Any) -> Case:
    """A case submitted online by citizen_owner with the premises (and, by default, the photo) uploaded."""
    materials = {"premises": [upload_for().pk]}
    if photo:
        materials["photo"] = [upload_for(content=b"photo").pk]
    return services.case_submit(
        actor=world.users["citizen_owner"], item_id=item.pk, form=valid_form(), materials=materials, **kwargs
    )


def accepted_case(world: World, item: ServiceItem, upload_for, **accept: Any) -> Case:
    photo = accept.get("mode") != AcceptMode.DEFERRED
    case = submit_case(world, item, upload_for, photo=photo)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, **accept)
    case.refresh_from_db()
    return case


def open_step(case: Case) -> CaseStep:
    return case.steps.get(state=StepState.OPEN)


def at_final_step(world: World, item: ServiceItem, upload_for) -> Case:
    case = accepted_case(world, item, upload_for)
    services.case_step_complete(
        actor=world.users["approver_a"], case_id=case.pk, step_id=open_step(case).pk, opinion="材料齐全，符合条件"
    )
    return case


def decided_for_pickup(world: World, item: ServiceItem, upload_for) -> Case:
    case = at_final_step(world, item, upload_for)
    services.case_delivery_set(
        actor=world.users["citizen_owner"], case_id=case.pk, method="pickup", pickup_window_id=world.window_a1.pk
    )
    services.case_decide(actor=world.users["approver_a"], case_id=case.pk, decision=Decision.APPROVE, reason="")
    case.refresh_from_db()
    return case


def problem_of(response) -> dict[str, Any]:
    assert response["Content-Type"] == PROBLEM, response.content
    return response.json()


# --- drafts ----------------------------------------------------------------------------------------------


def test_draft_saves_resumes_and_refuses_a_stale_revision(world: World, person_item: ServiceItem, upload_for):
    phone, laptop = login(world.users["citizen_owner"]), login(world.users["citizen_owner"])
    premises = upload_for()
    url = f"{API}/drafts/{person_item.pk}"
    first = phone.put(
        url, {"form": {"shop_name": "甲记"}, "materials": {"premises": [premises.pk]}}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json() == {
        "item_id": person_item.pk,
        "identity": "person",
        "revision": 1,
        "form": {"shop_name": "甲记"},
        "materials": {"premises": [premises.pk]},
        "updated_at": ISO_MONDAY,
    }
    assert first["ETag"] == '"1"'

    resumed = laptop.get(url)
    assert resumed.json()["form"] == {"shop_name": "甲记"}
    assert laptop.get(url, headers={"If-None-Match": '"1"'}).status_code == 304

    saved = laptop.put(url, {"form": {"shop_name": "甲记小吃"}, "revision": 1}, content_type="application/json")
    assert (saved.status_code, saved.json()["revision"], saved.json()["form"]) == (200, 2, {"shop_name": "甲记小吃"})

    stale = phone.put(url, {"form": {"shop_name": "旧内容"}, "revision": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert problem_of(stale) == {
        "type": "https://yiwang.example/problems/conflict",
        "title": "数据冲突",
        "status": 409,
        "detail": "草稿已在其他设备上修改，请刷新后继续填写",
        "code": "conflict",
        "instance": url,
        "errors": [
            {"field": "body.revision", "code": "conflict", "message": "草稿已在其他设备上修改，请刷新后继续填写"}
        ],
    }
    draft = ApplicationDraft.objects.get()
    assert (draft.revision, services.draft_form(draft)) == (2, {"shop_name": "甲记小吃"})  # nothing lost


def test_draft_of_someone_else_or_none_is_404(world: World, person_item: ServiceItem):
    login(world.users["citizen_owner"]).put(
        f"{API}/drafts/{person_item.pk}", {"form": {"shop_name": "甲记"}}, content_type="application/json"
    )
    response = login(world.users["citizen_other"]).get(f"{API}/drafts/{person_item.pk}")
    assert response.status_code == 404
    assert problem_of(response)["detail"] == "申请草稿不存在或您无权查看"


def test_staff_cannot_save_a_draft(world: World, person_item: ServiceItem):
    response = login(world.users["clerk_a"]).put(
        f"{API}/drafts/{person_item.pk}", {"form": {}}, content_type="application/json"
    )
    assert response.status_code == 403
    assert problem_of(response)["detail"] == "只有办事群众可以保存申请草稿"
    assert not ApplicationDraft.objects.exists()


# --- submission ------------------------------------------------------------------------------------------


def test_submit_creates_a_case_and_a_retry_returns_it_with_200(world: World, person_item: ServiceItem, upload_for):
    citizen = login(world.users["citizen_owner"])
    premises = upload_for()
    citizen.put(f"{API}/drafts/{person_item.pk}", {"form": {"shop_name": "甲"}}, content_type="application/json")
    body = {"item_id": person_item.pk, "form": valid_form(), "materials": {"premises": [premises.pk]}}

    first = post(citizen, f"{API}", body, **{"Idempotency-Key": "submit-1"})

    assert first.status_code == 201
    case = Case.objects.get()
    assert first.json() == {
        "id": case.pk,
        "number": f"{person_item.code}202603020001",
        "state": "submitted",
        "state_label": "待受理",
        "item_name": "个体工商户登记（设立）",
        "department_name": "兰山区市场监督管理局",
        "channel": "online",
        "submitted_at": ISO_MONDAY,
        "lookup_code": case.lookup_code,
        "materials": [
            {"code": "id_card", "name": "经营者身份证明", "status": "exempt", "status_label": "免提交"},
            {"code": "premises", "name": "经营场所使用证明", "status": "provided", "status_label": "已提交"},
            {"code": "photo", "name": "经营场所照片", "status": "absent", "status_label": "未提交"},
        ],
    }
    assert not ApplicationDraft.objects.exists()  # the draft became the case

    retry = post(citizen, f"{API}", body, **{"Idempotency-Key": "submit-1"})
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_reusing_an_idempotency_key_for_another_application_is_409_on_the_header(
    world: World, person_item: ServiceItem, upload_for
):
    citizen = login(world.users["citizen_owner"])
    premises = upload_for()
    body = {"item_id": person_item.pk, "form": valid_form(), "materials": {"premises": [premises.pk]}}
    post(citizen, f"{API}", body, **{"Idempotency-Key": "k-7"})
    number = Case.objects.get().number

    response = post(citizen, f"{API}", {**body, "form": valid_form(shop_name="乙记")}, **{"Idempotency-Key": "k-7"})

    message = f"该幂等键已用于另一份申请（办件编号 {number}），请换一个幂等键"
    assert response.status_code == 409
    assert problem_of(response) == {
        "type": "https://yiwang.example/problems/conflict",
        "title": "数据冲突",
        "status": 409,
        "detail": message,
        "code": "conflict",
        "instance": f"{API}",
        "errors": [{"field": "header.Idempotency-Key", "code": "conflict", "message": message}],
    }
    assert Case.objects.count() == 1


def test_a_malformed_idempotency_key_is_refused_on_the_header(world: World, person_item: ServiceItem):
    body = {"item_id": person_item.pk, "form": valid_form()}
    response = post(login(world.users["citizen_owner"]), f"{API}", body, **{"Idempotency-Key": "有 空格"})
    assert response.status_code == 422
    assert problem_of(response)["errors"] == [
        {
            "field": "header.Idempotency-Key",
            "code": "validation_error",
            "message": "幂等键应为不超过64位的字母、数字或 - _ : .",
        }
    ]
    too_long = post(login(world.users["citizen_owner"]), f"{API}", body, **{"Idempotency-Key": "k" * 65})
    assert too_long.status_code == 422
    assert [e["field"] for e in problem_of(too_long)["errors"]] == ["header.Idempotency-Key"]
    assert not Case.objects.exists()


def test_form_errors_list_every_field_at_once(world: World, person_item: ServiceItem):
    body = {"item_id": person_item.pk, "form": {"shop_name": " ", "capital": "很多", "colour": "红"}}
    response = post(login(world.users["citizen_owner"]), f"{API}", body)
    assert response.status_code == 422
    assert problem_of(response) == {
        "type": "https://yiwang.example/problems/validation_error",
        "title": "输入不合法",
        "status": 422,
        "detail": "申请表填写有误，请按提示修改",
        "code": "validation_error",
        "instance": f"{API}",
        "errors": [
            {"field": "body.form.applicant_name", "code": "validation_error", "message": "经营者姓名：请填写"},
            {"field": "body.form.shop_name", "code": "validation_error", "message": "个体工商户名称：请填写"},
            {"field": "body.form.scope", "code": "validation_error", "message": "经营范围：请选择"},
            {
                "field": "body.form.capital",
                "code": "validation_error",
                "message": "资金数额（万元）：请填写数字，例如 3 或 2.5",
            },
            {
                "field": "body.form.colour",
                "code": "validation_error",
                "message": "colour：未知字段，本申请表没有这一项，请刷新页面后重新填写",
            },
        ],
    }
    assert not Case.objects.exists()


def test_unknown_material_code_and_foreign_upload_are_named(world: World, person_item: ServiceItem, upload_for):
    foreign = upload_for("citizen_other")
    body = {"item_id": person_item.pk, "form": valid_form(), "materials": {"licence": [1], "premises": [foreign.pk]}}
    response = post(login(world.users["citizen_owner"]), f"{API}", body)
    assert response.status_code == 422
    problem = problem_of(response)
    assert problem["detail"] == "申请材料有误，请按提示修改"
    assert problem["errors"] == [
        {"field": "body.materials.licence", "code": "validation_error", "message": "该事项没有编码为“licence”的材料"},
        {"field": "body.materials.premises", "code": "validation_error", "message": "文件不存在或不属于您，请重新上传"},
    ]
    assert not Case.objects.exists()


def test_badly_shaped_body_is_422_with_paths(world: World, person_item: ServiceItem):
    body = {"form": valid_form(), "materials": {"premises": ["x"]}, "delivery": {"method": "drone"}}
    response = post(login(world.users["citizen_owner"]), f"{API}", body)
    assert response.status_code == 422
    fields = [e["field"] for e in problem_of(response)["errors"]]
    assert fields == ["body.item_id", "body.materials.premises.0", "body.delivery.method"]
    assert all(e["message"] for e in response.json()["errors"])


def test_department_system_pushes_a_case_with_a_token(world: World, person_item: ServiceItem):
    _, token = api_token_create(actor=None, user=world.users["clerk_a"], name="市场监管业务系统")
    system = Client(headers={"Authorization": f"Bearer {token}"})
    body = {
        "item_id": person_item.pk,
        "form": valid_form(),
        "channel": "api",
        "person_id": world.persons["owner"].pk,
    }
    response = post(system, f"{API}", body, **{"Idempotency-Key": "sys-42"})
    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.channel, case.applicant_person_id, case.submitted_by_id) == (
        "api",
        world.persons["owner"].pk,
        world.users["clerk_a"].pk,
    )
    assert response.json()["channel"] == "api"
    assert post(system, f"{API}", body, **{"Idempotency-Key": "sys-42"}).status_code == 200

    nobody = post(system, f"{API}", {**body, "person_id": None})
    assert nobody.status_code == 422
    assert problem_of(nobody)["errors"] == [
        {"field": "body.person_id", "code": "validation_error", "message": "请先查找或登记申请人"}
    ]
    assert Case.objects.count() == 1


def test_citizen_cannot_push_on_the_department_channel(world: World, person_item: ServiceItem):
    body = {"item_id": person_item.pk, "form": valid_form(), "channel": "api", "person_id": world.persons["owner"].pk}
    response = post(login(world.users["citizen_owner"]), f"{API}", body)
    assert response.status_code == 403
    assert problem_of(response)["detail"] == "该事项的实施部门不在您的受理区划内"
    assert not Case.objects.exists()


def test_enterprise_applies_through_its_representative_only(world: World, upload_for):
    from yiwang.accounts.services import legal_person_register
    from yiwang.core.identifiers import make_uscc

    item = published_item(world.dept_a_market, service_objects=["1", "2"])
    enterprise = legal_person_register(
        actor=None,
        uscc=make_uscc("91", "371302", "TA000001"),
        name="临沂甲记餐饮有限公司",
        legal_representative=world.persons["owner"],
        region=world.county_a,
    )
    body = {"item_id": item.pk, "form": valid_form(), "enterprise_id": enterprise.pk, "commitment_signed": True}

    stranger = post(login(world.users["citizen_other"]), f"{API}", body)
    assert stranger.status_code == 403
    assert problem_of(stranger)["detail"] == "您不是该企业的法定代表人，或没有该事项的有效经办授权"
    assert not Case.objects.exists()

    created = post(login(world.users["citizen_owner"]), f"{API}", body)
    assert created.status_code == 201
    detail = login(world.users["citizen_owner"]).get(f"{API}/{created.json()['id']}").json()
    assert detail["applicant"] == {
        "kind": "enterprise",
        "name": "临沂甲记餐饮有限公司",
        "person_id": world.persons["owner"].pk,
        "id_number_masked": world.persons["owner"].id_number_masked,
        "enterprise_id": enterprise.pk,
        "uscc": enterprise.uscc,
    }
    lookup = Client().get(f"{API}/lookup", {"number": detail["number"], "code": detail["lookup_code"]}).json()
    assert lookup["applicant_name"] == "临*********"


# --- reading cases ---------------------------------------------------------------------------------------


def test_my_cases_list_with_light_and_dates(world: World, person_item: ServiceItem, upload_for, moment: Clock):
    handling = accepted_case(world, person_item, upload_for)
    waiting = submit_case(world, person_item, upload_for)
    third = submit_case(world, person_item, upload_for)
    moment.day(2026, 3, 6)  # the yellow day of the first case

    response = login(world.users["citizen_owner"]).get(f"{API}/mine", {"page_size": 2})

    assert response.status_code == 200
    common = {
        "item_name": "个体工商户登记（设立）",
        "department_name": "兰山区市场监督管理局",
        "applicant_name": "测试群众甲",
        "channel": "online",
        "submitted_at": ISO_MONDAY,
        "deferred_due": None,
    }
    assert response.json() == {
        "count": 3,
        "page": 1,
        "page_size": 2,
        "items": [
            {
                "id": third.pk,
                "number": third.number,
                "state": "submitted",
                "state_label": "待受理",
                "light": None,
                "promise_due": None,
                "legal_due": None,
                **common,
            },
            {
                "id": waiting.pk,
                "number": waiting.number,
                "state": "submitted",
                "state_label": "待受理",
                "light": None,
                "promise_due": None,
                "legal_due": None,
                **common,
            },
        ],
    }
    page2 = login(world.users["citizen_owner"]).get(f"{API}/mine", {"page_size": 2, "page": 2}).json()
    assert [(r["id"], r["light"], r["promise_due"]) for r in page2["items"]] == [(handling.pk, "yellow", "2026-03-09")]
    assert login(world.users["citizen_other"]).get(f"{API}/mine").json()["count"] == 0


def test_case_detail_for_the_applicant(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for, mode=AcceptMode.DEFERRED)
    premises = case.materials.get(code="premises").uploads.get()
    done, review = case.steps.order_by("position")
    ids = dict(case.materials.values_list("code", "pk"))
    notice = case.notices.get()

    response = login(world.users["citizen_owner"]).get(f"{API}/{case.pk}")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    common_step = {
        "department_id": world.dept_a_market.pk,
        "department_name": "兰山区市场监督管理局",
        "opinion": "",
        "started_at": ISO_MONDAY,
        "is_final": False,
        "actions": [],
    }
    common_material = {"problem": "", "originals_received": 0, "copies_received": 0}
    assert response.json() == {
        "id": case.pk,
        "number": case.number,
        "item_id": person_item.pk,
        "item_code": person_item.code,
        "item_name": "个体工商户登记（设立）",
        "version": 1,
        "department_id": world.dept_a_market.pk,
        "department_name": "兰山区市场监督管理局",
        "channel": "online",
        "channel_label": "网上申请",
        "state": "handling",
        "state_label": "办理中",
        "accept_mode": "deferred",
        "light": "green",
        "applicant": {
            "kind": "person",
            "name": "测试群众甲",
            "person_id": world.persons["owner"].pk,
            "id_number_masked": world.persons["owner"].id_number_masked,
            "enterprise_id": None,
            "uscc": "",
        },
        "submitted_at": ISO_MONDAY,
        "accepted_at": ISO_MONDAY,
        "decision": "",
        "decision_reason": "",
        "decided_at": None,
        "result_name": "",
        "closed_at": None,
        "lookup_code": case.lookup_code,
        "deadlines": {
            "legal_due": "2026-03-30",
            "promise_due": "2026-03-09",
            "warn_on": "2026-03-06",
            "deferred_due": "2026-03-09",
            "paused_since": None,
            "paused_days": 0,
            "extended_days": 0,
        },
        "delivery": {
            "method": "",
            "method_label": "",
            "pickup_window": "",
            "pickup_code": "",
            "address": "",
            "tracking_number": "",
        },
        "steps": [
            {
                **common_step,
                "id": done.pk,
                "position": 0,
                "block": 1,
                "name": "受理",
                "state": "done",
                "state_label": "已办",
                "assignee_id": world.users["clerk_a"].pk,
                "assignee_name": "测试窗口甲",
                "finished_at": ISO_MONDAY,
                "due": "2026-03-02",
                "light": None,
            },
            {
                **common_step,
                "id": review.pk,
                "position": 1,
                "block": 2,
                "name": "审核",
                "state": "open",
                "state_label": "待办",
                "assignee_id": None,
                "assignee_name": "",
                "finished_at": None,
                "due": "2026-03-05",
                "light": "green",
            },
        ],
        "materials": [
            {
                **common_material,
                "id": ids["id_card"],
                "code": "id_card",
                "name": "经营者身份证明",
                "necessity": "required",
                "status": "exempt",
                "status_label": "免提交",
                "uploads": [],
                "supplied_at": None,
            },
            {
                **common_material,
                "id": ids["premises"],
                "code": "premises",
                "name": "经营场所使用证明",
                "necessity": "required",
                "status": "provided",
                "status_label": "已提交",
                "uploads": [premises.pk],
                "supplied_at": ISO_MONDAY,
            },
            {
                **common_material,
                "id": ids["photo"],
                "code": "photo",
                "name": "经营场所照片",
                "necessity": "deferrable",
                "status": "deferred",
                "status_label": "容缺待补",
                "uploads": [],
                "supplied_at": None,
            },
        ],
        "notices": [
            {
                "id": notice.pk,
                "kind": "acceptance",
                "title": "受理通知书",
                "number": f"{case.number}-N001",
                "items": ["经营场所照片"],
                "issued_at": ISO_MONDAY,
                "answered_at": None,
                "pdf_url": f"{API}/{case.pk}/notices/{notice.pk}.pdf",
            }
        ],
        "events": [
            {
                "seq": 1,
                "action": "submit",
                "action_label": "提交申请",
                "from_state": "",
                "to_state": "submitted",
                "actor_name": "测试群众甲",
                "reason": "",
                "at": ISO_MONDAY,
                "data": {},
            },
            {
                "seq": 2,
                "action": "accept",
                "action_label": "受理",
                "from_state": "submitted",
                "to_state": "handling",
                "actor_name": "测试窗口甲",
                "reason": "",
                "at": ISO_MONDAY,
                "data": {},
            },
        ],
        "special_procedures": [],
        "urges": [],
        "commitment_check": None,
        "auto_decision": None,
        "form": [
            {
                "key": key,
                "label": label,
                "type": kind,
                "value": value,
                "empty": False,
                "masked": False,
                "rows": [],
                "uploads": [],
            }
            for key, label, kind, value in (
                ("applicant_name", "经营者姓名", "text", "测试群众甲"),
                ("shop_name", "个体工商户名称", "text", "甲记小吃店"),
                ("scope", "经营范围", "select", "餐饮"),
                ("capital", "资金数额（万元）", "number", "5"),
            )
        ],
        "form_values": valid_form(),
        "actions": ["withdraw", "delivery", "deferred_materials"],
    }
    assert not AuditEvent.objects.filter(action="case.read").exists()  # his own data: no staff read


def test_staff_read_of_the_form_is_audited_and_masked(world: World, upload_for):
    fields = [
        {"key": "name", "label": "姓名", "type": "text", "required": True},
        {"key": "id_number", "label": "身份证号", "type": "id_number", "required": True},
        {"key": "phone", "label": "联系电话", "type": "phone", "required": True},
    ]
    item = published_item(world.dept_a_market, form=fields)
    number = make_id_number("371302", dt.date(1985, 6, 1), 12)
    case = services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=item.pk,
        form={"name": "测试群众甲", "id_number": number, "phone": "13805390001"},
        materials={"premises": [upload_for().pk]},
    )

    body = login(world.users["clerk_a"]).get(f"{API}/{case.pk}").json()

    assert [(row["label"], row["value"], row["masked"]) for row in body["form"]] == [
        ("姓名", "测试群众甲", False),
        ("身份证号", number[:4] + "*" * 10 + number[-4:], True),
        ("联系电话", "138****0001", True),
    ]
    assert body["form_values"] is None and body["lookup_code"] == ""
    assert number not in str(body)
    assert body["events"][0]["data"] == {"channel": "online"}  # staff see the details
    assert body["actions"] == ["accept", "request_supplement", "reject"]
    audit = AuditEvent.objects.get(action="case.read")
    assert (audit.actor_id, audit.object_type, audit.object_id, audit.purpose, audit.changes) == (
        world.users["clerk_a"].pk,
        "cases.case",
        str(case.pk),
        "办理或监督办件（查看申请表）",
        {"read": ["form"]},
    )


def test_detail_etag_answers_304_until_the_case_changes(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    citizen = login(world.users["citizen_owner"])
    etag = citizen.get(f"{API}/{case.pk}")["ETag"]
    assert citizen.get(f"{API}/{case.pk}", headers={"If-None-Match": etag}).status_code == 304
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk)
    changed = citizen.get(f"{API}/{case.pk}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_unknown_case_is_404_problem(world: World):
    response = login(world.users["citizen_owner"]).get(f"{API}/999999")
    assert response.status_code == 404
    assert problem_of(response)["detail"] == "办件不存在或您无权查看"


# --- the life cycle over the API -------------------------------------------------------------------------


def test_a_case_from_submission_to_pickup_over_the_api(world: World, person_item: ServiceItem, upload_for):
    citizen, clerk, approver = (login(world.users[u]) for u in ("citizen_owner", "clerk_a", "approver_a"))
    body = {
        "item_id": person_item.pk,
        "form": valid_form(),
        "materials": {"premises": [upload_for().pk], "photo": [upload_for(content=b"p").pk]},
        "delivery": {"method": "pickup", "pickup_window_id": world.window_a1.pk},
    }
    case_id = post(citizen, f"{API}", body).json()["id"]

    accepted = post(clerk, f"{API}/{case_id}/accept", {"mode": "normal"})
    assert accepted.status_code == 200
    assert (accepted.json()["state"], accepted.json()["accept_mode"], accepted.json()["form"]) == (
        "handling",
        "normal",
        None,
    )

    approver_view = approver.get(f"{API}/{case_id}").json()
    review = next(s for s in approver_view["steps"] if s["state"] == "open")
    assert review["actions"] == ["assign", "complete"]
    assert approver_view["actions"] == ["step_complete", "step_assign", "special_start", "extend"]

    done = post(approver, f"{API}/{case_id}/steps/{review['id']}/complete", {"opinion": "材料齐全"})
    final = next(s for s in done.json()["steps"] if s["state"] == "open")
    assert (final["name"], final["is_final"], final["actions"]) == ("办结", True, ["assign", "decide", "return"])

    decided = post(approver, f"{API}/{case_id}/decide", {"decision": "approve"})
    assert decided.status_code == 200
    assert (decided.json()["state"], decided.json()["decision"], decided.json()["result_name"]) == (
        "decided",
        "approve",
        "个体工商户营业执照",
    )

    mine = citizen.get(f"{API}/{case_id}").json()
    assert mine["delivery"]["method"] == "pickup"
    assert mine["delivery"]["pickup_window"] == "兰山区政务服务中心 A01 综合窗口"
    code = mine["delivery"]["pickup_code"]
    assert len(code) == 6
    clerk_view = clerk.get(f"{API}/{case_id}").json()
    assert clerk_view["delivery"]["pickup_code"] == ""  # the clerk checks the code the applicant shows
    assert clerk_view["actions"] == ["close"]

    wrong = post(clerk, f"{API}/{case_id}/close", {"pickup_code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422
    assert problem_of(wrong)["errors"] == [
        {"field": "body.pickup_code", "code": "validation_error", "message": "取件码不正确，请核对申请人出示的取件码"}
    ]
    closed = post(clerk, f"{API}/{case_id}/close", {"pickup_code": code})
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert [e["action"] for e in closed.json()["events"]] == [
        "submit",
        "accept",
        "step_complete",
        "decide",
        "close",
    ]


def test_second_acceptance_is_a_conflict_and_changes_nothing(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    response = post(login(world.users["clerk_a"]), f"{API}/{case.pk}/accept", {})
    assert response.status_code == 409
    assert problem_of(response)["detail"] == "办件当前状态为“办理中”，不能受理"
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_supplement_round_trip_and_the_notice_pdf(world: World, person_item: ServiceItem, upload_for, tmp_path: Path):
    case = submit_case(world, person_item, upload_for, photo=False)
    clerk, citizen = login(world.users["clerk_a"]), login(world.users["citizen_owner"])

    bad = post(
        clerk,
        f"{API}/{case.pk}/request-supplement",
        {"items": [{"code": "nope", "problem": "缺"}, {"problem": ""}]},
    )
    assert bad.status_code == 422
    assert problem_of(bad)["errors"] == [
        {"field": "body.items.0.code", "code": "validation_error", "message": "该办件没有编码为“nope”的材料"},
        {"field": "body.items.1.problem", "code": "validation_error", "message": "请写明该材料的问题或补正要求"},
    ]

    asked = post(
        clerk,
        f"{API}/{case.pk}/request-supplement",
        {
            "items": [
                {"code": "premises", "problem": "租赁合同已过期，请提供有效期内的合同"},
                {"name": "经营者签名", "problem": "申请表未签名"},
            ]
        },
    )
    assert asked.status_code == 200
    assert asked.json()["state"] == "supplement"
    notice = asked.json()["notices"][0]
    assert (notice["title"], notice["items"]) == (
        "补正材料一次性告知书",
        ["经营场所使用证明：租赁合同已过期，请提供有效期内的合同", "经营者签名：申请表未签名"],
    )

    pdf = citizen.get(notice["pdf_url"])
    assert (pdf.status_code, pdf["Content-Type"], pdf["Cache-Control"]) == (200, "application/pdf", "private, no-store")
    assert pdf["Content-Disposition"] == f'inline; filename="{notice["number"]}.pdf"'
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf.content)
    text = "".join(
        subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True).stdout.decode().split()
    )
    for expected in (
        "补正材料一次性告知书",
        notice["number"],
        "测试群众甲：",
        "需要补正的材料及问题：",
        "1.经营场所使用证明：租赁合同已过期，请提供有效期内的合同",
        "兰山区市场监督管理局",
        "2026年3月2日",
        "咨询电话：0539-12345",
    ):
        assert expected in text, expected
    assert text.count("测试群众甲：") == 1  # the addressee once, not again as a paragraph

    citizen_view = citizen.get(f"{API}/{case.pk}").json()
    assert citizen_view["actions"] == ["supplement", "withdraw", "delivery"]
    supplied = post(
        citizen, f"{API}/{case.pk}/supplement", {"materials": {"premises": [upload_for(content=b"new").pk]}}
    )
    assert supplied.status_code == 200
    assert supplied.json()["state"] == "submitted"
    assert supplied.json()["notices"][0]["answered_at"] == ISO_MONDAY


def test_notice_of_another_case_is_404(world: World, person_item: ServiceItem, upload_for):
    first = accepted_case(world, person_item, upload_for)
    second = submit_case(world, person_item, upload_for)
    notice = first.notices.get()
    response = login(world.users["citizen_owner"]).get(f"{API}/{second.pk}/notices/{notice.pk}.pdf")
    assert response.status_code == 404
    assert problem_of(response)["detail"] == "文书不存在或您无权查看"


def test_withdraw_delivery_and_deferred_materials(world: World, person_item: ServiceItem, upload_for):
    citizen = login(world.users["citizen_owner"])
    case = accepted_case(world, person_item, upload_for, mode=AcceptMode.DEFERRED)

    express = post(
        citizen,
        f"{API}/{case.pk}/delivery",
        {"method": "express", "address": "兰山区金雀山路1号 张三 13800000000"},
    )
    assert express.status_code == 200
    assert express.json()["delivery"] == {
        "method": "express",
        "method_label": "快递送达",
        "pickup_window": "",
        "pickup_code": "",
        "address": "兰山区金雀山路1号 张三 13800000000",
        "tracking_number": "",
    }
    short = post(citizen, f"{API}/{case.pk}/delivery", {"method": "express", "address": "短"})
    assert short.status_code == 422
    assert problem_of(short)["errors"][0]["field"] == "body.address"

    photo = upload_for(content=b"photo")
    supplied = post(citizen, f"{API}/{case.pk}/deferred-materials", {"materials": {"photo": [photo.pk]}})
    assert supplied.status_code == 200
    assert supplied.json()["deadlines"]["deferred_due"] is None
    assert [(m["code"], m["status"], m["uploads"]) for m in supplied.json()["materials"]][2] == (
        "photo",
        "provided",
        [photo.pk],
    )

    short_reason = post(citizen, f"{API}/{case.pk}/withdraw", {"reason": "不"})
    assert short_reason.status_code == 422
    assert problem_of(short_reason)["errors"] == [
        {"field": "body.reason", "code": "validation_error", "message": "请填写撤回原因（至少2个字）"}
    ]
    withdrawn = post(citizen, f"{API}/{case.pk}/withdraw", {"reason": "不再经营"})
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["state"], withdrawn.json()["actions"]) == ("withdrawn", [])
    assert [s["state"] for s in withdrawn.json()["steps"]] == ["done", "cancelled"]


def test_step_assign_and_return(world: World, person_item: ServiceItem, upload_for):
    case = at_final_step(world, person_item, upload_for)
    approver = login(world.users["approver_a"])
    final = open_step(case)

    assigned = post(approver, f"{API}/{case.pk}/steps/{final.pk}/assign", {"assignee_id": world.users["approver_a"].pk})
    assert assigned.status_code == 200
    assert assigned.json() == {
        "id": final.pk,
        "position": 2,
        "block": 3,
        "name": "办结",
        "is_final": True,
        "department_id": world.dept_a_market.pk,
        "department_name": "兰山区市场监督管理局",
        "state": "open",
        "state_label": "待办",
        "assignee_id": world.users["approver_a"].pk,
        "assignee_name": "测试审批乙",
        "opinion": "",
        "started_at": ISO_MONDAY,
        "finished_at": None,
        "due": "2026-03-09",
        "light": "green",
        "actions": [],
    }
    clerk_as_assignee = post(
        approver,
        f"{API}/{case.pk}/steps/{final.pk}/assign",
        {"assignee_id": world.users["clerk_a"].pk, "reason": "转办"},
    )
    assert clerk_as_assignee.status_code == 422
    assert problem_of(clerk_as_assignee)["errors"][0]["field"] == "body.assignee_id"

    to_first = post(approver, f"{API}/{case.pk}/steps/{final.pk}/return", {"to_position": 0, "reason": "重新审核"})
    assert to_first.status_code == 422
    assert problem_of(to_first)["errors"] == [
        {"field": "body.to_position", "code": "validation_error", "message": "只能退回到本环节之前的审批环节"}
    ]
    returned = post(
        approver, f"{API}/{case.pk}/steps/{final.pk}/return", {"to_position": 1, "reason": "请补充核查意见"}
    )
    assert returned.status_code == 200
    assert [(s["name"], s["state"]) for s in returned.json()["steps"]] == [
        ("受理", "done"),
        ("审核", "done"),
        ("办结", "returned"),
        ("审核", "open"),
    ]


def test_special_procedure_extension_and_supervision(world: World, person_item: ServiceItem, upload_for, moment: Clock):
    case = accepted_case(world, person_item, upload_for)
    approver, supervisor = login(world.users["approver_a"]), login(world.users["supervisor"])

    unknown = post(
        approver, f"{API}/{case.pk}/special-procedures", {"name": "听证", "reason": "依申请", "planned_days": 5}
    )
    assert unknown.status_code == 422
    assert problem_of(unknown)["errors"] == [
        {
            "field": "body.name",
            "code": "validation_error",
            "message": "该事项未规定此特别程序（可用：专家评审、现场核查）",
        }
    ]
    started = post(
        approver,
        f"{API}/{case.pk}/special-procedures",
        {"name": "专家评审", "reason": "技术复杂", "planned_days": 5},
    )
    assert started.status_code == 201
    procedure = started.json()
    assert procedure == {
        "id": procedure["id"],
        "kind": "2",
        "name": "专家评审",
        "reason": "技术复杂",
        "pauses_clock": True,
        "planned_days": 5,
        "extension_days": 0,
        "started_on": "2026-03-02",
        "ended_on": None,
        "paused_workdays": 0,
        "result": "",
    }
    moment.day(2026, 3, 4)  # two working days later (a new log-in: the staff session timed out meanwhile)
    approver, supervisor = login(world.users["approver_a"]), login(world.users["supervisor"])
    ended = post(approver, f"{API}/{case.pk}/special-procedures/{procedure['id']}/end", {"result": "评审通过"})
    assert ended.status_code == 200
    assert (ended.json()["ended_on"], ended.json()["paused_workdays"]) == ("2026-03-04", 2)

    extended = post(approver, f"{API}/{case.pk}/extend", {"days": 3, "reason": "经局长批准延长"})
    assert extended.status_code == 201
    assert (extended.json()["name"], extended.json()["extension_days"]) == ("延长审批", 3)
    too_long = post(approver, f"{API}/{case.pk}/extend", {"days": 8, "reason": "经局长批准延长"})
    assert too_long.status_code == 422
    assert problem_of(too_long)["errors"][0]["message"] == "延长期限应为1至7个工作日（累计不超过10个工作日）"

    deadlines = login(world.users["citizen_owner"]).get(f"{API}/{case.pk}").json()["deadlines"]
    assert (deadlines["promise_due"], deadlines["paused_days"], deadlines["extended_days"]) == ("2026-03-16", 2, 3)

    green = post(supervisor, f"{API}/{case.pk}/urges", {"message": "请加快办理"})
    assert green.status_code == 409
    assert problem_of(green)["detail"] == "只能督办黄灯预警或红灯超期的办件"

    moment.day(2026, 3, 17)  # past the promised date: red
    approver, supervisor = login(world.users["approver_a"]), login(world.users["supervisor"])
    assert supervisor.get(f"{API}/{case.pk}").json()["actions"] == ["urge"]
    urged = post(supervisor, f"{API}/{case.pk}/urges", {"message": "已超期，请说明原因"})
    assert urged.status_code == 201
    urge = urged.json()
    assert urge == {
        "id": urge["id"],
        "light": "red",
        "message": "已超期，请说明原因",
        "created_at": "2026-03-17T02:00:00Z",
        "created_by_name": "测试监察",
        "response": "",
        "responded_at": None,
        "responded_by_name": "",
    }
    citizen_view = login(world.users["citizen_owner"]).get(f"{API}/{case.pk}").json()
    assert citizen_view["urges"] == []
    assert "urge" not in [e["action"] for e in citizen_view["events"]]  # internal supervision

    responded = post(approver, f"{API}/{case.pk}/urges/{urge['id']}/respond", {"response": "专家评审耗时，今日办结"})
    assert responded.status_code == 200
    assert (responded.json()["response"], responded.json()["responded_by_name"]) == (
        "专家评审耗时，今日办结",
        "测试审批乙",
    )


def test_commitment_check(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for, photo=False)
    clerk = login(world.users["clerk_a"])
    unsigned = post(clerk, f"{API}/{case.pk}/accept", {"mode": "commitment"})
    assert unsigned.status_code == 422
    assert problem_of(unsigned)["errors"] == [
        {"field": "body.commitment_signed", "code": "validation_error", "message": "告知承诺须由申请人签署承诺书"}
    ]
    post(clerk, f"{API}/{case.pk}/accept", {"mode": "commitment", "commitment_signed": True})
    approver = login(world.users["approver_a"])
    assert "commitment_check" in approver.get(f"{API}/{case.pk}").json()["actions"]

    broken_without_note = post(approver, f"{API}/{case.pk}/commitment-check", {"kept": False})
    assert broken_without_note.status_code == 422
    assert problem_of(broken_without_note)["errors"][0]["field"] == "body.note"
    checked = post(approver, f"{API}/{case.pk}/commitment-check", {"kept": False, "note": "场地证明系伪造"})
    assert checked.status_code == 200
    assert checked.json()["commitment_check"] == {
        "due": "2026-03-30",
        "state": "broken",
        "state_label": "承诺不实",
        "note": "场地证明系伪造",
        "checked_at": ISO_MONDAY,
    }


# --- public lookup ---------------------------------------------------------------------------------------


def test_public_lookup_shows_progress_and_nothing_personal(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    response = Client().get(f"{API}/lookup", {"number": case.number, "code": case.lookup_code})
    assert response.status_code == 200
    assert response.json() == {
        "number": case.number,
        "item_name": "个体工商户登记（设立）",
        "state": "handling",
        "state_label": "办理中",
        "applicant_name": "测****",
        "submitted_on": "2026-03-02",
        "steps": [
            {"name": "受理", "state_label": "已办", "started_on": "2026-03-02", "finished_on": "2026-03-02"},
            {"name": "审核", "state_label": "待办", "started_on": "2026-03-02", "finished_on": None},
        ],
    }
    assert "测试群众甲" not in response.content.decode()


def test_lookup_with_a_wrong_code_is_404_and_repeated_failures_are_limited(
    world: World, person_item: ServiceItem, upload_for
):
    case = submit_case(world, person_item, upload_for)
    wrong = "000000" if case.lookup_code != "000000" else "111111"
    anonymous = Client()
    for _ in range(10):
        miss = anonymous.get(f"{API}/lookup", {"number": case.number, "code": wrong})
        assert miss.status_code == 404
    assert problem_of(miss)["detail"] == "未找到该办件，请核对办件编号和查询码"

    limited = anonymous.get(f"{API}/lookup", {"number": case.number, "code": case.lookup_code})
    assert limited.status_code == 429
    assert limited["Retry-After"] == "3600"
    assert problem_of(limited) == {
        "type": "https://yiwang.example/problems/rate_limited",
        "title": "请求过于频繁",
        "status": 429,
        "detail": "查询失败次数过多，请1小时后再试；如忘记查询码，请登录后在“我的办件”中查看",
        "code": "rate_limited",
        "instance": f"{API}/lookup",
    }


def test_lookup_limit_per_case_number_holds_across_addresses(world: World, person_item: ServiceItem, upload_for):
    case = submit_case(world, person_item, upload_for)
    wrong = "000000" if case.lookup_code != "000000" else "111111"
    for i in range(20):
        Client(REMOTE_ADDR=f"10.0.0.{i}").get(f"{API}/lookup", {"number": case.number, "code": wrong})
    fresh = Client(REMOTE_ADDR="10.0.1.1").get(f"{API}/lookup", {"number": case.number, "code": case.lookup_code})
    assert fresh.status_code == 429
    other = submit_case(world, person_item, upload_for)
    ok = Client(REMOTE_ADDR="10.0.1.1").get(f"{API}/lookup", {"number": other.number, "code": other.lookup_code})
    assert ok.status_code == 200


def test_lookup_validates_its_query(world: World):
    response = Client().get(f"{API}/lookup", {"number": "X"})
    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["query.code"]


# --- staff lists -----------------------------------------------------------------------------------------


def test_queue_counts_and_queue_filters(world: World, person_item: ServiceItem, upload_for, moment: Clock):
    submitted = submit_case(world, person_item, upload_for)
    handling = accepted_case(world, person_item, upload_for)
    moment.day(2026, 3, 6)  # yellow for the handling case
    clerk, approver = login(world.users["clerk_a"]), login(world.users["approver_a"])

    counts = {row["name"]: row["count"] for row in clerk.get(f"{API}/queues").json()}
    assert counts == {
        "to_accept": 1,
        "supplement": 0,
        "to_review": 0,
        "to_decide": 0,
        "to_deliver": 0,
        "deferred": 0,
        "to_verify": 0,
        "yellow": 1,
        "red": 0,
        "urged": 0,
    }
    assert {row["name"]: row["count"] for row in approver.get(f"{API}/queues").json()}["to_review"] == 1
    assert clerk.get(f"{API}/queues").json()[0] == {"name": "to_accept", "label": "待受理", "count": 1}

    queue = clerk.get(f"{API}/queues/to_accept").json()
    assert queue == {
        "name": "to_accept",
        "label": "待受理",
        "count": 1,
        "page": 1,
        "page_size": 20,
        "items": [
            {
                "id": submitted.pk,
                "number": submitted.number,
                "item_name": "个体工商户登记（设立）",
                "department_id": world.dept_a_market.pk,
                "department_name": "兰山区市场监督管理局",
                "state": "submitted",
                "state_label": "待受理",
                "light": None,
                "applicant_name": "测试群众甲",
                "channel": "online",
                "submitted_at": ISO_MONDAY,
                "promise_due": None,
                "legal_due": None,
                "deferred_due": None,
            }
        ],
    }
    review = approver.get(f"{API}/queues/to_review", {"light": "yellow"}).json()
    assert [(r["id"], r["light"]) for r in review["items"]] == [(handling.pk, "yellow")]
    assert approver.get(f"{API}/queues/to_review", {"light": "red"}).json()["count"] == 0
    assert clerk.get(f"{API}/queues/to_accept", {"q": submitted.number[:-1]}).json()["count"] == 1
    assert clerk.get(f"{API}/queues/to_accept", {"q": "X"}).json()["count"] == 0
    assert clerk.get(f"{API}/queues/to_accept", {"department_id": world.dept_a_admin.pk}).json()["count"] == 0

    unknown = clerk.get(f"{API}/queues/everything")
    assert unknown.status_code == 404
    assert problem_of(unknown)["detail"] == "队列不存在或您无权查看"
    bad_light = clerk.get(f"{API}/queues/to_review", {"light": "blue"})
    assert bad_light.status_code == 422
    assert problem_of(bad_light)["errors"][0]["field"] == "query.light"


def test_light_stats_by_department(world: World, person_item: ServiceItem, upload_for, moment: Clock):
    accepted_case(world, person_item, upload_for)
    moment.day(2026, 3, 3)
    accepted_case(world, person_item, upload_for)  # due 10 March
    other_item = published_item(world.dept_a_admin)
    accepted_case(world, other_item, upload_for)
    moment.day(2026, 3, 10)  # first: red (due 9th); second: yellow (due today); third: yellow

    body = login(world.users["supervisor"]).get(f"{API}/stats/lights", {"by_department": True}).json()
    assert body == {
        "on": "2026-03-10",
        "total": {"green": 0, "yellow": 2, "red": 1, "total": 3},
        "departments": [
            {
                "department_id": world.dept_a_admin.pk,
                "department_name": "兰山区行政审批服务局",
                "green": 0,
                "yellow": 1,
                "red": 0,
                "total": 1,
            },
            {
                "department_id": world.dept_a_market.pk,
                "department_name": "兰山区市场监督管理局",
                "green": 0,
                "yellow": 1,
                "red": 1,
                "total": 2,
            },
        ],
    }
    approver = login(world.users["approver_a"]).get(f"{API}/stats/lights").json()
    assert (approver["total"], approver["departments"]) == ({"green": 0, "yellow": 1, "red": 1, "total": 2}, [])
    filtered = login(world.users["supervisor"]).get(f"{API}/stats/lights", {"department_id": world.dept_a_admin.pk})
    assert filtered.json()["total"] == {"green": 0, "yellow": 1, "red": 0, "total": 1}


def test_event_feed_reads_with_a_cursor(world: World, person_item: ServiceItem, upload_for):
    case = accepted_case(world, person_item, upload_for)
    clerk = login(world.users["clerk_a"])
    submit_event, accept_event = CaseEvent.objects.filter(case=case).order_by("seq")

    first = clerk.get(f"{API}/events", {"limit": 1}).json()
    assert first == {
        "events": [
            {
                "id": submit_event.pk,
                "case_id": case.pk,
                "case_number": case.number,
                "seq": 1,
                "action": "submit",
                "from_state": "",
                "to_state": "submitted",
                "at": ISO_MONDAY,
                "data": {"channel": "online"},
            }
        ],
        "next": submit_event.pk,
    }
    second = clerk.get(f"{API}/events", {"after": first["next"], "limit": 1}).json()
    assert [(e["id"], e["action"]) for e in second["events"]] == [(accept_event.pk, "accept")]
    assert second["events"][0]["data"]["promise_due"] == "2026-03-09"
    empty = clerk.get(f"{API}/events", {"after": second["next"]}).json()
    assert empty == {"events": [], "next": accept_event.pk}
    assert login(world.users["clerk_b"]).get(f"{API}/events").json() == {"events": [], "next": 0}


def test_sync_list_of_changed_cases(world: World, person_item: ServiceItem, upload_for, moment: Clock):
    old = submit_case(world, person_item, upload_for)
    moment.day(2026, 3, 3)
    new = submit_case(world, person_item, upload_for)
    _, token = api_token_create(actor=None, user=world.users["clerk_a"], name="业务系统")
    system = Client(headers={"Authorization": f"Bearer {token}"})

    body = system.get(f"{API}", {"updated_after": "2026-03-02T12:00:00+08:00"}).json()
    assert body == {
        "count": 1,
        "page": 1,
        "page_size": 20,
        "items": [
            {
                "id": new.pk,
                "number": new.number,
                "item_code": person_item.code,
                "item_name": "个体工商户登记（设立）",
                "department_id": world.dept_a_market.pk,
                "state": "submitted",
                "channel": "online",
                "accept_mode": "",
                "applicant_kind": "person",
                "applicant_name": "测试群众甲",
                "decision": "",
                "submitted_at": "2026-03-03T02:00:00Z",
                "accepted_at": None,
                "decided_at": None,
                "closed_at": None,
                "promise_due": None,
                "legal_due": None,
                "light": None,
                "last_event_seq": 1,
                "updated_at": "2026-03-03T02:00:00Z",
            }
        ],
    }
    moment.day(2026, 3, 4)
    services.case_accept(actor=world.users["clerk_a"], case_id=old.pk)  # old changes after new
    ids = [row["id"] for row in system.get(f"{API}", {"updated_after": "2026-03-02T12:00:00+08:00"}).json()["items"]]
    assert ids == [new.pk, old.pk]
    assert system.get(f"{API}").json()["count"] == 2


def test_staff_lists_refuse_citizens(world: World):
    citizen = login(world.users["citizen_owner"])
    for path in ("/queues", "/queues/to_accept", "/stats/lights", "/events", ""):
        response = citizen.get(f"{API}{path}")
        assert response.status_code == 403, path
        assert problem_of(response)["detail"] == "仅有办件查看权限的工作人员可以使用该接口"


# --- query counts ----------------------------------------------------------------------------------------


def _cases(world: World, item: ServiceItem, upload_for, n: int) -> None:
    for i in range(n):
        case = accepted_case(world, item, upload_for) if i % 2 else submit_case(world, item, upload_for)
        services.case_delivery_set(actor=world.users["citizen_owner"], case_id=case.pk, method="electronic")


@pytest.mark.parametrize("n", [2, 6])
def test_list_endpoints_run_a_fixed_number_of_queries(
    world: World, person_item: ServiceItem, upload_for, n: int, django_assert_num_queries, django_assert_max_num_queries
):
    _cases(world, person_item, upload_for, n)
    citizen, clerk, supervisor = (login(world.users[u]) for u in ("citizen_owner", "clerk_a", "supervisor"))
    # Each request also reads the session and the user (2), and staff their OTP device and scopes (2) and the
    # departments their scopes reach (1).
    with django_assert_num_queries(4):  # session, user, count, page
        assert citizen.get(f"{API}/mine", {"page_size": 100}).json()["count"] == n
    with django_assert_num_queries(7):
        assert clerk.get(f"{API}/queues/to_accept").json()["count"] == (n + 1) // 2
    with django_assert_max_num_queries(5 + 10):  # at most one count per queue (none for a queue out of scope)
        clerk.get(f"{API}/queues")
    with django_assert_num_queries(7):
        assert clerk.get(f"{API}").json()["count"] == n
    with django_assert_num_queries(6):
        events = clerk.get(f"{API}/events", {"limit": 500}).json()["events"]
    assert len(events) == n + n // 2 + n  # submit and delivery for each, accept for every second one
    with django_assert_num_queries(7):  # counts grouped by department and light, then the names
        supervisor.get(f"{API}/stats/lights", {"by_department": True})


@pytest.mark.parametrize("n", [1, 4])
def test_case_detail_runs_a_fixed_number_of_queries(
    world: World, person_item: ServiceItem, upload_for, n: int, django_assert_num_queries
):
    case = at_final_step(world, person_item, upload_for)
    for i in range(n):  # more steps, events, notices, procedures and uploads
        services.case_step_return(
            actor=world.users["approver_a"], case_id=case.pk, step_id=open_step(case).pk, to_position=1, reason="重审"
        )
        services.case_step_complete(
            actor=world.users["approver_a"], case_id=case.pk, step_id=open_step(case).pk, opinion="同意"
        )
        services.case_extend(actor=world.users["approver_a"], case_id=case.pk, days=1, reason=f"第{i + 1}次延长审批")
    clerk = login(world.users["clerk_a"])
    # session, user, OTP device, scopes, the case, applicant side?, audit row, then one query each for steps,
    # materials, their uploads, notices, events, special procedures, urges and the commitment check.
    with django_assert_num_queries(16):
        assert clerk.get(f"{API}/{case.pk}").status_code == 200


def test_a_department_system_submits_with_a_bearer_token_under_real_csrf_checks(world: World, person_item, upload_for):
    """Browsers' CSRF protection must not block machine clients: the bearer token is tried first."""
    from django.test import Client

    from yiwang.accounts.services import api_token_create

    clerk = world.users["clerk_a"]
    _token, secret = api_token_create(actor=None, user=clerk, name="部门审批系统")
    client = Client(enforce_csrf_checks=True)
    scan = upload_create(actor=clerk, name="场所证明.pdf", data=b"%PDF-1.4\n% scan\n%%EOF\n")
    body = {
        "item_id": person_item.pk,
        "form": valid_form(),
        "channel": "api",
        "person_id": world.persons["owner"].pk,
        "materials": {"premises": [scan.pk]},
    }
    response = client.post(
        API, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 201, response.content
    assert Case.objects.get().channel == "api"
    anonymous = Client(enforce_csrf_checks=True).post(API, data=json.dumps(body), content_type="application/json")
    assert anonymous.status_code == 403  # no token, no session: the CSRF check of the session path refuses
    assert Case.objects.count() == 1


def test_many_uploads_are_each_checked_for_their_owner(world: World, person_item: ServiceItem, upload_for):
    """More uploads than one prepared ownership check takes (16): every one is still checked."""
    own = [upload_for(content=f"第{n}页".encode()).pk for n in range(20)]
    foreign = upload_for("citizen_other").pk
    client = login(world.users["citizen_owner"])
    body = {"item_id": person_item.pk, "form": valid_form(), "materials": {"premises": [*own, foreign]}}
    refused = post(client, f"{API}", body)
    assert refused.status_code == 422
    assert problem_of(refused)["errors"] == [
        {"field": "body.materials.premises", "code": "validation_error", "message": "文件不存在或不属于您，请重新上传"}
    ]
    assert not Case.objects.exists()
    accepted = post(client, f"{API}", {**body, "materials": {"premises": own}})
    assert accepted.status_code == 201, accepted.content
    linked = Case.objects.get().materials.get(code="premises").uploads.values_list("pk", flat=True)
    assert sorted(linked) == sorted(own)
