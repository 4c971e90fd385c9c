"""The hotline pages through Django's test client: the public form, 我的诉求 with the rating, the agent's intake
with the duplicate hint, the ticket page's actions, 抽查回访, the deadline table and the quarterly analysis."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.audit.models import AuditEvent
from yiwang.hotline.choices import TicketState
from yiwang.hotline.models import DeadlineRule, SpotCheck, Ticket
from yiwang.testing.hotline import CALLER_PHONE, leaf, ticket_in_state

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def form_body(world, **extra):
    body = {
        "ticket_type": "help",
        "category_id": str(leaf("0403").pk),
        "title": "农民工工资被拖欠",
        "content": "在兰山区某工地干了三个月，老板拖欠工资两万元不给。",
        "region_code": world.county_a.code,
        "address": "",
        "caller_name": "",
        "caller_phone": "",
    }
    body.update(extra)
    return body


def test_anonymous_files_with_a_phone_only(world, at):
    client = login(None)
    page = client.get("/hotline/new/")
    assert page.status_code == 200 and "联系电话" in page.content.decode()
    refused = client.post("/hotline/new/", form_body(world))
    assert refused.status_code == 200 and Ticket.objects.count() == 0
    assert "必填" in refused.content.decode() or "请留下联系电话" in refused.content.decode()
    done = client.post("/hotline/new/", form_body(world, caller_phone="13905396666"))
    ticket = Ticket.objects.get()
    assert done.status_code == 200 and ticket.number in done.content.decode()
    assert ticket.source == "web" and ticket.citizen is None


def test_citizen_files_sees_it_and_rates_it_after_closure(world, agent):
    owner = world.users["citizen_owner"]
    client = login(owner)
    response = client.post("/hotline/new/", form_body(world))
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/my/requests/{ticket.pk}/"
    assert ticket.number in client.get("/my/requests/").content.decode()
    assert login(world.users["citizen_other"]).get(f"/my/requests/{ticket.pk}/").status_code == 404

    from yiwang.hotline import services

    services.ticket_dispatch(actor=agent, ticket_id=ticket.pk, department_id=world.dept_a_market.pk)
    services.ticket_reply(actor=world.users["approver_a"], ticket_id=ticket.pk, reply="已责令施工方三日内支付工资。")
    services.ticket_close(actor=agent, ticket_id=ticket.pk)
    page = client.get(f"/my/requests/{ticket.pk}/").content.decode()
    assert "已责令施工方三日内支付工资。" in page and "提交评价" in page
    assert "checked" not in page  # no default rating
    rated = client.post(f"/my/requests/{ticket.pk}/", {"satisfaction": "very_satisfied", "solved": "1", "note": ""})
    assert rated.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.REVISITED and ticket.revisits.get().method == "web"


def test_staff_is_sent_to_the_workbench_from_the_public_form(world, agent):
    assert login(agent).get("/hotline/new/").status_code == 403


def test_intake_shows_the_duplicate_hint_and_needs_a_confirmation(world, agent):
    ticket_in_state(world, "dispatched")  # CALLER_PHONE, 路灯
    client = login(agent)
    assert client.get("/workbench/hotline/new/").status_code == 200
    body = {
        "caller_phone": CALLER_PHONE,
        "caller_name": "王小二",
        "ticket_type": "complaint",
        "urgency": "normal",
        "category_id": str(leaf().pk),
        "title": "路灯还是不亮",
        "content": "金雀山路的路灯还是不亮，之前反映过。",
        "region_code": world.county_a.code,
        "address": "",
        "department_id": "",
    }
    hinted = client.post("/workbench/hotline/new/", body)
    text = hinted.content.decode()
    assert hinted.status_code == 400 and "疑似重复诉求" in text and "同一联系电话" in text
    assert Ticket.objects.count() == 1
    made = client.post(
        "/workbench/hotline/new/", body | {"confirm_new": "on", "department_id": str(world.dept_a_market.pk)}
    )
    assert made.status_code == 302
    ticket = Ticket.objects.latest("id")
    assert (
        ticket.source == "phone" and ticket.state == TicketState.DISPATCHED and ticket.department == world.dept_a_market
    )


def test_window_clerk_registers_a_bancheng_ticket(world, at):
    client = login(world.users["clerk_a"])
    body = {
        "caller_phone": "13805390001",
        "caller_name": "测试群众甲",
        "ticket_type": "complaint",
        "urgency": "normal",
        "category_id": str(leaf("0102").pk),
        "title": "变更登记跑了三次",
        "content": "个体户经营范围变更跑了三次都没办成。",
        "region_code": world.county_a.code,
        "address": "",
        "department_id": "",
    }
    assert "办不成事" in client.get("/workbench/hotline/new/").content.decode()
    response = client.post("/workbench/hotline/new/", body)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.source == "window" and ticket.window == world.window_a1
    page = client.get(f"/workbench/hotline/{ticket.pk}/").content.decode()
    assert "接受登记" in page and "抽查回访" in page


def test_ticket_page_actions_and_scopes(world, agent):
    ticket = ticket_in_state(world, "registered")
    agent_client = login(agent)
    page = agent_client.get(f"/workbench/hotline/{ticket.pk}/").content.decode()
    assert "139****1234" in page and CALLER_PHONE not in page and "王**" in page
    assert AuditEvent.objects.filter(action="hotline.view", actor_id=agent.pk).count() == 1
    response = agent_client.post(
        f"/workbench/hotline/{ticket.pk}/do/dispatch/",
        {
            "dispatch-department_id": world.dept_a_market.pk,
            "dispatch-ticket_type": "complaint",
            "dispatch-urgency": "normal",
        },
    )
    assert response.status_code == 302
    assert login(world.users["deptadmin_a_admin"]).get(f"/workbench/hotline/{ticket.pk}/").status_code == 404

    handler = login(world.users["approver_a"])
    assert (
        handler.post(
            f"/workbench/hotline/{ticket.pk}/do/reply/", {"reply-reply": "短", "reply-outcome": "solved"}
        ).status_code
        == 422
    )
    assert (
        handler.post(
            f"/workbench/hotline/{ticket.pk}/do/reply/",
            {"reply-reply": "已修复路灯，恢复照明。", "reply-outcome": "solved"},
        ).status_code
        == 302
    )
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.REPLIED
    # The handler may not close it; the refusal shows the service's message with its status.
    refused = handler.post(f"/workbench/hotline/{ticket.pk}/do/close/", {"close-note": ""})
    assert refused.status_code == 403 and Ticket.objects.get(pk=ticket.pk).state == TicketState.REPLIED

    revealed = agent_client.post(f"/workbench/hotline/{ticket.pk}/do/reveal/", {"reveal-purpose": "电话回访"})
    assert revealed.status_code == 200 and CALLER_PHONE in revealed.content.decode()
    assert AuditEvent.objects.get(action="hotline.caller_reveal").purpose == "电话回访"


def test_queues_per_role(world, agent):
    ticket_in_state(world, "dispatched")
    assert "本单位待办" in login(world.users["approver_a"]).get("/workbench/hotline/?queue=department").content.decode()
    assert login(world.users["approver_a"]).get("/workbench/hotline/?queue=dispatch").status_code == 404
    assert login(world.users["citizen_owner"]).get("/workbench/hotline/").status_code == 403
    overdue = login(world.users["supervisor"]).get("/workbench/hotline/?queue=overdue")
    assert overdue.status_code == 200


def test_analysis_page_and_csv(world, agent):
    ticket_in_state(world, "revisited")
    ticket_in_state(world, "dispatched", title="路灯又坏了", content="金雀山路路灯又不亮了，晚上很黑。")
    supervisor = login(world.users["supervisor"])
    page = supervisor.get("/workbench/hotline/analysis/?quarter=2026Q1")
    text = page.content.decode()
    assert page.status_code == 200 and "兰山区市场监督管理局" in text and "100.0%" in text
    csv = supervisor.get("/workbench/hotline/analysis.csv?quarter=2026Q1")
    assert csv.content.startswith(b"\xef\xbb\xbf") and "承办单位,工单数".encode() in csv.content
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert "兰山区市场监督管理局,2,1,50.0%,1,1,100.0%,1,1,100.0%,0" in lines
    assert login(agent).get("/workbench/hotline/analysis/").status_code == 403


def test_spot_check_page(world, agent):
    ticket = ticket_in_state(world, "revisited")
    supervisor = login(world.users["supervisor"])
    drawn = supervisor.post(
        "/workbench/hotline/spot-checks/",
        {
            "op": "draw",
            "batch": "三月抽查",
            "count": "3",
            "closed_from": "2026-03-01",
            "closed_to": "2026-03-31",
            "source": "all",
        },
    )
    assert drawn.status_code == 302
    check = SpotCheck.objects.get(ticket=ticket)
    recorded = login(agent).post(
        "/workbench/hotline/spot-checks/",
        {"op": "record", "check": check.pk, "satisfaction": "satisfied", "solved": "1", "note": ""},
    )
    assert recorded.status_code == 302 and SpotCheck.objects.get(pk=check.pk).state == "done"


def test_deadline_table_page_for_the_platform_admin(world, at):
    admin = login(world.users["admin"])
    assert admin.get("/workbench/hotline/settings/").status_code == 200
    saved = admin.post(
        "/workbench/hotline/settings/",
        {"ticket_type": "consult", "urgency": "normal", "amount": "2", "unit": "workday"},
    )
    assert saved.status_code == 302
    assert DeadlineRule.objects.get(ticket_type="consult", urgency="normal").amount == 2
    assert login(world.users["supervisor"]).get("/workbench/hotline/settings/").status_code == 403
