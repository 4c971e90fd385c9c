"""The transitions one by one: guards, exact deadlines, notices, events — and refusals that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.cases import services
from yiwang.cases.choices import (
    AcceptMode,
    CaseState,
    CheckState,
    Decision,
    MaterialStatus,
    NoticeKind,
    StepState,
)
from yiwang.cases.models import Case, CaseEvent, CommitmentCheck
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.testing.cases import published_item, valid_form

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 Shanghai


@pytest.fixture
def now(monkeypatch):
    moment = [MONDAY]
    monkeypatch.setattr(clock, "now", lambda: moment[0])
    return moment


def _days(moment, n):
    moment[0] = moment[0] + dt.timedelta(days=n)


@pytest.fixture
def submitted(world, person_item, upload_for, now):
    return services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [upload_for().pk]},
    )


def _events(case):
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True))


def test_one_time_notice_lists_every_problem_and_the_resubmission_goes_back_to_acceptance(world, submitted, upload_for):
    clerk, citizen = world.users["clerk_a"], world.users["citizen_owner"]
    services.case_request_supplement(
        actor=clerk,
        case_id=submitted.pk,
        items=[
            {"code": "premises", "problem": "租赁合同已过期，请提供有效期内的合同"},
            {"code": "photo", "problem": "请补充门头照片"},
            {"name": "申请表", "problem": "经营范围填写不完整"},
        ],
    )
    case = Case.objects.get(pk=submitted.pk)
    assert case.state == CaseState.SUPPLEMENT
    notice = case.notices.get(kind=NoticeKind.SUPPLEMENT)
    assert notice.items == [
        "经营场所使用证明：租赁合同已过期，请提供有效期内的合同",
        "经营场所照片：请补充门头照片",
        "申请表：经营范围填写不完整",
    ]
    assert case.materials.get(code="premises").status == MaterialStatus.ABSENT
    with pytest.raises(DomainError) as exc:
        services.case_accept(actor=clerk, case_id=case.pk)
    assert exc.value.code == ErrorCode.INVALID_STATE

    services.case_supplement(
        actor=citizen,
        case_id=case.pk,
        materials={"premises": [upload_for(content=b"new lease").pk], "photo": [upload_for(content=b"p").pk]},
    )
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert case.notices.get(kind=NoticeKind.SUPPLEMENT).answered_at is not None
    assert set(case.materials.values_list("code", "status")) == {
        ("id_card", MaterialStatus.EXEMPT),
        ("premises", MaterialStatus.PROVIDED),
        ("photo", MaterialStatus.PROVIDED),
    }
    services.case_accept(actor=clerk, case_id=case.pk)
    assert _events(case) == ["submit", "request_supplement", "supplement", "accept"]


def test_normal_acceptance_is_refused_while_a_deferrable_material_is_missing(world, submitted):
    with pytest.raises(DomainError) as exc:
        services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk)
    assert exc.value.message == "以下材料尚未提交，不能受理：经营场所照片。请出具一次性告知书要求补正，或按容缺受理"
    assert Case.objects.get(pk=submitted.pk).state == CaseState.SUBMITTED
    assert _events(submitted) == ["submit"]


def test_deferred_materials_supplied_late_clear_the_due_date(world, submitted, upload_for, now):
    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    case = Case.objects.get(pk=submitted.pk)
    assert case.deferred_due == dt.date(2026, 3, 9)
    assert case.materials.get(code="photo").status == MaterialStatus.DEFERRED
    services.case_deferred_supply(
        actor=world.users["citizen_owner"], case_id=case.pk, materials={"photo": [upload_for(content=b"x").pk]}
    )
    case.refresh_from_db()
    assert case.deferred_due is None
    assert case.materials.get(code="photo").status == MaterialStatus.PROVIDED


def test_commitment_acceptance_creates_a_check_whose_outcome_is_recorded(world, submitted, now):
    clerk, approver = world.users["clerk_a"], world.users["approver_a"]
    with pytest.raises(DomainError) as exc:
        services.case_accept(actor=clerk, case_id=submitted.pk, mode=AcceptMode.COMMITMENT)
    assert exc.value.field == "commitment_signed"
    services.case_accept(actor=clerk, case_id=submitted.pk, mode=AcceptMode.COMMITMENT, commitment_signed=True)
    check = CommitmentCheck.objects.get(case=submitted)
    assert (check.state, check.due) == (CheckState.PENDING, dt.date(2026, 3, 30))
    assert Case.objects.get(pk=submitted.pk).materials.get(code="photo").status == MaterialStatus.COMMITTED
    with pytest.raises(DomainError):
        services.case_commitment_check(actor=approver, case_id=submitted.pk, kept=False, note="")
    services.case_commitment_check(actor=approver, case_id=submitted.pk, kept=False, note="现场核查经营场所与承诺不符")
    check.refresh_from_db()
    assert check.state == CheckState.BROKEN


def test_a_pausing_special_procedure_moves_every_due_date_by_the_working_days_it_lasted(world, submitted, now):
    approver = world.users["approver_a"]
    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    procedure = services.case_special_start(
        actor=approver, case_id=submitted.pk, name="专家评审", reason="场所安全需专家评审", planned_days=5
    )
    case = Case.objects.get(pk=submitted.pk)
    assert case.paused_since == dt.date(2026, 3, 2)
    _days(now, 7)  # Monday 9 March: five working days later
    services.case_special_end(actor=approver, case_id=case.pk, procedure_id=procedure.pk, result="评审通过")
    case.refresh_from_db()
    assert (case.paused_since, case.paused_days) == (None, 5)
    assert case.promise_due == dt.date(2026, 3, 16)  # 9 March + 5 working days
    assert case.legal_due == dt.date(2026, 4, 7)  # 30 March + 5 working days (Qingming 4–6 April)


def test_a_special_procedure_the_item_does_not_define_is_refused(world, submitted):
    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    with pytest.raises(DomainError) as exc:
        services.case_special_start(
            actor=world.users["approver_a"], case_id=submitted.pk, name="听证", reason="需要听证", planned_days=5
        )
    assert exc.value.message == "该事项未规定此特别程序（可用：专家评审、现场核查）"


def test_extension_moves_due_dates_and_is_capped_at_ten_working_days(world, submitted, now):
    approver = world.users["approver_a"]
    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    services.case_extend(actor=approver, case_id=submitted.pk, days=8, reason="情况复杂，经局长批准延长")
    case = Case.objects.get(pk=submitted.pk)
    assert (case.promise_due, case.legal_due, case.extended_days) == (dt.date(2026, 3, 19), dt.date(2026, 4, 10), 8)
    with pytest.raises(DomainError) as exc:
        services.case_extend(actor=approver, case_id=submitted.pk, days=3, reason="情况复杂，再次延长审批")
    assert exc.value.message == "延长期限应为1至2个工作日（累计不超过10个工作日）"


def test_return_to_review_reopens_it_and_refusal_carries_the_remedies(world, submitted, now):
    approver = world.users["approver_a"]
    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    review = submitted.steps.get(state=StepState.OPEN)
    services.case_step_complete(actor=approver, case_id=submitted.pk, step_id=review.pk, opinion="同意")
    final = submitted.steps.get(state=StepState.OPEN)
    services.case_step_return(actor=approver, case_id=submitted.pk, step_id=final.pk, to_position=1, reason="补充核实")
    reopened = submitted.steps.get(state=StepState.OPEN)
    assert (reopened.name, reopened.position) == ("审核", 1)
    services.case_step_complete(actor=approver, case_id=submitted.pk, step_id=reopened.pk, opinion="已核实")
    final = submitted.steps.get(state=StepState.OPEN)
    with pytest.raises(DomainError) as exc:
        services.case_decide(actor=approver, case_id=submitted.pk, decision=Decision.REFUSE, reason="短")
    assert exc.value.field == "reason"
    services.case_decide(
        actor=approver, case_id=submitted.pk, decision=Decision.REFUSE, reason="经营场所不符合安全要求"
    )
    case = Case.objects.get(pk=submitted.pk)
    assert case.decision == Decision.REFUSE
    refusal = case.notices.get(kind=NoticeKind.REFUSAL)
    assert "兰山区人民政府申请行政复议" in refusal.paragraphs[-1]
    assert final.pk != reopened.pk


def test_window_intake_of_an_instant_item_is_decided_at_acceptance(world, now):
    item = published_item(
        world.dept_a_market,
        name="个体工商户名称自主申报",
        case_kind="1",
        promise_limit={"value": 0},
        legal_limit={"value": 0},
        steps=[{"name": "受理", "unit": "综合窗口", "limit": {"value": 0}}, {"name": "办结", "unit": "综合窗口"}],
        commitment=False,
        commitment_text="",
        materials=[],
    )
    clerk = world.users["clerk_a"]
    case = services.case_submit(
        actor=clerk,
        channel="window",
        item_id=item.pk,
        form=valid_form(),
        person_id=world.persons["owner"].pk,
        window_id=world.window_a1.pk,
    )
    assert case.pickup_window_id == world.window_a1.pk and len(case.pickup_code) == 6
    services.case_accept(actor=clerk, case_id=case.pk)
    case.refresh_from_db()
    assert (case.state, case.accept_mode, case.decision) == (CaseState.DECIDED, AcceptMode.INSTANT, Decision.APPROVE)
    assert case.promise_due == dt.date(2026, 3, 2)
    with pytest.raises(DomainError) as exc:
        services.case_close(actor=clerk, case_id=case.pk, pickup_code="000000" if case.pickup_code != "000000" else "1")
    assert exc.value.field == "pickup_code"
    services.case_close(actor=clerk, case_id=case.pk, pickup_code=case.pickup_code)
    assert Case.objects.get(pk=case.pk).state == CaseState.CLOSED


def test_a_clerk_of_another_county_cannot_accept_and_nothing_changes(world, submitted):
    with pytest.raises(DomainError) as exc:
        services.case_accept(actor=world.users["clerk_b"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    assert exc.value.code == ErrorCode.PERMISSION_DENIED
    assert Case.objects.get(pk=submitted.pk).state == CaseState.SUBMITTED
    assert _events(submitted) == ["submit"]


def test_the_applicant_withdraws_before_the_decision_but_not_after(world, submitted):
    citizen = world.users["citizen_owner"]
    with pytest.raises(DomainError) as exc:
        services.case_withdraw(actor=world.users["citizen_other"], case_id=submitted.pk, reason="不办了")
    assert exc.value.code == ErrorCode.NOT_FOUND
    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    services.case_withdraw(actor=citizen, case_id=submitted.pk, reason="暂不开店")
    case = Case.objects.get(pk=submitted.pk)
    assert case.state == CaseState.WITHDRAWN
    assert not case.steps.filter(state=StepState.OPEN).exists()


def test_supervisor_urges_only_yellow_or_red_cases_and_the_department_answers(world, submitted, now):
    supervisor, approver = world.users["supervisor"], world.users["approver_a"]
    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    with pytest.raises(DomainError) as exc:
        services.case_urge(actor=supervisor, case_id=submitted.pk, message="请加快办理")
    assert exc.value.message == "只能督办黄灯预警或红灯超期的办件"
    _days(now, 4)  # Friday 6 March: warn_on
    urge = services.case_urge(actor=supervisor, case_id=submitted.pk, message="请加快办理")
    assert urge.light == "yellow"
    with pytest.raises(DomainError):
        services.case_urge(actor=supervisor, case_id=submitted.pk, message="再次督办")
    services.case_urge_respond(actor=approver, case_id=submitted.pk, urge_id=urge.pk, response="今日办结")
    urge.refresh_from_db()
    assert urge.response == "今日办结"


def test_a_retried_submission_with_different_content_is_refused(world, person_item, upload_for, now):
    citizen = world.users["citizen_owner"]
    upload = upload_for()
    services.case_submit(
        actor=citizen,
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [upload.pk]},
        idempotency_key="a",
    )
    with pytest.raises(DomainError) as exc:
        services.case_submit(
            actor=citizen,
            item_id=person_item.pk,
            form=valid_form(shop_name="乙记"),
            materials={"premises": [upload.pk]},
            idempotency_key="a",
        )
    assert exc.value.code == ErrorCode.CONFLICT
    assert Case.objects.count() == 1


def test_someone_elses_upload_cannot_be_attached(world, person_item, upload_for, now):
    with pytest.raises(DomainError) as exc:
        services.case_submit(
            actor=world.users["citizen_owner"],
            item_id=person_item.pk,
            form=valid_form(),
            materials={"premises": [upload_for("citizen_other").pk]},
        )
    assert exc.value.errors[0].field == "materials.premises"
    assert not Case.objects.exists()


def test_deferred_materials_are_reminded_once_a_day_when_due_and_flagged_when_overdue(
    world, submitted, now, django_capture_on_commit_callbacks
):
    from yiwang.accounts import sms
    from yiwang.cases.selectors import queue
    from yiwang.cases.tasks import deferred_reminders_send

    services.case_accept(actor=world.users["clerk_a"], case_id=submitted.pk, mode=AcceptMode.DEFERRED)
    assert deferred_reminders_send(on=dt.date(2026, 3, 5)) == 0  # due 9 March: not yet
    before = sms.outbox()  # kept referenced, so the ids of these messages stay theirs
    seen = {id(m) for m in before}
    with django_capture_on_commit_callbacks(execute=True):
        assert deferred_reminders_send(on=dt.date(2026, 3, 6)) == 1  # one working day left
        assert deferred_reminders_send(on=dt.date(2026, 3, 6)) == 0  # once a day
    assert "须于2026年03月09日前补齐" in sms.outbox()[0].text
    assert len([m for m in sms.outbox() if id(m) not in seen]) == 1  # (the outbox is bounded: by identity)
    with django_capture_on_commit_callbacks(execute=True):
        assert deferred_reminders_send(on=dt.date(2026, 3, 10)) == 1
    assert "已超过补齐期限" in sms.outbox()[0].text
    now[0] = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
    overdue = queue(user=world.users["clerk_a"], name="deferred").get()
    assert overdue.pk == submitted.pk and overdue.deferred_due < dt.date(2026, 3, 10)


AUTO = {
    "auto_approval": True,
    "commitment": False,
    "commitment_text": "",
    "materials": [],
    "auto_rules": [
        {
            "name": "零售个体户",
            "outcome": "approve",
            "conditions": [
                {"fact": "applicant.age", "op": "ge", "value": 18, "label": "申请人年满18周岁"},
                {"fact": "form.scope", "op": "eq", "value": "零售", "label": "经营范围为零售"},
            ],
            "reason": "年满18周岁的零售个体户，即时准予",
        },
        {
            "name": "持证经营",
            "outcome": "approve",
            "conditions": [
                {"fact": "form.scope", "op": "eq", "value": "餐饮", "label": "经营范围为餐饮"},
                {"fact": "licence.11100000MB0143028L001.valid", "op": "is_true", "label": "持有有效许可证"},
            ],
            "reason": "持证餐饮",
        },
    ],
}


def test_auto_approval_decides_without_a_human_and_keeps_the_rule_and_why(world, now):
    item = published_item(world.dept_a_market, name="个体工商户秒批登记", **AUTO)
    case = services.case_submit(
        actor=world.users["citizen_owner"], item_id=item.pk, form=valid_form(scope="零售"), materials={}
    )
    case.refresh_from_db()
    assert (case.state, case.accept_mode, case.decision) == (CaseState.CLOSED, AcceptMode.AUTO, Decision.APPROVE)
    assert case.auto_decision["rule_name"] == "零售个体户"
    assert case.auto_decision["outcome"] == "approve"
    assert [c["holds"] for c in case.auto_decision["trace"][:2]] == [True, True]
    assert _events(case) == ["submit", "auto_decide", "accept", "decide", "close"]
    assert case.accepted_by is None and case.decided_by is None


def test_auto_approval_falls_back_to_people_when_a_fact_is_missing(world, now):
    item = published_item(world.dept_a_market, name="个体工商户秒批登记", **AUTO)
    case = services.case_submit(
        actor=world.users["citizen_owner"], item_id=item.pk, form=valid_form(scope="餐饮"), materials={}
    )
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert case.auto_decision["outcome"] == "manual"
    assert "转人工审核" in case.auto_decision["reason"]
    assert _events(case) == ["submit", "auto_decide"]


def test_an_online_commitment_without_the_materials_needs_the_signature_and_records_it(world, person_item, now):
    citizen = world.users["citizen_owner"]
    with pytest.raises(DomainError) as exc:
        services.case_submit(actor=citizen, item_id=person_item.pk, form=valid_form(), materials={})
    assert exc.value.field == "commitment_signed"
    assert not Case.objects.exists()
    case = services.case_submit(
        actor=citizen, item_id=person_item.pk, form=valid_form(), materials={}, commitment_signed=True
    )
    assert case.commitment_signed is True
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.COMMITMENT)
    case.refresh_from_db()
    assert case.accept_mode == AcceptMode.COMMITMENT
    assert set(case.materials.values_list("code", "status")) == {
        ("id_card", MaterialStatus.EXEMPT),
        ("premises", MaterialStatus.COMMITTED),
        ("photo", MaterialStatus.COMMITTED),
    }


def test_a_submission_deletes_only_its_own_draft(world, person_item, upload_for, now):
    from yiwang.cases.models import ApplicationDraft

    owner, other = world.users["citizen_owner"], world.users["citizen_other"]
    for actor, identity in ((owner, "person"), (owner, "principal:999"), (other, "person")):
        services.draft_save(
            actor=actor, item_id=person_item.pk, identity=identity, form={"shop_name": "草稿"}, materials={}, revision=0
        )
    services.case_submit(
        actor=owner, item_id=person_item.pk, form=valid_form(), materials={"premises": [upload_for().pk]}
    )
    left = sorted(ApplicationDraft.objects.values_list("owner__username", "identity"))
    assert left == sorted([(owner.username, "principal:999"), (other.username, "person")])


def test_a_notice_texts_the_applicant_once_the_transition_commits(world, submitted, django_capture_on_commit_callbacks):
    from yiwang.accounts import sms
    from yiwang.core.masking import mask_phone

    before = sms.outbox()  # kept referenced, so the ids of these messages stay theirs
    seen = {id(m) for m in before}
    with django_capture_on_commit_callbacks(execute=True):
        services.case_request_supplement(
            actor=world.users["clerk_a"],
            case_id=submitted.pk,
            items=[{"code": "premises", "problem": "租赁合同已过期"}],
        )
    sent = [m for m in sms.outbox() if id(m) not in seen]  # (the outbox is bounded: count by identity)
    assert [m.phone_masked for m in sent] == [mask_phone("13805390001")]
    assert sent[0].text == f"【一网通办】测试群众甲，您的办件{submitted.number}有新的补正材料一次性告知书，请登录查看。"


def _linked(case_id):
    return {
        m.code: sorted(m.uploads.values_list("pk", flat=True))
        for m in Case.objects.get(pk=case_id).materials.order_by("code")
    }


def test_uploads_are_linked_to_their_own_materials_on_submission_and_later(world, person_item, upload_for, now):
    """One ``INSERT … SELECT`` links each upload to the case's material of its code: several codes, several
    files for one code, and later uploads (容缺后补, 补正) beside or instead of the earlier ones."""
    citizen = world.users["citizen_owner"]
    first, second, third = (upload_for(content=c) for c in (b"1", b"2", b"3"))
    case = services.case_submit(
        actor=citizen,
        item_id=person_item.pk,
        form=valid_form(),
        materials={"premises": [first.pk, second.pk], "id_card": [third.pk]},
    )
    assert _linked(case.pk) == {"id_card": [third.pk], "photo": [], "premises": sorted([first.pk, second.pk])}
    other = services.case_submit(
        actor=citizen, item_id=person_item.pk, form=valid_form(), materials={"premises": [first.pk]}
    )
    assert _linked(other.pk)["premises"] == [first.pk]  # the same file in another case: its own link
    assert _linked(case.pk)["premises"] == sorted([first.pk, second.pk])  # untouched
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    late = upload_for(content=b"4")
    services.case_deferred_supply(actor=citizen, case_id=case.pk, materials={"photo": [late.pk]})
    assert _linked(case.pk)["photo"] == [late.pk]
    assert _linked(other.pk)["photo"] == []  # only this case's material of that code
    services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=other.pk, items=[{"code": "premises", "problem": "不清晰"}]
    )
    replaced = upload_for(content=b"5")
    services.case_supplement(actor=citizen, case_id=other.pk, materials={"premises": [replaced.pk]})
    assert _linked(other.pk)["premises"] == [replaced.pk]  # 补正 replaces the faulty files
