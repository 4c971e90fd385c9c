"""Input and output schemas of ``/api/v1/hotline`` (one pair per endpoint where the shapes differ)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

SourceIn = Literal["web", "mobile", "phone", "window"]
TypeIn = Literal["consult", "help", "complaint", "report", "suggestion"]
UrgencyIn = Literal["normal", "urgent"]
OutcomeIn = Literal["solved", "explained"]
SatisfactionIn = Literal["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
MethodIn = Literal["phone", "sms", "web", "visit"]
QueueIn = Literal["dispatch", "department", "replied", "revisit", "overdue", "extensions", "supervised", "all"]


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    leaf: bool
    default_type: str


class TicketIn(Schema):
    source: SourceIn = Field("web", description="web/mobile：群众本人；phone/window：话务员或办不成事窗口人员")
    ticket_type: TypeIn
    urgency: UrgencyIn = "normal"
    category_id: int | None = None
    title: str = Field(..., max_length=100)
    content: str = Field(..., max_length=2000)
    region_code: str = Field(..., max_length=12, description="受理区划代码")
    window_id: int | None = Field(None, description="办不成事窗口（source=window 时必填）")
    address: str = Field("", max_length=300)
    caller_name: str = Field("", max_length=50)
    caller_phone: str = Field("", max_length=20)


class DuplicateQueryIn(Schema):
    caller_phone: str = Field("", max_length=20)
    title: str = Field("", max_length=100)
    content: str = Field("", max_length=2000)


class DuplicateOut(Schema):
    id: int
    number: str
    title: str
    state: str
    registered_at: dt.datetime
    reasons: list[str]


class DispatchIn(Schema):
    department_id: int
    ticket_type: TypeIn | None = None
    urgency: UrgencyIn | None = None
    category_id: int | None = None
    note: str = Field("", max_length=500)


class TransferIn(Schema):
    department_id: int
    reason: str = Field(..., max_length=500)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=500)


class ReplyIn(Schema):
    reply: str = Field(..., max_length=2000)
    outcome: OutcomeIn = "solved"


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class RevisitIn(Schema):
    satisfaction: SatisfactionIn
    solved: bool
    method: MethodIn = Field("phone", description="群众本人提交时总是 web")
    note: str = Field("", max_length=1000)


class ExtensionIn(Schema):
    days: int = Field(..., ge=1, le=30)
    reason: str = Field(..., max_length=1000)


class DecideIn(Schema):
    approve: bool
    note: str = Field("", max_length=1000)


class SuperviseIn(Schema):
    message: str = Field(..., max_length=1000)


class RespondIn(Schema):
    response: str = Field(..., max_length=1000)


class PurposeIn(Schema):
    purpose: str = Field(..., max_length=200, description="查看用途（写入审计日志）")


class CallerOut(Schema):
    name: str
    phone: str
    email: str


class SpotDrawIn(Schema):
    batch: str = Field(..., max_length=40)
    count: int = Field(..., ge=1, le=200)
    closed_from: dt.date
    closed_to: dt.date
    source: Literal["window", "all"] = "window"


class SpotRecordIn(Schema):
    satisfaction: SatisfactionIn
    solved: bool
    note: str = Field("", max_length=1000)


class SpotCheckOut(Schema):
    id: int
    ticket_id: int
    ticket_number: str
    batch: str
    state: str
    satisfaction: str
    solved: bool | None


class ExtensionOut(Schema):
    id: int
    ticket_id: int
    days: int
    reason: str
    state: str
    department: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str


class SupervisionOut(Schema):
    id: int
    ticket_id: int
    kind: str
    message: str
    department: str
    created_at: dt.datetime
    response: str
    responded_at: dt.datetime | None


class EventOut(Schema):
    seq: int
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor_name: str
    department: str
    reason: str
    at: dt.datetime


class StageOut(Schema):
    number: int
    label: str
    status: str
    note: str


class TicketRowOut(Schema):
    id: int
    number: str
    source: str
    ticket_type: str
    urgency: str
    state: str
    state_label: str
    title: str
    category: str
    department: str
    registered_at: dt.datetime
    due_at: dt.datetime
    overdue: bool


class TicketOut(TicketRowOut):
    content: str
    region_code: str
    address: str
    caller_name: str = Field(description="脱敏")
    caller_phone: str = Field(description="脱敏")
    first_department: str
    reply: str
    reply_outcome: str
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    satisfaction: str
    solved: bool | None
    reopen_count: int
    extended_days: int
    events: list[EventOut]
    stages: list[StageOut]
    extensions: list[ExtensionOut] = []
    supervisions: list[SupervisionOut] = []


class TicketPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[TicketRowOut]


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=100)


class QueueQuery(PageQuery):
    queue: QueueIn = "all"


class QuarterQuery(Schema):
    quarter: str = Field("", max_length=6, description="如 2026Q1；空为本季度")


class CountOut(Schema):
    code: str
    label: str
    count: int


class OrganisationOut(Schema):
    department_id: int
    name: str
    total: int
    responded: int
    response_rate: float | None
    revisited: int
    solved: int
    solve_rate: float | None
    rated: int
    satisfied: int
    satisfaction_rate: float | None
    overdue: int


class TopicOut(Schema):
    word: str
    count: int
    previous: int


class RisingOut(TopicOut):
    increase: int


class AnalysisOut(Schema):
    quarter: str
    previous_quarter: str
    total: int
    previous_total: int
    by_type: list[CountOut]
    by_source: list[CountOut]
    organisations: list[OrganisationOut]
    hot_topics: list[TopicOut]
    rising_topics: list[RisingOut]
    overdue_count: int
    overdue: list[TicketRowOut]
