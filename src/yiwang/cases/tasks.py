"""Background work of cases, run by ``yiwang worker`` on its scheduler tick."""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.db import transaction

from yiwang.accounts.services import phone_of
from yiwang.accounts.sms import SmsMessage, get_backend
from yiwang.cases.models import Case
from yiwang.cases.selectors import today
from yiwang.workdays.calendar import add_workdays

logger = logging.getLogger(__name__)

REMINDER = "【一网通办】{name}，您的办件{number}有容缺材料须于{due}前补齐，逾期将影响办理，请登录补交。"
OVERDUE = "【一网通办】{name}，您的办件{number}的容缺材料已超过补齐期限（{due}），请尽快补交。"


def deferred_reminders_send(*, on: dt.date | None = None) -> int:
    """容缺提醒: text every applicant whose owed materials are due within one working day or overdue,
    at most once a day per case. Returns how many cases were reminded."""
    on = on or today()
    horizon = add_workdays(on, 1)
    ids = list(
        Case.objects.filter(deferred_due__isnull=False, deferred_due__lte=horizon)
        .exclude(deferred_reminded_on=on)
        .values_list("pk", flat=True)[:500]
    )
    sent = 0
    for case_id in ids:
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("applicant_person")
                .filter(pk=case_id, deferred_due__isnull=False)
                .exclude(deferred_reminded_on=on)
                .first()
            )
            if case is None or case.deferred_due is None:
                continue
            case.deferred_reminded_on = on
            case.save(update_fields=["deferred_reminded_on"])
            person = case.applicant_person
            if person is None:
                continue
            phone = phone_of(person)
            if not phone:
                continue
            template = OVERDUE if case.deferred_due < on else REMINDER
            message = SmsMessage(
                phone=phone,
                template=template,
                params={"name": person.name, "number": case.number, "due": f"{case.deferred_due:%Y年%m月%d日}"},
                secret=frozenset(),
            )
            transaction.on_commit(functools.partial(_send, message))
            sent += 1
    return sent


def _send(message: SmsMessage) -> None:
    try:
        get_backend().send(message)
    except Exception:
        logger.exception("容缺提醒短信发送失败")
