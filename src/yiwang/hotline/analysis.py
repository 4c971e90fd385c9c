"""季度分析 (Gonghe 一(四): 12345 工作情况季度分析制度): volumes, hot topics, rising topics, per-organisation
response / solve / satisfaction rates and overdue orders for one quarter, in the reader's supervision
scope; and the same as CSV (UTF-8 with BOM, so Excel opens the Chinese text correctly).

Definitions (local, stated here because no national formula was found — STANDARDS §5 names the three rates
only):

- 响应率 = tickets the 承办单位 signed for or answered ÷ tickets dispatched to it;
- 解决率 = tickets whose 回访 found them solved ÷ tickets revisited;
- 满意率 = 非常满意 + 满意 + 基本满意 ÷ tickets rated;
- 超期 = open past the deadline now, or answered after the deadline.

Rows are counted by the ticket's current 承办单位 and by its 受理时间 inside the quarter.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from yiwang.accounts.permissions import Action, scopes_for
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode, permission_denied
from yiwang.hotline.choices import OPEN_STATES, SATISFIED_LEVELS, TicketSource, TicketType
from yiwang.hotline.models import Ticket
from yiwang.hotline.selectors import staff_ticket_q

HOT_TOPICS = 20
RISING_TOPICS = 10
OVERDUE_ROWS = 100


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1..4

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}季度"

    @property
    def start(self) -> dt.datetime:
        day = dt.date(self.year, 3 * (self.number - 1) + 1, 1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_default_timezone())

    @property
    def end(self) -> dt.datetime:
        return self.next().start

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)


def quarter_of(moment: dt.datetime) -> Quarter:
    local = timezone.localtime(moment)
    return Quarter(local.year, (local.month - 1) // 3 + 1)


def quarter_parse(code: str | None) -> Quarter:
    """``2026Q1`` → the quarter; empty → the current one."""
    if not code:
        return quarter_of(clock.now())
    match = re.fullmatch(r"(\d{4})Q([1-4])", code.strip().upper())
    if match is None:
        raise DomainError(ErrorCode.VALIDATION, "季度格式应为 2026Q1", field="quarter")
    return Quarter(int(match.group(1)), int(match.group(2)))


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _topics(rows: list[list[str]]) -> Counter[str]:
    """How many tickets mention each keyword (a ticket counts once per word)."""
    counts: Counter[str] = Counter()
    for words in rows:
        counts.update(set(words or []))
    return counts


def quarter_report(*, user: Any, quarter: Quarter) -> dict[str, Any]:
    """The quarterly analysis for ``user``'s supervision scope (``HOTLINE_SUPERVISE``)."""
    if not scopes_for(user, Action.HOTLINE_SUPERVISE):
        raise permission_denied("只有监督人员可以查看季度分析")
    scoped = Ticket.objects.filter(staff_ticket_q(user, Action.HOTLINE_SUPERVISE))
    tickets = scoped.filter(registered_at__gte=quarter.start, registered_at__lt=quarter.end)
    before = quarter.previous()
    earlier = scoped.filter(registered_at__gte=before.start, registered_at__lt=before.end)
    now = clock.now()
    overdue = Q(state__in=OPEN_STATES, due_at__lt=now) | Q(replied_at__gt=F("due_at"))

    type_labels = dict(TicketType.choices)
    source_labels = dict(TicketSource.choices)
    by_type = {row["ticket_type"]: row["n"] for row in tickets.values("ticket_type").annotate(n=Count("pk"))}
    by_source = {row["source"]: row["n"] for row in tickets.values("source").annotate(n=Count("pk"))}

    organisations = []
    rows = (
        tickets.filter(department__isnull=False)
        .values("department_id", "department__name")
        .annotate(
            total=Count("pk"),
            responded=Count("pk", filter=Q(responded_at__isnull=False)),
            revisited=Count("pk", filter=Q(solved__isnull=False)),
            solved=Count("pk", filter=Q(solved=True)),
            rated=Count("pk", filter=~Q(satisfaction="")),
            satisfied=Count("pk", filter=Q(satisfaction__in=SATISFIED_LEVELS)),
            overdue=Count("pk", filter=overdue),
        )
        .order_by("department__name")
    )
    for row in rows:
        organisations.append(
            {
                "department_id": row["department_id"],
                "name": row["department__name"],
                "total": row["total"],
                "responded": row["responded"],
                "response_rate": _rate(row["responded"], row["total"]),
                "revisited": row["revisited"],
                "solved": row["solved"],
                "solve_rate": _rate(row["solved"], row["revisited"]),
                "rated": row["rated"],
                "satisfied": row["satisfied"],
                "satisfaction_rate": _rate(row["satisfied"], row["rated"]),
                "overdue": row["overdue"],
            }
        )

    current = _topics(list(tickets.values_list("keywords", flat=True)))
    previous = _topics(list(earlier.values_list("keywords", flat=True)))
    hot = [
        {"word": word, "count": n, "previous": previous.get(word, 0)}
        for word, n in sorted(current.items(), key=lambda item: (-item[1], item[0]))[:HOT_TOPICS]
    ]
    rising: list[dict[str, Any]] = [
        {"word": word, "count": n, "previous": previous.get(word, 0), "increase": n - previous.get(word, 0)}
        for word, n in current.items()
        if n >= 2 and n > previous.get(word, 0)
    ]
    rising.sort(key=lambda item: (-item["increase"], -item["count"], item["word"]))

    overdue_rows = list(
        tickets.filter(overdue).select_related("department", "category").order_by("due_at", "id")[:OVERDUE_ROWS]
    )
    return {
        "quarter": quarter,
        "previous": before,
        "total": tickets.count(),
        "previous_total": earlier.count(),
        "by_type": [
            {"code": code, "label": label, "count": by_type.get(code, 0)} for code, label in type_labels.items()
        ],
        "by_source": [
            {"code": code, "label": label, "count": by_source.get(code, 0)} for code, label in source_labels.items()
        ],
        "organisations": organisations,
        "hot_topics": hot,
        "rising_topics": rising[:RISING_TOPICS],
        "overdue": overdue_rows,
        "overdue_count": tickets.filter(overdue).count(),
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def quarter_csv(report: dict[str, Any]) -> str:
    """The report as CSV text, with a UTF-8 byte-order mark in front."""
    out = io.StringIO()
    writer = csv.writer(out)
    quarter: Quarter = report["quarter"]
    writer.writerow(
        ["12345诉求季度分析", quarter.label, f"受理总量 {report['total']}", f"上季度 {report['previous_total']}"]
    )
    writer.writerow([])
    writer.writerow(
        ["承办单位", "工单数", "已响应", "响应率", "已回访", "已解决", "解决率", "已评价", "满意", "满意率", "超期"]
    )
    for org in report["organisations"]:
        writer.writerow(
            [
                org["name"],
                org["total"],
                org["responded"],
                _percent(org["response_rate"]),
                org["revisited"],
                org["solved"],
                _percent(org["solve_rate"]),
                org["rated"],
                org["satisfied"],
                _percent(org["satisfaction_rate"]),
                org["overdue"],
            ]
        )
    writer.writerow([])
    writer.writerow(["诉求类型", "数量"])
    for row in report["by_type"]:
        writer.writerow([row["label"], row["count"]])
    writer.writerow([])
    writer.writerow(["来源", "数量"])
    for row in report["by_source"]:
        writer.writerow([row["label"], row["count"]])
    writer.writerow([])
    writer.writerow(["热点词", "本季度", "上季度"])
    for row in report["hot_topics"]:
        writer.writerow([row["word"], row["count"], row["previous"]])
    writer.writerow([])
    writer.writerow(["上升话题", "本季度", "上季度", "增加"])
    for row in report["rising_topics"]:
        writer.writerow([row["word"], row["count"], row["previous"], row["increase"]])
    writer.writerow([])
    writer.writerow(["超期工单", "标题", "承办单位", "办理期限", "状态"])
    for ticket in report["overdue"]:
        writer.writerow(
            [
                ticket.number,
                ticket.title,
                ticket.department.name if ticket.department else "",
                f"{timezone.localtime(ticket.due_at):%Y-%m-%d %H:%M}",
                ticket.get_state_display(),
            ]
        )
    return "\ufeff" + out.getvalue()
