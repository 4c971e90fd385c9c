"""The staff pages of 办件: queues, the case page and its actions, the materials viewer, notices, the intake.

Role matrix: clerk_a (综合窗口, 兰山区) accepts; clerk_b (罗庄区) gets "not found" and changes nothing;
approver_a acts only on steps of 兰山区市场监督管理局; the supervisor urges only yellow or red cases;
citizens are refused the workbench. Every refused action asserts its exact message and that nothing changed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yiwang.accounts.models import NaturalPerson
from yiwang.audit.models import AuditEvent
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode, CaseState, Channel, MaterialStatus, StepState
from yiwang.cases.models import Case, CaseEvent, CaseMaterial, CaseStep, CommitmentCheck, SpecialProcedure, Urge
from yiwang.catalog.models import ServiceItem
from yiwang.core import clock
from yiwang.core.identifiers import make_id_number
from yiwang.files.models import Upload
from yiwang.files.services import upload_create
from yiwang.testing.cases import published_item, valid_form
from yiwang.testing.world import World
from yiwang.workdays.calendar import workdays_between

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, Monday 2 March 2026
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
NOT_YOURS = "您不能办理该办件（不在您的区划或部门范围内）"


@pytest.fixture(autouse=True)
def _monday(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)


@pytest.fixture
def person_item(world: World) -> ServiceItem:
    return published_item(world.dept_a_market)


def _client(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def _upload(world: World, username: str = "citizen_owner", content: bytes = b"") -> Upload:
    return upload_create(actor=world.users[username], name="材料.pdf", data=PDF + (content or username.encode()))


def _submitted(world: World, item: ServiceItem, *, key: str = "k-1", premises: bool = True) -> Case:
    materials = {"premises": [_upload(world, content=key.encode()).pk]} if premises else {}
    return services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=item.pk,
        form=valid_form(),
        materials=materials,
        idempotency_key=key,
        commitment_signed=not premises,  # 告知承诺 in place of the missing 经营场所使用证明
    )


def _handling(world: World, item: ServiceItem, *, key: str = "k-1") -> Case:
    case = _submitted(world, item, key=key)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    case.refresh_from_db()
    return case


def _open_step(case: Case) -> CaseStep:
    return case.steps.get(state=StepState.OPEN)


def _act(client: Client, case: Case, action: str, data: dict | None = None):
    return client.post(reverse("workbench:case_action", args=[case.pk, action]), data or {})


def _ok(response, case: Case) -> None:
    """The action succeeded: back to the case page (a redirect to the login page would not do)."""
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == reverse("workbench:case", args=[case.pk])


def _text(response) -> str:
    return response.content.decode()


def _at(monkeypatch, when: dt.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


# --- who may open the pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["citizen_owner", "citizen_other"])
def test_citizens_are_refused_every_workbench_case_page(world, person_item, username):
    case = _submitted(world, person_item)
    client = _client(world, username)
    urls = [
        reverse("workbench:cases"),
        reverse("workbench:case_intake"),
        reverse("workbench:case", args=[case.pk]),
        reverse("workbench:case_notice", args=[case.pk, 1]),
    ]
    assert [client.get(url).status_code for url in urls] == [403, 403, 403, 403]
    response = _act(client, case, "accept", {"mode": "normal"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_anonymous_is_sent_to_the_login_page(world, person_item):
    case = _submitted(world, person_item)
    response = Client().get(reverse("workbench:case", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_queue_menu_shows_the_queues_each_role_gives(world):
    def labels(username: str) -> list[str]:
        response = _client(world, username).get(reverse("workbench:cases"))
        assert response.status_code == 200
        return [q["label"] for q in response.context["counts"]]

    assert labels("clerk_a") == ["待受理", "待补正", "待出件", "容缺待补", "黄灯预警", "红灯超期", "督办待反馈"]
    assert labels("approver_a") == ["待审核", "待决定", "容缺待补", "承诺待核查", "黄灯预警", "红灯超期", "督办待反馈"]
    assert labels("supervisor") == ["容缺待补", "黄灯预警", "红灯超期", "督办待反馈"]
    assert _client(world, "deptadmin_a").get(reverse("workbench:cases")).status_code == 403


def test_a_queue_the_user_does_not_have_is_not_found(world):
    response = _client(world, "supervisor").get(reverse("workbench:cases") + "?queue=to_accept")
    assert response.status_code == 404
    assert "队列不存在或您无权查看" in _text(response)


# --- queues ------------------------------------------------------------------------------------------------


def test_to_accept_queue_lists_the_region_cases_with_every_column(world, person_item):
    case = _submitted(world, person_item)
    page = _client(world, "clerk_a").get(reverse("workbench:cases") + "?queue=to_accept")
    rows = page.context["rows"]
    assert [r["case"].pk for r in rows] == [case.pk]
    html = _text(page)
    for text in (case.number, "个体工商户登记（设立）", "测试群众甲", "兰山区市场监督管理局", "2026-03-02", "待受理"):
        assert text in html
    assert [(q["label"], q["count"]) for q in page.context["counts"]][:3] == [
        ("待受理", 1),
        ("待补正", 0),
        ("待出件", 0),
    ]
    other = _client(world, "clerk_b").get(reverse("workbench:cases") + "?queue=to_accept")
    assert other.context["rows"] == []
    assert case.number not in _text(other)


def test_review_queue_shows_due_date_remaining_days_light_and_current_step(world, person_item):
    case = _handling(world, person_item)
    page = _client(world, "approver_a").get(reverse("workbench:cases") + "?queue=to_review")
    (row,) = page.context["rows"]
    assert row["case"].pk == case.pk
    assert row["remaining"] == "剩余5个工作日"
    assert row["light"]["label"] == "绿灯"
    assert row["current"] == "审核"
    html = _text(page)
    assert "2026-03-09" in html
    assert '<span class="light light-green"><span aria-hidden="true">●</span>绿灯（正常）</span>' in html


def test_red_queue_and_light_filter_follow_the_clock(world, person_item, monkeypatch):
    case = _handling(world, person_item)
    _at(monkeypatch, dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC))  # the day after the promise due date
    client = _client(world, "supervisor")
    red = client.get(reverse("workbench:cases") + "?queue=red")
    (row,) = red.context["rows"]
    assert (row["case"].pk, row["remaining"], row["light"]["label"]) == (case.pk, "超期1个工作日", "红灯")
    assert "■</span>红灯（超期）" in _text(red)
    deferred = client.get(reverse("workbench:cases") + "?queue=deferred")
    assert deferred.context["rows"][0]["overdue_deferred"] is True
    assert "容缺逾期" in _text(deferred)
    green = client.get(reverse("workbench:cases") + "?queue=deferred&light=green")
    assert green.context["rows"] == []
    by_red = client.get(reverse("workbench:cases") + "?queue=deferred&light=red")
    assert [r["case"].pk for r in by_red.context["rows"]] == [case.pk]


def test_queue_filters_by_department_and_case_number(world, person_item):
    first = _submitted(world, person_item, key="k-1")
    second = _submitted(world, person_item, key="k-2")
    client = _client(world, "clerk_a")
    url = reverse("workbench:cases") + "?queue=to_accept"
    by_number = client.get(url + f"&number={second.number[-6:]}")
    assert [r["case"].pk for r in by_number.context["rows"]] == [second.pk]
    same = client.get(url + f"&department={world.dept_a_market.pk}")
    assert {r["case"].pk for r in same.context["rows"]} == {first.pk, second.pk}
    other = client.get(url + f"&department={world.dept_a_admin.pk}")
    assert other.context["rows"] == []


def test_queue_pages_by_twenty(world, person_item):
    for n in range(23):
        _submitted(world, person_item, key=f"p-{n}", premises=False)
    client = _client(world, "clerk_a")
    first = client.get(reverse("workbench:cases") + "?queue=to_accept")
    assert len(first.context["rows"]) == 20
    assert first.context["page_obj"].paginator.count == 23
    second = client.get(reverse("workbench:cases") + "?queue=to_accept&page=2")
    assert len(second.context["rows"]) == 3


def _queue_queries(client: Client, queue: str) -> int:
    workdays_between(dt.date(2026, 3, 2), dt.date(2026, 3, 3))  # the calendar index is built outside the count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("workbench:cases") + f"?queue={queue}")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow_with_the_number_of_cases(world, person_item, django_assert_max_num_queries):
    for n in range(2):
        _handling(world, person_item, key=f"a-{n}")
    approver, clerk = _client(world, "approver_a"), _client(world, "clerk_a")
    few = (_queue_queries(approver, "to_review"), _queue_queries(clerk, "yellow"))
    for n in range(12):
        _handling(world, person_item, key=f"b-{n}")
    many = (_queue_queries(approver, "to_review"), _queue_queries(clerk, "yellow"))
    assert few == many
    with django_assert_max_num_queries(20):
        approver.get(reverse("workbench:cases") + "?queue=to_review")


# --- the case page -----------------------------------------------------------------------------------------


def test_case_page_shows_header_applicant_masked_form_and_logs_the_read(world, person_item):
    case = _handling(world, person_item)
    owner = world.persons["owner"]
    response = _client(world, "approver_a").get(reverse("workbench:case", args=[case.pk]))
    assert response.status_code == 200
    html = _text(response)
    for text in (case.number, "办理中", "容缺受理", "2026-03-09（剩余5个工作日）", "甲记小吃店", "餐饮"):
        assert text in html
    assert "2026-03-30（剩余20个工作日）" in html  # the 法定 due date counts down too
    assert owner.id_number_masked in html
    full = make_id_number("371302", dt.date(1985, 6, 1), 12)
    assert full not in html
    event = AuditEvent.objects.filter(action="case.form.view").latest("pk")
    assert (event.actor_username, event.object_type, event.object_id) == ("approver_a", "cases.case", str(case.pk))


def test_clerk_of_another_county_gets_not_found_everywhere_and_changes_nothing(world, person_item):
    case = _submitted(world, person_item)
    upload_id = case.materials.get(code="premises").uploads.get().pk
    client = _client(world, "clerk_b")
    assert client.get(reverse("workbench:case", args=[case.pk])).status_code == 404
    assert client.get(reverse("workbench:case_upload", args=[case.pk, upload_id])).status_code == 404
    response = _act(client, case, "accept", {"mode": "normal"})
    assert response.status_code == 404
    assert "办件不存在或您无权查看" in _text(response)
    for action, data in (("reject", {"reason": "材料不符合法定形式"}), ("supplement", {"need.premises": "1"})):
        assert _act(client, case, action, data).status_code == 404
    case.refresh_from_db()
    assert (case.state, case.last_event_seq) == (CaseState.SUBMITTED, 1)
    assert not AuditEvent.objects.filter(actor_username="clerk_b", action__startswith="case.").exists()


def test_clerk_accepts_normally_with_paper_counts(world, person_item):
    case = _submitted(world, person_item)
    client = _client(world, "clerk_a")
    page = _text(client.get(reverse("workbench:case", args=[case.pk])))
    assert 'id="form-accept"' in page and 'id="form-reject"' in page and 'id="form-supplement"' in page
    response = _act(
        client,
        case,
        "accept",
        {
            "mode": "deferred",
            "deferred_due": "2026-03-06",
            "paper.premises.originals": "1",
            "paper.premises.copies": "2",
        },
    )
    _ok(response, case)
    assert response["Location"] == reverse("workbench:case", args=[case.pk])
    case.refresh_from_db()
    assert (case.state, case.accept_mode, case.deferred_due) == (
        CaseState.HANDLING,
        AcceptMode.DEFERRED,
        dt.date(2026, 3, 6),
    )
    premises = case.materials.get(code="premises")
    assert (premises.originals_received, premises.copies_received) == (1, 2)
    followed = _text(client.get(response["Location"]))
    assert "已受理（容缺受理），承诺办结日期 2026-03-09。" in followed


def test_approver_may_not_accept_and_the_page_says_why(world, person_item):
    case = _submitted(world, person_item)
    client = _client(world, "approver_a")
    assert 'id="form-accept"' not in _text(client.get(reverse("workbench:case", args=[case.pk])))
    response = _act(client, case, "accept", {"mode": "normal"})
    assert response.status_code == 403
    assert f"操作未完成：{NOT_YOURS}" in _text(response)
    case.refresh_from_db()
    assert (case.state, case.last_event_seq) == (CaseState.SUBMITTED, 1)


def test_accept_refusals_show_the_service_message_next_to_the_field(world, person_item):
    case = _submitted(world, person_item)
    client = _client(world, "clerk_a")
    response = _act(client, case, "accept", {"mode": "commitment"})
    assert response.status_code == 422
    assert response.context["failed"].errors == {"commitment_signed": "告知承诺须由申请人签署承诺书"}
    html = _text(response)
    assert '<p class="field-error" id="accept-commitment_signed-error">告知承诺须由申请人签署承诺书</p>' in html
    assert 'id="accept-mode-commitment" value="commitment" checked' in html
    normal = _act(client, case, "accept", {"mode": "normal"})
    assert normal.status_code == 409
    assert normal.context["failed"].message == (
        "以下材料尚未提交，不能受理：经营场所照片。请出具一次性告知书要求补正，或按容缺受理"
    )
    paper = _act(client, case, "accept", {"mode": "normal", "paper.photo.originals": "x"})
    assert paper.context["failed"].errors == {"paper.photo": "收取份数应为0至99的原件份数和复印件份数"}
    case.refresh_from_db()
    assert (case.state, case.last_event_seq) == (CaseState.SUBMITTED, 1)


def test_accept_with_commitment_signed(world, person_item):
    case = _submitted(world, person_item, premises=False)
    response = _act(_client(world, "clerk_a"), case, "accept", {"mode": "commitment", "commitment_signed": "1"})
    _ok(response, case)
    case.refresh_from_db()
    assert (case.state, case.accept_mode, case.commitment_signed) == (CaseState.HANDLING, "commitment", True)
    assert CommitmentCheck.objects.get(case=case).state == "pending"


def test_reject_needs_a_reason_then_issues_the_notice(world, person_item):
    case = _submitted(world, person_item)
    client = _client(world, "clerk_a")
    refused = _act(client, case, "reject", {"reason": "不行"})
    assert refused.status_code == 422
    assert refused.context["failed"].errors == {"reason": "请填写不予受理的理由（至少5个字）"}
    assert 'id="reject-reason-error">请填写不予受理的理由（至少5个字）</p>' in _text(refused)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    done = _act(client, case, "reject", {"reason": "申请事项不属于本机关职权范围"})
    _ok(done, case)
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED
    assert list(case.notices.values_list("kind", flat=True)) == ["rejection"]


def test_one_time_notice_lists_every_ticked_material_and_free_items(world, person_item):
    case = _submitted(world, person_item)
    client = _client(world, "clerk_a")
    missing = _act(client, case, "supplement", {"need.premises": "1", "problem.premises": ""})
    assert missing.status_code == 422
    assert missing.context["failed"].errors == {"problem.premises": "请写明该材料的问题或补正要求"}
    assert 'id="supplement-problem-1-error">请写明该材料的问题或补正要求</p>' in _text(missing)
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    response = _act(
        client,
        case,
        "supplement",
        {
            "need.premises": "1",
            "problem.premises": "租赁合同缺少出租方签章",
            "need.photo": "1",
            "problem.photo": "请提供门头照片",
            "extra.0.name": "申请表",
            "extra.0.problem": "经营者签字不清",
            "note": "请于十个工作日内补正",
        },
    )
    _ok(response, case)
    case.refresh_from_db()
    assert case.state == CaseState.SUPPLEMENT
    notice = case.notices.get(kind="supplement")
    assert notice.items == [
        "经营场所使用证明：租赁合同缺少出租方签章",
        "经营场所照片：请提供门头照片",
        "申请表：经营者签字不清",
    ]
    pdf = client.get(reverse("workbench:case_notice", args=[case.pk, notice.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline;")
    assert pdf.content.startswith(b"%PDF")


def test_window_records_the_paper_supplement_and_the_case_returns_to_accept(world, person_item):
    case = _submitted(world, person_item)
    clerk = world.users["clerk_a"]
    services.case_request_supplement(actor=clerk, case_id=case.pk, items=[{"code": "photo", "problem": "缺照片"}])
    client = _client(world, "clerk_a")
    scan = PNG
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("workbench:case_action", args=[case.pk, "supplement_record"]),
        {"paper.photo.originals": "1", "scan.photo": SimpleUploadedFile("门头.png", scan, content_type="image/png")},
    )
    _ok(response, case)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    photo = case.materials.get(code="photo")
    assert (photo.status, photo.originals_received, photo.uploads.count()) == (MaterialStatus.PROVIDED, 1, 1)
    assert photo.uploads.get().uploader == clerk


# --- handling: steps, decision, procedures, checks ---------------------------------------------------------


def test_approver_completes_review_and_decides_but_the_clerk_cannot(world, person_item):
    case = _handling(world, person_item)
    review = _open_step(case)
    clerk = _client(world, "clerk_a")
    assert 'id="form-step_complete' not in _text(clerk.get(reverse("workbench:case", args=[case.pk])))
    refused = _act(clerk, case, "step_complete", {"step_id": review.pk, "opinion": "同意"})
    assert refused.status_code == 403
    assert refused.context["failed"].message == "您不是环节“审核”办理机构的审批人员"
    review.refresh_from_db()
    assert review.state == StepState.OPEN

    approver = _client(world, "approver_a")
    empty = _act(approver, case, "step_complete", {"step_id": review.pk, "opinion": ""})
    assert empty.status_code == 422
    assert f'id="step_complete-{review.pk}-opinion-error">请填写审核意见</p>' in _text(empty)
    done = _act(approver, case, "step_complete", {"step_id": review.pk, "opinion": "材料齐全，符合条件"})
    _ok(done, case)
    final = _open_step(case)
    assert (final.name, final.is_final) == ("办结", True)
    page = _text(approver.get(reverse("workbench:case", args=[case.pk])))
    assert 'id="form-decide"' in page
    refuse = _act(approver, case, "decide", {"decision": "refuse", "reason": "短"})
    assert refuse.context["failed"].errors == {"reason": "请填写不予准予的理由（至少5个字）"}
    decided = _act(approver, case, "decide", {"decision": "approve", "reason": ""})
    _ok(decided, case)
    case.refresh_from_db()
    assert (case.state, case.decision) == (CaseState.CLOSED, "approve")
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["submit", "accept", "step_complete", "decide", "close"]


def test_approver_does_not_see_or_act_on_cases_of_another_department(world):
    item = published_item(world.dept_a_admin)  # a case of 兰山区行政审批服务局
    case = _handling(world, item)
    step = _open_step(case)
    client = _client(world, "approver_a")
    assert client.get(reverse("workbench:case", args=[case.pk])).status_code == 404
    response = _act(client, case, "step_complete", {"step_id": step.pk, "opinion": "同意"})
    assert response.status_code == 404
    assert "办件不存在或您无权查看" in _text(response)
    queue = client.get(reverse("workbench:cases") + "?queue=to_review")
    assert queue.context["rows"] == []
    step.refresh_from_db()
    assert step.state == StepState.OPEN


def test_steps_are_assigned_to_an_approver_and_returned_to_an_earlier_step(world, person_item):
    case = _handling(world, person_item)
    approver = world.users["approver_a"]
    client = _client(world, "approver_a")
    review = _open_step(case)
    page = client.get(reverse("workbench:case", args=[case.pk]))
    (row,) = page.context["action_steps"]
    assert [a.username for a in row["approvers"]] == ["approver_a"]
    wrong = _act(client, case, "step_assign", {"step_id": review.pk, "assignee_id": world.users["clerk_a"].pk})
    assert wrong.context["failed"].errors == {"assignee_id": "被分派人员不是该环节办理机构的审批人员"}
    _ok(_act(client, case, "step_assign", {"step_id": review.pk, "assignee_id": approver.pk}), case)
    review.refresh_from_db()
    assert review.assignee == approver
    _ok(_act(client, case, "step_complete", {"step_id": review.pk, "opinion": "初审同意"}), case)
    final = _open_step(case)
    assert final.name == "办结"
    page = client.get(reverse("workbench:case", args=[case.pk]))
    (row,) = page.context["action_steps"]
    assert row["earlier"] == [(1, "审核")]
    no_reason = _act(client, case, "step_return", {"step_id": final.pk, "to_position": "1", "reason": ""})
    assert no_reason.context["failed"].errors == {"reason": "请填写退回理由（至少2个字）"}
    _ok(_act(client, case, "step_return", {"step_id": final.pk, "to_position": "1", "reason": "经营范围需核实"}), case)
    reopened = _open_step(case)
    assert (reopened.name, reopened.position) == ("审核", 1)


def test_special_procedure_pauses_then_resumes_the_clock_and_extension_moves_dates(world, person_item, monkeypatch):
    case = _handling(world, person_item)
    client = _client(world, "approver_a")
    bad = _act(client, case, "special_start", {"name": "专家评审", "reason": "需要专家评审", "planned_days": "0"})
    assert bad.context["failed"].errors == {"planned_days": "所需时间应为1至365个工作日"}
    _ok(_act(client, case, "special_start", {"name": "专家评审", "reason": "需要专家评审", "planned_days": "3"}), case)
    case.refresh_from_db()
    assert case.paused_since == dt.date(2026, 3, 2)
    procedure = SpecialProcedure.objects.get(case=case)
    assert "暂停计时" in _text(client.get(reverse("workbench:case", args=[case.pk])))
    _at(monkeypatch, dt.datetime(2026, 3, 4, 2, 0, tzinfo=dt.UTC))
    client = _client(world, "approver_a")  # a session does not outlive two days
    _ok(_act(client, case, "special_end", {"procedure_id": procedure.pk, "result": "专家同意"}), case)
    case.refresh_from_db()
    assert (case.paused_since, case.paused_days, case.promise_due) == (None, 2, dt.date(2026, 3, 11))
    too_long = _act(client, case, "extend", {"days": "11", "reason": "经局长批准延长"})
    assert too_long.context["failed"].errors == {"days": "延长期限应为1至10个工作日（累计不超过10个工作日）"}
    extended = _act(client, case, "extend", {"days": "2", "reason": "经局长批准延长"})
    _ok(extended, case)
    case.refresh_from_db()
    assert (case.extended_days, case.promise_due) == (2, dt.date(2026, 3, 13))
    clerk = _act(_client(world, "clerk_a"), case, "extend", {"days": "1", "reason": "经局长批准延长"})
    assert clerk.status_code == 403
    assert clerk.context["failed"].message == "您不是该办件办理机构的审批人员"


def test_commitment_check_is_recorded_by_the_department(world, person_item):
    case = _submitted(world, person_item, premises=False)
    services.case_accept(
        actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.COMMITMENT, commitment_signed=True
    )
    queue = _client(world, "approver_a").get(reverse("workbench:cases") + "?queue=to_verify")
    assert [r["case"].pk for r in queue.context["rows"]] == [case.pk]
    client = _client(world, "approver_a")
    broken = _act(client, case, "commitment_check", {"result": "broken", "note": ""})
    assert broken.context["failed"].errors == {"note": "请填写核查说明（至少5个字）"}
    _ok(_act(client, case, "commitment_check", {"result": "kept", "note": "现场核查属实"}), case)
    assert CommitmentCheck.objects.get(case=case).state == "kept"


def test_supervisor_urges_only_yellow_or_red_cases_and_the_department_responds(world, person_item, monkeypatch):
    case = _handling(world, person_item)
    supervisor = _client(world, "supervisor")
    assert 'id="form-urge"' not in _text(supervisor.get(reverse("workbench:case", args=[case.pk])))
    green = _act(supervisor, case, "urge", {"message": "请加快办理"})
    assert green.status_code == 409
    assert green.context["failed"].message == "只能督办黄灯预警或红灯超期的办件"
    assert not Urge.objects.filter(case=case).exists()
    clerk = _act(_client(world, "clerk_a"), case, "urge", {"message": "请加快办理"})
    assert clerk.status_code == 403
    assert clerk.context["failed"].message == NOT_YOURS

    _at(monkeypatch, dt.datetime(2026, 3, 6, 2, 0, tzinfo=dt.UTC))  # 黄灯 from 6 March
    supervisor = _client(world, "supervisor")  # a session does not outlive four days
    assert 'id="form-urge"' in _text(supervisor.get(reverse("workbench:case", args=[case.pk])))
    _ok(_act(supervisor, case, "urge", {"message": "请加快办理"}), case)
    urge = Urge.objects.get(case=case)
    assert (urge.light, urge.message) == ("yellow", "请加快办理")
    urged = _client(world, "approver_a").get(reverse("workbench:cases") + "?queue=urged")
    assert [r["case"].pk for r in urged.context["rows"]] == [case.pk]
    refused = _act(_client(world, "clerk_a"), case, "urge_respond", {"urge_id": urge.pk, "response": "已处理"})
    assert refused.status_code == 403
    approver = _client(world, "approver_a")
    _ok(_act(approver, case, "urge_respond", {"urge_id": urge.pk, "response": "今日办结"}), case)
    urge.refresh_from_db()
    assert urge.response == "今日办结"


def test_window_hands_over_the_result_against_the_pickup_code(world, person_item):
    case = _submitted(world, person_item)
    clerk, approver = world.users["clerk_a"], world.users["approver_a"]
    services.case_delivery_set(
        actor=world.users["citizen_owner"], case_id=case.pk, method="pickup", pickup_window_id=world.window_a1.pk
    )
    services.case_accept(actor=clerk, case_id=case.pk, mode=AcceptMode.DEFERRED)
    services.case_step_complete(actor=approver, case_id=case.pk, step_id=_open_step(case).pk, opinion="同意")
    services.case_decide(actor=approver, case_id=case.pk, decision="approve", reason="")
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    client = _client(world, "clerk_a")
    page = _text(client.get(reverse("workbench:case", args=[case.pk])))
    assert 'id="form-close"' in page
    assert case.pickup_code not in page
    wrong = _act(client, case, "close", {"pickup_code": "000000" if case.pickup_code != "000000" else "111111"})
    assert wrong.context["failed"].errors == {"pickup_code": "取件码不正确，请核对申请人出示的取件码"}
    _ok(_act(client, case, "close", {"pickup_code": case.pickup_code}), case)
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


# --- materials viewer --------------------------------------------------------------------------------------


def test_materials_open_inline_for_staff_who_may_see_the_case(world, person_item):
    case = _submitted(world, person_item)
    upload = case.materials.get(code="premises").uploads.get()
    client = _client(world, "clerk_a")
    page = _text(client.get(reverse("workbench:case", args=[case.pk]) + f"?view={upload.pk}"))
    src = reverse("workbench:case_upload", args=[case.pk, upload.pk])
    assert f'<iframe src="{src}" title="材料预览：材料.pdf"></iframe>' in page
    response = client.get(src)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; frame-ancestors 'self'"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    download = client.get(src + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")
    event = AuditEvent.objects.filter(action="case.material.view").latest("pk")
    assert (event.actor_username, event.object_id, event.changes) == ("clerk_a", str(case.pk), {"upload": upload.pk})


def test_an_image_opens_in_an_img_and_an_upload_of_another_case_is_not_served(world, person_item):
    case = _submitted(world, person_item, key="k-1")
    other = _submitted(world, person_item, key="k-2")
    photo = upload_create(actor=world.users["clerk_a"], name="门头.png", data=PNG)
    CaseMaterial.objects.get(case=case, code="photo").uploads.add(photo)
    client = _client(world, "clerk_a")
    page = _text(client.get(reverse("workbench:case", args=[case.pk]) + f"?view={photo.pk}"))
    assert f'<img src="{reverse("workbench:case_upload", args=[case.pk, photo.pk])}" alt="材料预览：门头.png">' in page
    foreign = other.materials.get(code="premises").uploads.get()
    response = client.get(reverse("workbench:case_upload", args=[case.pk, foreign.pk]))
    assert response.status_code == 404
    assert "文件不存在或您无权查看" in _text(response)
    assert "<iframe" not in _text(client.get(reverse("workbench:case", args=[case.pk]) + f"?view={foreign.pk}"))


# --- 综合窗口收件 -----------------------------------------------------------------------------------------------


def _intake_url(item: ServiceItem) -> str:
    return reverse("workbench:case_intake") + f"?item={item.pk}"


def test_intake_lists_published_items_of_every_department_in_the_region(world, person_item):
    admin_item = published_item(world.dept_a_admin, name="临时占用城市道路许可")
    far_item = published_item(world.dept_b_admin)
    client = _client(world, "clerk_a")
    page = client.get(reverse("workbench:case_intake"))
    assert {v.item_id for v in page.context["versions"]} == {person_item.pk, admin_item.pk}
    found = client.get(reverse("workbench:case_intake") + "?q=道路")
    assert [v.item_id for v in found.context["versions"]] == [admin_item.pk]
    assert client.get(_intake_url(far_item)).status_code == 404
    assert _client(world, "approver_a").get(reverse("workbench:case_intake")).status_code == 403


def test_intake_finds_the_applicant_by_id_number_over_post_only(world, person_item):
    client = _client(world, "clerk_a")
    owner = world.persons["owner"]
    number = make_id_number("371302", dt.date(1985, 6, 1), 12)
    response = client.post(_intake_url(person_item), {"op": "find", "find-id_number": number})
    assert response.status_code == 200
    assert response.context["state"].person == owner
    html = _text(response)
    assert owner.id_number_masked in html and number not in html
    assert f'name="person_id" value="{owner.pk}"' in html
    assert 'id="intake-form"' in html
    search = AuditEvent.objects.filter(action="person.search").latest("pk")
    assert (search.actor_username, search.object_id) == ("clerk_a", str(owner.pk))
    missing = client.post(
        _intake_url(person_item), {"op": "find", "find-id_number": make_id_number("371302", dt.date(1970, 1, 1), 5)}
    )
    assert missing.context["state"].person is None
    assert "未找到该身份证号的申请人，请在下方登记。" in _text(missing)


def test_intake_registers_a_new_person_submits_and_accepts_on_the_spot(world, person_item):
    client = _client(world, "clerk_a")
    number = make_id_number("371302", dt.date(1978, 4, 5), 33)
    registered = client.post(
        _intake_url(person_item),
        {
            "op": "register",
            "idempotency_key": "intake-1",
            "reg-name": "窗口新申请人",
            "reg-id_number": number,
            "reg-phone": "13805390099",
            "reg-region_code": "371302",
        },
    )
    person = NaturalPerson.objects.get(name="窗口新申请人")
    assert registered.context["state"].person == person
    assert number not in _text(registered)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "op": "submit",
        "idempotency_key": "intake-1",
        "person_id": str(person.pk),
        "form.applicant_name": "窗口新申请人",
        "form.shop_name": "新记早餐店",
        "form.scope": "餐饮",
        "paper.premises.originals": "1",
        "paper.premises.copies": "1",
        "paper.photo.copies": "1",
        "scan.premises": SimpleUploadedFile("租赁合同.pdf", PDF + b"lease", content_type="application/pdf"),
        "accept_now": "1",
        "mode": "normal",
    }
    response = client.post(_intake_url(person_item), data)
    case = Case.objects.get(applicant_person=person)
    _ok(response, case)
    assert number not in response["Location"]
    assert (case.state, case.channel, case.window, case.accept_mode) == (
        CaseState.HANDLING,
        Channel.WINDOW,
        world.window_a1,
        AcceptMode.NORMAL,
    )
    assert case.submitted_by == world.users["clerk_a"]
    counts = {m.code: (m.status, m.originals_received, m.copies_received) for m in case.materials.all()}
    assert counts == {
        "id_card": (MaterialStatus.EXEMPT, 0, 0),
        "premises": (MaterialStatus.PROVIDED, 1, 1),
        "photo": (MaterialStatus.PROVIDED, 0, 1),
    }
    assert case.materials.get(code="premises").uploads.get().name == "租赁合同.pdf"
    assert services.case_form(case) == {"applicant_name": "窗口新申请人", "shop_name": "新记早餐店", "scope": "餐饮"}
    followed = _text(client.get(response["Location"]))
    assert f"已当场受理（一般受理），办件编号 {case.number}，查询码 {case.lookup_code}（请告知申请人）。" in followed
    data.pop("scan.premises")
    again = client.post(_intake_url(person_item), data)  # the browser resends: the first case stands
    assert again["Location"] == reverse("workbench:case", args=[case.pk])
    assert Case.objects.filter(applicant_person=person).count() == 1


def test_intake_shows_form_errors_and_keeps_what_was_entered(world, person_item):
    client = _client(world, "clerk_a")
    owner = world.persons["owner"]
    response = client.post(
        _intake_url(person_item),
        {
            "op": "submit",
            "idempotency_key": "intake-2",
            "person_id": str(owner.pk),
            "form.applicant_name": "测试群众甲",
            "form.shop_name": "",
            "form.scope": "餐饮",
            "paper.premises.originals": "1",
        },
    )
    assert response.status_code == 422
    html = _text(response)
    assert "未能提交：申请表填写有误，请按提示修改" in html
    assert "个体工商户名称：请填写" in html
    assert 'name="form.applicant_name" id="form-applicant_name" value="测试群众甲"' in html
    assert 'name="paper.premises.originals" value="1"' in html
    assert not Case.objects.exists()


def test_intake_without_accepting_leaves_the_case_to_accept_and_a_refused_acceptance_is_reported(world, person_item):
    client = _client(world, "clerk_a")
    owner = world.persons["owner"]
    base = {
        "op": "submit",
        "person_id": str(owner.pk),
        "form.applicant_name": "测试群众甲",
        "form.shop_name": "甲记小吃店",
        "form.scope": "餐饮",
        "paper.premises.originals": "1",
    }
    waiting = client.post(_intake_url(person_item), {**base, "idempotency_key": "i-1"})
    first = Case.objects.get(idempotency_key="i-1")
    assert first.state == CaseState.SUBMITTED
    assert f"申请已提交，办件编号 {first.number}" in _text(client.get(waiting["Location"]))
    refused = client.post(
        _intake_url(person_item), {**base, "idempotency_key": "i-2", "accept_now": "1", "mode": "normal"}
    )
    second = Case.objects.get(idempotency_key="i-2")
    assert second.state == CaseState.SUBMITTED
    assert (
        f"申请已提交（办件编号 {second.number}，查询码 {second.lookup_code}（请告知申请人）），但未能当场受理："
        "以下材料尚未提交，不能受理：经营场所照片。请出具一次性告知书要求补正，或按容缺受理"
    ) in _text(client.get(refused["Location"]))


def test_intake_for_an_enterprise_found_by_uscc(world):
    from yiwang.accounts.services import legal_person_register
    from yiwang.core.identifiers import make_uscc

    item = published_item(world.dept_a_market, service_objects=["1", "2"])
    enterprise = legal_person_register(
        actor=None,
        uscc=make_uscc("91", "371302", "ENT00001"),
        name="临沂甲乙商贸有限公司",
        legal_representative=world.persons["owner"],
        region=world.county_a,
    )
    client = _client(world, "clerk_a")
    bad = client.post(_intake_url(item), {"op": "enterprise", "uscc": "123"})
    assert bad.context["enterprise_error"]
    found = client.post(_intake_url(item), {"op": "enterprise", "uscc": enterprise.uscc, "idempotency_key": "e-1"})
    assert found.context["state"].enterprise == enterprise
    response = client.post(
        _intake_url(item),
        {
            "op": "submit",
            "idempotency_key": "e-1",
            "enterprise_id": str(enterprise.pk),
            "form.applicant_name": "测试群众甲",
            "form.shop_name": "甲乙商贸",
            "form.scope": "零售",
            "paper.premises.originals": "1",
            "paper.photo.originals": "1",
            "accept_now": "1",
            "mode": "normal",
        },
    )
    case = Case.objects.get(applicant_enterprise=enterprise)
    _ok(response, case)
    assert (case.applicant_name, case.state) == ("临沂甲乙商贸有限公司", CaseState.HANDLING)


def test_in_a_joint_case_the_approver_acts_on_his_department_step_only(world):
    market = world.dept_a_market.uscc
    steps = [
        {"name": "受理", "unit": "综合窗口", "limit": {"value": 1}},
        {"name": "审核", "unit": "登记注册科", "limit": {"value": 3}, "department": market},
        {"name": "办结", "unit": "审批科", "limit": {"value": 1}},
    ]
    item = published_item(world.dept_a_admin, steps=steps, joint_departments=[market])
    case = _handling(world, item)
    review = _open_step(case)
    assert review.department == world.dept_a_market
    client = _client(world, "approver_a")
    page = client.get(reverse("workbench:case", args=[case.pk]))
    assert [row["step"].pk for row in page.context["action_steps"]] == [review.pk]
    _ok(_act(client, case, "step_complete", {"step_id": review.pk, "opinion": "经营范围符合规定"}), case)
    final = _open_step(case)
    assert final.department == world.dept_a_admin
    page = client.get(reverse("workbench:case", args=[case.pk]))
    assert page.context["action_steps"] == [] and "decide" not in page.context["actions"]
    refused = _act(client, case, "decide", {"decision": "approve", "reason": "同意"})
    assert refused.status_code == 403
    assert refused.context["failed"].message == "您不是决定环节办理机构的审批人员"
    case.refresh_from_db()
    assert (case.state, case.decision) == (CaseState.HANDLING, "")


def test_workbench_home_links_to_the_case_pages_by_role(world):
    def tiles(username: str) -> tuple[bool, bool]:
        html = _text(_client(world, username).get(reverse("workbench:home")))
        return ("<strong>办件工作台</strong>" in html, "<strong>综合窗口收件</strong>" in html)

    assert tiles("clerk_a") == (True, True)
    assert tiles("approver_a") == (True, False)
    assert tiles("supervisor") == (True, False)
    assert tiles("deptadmin_a") == (False, False)


def test_a_scan_of_the_wrong_type_is_refused_next_to_its_material(world, person_item):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = _submitted(world, person_item)
    services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=case.pk, items=[{"code": "photo", "problem": "缺照片"}]
    )
    response = _client(world, "clerk_a").post(
        reverse("workbench:case_action", args=[case.pk, "supplement_record"]),
        {"scan.photo": SimpleUploadedFile("门头.png", b"just text", content_type="image/png")},
    )
    assert response.status_code == 422
    message = "经营场所照片：文件格式不支持：仅可上传 PDF、JPG、PNG、OFD 格式的文件（按文件内容判断，与文件名无关）"
    assert response.context["failed"].errors == {"materials.photo": message}
    assert f'id="supplement_record-m3-error">{message}</p>' in _text(response)
    case.refresh_from_db()
    assert case.state == CaseState.SUPPLEMENT
