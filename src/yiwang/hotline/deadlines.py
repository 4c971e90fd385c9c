"""办理期限 of a 诉求: from the ``DeadlineRule`` table (type × urgency), on working days or in hours.

Working days go through ``yiwang.workdays.calendar`` (CONVENTIONS rule 15): counting starts the day after
受理 and the ticket is due at the end of the last working day (Asia/Shanghai). Hours are elapsed hours,
round the clock (紧急诉求, 7×24). The defaults below are LOCAL, not national (STANDARDS §5 [U]); they apply
when the table has no row for a kind.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from yiwang.hotline.choices import DeadlineUnit, TicketType, Urgency
from yiwang.hotline.seeds import DEADLINES
from yiwang.workdays.calendar import add_workdays

DEFAULTS: dict[tuple[str, str], tuple[int, str]] = {
    (ticket_type, urgency): (amount, unit) for ticket_type, urgency, amount, unit, _ in DEADLINES
}


def rule_for(ticket_type: str, urgency: str) -> tuple[int, str]:
    """(amount, unit) for a kind of ticket: the table's row, else the local default."""
    from yiwang.hotline.models import DeadlineRule

    row = DeadlineRule.objects.filter(ticket_type=ticket_type, urgency=urgency).values_list("amount", "unit").first()
    if row is not None:
        return int(row[0]), str(row[1])
    return DEFAULTS.get((ticket_type, urgency), DEFAULTS[(TicketType.COMPLAINT, Urgency.NORMAL)])


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of ``day`` in the platform's time zone, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)), timezone.get_default_timezone())


def due_from(start: dt.datetime, *, amount: int, unit: str) -> dt.datetime:
    """The deadline of a limit counted from ``start`` (受理, or a reopening)."""
    if unit == DeadlineUnit.HOUR:
        return start + dt.timedelta(hours=amount)
    return end_of_day(add_workdays(timezone.localdate(start), amount))


def due_at(start: dt.datetime, *, ticket_type: str, urgency: str) -> dt.datetime:
    amount, unit = rule_for(ticket_type, urgency)
    return due_from(start, amount=amount, unit=unit)


def extended(due: dt.datetime, workdays: int) -> dt.datetime:
    """The deadline moved later by ``workdays`` working days (an approved extension)."""
    return end_of_day(add_workdays(timezone.localdate(due), workdays))
