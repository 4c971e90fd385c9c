"""Test helpers of the hotline: a 12345 agent for the test world, and tickets in a given state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.models import User
from yiwang.accounts.services import staff_assign, staff_create
from yiwang.hotline import services
from yiwang.hotline.choices import ReplyOutcome, Satisfaction, TicketSource, TicketType
from yiwang.hotline.models import Category, Ticket
from yiwang.testing.world import PASSWORD, World

# Monday 2 March 2026, 10:00 in Shanghai: a working week ahead, no holiday before 清明 (4–6 April).
MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
CALLER_PHONE = "13905391234"


def hotline_agent(world: World, username: str = "agent") -> User:
    """A 12345话务员 of the city's 12345 centre (临沂市行政审批服务局): takes calls for the whole city."""
    if username in world.users:
        return world.users[username]
    user = staff_create(
        actor=None, username=username, password=PASSWORD, display_name="测试话务员", department=world.city_admin_dept
    )
    staff_assign(actor=None, user=user, role=StaffRole.HOTLINE_AGENT)
    world.users[username] = user
    return user


def leaf(code: str = "0201") -> Category:
    """A seeded leaf of the classification tree (seeding it when a flushed database lost the seed)."""
    category = Category.objects.filter(code=code).first()
    if category is None:
        services.hotline_seed()
        category = Category.objects.get(code=code)
    return category


def phone_ticket(world: World, *, ticket_type: str = TicketType.COMPLAINT, **kwargs: Any) -> Ticket:
    """A ticket an agent registered from a phone call, in 兰山区."""
    agent = hotline_agent(world)
    values: dict[str, Any] = {
        "title": "金雀山路路灯不亮",
        "content": "兰山区金雀山路路灯晚上不亮已经三天，出行不便，希望尽快修复。",
        "caller_name": "王小二",
        "caller_phone": CALLER_PHONE,
        "category_id": leaf().pk,
        "region": world.county_a,
    }
    values.update(kwargs)
    return services.ticket_create(actor=agent, source=TicketSource.PHONE, ticket_type=ticket_type, **values)


def web_ticket(world: World, username: str = "citizen_owner", **kwargs: Any) -> Ticket:
    """A ticket a signed-in citizen filed on the public form, in 兰山区."""
    values: dict[str, Any] = {
        "ticket_type": TicketType.COMPLAINT,
        "title": "小区门口占道经营",
        "content": "金雀山社区门口每天早上有摊贩占道经营，车辆无法通行。",
        "category_id": leaf("0203").pk,
        "region": world.county_a,
    }
    values.update(kwargs)
    return services.ticket_create(actor=world.users[username], source=TicketSource.WEB, **values)


def ticket_in_state(world: World, state: str, *, citizen: str | None = None, **kwargs: Any) -> Ticket:
    """A ticket walked through the services to ``state`` (handled by 兰山区市场监督管理局): a phone call,
    or filed on the web by ``citizen``."""
    agent = hotline_agent(world)
    handler = world.users["approver_a"]
    ticket = web_ticket(world, citizen, **kwargs) if citizen else phone_ticket(world, **kwargs)
    steps = ["registered", "dispatched", "handling", "replied", "closed", "revisited"]
    for step in steps[1 : steps.index(state) + 1]:
        match step:
            case "dispatched":
                services.ticket_dispatch(actor=agent, ticket_id=ticket.pk, department_id=world.dept_a_market.pk)
            case "handling":
                services.ticket_accept(actor=handler, ticket_id=ticket.pk)
            case "replied":
                services.ticket_reply(
                    actor=handler,
                    ticket_id=ticket.pk,
                    reply="已安排维修人员更换灯泡，路灯已恢复照明。",
                    outcome=ReplyOutcome.SOLVED,
                )
            case "closed":
                services.ticket_close(actor=agent, ticket_id=ticket.pk)
            case "revisited":
                services.ticket_revisit(
                    actor=agent, ticket_id=ticket.pk, satisfaction=Satisfaction.SATISFIED, solved=True
                )
    ticket.refresh_from_db()
    return ticket
