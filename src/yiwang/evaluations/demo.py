"""Demo 好差评 (all fictional): ratings by the demo citizen 张三 of the services of his demo cases — a few good
ones, one 非常不满意 with its rectification order still open (待核实), some left unrated (待评价) — a window
visit rated on a demo tablet, and a second tablet waiting to be paired (its code is in the summary).

Made through the services, like real ratings. Idempotent: once any evaluation exists, nothing is added.
Needs the demo cases (``cases_demo_load``): their 受理 and 办结 are the rateable services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from yiwang.accounts.models import User
from yiwang.core.errors import DomainError
from yiwang.evaluations import services
from yiwang.evaluations.choices import OPEN_ORDER_STATES, Channel, Level
from yiwang.evaluations.models import Evaluation, RectificationOrder, ServiceEvent
from yiwang.regions.models import Window


@dataclass(frozen=True)
class EvaluationsDemoSummary:
    created: bool
    events: int
    evaluations: int
    bad: int
    open_orders: int
    pairing_code: str  # of the demo tablet of 兰山区政务服务中心 A01 (valid 30 minutes), "" when not made now


def evaluations_demo_is_loaded() -> bool:
    return Evaluation.objects.exists()


def evaluations_demo_load() -> EvaluationsDemoSummary:
    created = not evaluations_demo_is_loaded()
    code = ""
    if created:
        services.service_events_sync(limit=10_000)  # cases loaded before this app: make their events now
        with transaction.atomic():
            code = _load()
    return EvaluationsDemoSummary(
        created=created,
        events=ServiceEvent.objects.count(),
        evaluations=Evaluation.objects.count(),
        bad=Evaluation.objects.filter(level__in=[Level.DISSATISFIED, Level.VERY_DISSATISFIED]).count(),
        open_orders=RectificationOrder.objects.filter(state__in=OPEN_ORDER_STATES).count(),
        pairing_code=code,
    )


# (level, channel, reasons, text) for the citizen's rateable services, oldest first; the rest stay 待评价.
PLAN: tuple[tuple[str, str, list[str], str], ...] = (
    (Level.VERY_SATISFIED, Channel.PC, [], "网上申请很方便，一次都没跑"),
    (Level.SATISFIED, Channel.MOBILE, [], ""),
    (Level.VERY_DISSATISFIED, Channel.PC, ["slow", "repeat"], "补正要求前后不一致，来回提交了两次材料"),
    (Level.BASICALLY_SATISFIED, Channel.QRCODE, [], ""),
)


def _load() -> str:
    citizen = User.objects.filter(username="citizen").first()
    if citizen is None:
        return ""
    events = list(ServiceEvent.objects.filter(rater=citizen).order_by("occurred_at", "id"))
    for event, (level, channel, reasons, text) in zip(events, PLAN, strict=False):
        try:
            services.evaluation_submit(
                actor=citizen, service_event_id=event.pk, level=level, channel=channel, reasons=reasons, text=text
            )
        except DomainError:
            continue  # an event already past its rating period: leave it
    clerk = User.objects.filter(username="clerk").first()
    window = Window.objects.filter(venue__name="兰山区政务服务中心", number="A01").first()
    admin = User.objects.filter(username="admin").first()
    if clerk is None or window is None or admin is None:
        return ""
    device, code = services.hall_device_register(
        actor=admin, window_id=window.pk, name="A01 演示评价平板（已配对）", channel=Channel.HALL_TABLET
    )
    device, _ = services.hall_device_pair(code=code)
    visit = services.window_visit_record(actor=clerk, window_id=window.pk, topic="社会保障卡补办咨询")
    services.evaluation_submit_at_device(device=device, visit_id=visit.pk, level=Level.VERY_SATISFIED)
    _, pairing = services.hall_device_register(
        actor=admin, window_id=window.pk, name="A01 评价平板（待配对）", channel=Channel.HALL_TABLET
    )
    return pairing
