"""Demo 诉求 of 临沂 (all fictional): tickets in every state, so that the 12345 workbench, 我的诉求 and the
quarterly analysis have something to show right after ``yiwang demo load``.

Made through the services on a clock moved back in time (``clock.travel``), like real tickets: one is
overdue and supervised, one waits for dispatch, one was filed at the 办不成事 window and spot-checked.
Idempotent: once any ticket exists, nothing is added. Needs the demo region (``regions.demo``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.accounts.models import StaffAssignment, User
from yiwang.core import clock
from yiwang.hotline import services
from yiwang.hotline.choices import ReplyOutcome, Satisfaction, TicketSource, TicketState, TicketType, Urgency
from yiwang.hotline.models import Category, Ticket
from yiwang.regions.models import Department, Region

COUNTY_CODE = "371302"  # 兰山区


@dataclass(frozen=True)
class HotlineDemoSummary:
    created: bool
    tickets: int
    by_state: dict[str, int]


def _summary(created: bool) -> HotlineDemoSummary:
    by_state = {label: Ticket.objects.filter(state=value).count() for value, label in TicketState.choices}
    return HotlineDemoSummary(created=created, tickets=Ticket.objects.count(), by_state=by_state)


def _at(days_ago: int, hour: int = 10) -> dt.datetime:
    today = timezone.localdate(clock.now())
    local = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour, 0))
    return timezone.make_aware(local, timezone.get_default_timezone())


def hotline_demo_load() -> HotlineDemoSummary:
    """Load the demo tickets unless some ticket exists; return the counts either way."""
    if Ticket.objects.exists():
        return _summary(created=False)
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["hotline", "approver", "clerk", "supervisor", "citizen"])
    }
    county = Region.objects.filter(code=COUNTY_CODE).first()
    market = Department.objects.filter(name="兰山区市场监督管理局").first()
    hrss = Department.objects.filter(name="兰山区人力资源和社会保障局").first()
    urban = Department.objects.filter(name="临沂市城市管理局").first()
    if county is None or market is None or len(users) < 5:
        return _summary(created=False)  # the demo region is not loaded
    services.hotline_seed()
    agent, approver, clerk = users["hotline"], users["approver"], users["clerk"]
    supervisor, citizen = users["supervisor"], users["citizen"]
    window = StaffAssignment.objects.filter(user=clerk, window__isnull=False).values_list("window", flat=True).first()
    category = {c.code: c.pk for c in Category.objects.all()}

    def call(days_ago: int, **kwargs: Any) -> Ticket:
        with clock.travel(_at(days_ago)):
            return services.ticket_create(actor=agent, source=TicketSource.PHONE, region=county, **kwargs)

    def then(days_ago: int, function: Any, **kwargs: Any) -> Any:
        with clock.travel(_at(days_ago, 15)):
            return function(**kwargs)

    with transaction.atomic():
        # 1. 待签收 and overdue at the city bureau: a street light reported weeks ago (督办 follows).
        t = call(
            40,
            ticket_type=TicketType.REPORT,
            category_id=category["0201"],
            title="金雀山路路灯不亮",
            content="金雀山路与沂蒙路交叉口东侧路灯连续三晚不亮，行人出行不便。",
            caller_name="周明",
            caller_phone="13905390201",
            address="兰山区金雀山路与沂蒙路交叉口",
        )
        then(40, services.ticket_dispatch, actor=agent, ticket_id=t.pk, department_id=(urban or market).pk)
        # 2. 已回访 (market): food safety, solved.
        t2 = call(
            35,
            ticket_type=TicketType.REPORT,
            category_id=category["0301"],
            title="餐馆后厨卫生差",
            content="兰山区某快餐店后厨卫生脏乱差，存在食品安全隐患，希望检查。",
            caller_name="吴芳",
            caller_phone="13905390202",
        )
        then(35, services.ticket_dispatch, actor=agent, ticket_id=t2.pk, department_id=market.pk)
        then(34, services.ticket_accept, actor=approver, ticket_id=t2.pk)
        then(
            30,
            services.ticket_reply,
            actor=approver,
            ticket_id=t2.pk,
            reply="执法人员已现场检查，责令该店限期整改，复查合格。",
            outcome=ReplyOutcome.SOLVED,
        )
        then(29, services.ticket_close, actor=agent, ticket_id=t2.pk)
        then(
            28, services.ticket_revisit, actor=agent, ticket_id=t2.pk, satisfaction=Satisfaction.SATISFIED, solved=True
        )
        # 3. 已答复 (web, by the demo citizen): consumer complaint waiting to be closed.
        with clock.travel(_at(6)):
            t3 = services.ticket_create(
                actor=citizen,
                source=TicketSource.WEB,
                ticket_type=TicketType.COMPLAINT,
                category_id=category["0302"],
                region=county,
                title="预付卡商家拒绝退款",
                content="在兰山区某健身房办的预付卡，门店停业后拒绝退款。",
            )
        then(6, services.ticket_dispatch, actor=agent, ticket_id=t3.pk, department_id=market.pk)
        then(5, services.ticket_accept, actor=approver, ticket_id=t3.pk)
        then(
            2,
            services.ticket_reply,
            actor=approver,
            ticket_id=t3.pk,
            reply="已约谈商家，商家同意按剩余次数退款，请凭卡到门店办理。",
        )
        # 4. 办理中 and overdue: a price complaint past its deadline, supervised.
        t4 = call(
            25,
            ticket_type=TicketType.CONSULT,
            category_id=category["0303"],
            title="停车场收费标准",
            content="请问兰山区某商场地下停车场收费是否经过备案？",
            caller_name="郑强",
            caller_phone="13905390204",
        )
        then(25, services.ticket_dispatch, actor=agent, ticket_id=t4.pk, department_id=market.pk)
        then(24, services.ticket_accept, actor=approver, ticket_id=t4.pk)
        services.ticket_supervise_overdue()
        # 5. 待派单: a wage arrears call from this morning.
        call(
            0,
            ticket_type=TicketType.HELP,
            category_id=category["0403"],
            title="农民工工资被拖欠",
            content="在兰山区某工地干了三个月，工资两万元一直被拖欠。",
            caller_name="冯伟",
            caller_phone="13905390205",
        )
        # 6. 紧急, 待签收: a gas smell, dispatched to human resources by mistake (to be transferred).
        t6 = call(
            0,
            ticket_type=TicketType.HELP,
            urgency=Urgency.URGENT,
            category_id=category["0501"],
            title="小区燃气泄漏气味",
            content="金雀山社区3号楼楼道有明显燃气味，请尽快处理。",
            caller_name="陈红",
            caller_phone="13905390206",
        )
        then(0, services.ticket_dispatch, actor=agent, ticket_id=t6.pk, department_id=(hrss or market).pk)
        # 7. 办不成事 window: closed, rated, drawn for 抽查回访.
        if window is not None:
            from yiwang.regions.models import Window

            with clock.travel(_at(20)):
                t7 = services.ticket_create(
                    actor=clerk,
                    source=TicketSource.WINDOW,
                    ticket_type=TicketType.COMPLAINT,
                    category_id=category["0102"],
                    region=county,
                    window=Window.objects.get(pk=window),
                    title="个体户变更跑了三次没办成",
                    content="个体工商户经营范围变更，三次被要求补不同材料，至今没办成。",
                    caller_name="张三",
                    caller_phone="13805390101",
                )
            then(20, services.ticket_dispatch, actor=clerk, ticket_id=t7.pk, department_id=market.pk)
            then(
                19,
                services.ticket_reply,
                actor=approver,
                ticket_id=t7.pk,
                reply="已一次性告知所需材料，并于当日办结变更登记。",
            )
            then(19, services.ticket_close, actor=clerk, ticket_id=t7.pk)
            then(
                18,
                services.ticket_revisit,
                actor=clerk,
                ticket_id=t7.pk,
                satisfaction=Satisfaction.VERY_SATISFIED,
                solved=True,
            )
            today = timezone.localdate(clock.now())
            services.ticket_spot_check_draw(
                actor=supervisor, batch="演示抽查", count=1, closed_from=today - dt.timedelta(days=60), closed_to=today
            )
    return _summary(created=True)
