"""Messages to the applicant when a notice is issued (一次性告知书、受理通知书、决定书…).

Called in ``transaction.on_commit`` by the services, so a rolled-back transition sends nothing. The text
names the notice and the case number; the notice itself is read on the case page or as a PDF.
"""

from __future__ import annotations

import logging

from yiwang.accounts.services import phone_of
from yiwang.accounts.sms import SmsMessage, get_backend
from yiwang.cases.models import CaseNotice

logger = logging.getLogger(__name__)

TEMPLATE = "【一网通办】{name}，您的办件{number}有新的{kind}，请登录查看。"


def case_notice_sent(case_id: int, notice_id: int) -> None:
    """Text the applicant (or the applying 经办人) that a notice was issued. Never raises: a failed
    message is logged and the notice stays readable online."""
    notice = (
        CaseNotice.objects.select_related("case", "case__applicant_person")
        .filter(pk=notice_id, case_id=case_id)
        .first()
    )
    if notice is None:
        return
    person = notice.case.applicant_person
    phone = phone_of(person) if person is not None else ""
    if not phone:
        return
    message = SmsMessage(
        phone=phone,
        template=TEMPLATE,
        params={"name": person.name if person else "", "number": notice.case.number, "kind": notice.get_kind_display()},
        secret=frozenset(),
    )
    try:
        get_backend().send(message)
    except Exception:  # a gateway failure must not undo or block the case
        logger.exception("办件 %s 的短信通知发送失败", notice.case.number)
