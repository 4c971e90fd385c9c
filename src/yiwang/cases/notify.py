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
from yiwang.cases.models import Case, CaseNotice
from yiwang.core.prepared import PreparedQuery

logger = logging.getLogger(__name__)

TEMPLATE = "【一网通办】{name}，您的办件{number}有新的{kind}，请登录查看。"
KIND_LABELS: dict[str, str] = dict(NoticeKind.choices)  # what ``CaseNotice.get_kind_display`` shows
_NAME_AND_PHONE: PreparedQuery[NaturalPerson] = PreparedQuery(
    lambda person_id: NaturalPerson.objects.filter(pk=person_id).only("name", "phone_cipher").order_by()[:1]
)


def case_notice_sent(notice: CaseNotice, case: Case) -> None:
    """Text the applicant (or the applying 经办人) that ``notice`` of ``case`` was issued. Never raises: a
    failed message is logged and the notice stays readable online.

    Called on commit with the objects the transition holds, so only the person's name and phone are read
    (one narrow query; this runs after every transition that issues a notice)."""
    number, kind, person_id = case.number, notice.kind, case.applicant_person_id
    if person_id is None:
        return
    found = _NAME_AND_PHONE.rows(person_id)
    if not found:
        return
    name = found[0].name
    phone = phone_of(found[0])
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
