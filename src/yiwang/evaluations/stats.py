"""Statistics and the 好差评 export, scoped to the reviewer's regions (``EVALUATION_REVIEW``).

Definitions (GB/T 39734 Annex B formulas were not retrievable — STANDARDS §2 [U] — so these are ours,
stated on the page and in the export):

- 主动评价率 = service events rated (not voided) / service events, over the events that occurred in the period;
- 好评率 = 非常满意 + 满意 + 基本满意 / rated (satisfaction ≥ 3 is not 差评, S6);
- 差评整改率 = orders rectified / orders whose rating stood (genuine or upheld on review);
- the "三个100%": 差评核实率 = orders verified / orders opened (withdrawn ones excluded), 整改率 as above,
  回访率 = orders revisited / orders rectified.

Every figure is one grouped query over ``ServiceEvent`` and one over ``RectificationOrder``, whatever the
number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from yiwang.accounts.permissions import Action, scopes_for
from yiwang.core.errors import DomainError, ErrorCode, permission_denied
from yiwang.evaluations import conf
from yiwang.evaluations.choices import BAD_LEVELS, GOOD_LEVELS, Channel, Level, OrderState, ServiceKind
from yiwang.evaluations.models import Evaluation, RectificationOrder, ServiceEvent

DIMENSIONS: dict[str, str] = {
    "department": "部门",
    "window": "窗口",
    "staff": "工作人员",
    "item": "事项",
    "channel": "评价渠道",
    "month": "月份",
}
EXPORT_LIMIT = 100_000


def _none() -> Q:
    return Q(pk__in=[])


def review_event_q(user: Any, *, prefix: str = "") -> Q:
    q = _none()
    for scope in scopes_for(user, Action.EVALUATION_REVIEW):
        part = Q(**{f"{prefix}department__region__path__startswith": scope.region_path})
        if scope.department_id is not None:
            part &= Q(**{f"{prefix}department_id": scope.department_id})
        q |= part
    return q


def _require_reviewer(user: Any) -> None:
    if not scopes_for(user, Action.EVALUATION_REVIEW):
        raise permission_denied("只有监察人员或政务服务管理机构可以查看好差评统计")


def _period(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    if date_from and date_to and date_from > date_to:
        raise DomainError(ErrorCode.VALIDATION, "开始日期不能晚于结束日期", field="query.date_from")
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if date_to else None
    return start, end


def scoped_events(
    *, user: Any, date_from: dt.date | None = None, date_to: dt.date | None = None, department_id: int | None = None
) -> QuerySet[ServiceEvent]:
    _require_reviewer(user)
    start, end = _period(date_from, date_to)
    qs = ServiceEvent.objects.filter(review_event_q(user))
    if start:
        qs = qs.filter(occurred_at__gte=start)
    if end:
        qs = qs.filter(occurred_at__lt=end)
    if department_id:
        qs = qs.filter(department_id=department_id)
    return qs


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class StatRow:
    key: str
    label: str
    events: int = 0
    rated: int = 0
    good: int = 0
    bad: int = 0
    orders: int = 0
    verified: int = 0
    to_rectify: int = 0
    rectified: int = 0
    revisited: int = 0
    levels: dict[str, int] = field(default_factory=dict)

    @property
    def active_rate(self) -> float | None:
        return _rate(self.rated, self.events)

    @property
    def good_rate(self) -> float | None:
        return _rate(self.good, self.rated)

    @property
    def verify_rate(self) -> float | None:
        return _rate(self.verified, self.orders)

    @property
    def rectify_rate(self) -> float | None:
        return _rate(self.rectified, self.to_rectify)

    @property
    def revisit_rate(self) -> float | None:
        return _rate(self.revisited, self.rectified)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "events": self.events,
            "rated": self.rated,
            "good": self.good,
            "bad": self.bad,
            "orders": self.orders,
            "verified": self.verified,
            "to_rectify": self.to_rectify,
            "rectified": self.rectified,
            "revisited": self.revisited,
            "active_rate": self.active_rate,
            "good_rate": self.good_rate,
            "verify_rate": self.verify_rate,
            "rectify_rate": self.rectify_rate,
            "revisit_rate": self.revisit_rate,
        }


# (group-by expressions on ServiceEvent, label expressions) per dimension; the order query reaches the same
# columns through evaluation__service_event__.
_EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "department": ("department_id", "department__name"),
    "window": ("window_id", "window__number", "window__name"),
    "staff": ("staff_id", "staff__display_name", "staff__username"),
    "item": ("item_id", "item__task_code", "title"),
    "channel": ("evaluation__channel",),
}


def _label(dimension: str, values: tuple[Any, ...]) -> tuple[str, str]:
    if dimension == "department":
        return str(values[0] or ""), values[1] or "—"
    if dimension == "window":
        return str(values[0] or ""), f"{values[1]} {values[2]}" if values[0] else "（非窗口服务）"
    if dimension == "staff":
        return str(values[0] or ""), (values[1] or values[2]) if values[0] else "（系统）"
    if dimension == "item":
        return str(values[0] or ""), f"{values[1]} {values[2]}" if values[0] else "（窗口咨询等）"
    if dimension == "channel":
        return values[0] or "", Channel(values[0]).label if values[0] else "（未评价）"
    month = values[0]
    return (month.strftime("%Y-%m"), month.strftime("%Y年%m月")) if month else ("", "—")


def evaluation_stats(
    *,
    user: Any,
    by: str = "department",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    department_id: int | None = None,
) -> tuple[list[StatRow], StatRow]:
    """Rows by ``by`` (one of ``DIMENSIONS``) and the total, for the service events that occurred in the
    period inside the reviewer's scope."""
    if by not in DIMENSIONS:
        raise DomainError(ErrorCode.VALIDATION, "统计维度不正确", field="query.by")
    events = scoped_events(user=user, date_from=date_from, date_to=date_to, department_id=department_id)
    valid = Q(evaluation__isnull=False, evaluation__voided_at__isnull=True)
    good = valid & Q(evaluation__level__in=sorted(GOOD_LEVELS))
    bad = valid & Q(evaluation__level__in=sorted(BAD_LEVELS))
    metrics = {
        "n_events": Count("pk"),
        "n_rated": Count("pk", filter=valid),
        "n_good": Count("pk", filter=good),
        "n_bad": Count("pk", filter=bad),
    }
    orders = RectificationOrder.objects.filter(evaluation__service_event__in=events.values("pk")).exclude(
        state=OrderState.WITHDRAWN
    )
    order_metrics = {
        "n_orders": Count("pk"),
        "n_verified": Count("pk", filter=Q(verified_at__isnull=False)),
        "n_to_rectify": Count(
            "pk", filter=Q(state__in=[OrderState.RECTIFYING, OrderState.REVISITING, OrderState.CLOSED])
        ),
        "n_rectified": Count("pk", filter=Q(rectified_at__isnull=False)),
        "n_revisited": Count("pk", filter=Q(revisited_at__isnull=False)),
    }
    event_rows: Any  # values() querysets of dicts; their keys are built at run time
    order_rows: Any
    if by == "month":
        tz = timezone.get_current_timezone()
        event_rows = events.annotate(k0=TruncMonth("occurred_at", tzinfo=tz)).values("k0")
        order_rows = orders.annotate(k0=TruncMonth("evaluation__service_event__occurred_at", tzinfo=tz)).values("k0")
        key_names: tuple[str, ...] = ("k0",)
    else:
        columns = _EVENT_KEYS[by]
        key_names = tuple(f"k{i}" for i in range(len(columns)))
        event_rows = events.annotate(**{k: F(c) for k, c in zip(key_names, columns, strict=True)}).values(*key_names)
        order_rows = orders.annotate(
            **{
                k: F(c if c.startswith("evaluation__") else f"evaluation__service_event__{c}")
                for k, c in zip(key_names, columns, strict=True)
            }
        ).values(*key_names)
    rows: dict[tuple[Any, ...], StatRow] = {}

    def row_for(values: tuple[Any, ...]) -> StatRow:
        ident = values[:1]
        if ident not in rows:
            key, label = _label(by, values)
            rows[ident] = StatRow(key=key, label=label)
        return rows[ident]

    for data in event_rows.annotate(**metrics).order_by(*key_names):
        row = row_for(tuple(data[k] for k in key_names))
        row.events += data["n_events"]
        row.rated += data["n_rated"]
        row.good += data["n_good"]
        row.bad += data["n_bad"]
    for data in order_rows.annotate(**order_metrics).order_by(*key_names):
        row = row_for(tuple(data[k] for k in key_names))
        row.orders += data["n_orders"]
        row.verified += data["n_verified"]
        row.to_rectify += data["n_to_rectify"]
        row.rectified += data["n_rectified"]
        row.revisited += data["n_revisited"]
    total = StatRow(key="", label="合计")
    for row in rows.values():
        for name in ("rated", "good", "bad", "orders", "verified", "to_rectify", "rectified", "revisited"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.events += row.events
    ordered = sorted(rows.values(), key=lambda r: (r.key == "", r.label))
    return ordered, total


# --- export in the 好差评 reporting format ---------------------------------------------------------------

EXPORT_HEADER = [
    "办件编号",
    "实施编码",
    "服务内容",
    "服务名称",
    "服务时间",
    "评价渠道代码",
    "评价渠道",
    "评价等级代码",
    "评价等级",
    "差评原因",
    "文字评价",
    "评价时间",
    "评价次数",
    "窗口编号",
    "窗口名称",
    "责任部门",
    "部门统一社会信用代码",
    "服务人员",
    "是否有效",
]


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def export_rows(
    *, user: Any, date_from: dt.date | None = None, date_to: dt.date | None = None, department_id: int | None = None
) -> list[list[Any]]:
    """One row per evaluation of the period (by service time), in the 好差评 reporting format: 评价等级代码
    5 = 非常满意 … 1 = 非常不满意; 评价渠道代码 from ``conf.channel_code``; 是否有效 0 for a voided rating."""
    events = scoped_events(user=user, date_from=date_from, date_to=date_to, department_id=department_id)
    evaluations = (
        Evaluation.objects.filter(service_event__in=events.values("pk"))
        .select_related(
            "service_event",
            "service_event__case",
            "service_event__item",
            "service_event__window",
            "service_event__department",
            "service_event__staff",
        )
        .order_by("service_event__occurred_at", "pk")[:EXPORT_LIMIT]
    )
    out: list[list[Any]] = []
    for e in evaluations:
        event = e.service_event
        staff = event.staff
        out.append(
            [
                event.case.number if event.case else "",
                event.item.task_code if event.item else "",
                event.title,
                ServiceKind(event.kind).label,
                _local(event.occurred_at),
                conf.channel_code(e.channel),
                Channel(e.channel).label,
                conf.level_code(e.level),
                Level(e.level).label,
                "；".join(conf.reason_labels(e.reasons)),
                e.text,
                _local(e.changed_at or e.rated_at),
                e.change_count + 1,
                event.window.number if event.window else "",
                event.window.name if event.window else "",
                event.department.name,
                event.department.uscc,
                (staff.display_name or staff.username) if staff else "",
                0 if e.voided_at else 1,
            ]
        )
    return out


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (=, +, -, @) is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs on Windows read the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("好差评")
    sheet.append(EXPORT_HEADER)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
