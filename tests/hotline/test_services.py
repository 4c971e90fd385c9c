"""The 12345 work-order services: deadlines, the full loop, transfer and return, extension, 督办, the duplicate
hint, the 办不成事 five steps and personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.hotline import services
from yiwang.hotline.choices import (
    EventAction,
    ExtensionState,
    ReplyOutcome,
    RevisitMethod,
    Satisfaction,
    SupervisionKind,
    TicketSource,
    TicketState,
    TicketType,
    Urgency,
)
from yiwang.hotline.deadlines import due_at
from yiwang.hotline.models import DeadlineRule, Supervision, Ticket
from yiwang.hotline.selectors import duplicates_for, window_stages
from yiwang.testing.hotline import CALLER_PHONE, MONDAY, phone_ticket, ticket_in_state

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


# --- deadlines on working days ---------------------------------------------------------------------------


def test_complaint_is_due_at_the_end_of_the_thirteenth_working_day(world, agent):
    ticket = phone_ticket(world, ticket_type=TicketType.COMPLAINT)
    assert ticket.registered_at == MONDAY
    assert timezone.localtime(ticket.due_at) == local(2026, 3, 19, 23, 59, 59)


def test_consult_on_a_friday_skips_the_weekend(world, agent, at):
    at(local(2026, 3, 6, 16, 0))  # Friday
    ticket = phone_ticket(world, ticket_type=TicketType.CONSULT)
    assert timezone.localtime(ticket.due_at) == local(2026, 3, 11, 23, 59, 59)  # Mon, Tue, Wed


def test_consult_before_qingming_skips_the_holiday(db):
    # 清明 2026: 4–6 April off; Friday the 3rd works.
    assert due_at(local(2026, 4, 2, 9, 0), ticket_type="consult", urgency="normal") == local(2026, 4, 8, 23, 59, 59)


def test_national_day_counts_the_saturday_worked_in_lieu(db):
    # 1–8 October 2026 off; Saturday 10 October is a working day (调休).
    assert due_at(local(2026, 9, 30, 9, 0), ticket_type="help", urgency="normal") == local(2026, 10, 10, 23, 59, 59)


def test_urgent_ticket_is_due_in_two_hours_round_the_clock(world, agent, at):
    at(local(2026, 3, 7, 22, 30))  # a Saturday night
    ticket = phone_ticket(world, urgency=Urgency.URGENT)
    assert timezone.localtime(ticket.due_at) == local(2026, 3, 8, 0, 30)


def test_the_deadline_table_is_configuration(world, agent):
    DeadlineRule.objects.filter(ticket_type="complaint", urgency="normal").update(amount=5)
    ticket = phone_ticket(world, ticket_type=TicketType.COMPLAINT)
    assert timezone.localtime(ticket.due_at) == local(2026, 3, 9, 23, 59, 59)


def test_deadline_table_is_seeded_with_the_local_defaults(db):
    rows = {(r.ticket_type, r.urgency): (r.amount, r.unit) for r in DeadlineRule.objects.all()}
    assert rows[("consult", "normal")] == (3, "workday")
    assert rows[("help", "normal")] == (3, "workday")
    assert rows[("complaint", "normal")] == (13, "workday")
    assert rows[("report", "normal")] == (13, "workday")
    assert rows[("suggestion", "normal")] == (13, "workday")
    assert {rows[(t, "urgent")] for t in TicketType.values} == {(2, "hour")}


# --- the loop --------------------------------------------------------------------------------------------


def test_full_loop_registered_dispatched_handled_replied_closed_revisited(world, agent):
    handler = world.users["approver_a"]
    ticket = phone_ticket(world)
    assert ticket.state == TicketState.REGISTERED
    assert ticket.number == "H2026030200001"

    services.ticket_dispatch(actor=agent, ticket_id=ticket.pk, department_id=world.dept_a_market.pk)
    services.ticket_accept(actor=handler, ticket_id=ticket.pk)
    services.ticket_reply(actor=handler, ticket_id=ticket.pk, reply="已更换灯泡，路灯恢复照明。")
    services.ticket_close(actor=agent, ticket_id=ticket.pk)
    revisit = services.ticket_revisit(
        actor=agent, ticket_id=ticket.pk, satisfaction=Satisfaction.VERY_SATISFIED, solved=True
    )

    ticket.refresh_from_db()
    assert ticket.state == TicketState.REVISITED
    assert ticket.first_department == world.dept_a_market
    assert ticket.responded_at == MONDAY and ticket.replied_at == MONDAY and ticket.closed_at == MONDAY
    assert ticket.satisfaction == Satisfaction.VERY_SATISFIED and ticket.solved is True
    assert revisit.method == RevisitMethod.PHONE and revisit.by == agent
    events = list(ticket.events.order_by("seq").values_list("seq", "action", "from_state", "to_state"))
    assert events == [
        (1, "create", "", "registered"),
        (2, "dispatch", "registered", "dispatched"),
        (3, "accept", "dispatched", "handling"),
        (4, "reply", "handling", "replied"),
        (5, "close", "replied", "closed"),
        (6, "revisit", "closed", "revisited"),
    ]
    audit = list(
        AuditEvent.objects.filter(object_type="hotline.ticket", object_id=str(ticket.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert audit == [
        "hotline.create",
        "hotline.dispatch",
        "hotline.accept",
        "hotline.reply",
        "hotline.close",
        "hotline.revisit",
    ]


def test_revisit_not_solved_reopens_for_the_same_department_with_a_new_deadline(world, agent, at):
    ticket = ticket_in_state(world, "closed")
    at(local(2026, 3, 10, 9, 0))
    services.ticket_revisit(
        actor=agent, ticket_id=ticket.pk, satisfaction=Satisfaction.DISSATISFIED, solved=False, note="路灯又坏了"
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.department == world.dept_a_market
    assert ticket.reopen_count == 1
    assert ticket.reply == "" and ticket.closed_at is None
    assert timezone.localtime(ticket.due_at) == local(2026, 3, 27, 23, 59, 59)  # 13 working days from 10 March
    assert list(ticket.events.order_by("-seq").values_list("action", flat=True)[:2]) == ["reopen", "revisit"]


def test_revisit_without_a_reason_when_not_solved_is_refused(world, agent):
    ticket = ticket_in_state(world, "closed")
    with pytest.raises(DomainError) as info:
        services.ticket_revisit(actor=agent, ticket_id=ticket.pk, satisfaction="dissatisfied", solved=False)
    assert info.value.errors[0].field == "note"
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.CLOSED


def test_citizen_rates_his_own_ticket_and_staff_cannot_rate_for_him(world, agent):
    owner = world.users["citizen_owner"]
    ticket = services.ticket_create(
        actor=owner,
        source=TicketSource.WEB,
        ticket_type=TicketType.SUGGESTION,
        title="建议增加公交线路",
        content="建议在金雀山社区增加一条公交线路，方便老人出行。",
        region=world.county_a,
    )
    assert ticket.citizen == owner and ticket.caller_name_masked == "测****"
    services.ticket_dispatch(actor=agent, ticket_id=ticket.pk, department_id=world.dept_a_market.pk)
    services.ticket_reply(actor=world.users["approver_a"], ticket_id=ticket.pk, reply="已转交交通部门研究论证。")
    services.ticket_close(actor=agent, ticket_id=ticket.pk)

    with pytest.raises(DomainError) as info:
        services.ticket_revisit(
            actor=agent, ticket_id=ticket.pk, satisfaction="satisfied", solved=True, method=RevisitMethod.WEB
        )
    assert info.value.errors[0].field == "method"
    with pytest.raises(DomainError) as info:
        services.ticket_revisit(
            actor=world.users["citizen_other"], ticket_id=ticket.pk, satisfaction="satisfied", solved=True
        )
    assert info.value.code == ErrorCode.PERMISSION_DENIED

    revisit = services.ticket_revisit(actor=owner, ticket_id=ticket.pk, satisfaction="basic", solved=True)
    assert revisit.method == RevisitMethod.WEB and revisit.by == owner
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.REVISITED


def test_second_dispatch_of_a_dispatched_ticket_is_refused(world, agent):
    ticket = ticket_in_state(world, "dispatched")
    with pytest.raises(DomainError) as info:
        services.ticket_dispatch(actor=agent, ticket_id=ticket.pk, department_id=world.dept_a_admin.pk)
    assert info.value.code == ErrorCode.INVALID_STATE
    assert Ticket.objects.get(pk=ticket.pk).department == world.dept_a_market


def test_dispatch_reclassifies_and_recomputes_the_deadline(world, agent):
    ticket = phone_ticket(world, ticket_type=TicketType.COMPLAINT)
    services.ticket_dispatch(
        actor=agent,
        ticket_id=ticket.pk,
        department_id=world.dept_a_market.pk,
        ticket_type=TicketType.HELP,
        urgency=Urgency.URGENT,
    )
    ticket.refresh_from_db()
    assert (ticket.ticket_type, ticket.urgency) == ("help", "urgent")
    assert ticket.due_at == MONDAY + dt.timedelta(hours=2)


# --- transfer and return ---------------------------------------------------------------------------------


def test_department_returns_and_the_agent_dispatches_elsewhere_then_transfers(world, agent):
    ticket = ticket_in_state(world, "handling")
    due = ticket.due_at
    with pytest.raises(DomainError) as info:
        services.ticket_return(actor=world.users["approver_a"], ticket_id=ticket.pk, reason="")
    assert info.value.errors[0].field == "reason"

    services.ticket_return(actor=world.users["approver_a"], ticket_id=ticket.pk, reason="路灯归城管部门管理")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.REGISTERED and ticket.department is None
    assert ticket.due_at == due  # the clock keeps running
    event = ticket.events.get(action=EventAction.RETURN)
    assert event.department == world.dept_a_market and event.reason == "路灯归城管部门管理"

    services.ticket_dispatch(actor=agent, ticket_id=ticket.pk, department_id=world.dept_a_admin.pk)
    services.ticket_transfer(
        actor=agent, ticket_id=ticket.pk, department_id=world.dept_b_admin.pk, reason="事发地在罗庄区"
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.department == world.dept_b_admin
    assert ticket.first_department == world.dept_a_market  # 首接单位 stays


def test_a_handler_of_another_department_cannot_return_or_reply(world, agent):
    ticket = ticket_in_state(world, "dispatched")
    other = world.users["deptadmin_a_admin"]  # 兰山区行政审批服务局, not the assigned bureau
    for call in (
        lambda: services.ticket_return(actor=other, ticket_id=ticket.pk, reason="不是我们的"),
        lambda: services.ticket_reply(actor=other, ticket_id=ticket.pk, reply="这不是本单位职责。"),
        lambda: services.ticket_accept(actor=other, ticket_id=ticket.pk),
    ):
        with pytest.raises(DomainError) as info:
            call()
        assert info.value.code == ErrorCode.PERMISSION_DENIED
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED and ticket.last_event_seq == 2


# --- extension -------------------------------------------------------------------------------------------


def test_extension_request_and_approval_move_the_deadline(world, agent):
    ticket = ticket_in_state(world, "handling")
    handler, supervisor = world.users["approver_a"], world.users["supervisor"]
    extension = services.ticket_extension_request(
        actor=handler, ticket_id=ticket.pk, days=5, reason="需要协调供电公司共同处理"
    )
    with pytest.raises(DomainError) as info:
        services.ticket_extension_request(actor=handler, ticket_id=ticket.pk, days=2, reason="再申请一次试试")
    assert info.value.code == ErrorCode.CONFLICT
    with pytest.raises(DomainError) as info:
        services.ticket_extension_decide(actor=agent, extension_id=extension.pk, approve=True)
    assert info.value.code == ErrorCode.PERMISSION_DENIED

    services.ticket_extension_decide(actor=supervisor, extension_id=extension.pk, approve=True, note="同意")
    ticket.refresh_from_db()
    extension.refresh_from_db()
    assert extension.state == ExtensionState.APPROVED and extension.decided_by == supervisor
    assert timezone.localtime(ticket.due_at) == local(2026, 3, 26, 23, 59, 59)  # 19 March + 5 working days
    assert ticket.extended_days == 5
    with pytest.raises(DomainError) as info:
        services.ticket_extension_decide(actor=supervisor, extension_id=extension.pk, approve=False, note="重复")
    assert info.value.code == ErrorCode.INVALID_STATE


def test_extension_rejection_needs_a_reason_and_keeps_the_deadline(world, agent):
    ticket = ticket_in_state(world, "handling")
    extension = services.ticket_extension_request(
        actor=world.users["approver_a"], ticket_id=ticket.pk, days=3, reason="现场勘查需要时间"
    )
    with pytest.raises(DomainError):
        services.ticket_extension_decide(actor=world.users["supervisor"], extension_id=extension.pk, approve=False)
    services.ticket_extension_decide(
        actor=world.users["supervisor"], extension_id=extension.pk, approve=False, note="期限内可以办结"
    )
    assert Ticket.objects.get(pk=ticket.pk).due_at == ticket.due_at


def test_no_extension_after_expiry(world, agent, at):
    ticket = ticket_in_state(world, "handling")
    at(local(2026, 3, 20, 9, 0))
    with pytest.raises(DomainError) as info:
        services.ticket_extension_request(
            actor=world.users["approver_a"], ticket_id=ticket.pk, days=3, reason="来不及了"
        )
    assert info.value.code == ErrorCode.INVALID_STATE


# --- 督办 at expiry --------------------------------------------------------------------------------------


def test_overdue_tickets_are_supervised_once_per_due_time(world, agent, at):
    ticket = ticket_in_state(world, "handling", ticket_type=TicketType.CONSULT)  # due Thursday 5 March
    replied = ticket_in_state(world, "replied", ticket_type=TicketType.CONSULT)
    at(local(2026, 3, 5, 23, 0))
    assert services.ticket_supervise_overdue() == 0
    at(local(2026, 3, 6, 0, 1))
    assert services.ticket_supervise_overdue() == 1
    assert services.ticket_supervise_overdue() == 0
    supervision = Supervision.objects.get(ticket=ticket)
    assert supervision.kind == SupervisionKind.AUTO and supervision.department == world.dept_a_market
    assert not Supervision.objects.filter(ticket=replied).exists()
    assert ticket.events.filter(action=EventAction.SUPERVISE, actor__isnull=True).count() == 1

    services.ticket_supervision_respond(
        actor=world.users["approver_a"], supervision_id=supervision.pk, response="已派人处理，今日答复"
    )
    supervision.refresh_from_db()
    assert supervision.responded_by == world.users["approver_a"]


def test_manual_supervision_by_a_supervisor_only(world, agent):
    ticket = ticket_in_state(world, "dispatched")
    with pytest.raises(DomainError):
        services.ticket_supervise(actor=agent, ticket_id=ticket.pk, message="请加快办理")
    services.ticket_supervise(actor=world.users["supervisor"], ticket_id=ticket.pk, message="请加快办理")
    assert Supervision.objects.get(ticket=ticket).kind == SupervisionKind.MANUAL


# --- duplicates hint -------------------------------------------------------------------------------------


def test_duplicates_by_phone_and_by_topic_within_the_window(world, agent, at, settings):
    settings.YIWANG_HOTLINE_DUPLICATE_DAYS = 30
    old = phone_ticket(
        world, caller_phone="13905390000", title="后厨卫生很差", content="某餐馆后厨卫生脏乱差，存在食品安全隐患。"
    )
    at(local(2026, 4, 20, 9, 0))  # 49 days later: outside the window
    first = phone_ticket(world)  # 路灯, CALLER_PHONE
    other = phone_ticket(
        world, caller_phone="13905399999", title="路灯坏了", content="金雀山路的路灯坏了好几天，晚上山路很黑。"
    )
    keywords = first.keywords
    rows = duplicates_for(user=agent, phone_index=services.phone_index(CALLER_PHONE), keywords=[], exclude_id=None)
    assert [(t.pk, reasons) for t, reasons in rows] == [(first.pk, ["同一联系电话"])]

    rows = duplicates_for(user=agent, phone_index="", keywords=keywords, exclude_id=first.pk)
    assert [t.pk for t, _ in rows] == [other.pk]
    assert rows[0][1][0].startswith("主题相近")

    assert old.pk not in [
        t.pk
        for t, _ in duplicates_for(user=agent, phone_index=services.phone_index("13905390000"), keywords=old.keywords)
    ]
    # A citizen sees no other person's tickets in the hint.
    assert (
        duplicates_for(user=world.users["citizen_other"], phone_index=first.caller_phone_index, keywords=keywords) == []
    )


# --- the 办不成事 window: five steps --------------------------------------------------------------------


def test_bancheng_window_five_steps(world, at):
    clerk, handler, supervisor = world.users["clerk_a"], world.users["approver_a"], world.users["supervisor"]
    owner = world.users["citizen_owner"]
    ticket = services.ticket_create(
        actor=clerk,
        source=TicketSource.WINDOW,
        ticket_type=TicketType.COMPLAINT,
        title="个体户变更跑了三次没办成",
        content="申请个体工商户经营范围变更，窗口三次要求补不同材料，至今没办成。",
        region=world.county_a,
        window=world.window_a1,
        caller_name="测试群众甲",
        caller_phone="13805390001",
        category_id=services.Category.objects.get(code="0102").pk,
    )
    assert [s["status"] for s in window_stages(ticket=ticket)] == ["done", "current", "todo", "todo", "todo"]
    assert [s["label"] for s in window_stages(ticket=ticket)] == [
        "接受登记",
        "分类处置",
        "限时办结",
        "评价反馈",
        "抽查回访",
    ]

    services.ticket_dispatch(actor=clerk, ticket_id=ticket.pk, department_id=world.dept_a_market.pk)
    ticket.refresh_from_db()
    assert [s["status"] for s in window_stages(ticket=ticket)] == ["done", "done", "current", "todo", "todo"]

    services.ticket_reply(actor=handler, ticket_id=ticket.pk, reply="已当面一次性告知所需材料并当场办结变更。")
    services.ticket_close(actor=clerk, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    stages = window_stages(ticket=ticket)
    assert [s["status"] for s in stages] == ["done", "done", "done", "current", "todo"]
    assert stages[2]["note"] == "按期办结"

    services.ticket_revisit(actor=clerk, ticket_id=ticket.pk, satisfaction="satisfied", solved=True)
    ticket.refresh_from_db()
    assert [s["status"] for s in window_stages(ticket=ticket)] == ["done", "done", "done", "done", "current"]
    assert window_stages(ticket=ticket)[4]["note"] == "未抽中"

    checks = services.ticket_spot_check_draw(
        actor=supervisor, batch="2026Q1", count=5, closed_from=dt.date(2026, 3, 1), closed_to=dt.date(2026, 3, 31)
    )
    assert [c.ticket_id for c in checks] == [ticket.pk]
    services.ticket_spot_check_record(
        actor=supervisor, spot_check_id=checks[0].pk, satisfaction="very_satisfied", solved=True
    )
    ticket.refresh_from_db()
    assert [s["status"] for s in window_stages(ticket=ticket)] == ["done"] * 5
    assert ticket.state == TicketState.REVISITED
    # Drawn once only.
    assert (
        services.ticket_spot_check_draw(
            actor=supervisor, batch="2026Q1-2", count=5, closed_from=dt.date(2026, 3, 1), closed_to=dt.date(2026, 3, 31)
        )
        == []
    )
    assert owner.pk != ticket.citizen_id  # filed at the window: not on the citizen's own list unless linked


def test_spot_check_not_solved_reopens_the_ticket(world, agent):
    ticket = ticket_in_state(world, "revisited")
    checks = services.ticket_spot_check_draw(
        actor=world.users["supervisor"],
        batch="抽查一",
        count=1,
        closed_from=dt.date(2026, 3, 2),
        closed_to=dt.date(2026, 3, 2),
        source=None,
    )
    services.ticket_spot_check_record(
        actor=agent, spot_check_id=checks[0].pk, satisfaction="very_dissatisfied", solved=False, note="路灯仍然不亮"
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED and ticket.reopen_count == 1


def test_window_source_needs_a_clerk_of_the_region(world):
    with pytest.raises(DomainError) as info:
        services.ticket_create(
            actor=world.users["clerk_b"],  # 罗庄区 window clerk
            source=TicketSource.WINDOW,
            ticket_type=TicketType.COMPLAINT,
            title="跨区登记",
            content="在罗庄区窗口登记兰山区的诉求。",
            region=world.county_a,
            window=world.window_a1,
        )
    assert info.value.code == ErrorCode.PERMISSION_DENIED
    assert not Ticket.objects.exists()


# --- personal data ---------------------------------------------------------------------------------------


def test_caller_data_is_encrypted_masked_and_every_reveal_is_audited(world, agent):
    ticket = ticket_in_state(world, "dispatched")
    assert CALLER_PHONE not in ticket.caller_phone_cipher and "王小二" not in ticket.caller_name_cipher
    assert ticket.caller_phone_masked == "139****1234" and ticket.caller_name_masked == "王**"
    with pytest.raises(DomainError) as info:
        services.ticket_caller_reveal(actor=agent, ticket_id=ticket.pk, purpose="")
    assert info.value.code == ErrorCode.PURPOSE_REQUIRED
    with pytest.raises(DomainError) as info:
        services.ticket_caller_reveal(actor=world.users["deptadmin_a_admin"], ticket_id=ticket.pk, purpose="回访")
    assert info.value.code == ErrorCode.PERMISSION_DENIED

    caller = services.ticket_caller_reveal(actor=world.users["approver_a"], ticket_id=ticket.pk, purpose="电话核实情况")
    assert caller == {"name": "王小二", "phone": CALLER_PHONE, "email": ""}
    audit = AuditEvent.objects.get(action="hotline.caller_reveal")
    assert audit.actor_id == world.users["approver_a"].pk and audit.purpose == "电话核实情况"
    assert CALLER_PHONE not in str(audit.changes)


def test_anonymous_web_request_needs_a_phone(world):
    with pytest.raises(DomainError) as info:
        services.ticket_create(
            actor=None,
            source=TicketSource.WEB,
            ticket_type=TicketType.CONSULT,
            title="咨询社保",
            content="请问灵活就业人员怎么缴纳社保？",
            region=world.county_a,
        )
    assert info.value.errors[0].field == "caller_phone"
    ticket = services.ticket_create(
        actor=None,
        source=TicketSource.WEB,
        ticket_type=TicketType.CONSULT,
        title="咨询社保",
        content="请问灵活就业人员怎么缴纳社保？",
        region=world.county_a,
        caller_phone="139-0539-8888",
    )
    assert ticket.citizen is None and ticket.caller_phone_masked == "139****8888"


def test_staff_cannot_file_on_the_public_channel(world, agent):
    with pytest.raises(DomainError) as info:
        services.ticket_create(
            actor=agent,
            source=TicketSource.WEB,
            ticket_type="consult",
            title="测试",
            content="工作人员走公众渠道。",
            region=world.county_a,
        )
    assert info.value.code == ErrorCode.PERMISSION_DENIED


def test_evaluation_hand_off_is_idempotent_by_its_reference(world):
    owner = world.users["citizen_owner"]
    kwargs = {
        "actor": None,
        "source": TicketSource.EVALUATION,
        "ticket_type": TicketType.COMPLAINT,
        "title": "差评：窗口服务态度差",
        "content": "评价人选择了非常不满意：窗口人员态度生硬。",
        "region": world.county_a,
        "citizen": owner,
        "external_ref": "evaluation:42",
    }
    first = services.ticket_create(**kwargs)
    again = services.ticket_create(**kwargs)
    assert first.pk == again.pk and Ticket.objects.count() == 1
    assert first.citizen == owner and first.created_by is None


def test_reply_outcome_is_checked(world, agent):
    ticket = ticket_in_state(world, "handling")
    with pytest.raises(DomainError) as info:
        services.ticket_reply(
            actor=world.users["approver_a"], ticket_id=ticket.pk, reply="已处理完毕。", outcome="maybe"
        )
    assert info.value.errors[0].field == "outcome"
    services.ticket_reply(
        actor=world.users["approver_a"],
        ticket_id=ticket.pk,
        reply="不属于政府职责，已解释。",
        outcome=ReplyOutcome.EXPLAINED,
    )
    assert Ticket.objects.get(pk=ticket.pk).reply_outcome == "explained"


def test_an_extended_deadline_that_passes_again_is_supervised_again(world, agent, at):
    ticket = ticket_in_state(world, "handling", ticket_type=TicketType.CONSULT)  # due Thursday 5 March
    extension = services.ticket_extension_request(
        actor=world.users["approver_a"], ticket_id=ticket.pk, days=2, reason="需要补充调查"
    )
    at(local(2026, 3, 6, 0, 1))
    assert services.ticket_supervise_overdue() == 1
    services.ticket_extension_decide(actor=world.users["supervisor"], extension_id=extension.pk, approve=True)
    assert services.ticket_supervise_overdue() == 0  # now due Monday 9 March
    at(local(2026, 3, 10, 0, 1))
    assert services.ticket_supervise_overdue() == 1
    assert Supervision.objects.filter(ticket=ticket, kind=SupervisionKind.AUTO).count() == 2
