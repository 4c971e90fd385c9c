"""Messages to the applicant when a notice is issued (一次性告知书、受理通知书、决定书…).

Called in ``transaction.on_commit`` by the services, so a rolled-back transition sends nothing. The text
names the notice and the case number; the notice itself is read on the case page or as a PDF.
"""

from __future__ import annotations

import logging

from yiwang.accounts.models import NaturalPerson
from yiwang.accounts.services import phone_of
from yiwang.accounts.sms import SmsMessage, get_backend
from yiwang.cases.choices import NoticeKind
from yiwang.cases.models import CaseNotice

logger = logging.getLogger(__name__)

TEMPLATE = "【一网通办】{name}，您的办件{number}有新的{kind}，请登录查看。"
KIND_LABELS: dict[str, str] = dict(NoticeKind.choices)  # what ``CaseNotice.get_kind_display`` shows


def case_notice_sent(case_id: int, notice_id: int) -> None:
    """Text the applicant (or the applying 经办人) that a notice was issued. Never raises: a failed
    message is logged and the notice stays readable online."""
    # One narrow read (no full rows of the notice, the case and the person): this runs after every
    # transition that issues a notice.
    row = (
        CaseNotice.objects.filter(pk=notice_id, case_id=case_id)
        .order_by()
        .values_list(
            "kind",
            "case__number",
            "case__applicant_person_id",
            "case__applicant_person__name",
            "case__applicant_person__phone_cipher",
        )[:1]
    )
    found = list(row)
    if not found:
        return
    kind, number, person_id, name, phone_cipher = found[0]
    if person_id is None:
        return
    phone = phone_of(NaturalPerson(pk=person_id, name=name, phone_cipher=phone_cipher))
    if not phone:
        return
    message = SmsMessage(
        phone=phone,
        template=TEMPLATE,
        params={"name": name, "number": number, "kind": KIND_LABELS.get(kind, kind)},
        secret=frozenset(),
    )
    try:
        get_backend().send(message)
    except Exception:  # a gateway failure must not undo or block the case
        logger.exception("办件 %s 的短信通知发送失败", number)
