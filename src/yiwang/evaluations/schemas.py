"""Input and output schemas of the 好差评 API. Inputs check shape only; every rule is the services'."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

LevelIn = Literal["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"]
LEVEL_DESCRIPTION = (
    "评价等级：very_satisfied 非常满意(5) / satisfied 满意(4) / basically_satisfied 基本满意(3) / "
    "dissatisfied 不满意(2) / very_dissatisfied 非常不满意(1)；没有默认值"
)


# --- inputs ---------------------------------------------------------------------------------------------


class RateIn(Schema):
    level: LevelIn = Field(..., description=LEVEL_DESCRIPTION)
    channel: Literal["pc", "mobile", "qrcode"] = Field(
        ..., description="评价渠道：pc PC端 / mobile 移动服务端 / qrcode 二维码"
    )
    reasons: list[str] = Field(
        default_factory=list, max_length=20, description="差评原因代码（见 /reasons）；差评须填原因或文字"
    )
    text: str = Field("", max_length=500, description="文字评价")


class VisitIn(Schema):
    window_id: int = Field(..., description="本人服务的窗口")
    topic: str = Field(..., max_length=200, description="办理内容，如“个体工商户登记咨询”")
    case_id: int | None = Field(None, description="相关办件（可选）")
    request_rating: bool = Field(True, description="同时请群众在窗口评价器上评价")


class VerifyIn(Schema):
    verdict: Literal["genuine", "mistaken", "malicious"] = Field(
        ..., description="genuine 情况属实（转整改）/ mistaken 误评 / malicious 恶意差评（转申诉复核）"
    )
    note: str = Field(..., max_length=2000, description="核实情况")


class ReviewIn(Schema):
    decision: Literal["uphold", "void"] = Field(..., description="uphold 维持评价（转整改）/ void 评价无效")
    note: str = Field(..., max_length=2000, description="复核意见")


class RectifyIn(Schema):
    measures: str = Field(..., max_length=2000, description="整改措施与结果")


class RevisitIn(Schema):
    level: LevelIn = Field(..., description="群众对整改结果的满意程度（" + LEVEL_DESCRIPTION + "）")
    method: Literal["online", "phone", "sms", "visit"] = Field(
        "online", description="回访方式：评价人本人为 online；回访人员为 phone / sms / visit"
    )
    note: str = Field("", max_length=2000, description="回访记录（回访人员必填）")


class OrdersQuery(Schema):
    queue: Literal["verifying", "appealing", "rectifying", "revisiting", "overdue", "closed"] = Field(
        "verifying", description="队列"
    )
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=100)


class StatsQuery(Schema):
    by: Literal["department", "window", "staff", "item", "channel", "month"] = Field(
        "department", description="统计维度"
    )
    date_from: dt.date | None = Field(None, description="服务时间起（含）")
    date_to: dt.date | None = Field(None, description="服务时间止（含）")
    department_id: int | None = Field(None, description="只统计该部门")


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = Field("csv", description="csv（UTF-8 带 BOM）或 xlsx")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    department_id: int | None = None


# --- outputs --------------------------------------------------------------------------------------------


class ReasonOut(Schema):
    code: str
    label: str


class EvaluationOut(Schema):
    id: int
    service_event_id: int
    level: str
    level_label: str
    level_code: int = Field(..., description="好差评上报代码：5 非常满意 … 1 非常不满意")
    channel: str
    channel_label: str
    reasons: list[str]
    text: str
    rated_at: dt.datetime
    changed_at: dt.datetime | None
    change_until: dt.datetime
    changeable: bool
    voided: bool
    order_id: int | None = Field(None, description="差评生成的整改单")


class ServiceEventOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    case_id: int | None
    case_number: str
    department_name: str
    window: str
    occurred_at: dt.datetime
    rate_until: dt.datetime
    evaluation: EvaluationOut | None


class OrderRowOut(Schema):
    id: int
    state: str
    state_label: str
    level: str
    level_label: str
    case_number: str
    title: str
    department_name: str
    window: str
    opened_at: dt.datetime
    due: dt.date
    overdue: bool


class OrderEventOut(Schema):
    seq: int
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str
    note: str
    at: dt.datetime


class OrderOut(OrderRowOut):
    reasons: list[str]
    reason_labels: list[str]
    text: str
    applicant: str = Field(..., description="评价人（脱敏）")
    staff: str
    verdict: str
    verify_note: str
    review_decision: str
    review_note: str
    measures: str
    rectified_at: dt.datetime | None
    revisit_level: str
    revisit_method: str
    revisit_note: str
    revisited_at: dt.datetime | None
    escalations: list[int] = Field(..., description="已发生的超期督办级别")
    events: list[OrderEventOut]


class MineOut(Schema):
    pending: list[ServiceEventOut] = Field(..., description="待评价（评价期限内、尚未评价）")
    rated: list[ServiceEventOut] = Field(..., description="已评价")
    revisits: list[OrderRowOut] = Field(..., description="待您确认整改结果的差评整改单")


class OrderPageOut(Schema):
    queue: str
    label: str
    count: int
    page: int
    page_size: int
    items: list[OrderRowOut]


class VisitOut(Schema):
    id: int
    service_event_id: int
    window_id: int
    topic: str
    served_at: dt.datetime
    rating_requested_at: dt.datetime | None
    rating_request_until: dt.datetime | None
    rated: bool


class StatRowOut(Schema):
    key: str
    label: str
    events: int
    rated: int
    good: int
    bad: int
    orders: int
    verified: int
    to_rectify: int
    rectified: int
    revisited: int
    active_rate: float | None = Field(..., description="主动评价率 %")
    good_rate: float | None = Field(..., description="好评率 %")
    verify_rate: float | None = Field(..., description="差评核实率 %")
    rectify_rate: float | None = Field(..., description="差评整改率 %")
    revisit_rate: float | None = Field(..., description="回访率 %")


class StatsOut(Schema):
    by: str
    date_from: dt.date | None
    date_to: dt.date | None
    rows: list[StatRowOut]
    total: StatRowOut
