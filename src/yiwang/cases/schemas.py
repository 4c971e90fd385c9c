"""Input and output schemas of the cases API (``api.py``): one input schema per endpoint; outputs shared
where two endpoints answer with the same thing (a case's detail after any transition).

Inputs check shape only (types, lengths, known enum values); every rule — who may, in which state, which
materials — is the services' (CONVENTIONS rule 6), and their errors come back with the same field paths.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

MAX_PAGE_SIZE = 100

DeliveryMethodIn = Literal["pickup", "express", "electronic"]
LightIn = Literal["green", "yellow", "red"]

MATERIALS_DESCRIPTION = "申请材料：{材料编码: [文件编号, …]}，文件须由本人经 /api/v1/files 上传"
PAPER_DESCRIPTION = "窗口收取的纸质材料：{材料编码: [原件份数, 复印件份数]}（仅工作人员）"


# --- inputs: applicant -----------------------------------------------------------------------------------


class DraftIn(Schema):
    form: dict[str, Any] = Field(default_factory=dict, description="申请表（可只填一部分，原样保存）")
    materials: dict[str, list[int]] = Field(default_factory=dict, description=MATERIALS_DESCRIPTION)
    revision: int | None = Field(
        None, ge=1, description="读取草稿时的修订号；首次保存不填。他处已保存过更新版本时返回409"
    )
    enterprise_id: int | None = Field(None, description="以企业身份办理时的企业编号")
    principal_id: int | None = Field(None, description="代办时委托人的自然人编号")


class DraftQuery(Schema):
    enterprise_id: int | None = Field(None, description="以企业身份办理时的企业编号")
    principal_id: int | None = Field(None, description="代办时委托人的自然人编号")


class DeliveryIn(Schema):
    method: DeliveryMethodIn = Field(..., description="pickup 窗口领取 / express 快递送达 / electronic 电子送达")
    pickup_window_id: int | None = Field(None, description="领取结果的窗口（窗口领取时必填）")
    address: str = Field("", max_length=300, description="收件地址，含收件人和电话（快递送达时必填）")


class SubmitIn(Schema):
    item_id: int = Field(..., description="事项编号（已发布）")
    form: dict[str, Any] = Field(..., description="申请表，按事项现行版本的表单字段填写")
    materials: dict[str, list[int]] = Field(default_factory=dict, description=MATERIALS_DESCRIPTION)
    enterprise_id: int | None = Field(None, description="以企业名义申请时的企业编号（须为法定代表人或经办人）")
    principal_id: int | None = Field(None, description="代办时委托人的自然人编号（须有有效的代办授权）")
    person_id: int | None = Field(None, description="部门系统推送时的申请人（自然人编号）；与 enterprise_id 至少填一项")
    channel: Literal["online", "api"] = Field(
        "online", description="online 网上申请（群众账号）/ api 部门系统推送（有受理权限的工作人员或令牌）"
    )
    delivery: DeliveryIn | None = Field(None, description="出件方式；不填则决定后电子送达")
    commitment_signed: bool = Field(False, description="申请人已阅读并签署告知承诺书（告知承诺事项缺少必要材料时必须）")


class SupplementIn(Schema):
    form: dict[str, Any] | None = Field(None, description="修改后的完整申请表；不改则不填")
    materials: dict[str, list[int]] = Field(default_factory=dict, description=MATERIALS_DESCRIPTION)
    paper: dict[str, list[int]] = Field(default_factory=dict, description=PAPER_DESCRIPTION)


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=500, description="撤回原因（2–500字）")


class DeliverySetIn(DeliveryIn):
    pass


class DeferredSupplyIn(Schema):
    materials: dict[str, list[int]] = Field(default_factory=dict, description=MATERIALS_DESCRIPTION)
    paper: dict[str, list[int]] = Field(default_factory=dict, description=PAPER_DESCRIPTION)


# --- inputs: staff ---------------------------------------------------------------------------------------


class AcceptIn(Schema):
    mode: Literal["normal", "deferred", "commitment"] = Field(
        "normal", description="normal 一般受理（即办件当场决定）/ deferred 容缺受理 / commitment 告知承诺"
    )
    deferred_due: dt.date | None = Field(None, description="容缺材料补齐期限（默认受理后5个工作日）")
    commitment_signed: bool = Field(False, description="申请人已签署告知承诺书（告知承诺时必须）")
    check_due: dt.date | None = Field(None, description="承诺核查期限（默认受理后20个工作日）")
    paper: dict[str, list[int]] = Field(default_factory=dict, description=PAPER_DESCRIPTION)


class RejectIn(Schema):
    reason: str = Field(..., max_length=2000, description="不予受理的理由（至少5个字）")


class SupplementItemIn(Schema):
    code: str = Field("", max_length=40, description="材料编码；不是所列材料时不填，改填 name")
    name: str = Field("", max_length=200, description="需补正的事项（code 为空时必填）")
    problem: str = Field(..., max_length=300, description="问题或补正要求")


class RequestSupplementIn(Schema):
    items: list[SupplementItemIn] = Field(..., max_length=100, description="需要补正的全部材料及问题（一次性告知）")
    note: str = Field("", max_length=500, description="补充说明")


class StepCompleteIn(Schema):
    opinion: str = Field(..., max_length=2000, description="审核意见")


class StepReturnIn(Schema):
    to_position: int = Field(..., ge=0, description="退回到的环节序号（见详情 steps[].position，不能退回受理）")
    reason: str = Field(..., max_length=2000, description="退回理由")


class StepAssignIn(Schema):
    assignee_id: int = Field(..., description="被分派的审批人员账号编号")
    reason: str = Field("", max_length=2000, description="转办理由（改派他人时必填）")


class DecideIn(Schema):
    decision: Literal["approve", "refuse"] = Field(..., description="approve 准予 / refuse 不予")
    reason: str = Field("", max_length=2000, description="决定意见；不予时必填理由（至少5个字）")


class CloseIn(Schema):
    pickup_code: str = Field("", max_length=8, description="申请人出示的取件码（窗口领取）")
    tracking_number: str = Field("", max_length=40, description="快递单号（快递送达）")


class SpecialStartIn(Schema):
    name: str = Field(..., max_length=100, description="特别程序名称（事项规定的，如 专家评审）")
    reason: str = Field(..., max_length=2000, description="启动理由或依据")
    planned_days: int = Field(..., description="告知申请人所需时间（1–365个工作日）")


class SpecialEndIn(Schema):
    result: str = Field(..., max_length=2000, description="特别程序结果")


class ExtendIn(Schema):
    days: int = Field(..., description="延长的工作日数（累计不超过10日，联办事项15日）")
    reason: str = Field(..., max_length=2000, description="延长理由（经本机关负责人批准）")


class CommitmentCheckIn(Schema):
    kept: bool = Field(..., description="true 属实守诺 / false 承诺不实")
    note: str = Field("", max_length=2000, description="核查说明（承诺不实时必填，至少5个字）")


class UrgeIn(Schema):
    message: str = Field(..., max_length=1000, description="督办内容")


class UrgeRespondIn(Schema):
    response: str = Field(..., max_length=1000, description="反馈内容")


# --- query parameters ------------------------------------------------------------------------------------


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class QueueQuery(PageQuery):
    department_id: int | None = Field(None, description="只看该部门的办件")
    light: LightIn | None = Field(None, description="只看该灯色的办理中办件")
    q: str = Field("", max_length=50, description="办件编号前缀")


class SyncQuery(PageQuery):
    updated_after: dt.datetime | None = Field(None, description="只列出此时间之后有新过程事件的办件（带时区）")


class EventsQuery(Schema):
    after: int = Field(0, ge=0, description="游标：上次返回的 next；从头读取填0")
    limit: int = Field(100, ge=1, le=500)


class LookupQuery(Schema):
    number: str = Field(..., min_length=1, max_length=50, description="办件编号")
    code: str = Field(..., min_length=4, max_length=8, description="查询码（受理回执或短信中的6位数字）")


class LightsQuery(Schema):
    department_id: int | None = Field(None, description="只统计该部门")
    by_department: bool = Field(False, description="按部门分列")


# --- outputs ---------------------------------------------------------------------------------------------


class DraftOut(Schema):
    item_id: int
    identity: str = Field(..., description="办事身份：person / enterprise:<编号> / principal:<编号>")
    revision: int = Field(..., description="修订号；下次保存时原样带回")
    form: dict[str, Any]
    materials: dict[str, list[int]]
    updated_at: dt.datetime


class CaseRowOut(Schema):
    """One of my cases in a list."""

    id: int
    number: str
    item_name: str
    department_name: str
    state: str
    state_label: str
    light: LightIn | None = Field(..., description="时限灯（仅办理中的办件）")
    applicant_name: str
    channel: str
    submitted_at: dt.datetime
    promise_due: dt.date | None
    legal_due: dt.date | None
    deferred_due: dt.date | None


class CasePageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[CaseRowOut]


class QueueCaseOut(Schema):
    """A case in a work queue."""

    id: int
    number: str
    item_name: str
    department_id: int
    department_name: str
    state: str
    state_label: str
    light: LightIn | None
    applicant_name: str
    channel: str
    submitted_at: dt.datetime
    promise_due: dt.date | None
    legal_due: dt.date | None
    deferred_due: dt.date | None


class QueuePageOut(Schema):
    name: str
    label: str
    count: int
    page: int
    page_size: int
    items: list[QueueCaseOut]


class QueueCountOut(Schema):
    name: str
    label: str
    count: int


class SyncCaseOut(Schema):
    """A case as a department system reads it (审管联动)."""

    id: int
    number: str
    item_code: str
    item_name: str
    department_id: int
    state: str
    channel: str
    accept_mode: str
    applicant_kind: str
    applicant_name: str
    decision: str
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None
    promise_due: dt.date | None
    legal_due: dt.date | None
    light: LightIn | None
    last_event_seq: int
    updated_at: dt.datetime


class SyncPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[SyncCaseOut]


class MaterialBriefOut(Schema):
    code: str
    name: str
    status: str
    status_label: str


class CaseSubmittedOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    item_name: str
    department_name: str
    channel: str
    submitted_at: dt.datetime
    lookup_code: str = Field(..., description="进度查询码（与办件编号一起用于公开查询）")
    materials: list[MaterialBriefOut]


class FormRowOut(Schema):
    key: str
    label: str
    type: str
    value: str = Field(..., description="显示值；身份证号、电话已脱敏")
    empty: bool
    masked: bool
    rows: list[list[FormRowOut]] = Field(..., description="重复组：每项一组字段")
    uploads: list[int]


class StepOut(Schema):
    id: int
    position: int
    block: int
    name: str
    is_final: bool
    department_id: int
    department_name: str
    state: str
    state_label: str
    assignee_id: int | None
    assignee_name: str
    opinion: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    due: dt.date | None
    light: LightIn | None = Field(..., description="环节时限灯（仅待办环节）")
    actions: list[str] = Field(..., description="当前用户可对该环节执行的操作：complete / return / assign / decide")


class MaterialOut(Schema):
    id: int
    code: str
    name: str
    necessity: str
    status: str
    status_label: str
    problem: str
    uploads: list[int]
    originals_received: int
    copies_received: int
    supplied_at: dt.datetime | None


class NoticeOut(Schema):
    id: int
    kind: str
    title: str
    number: str
    items: list[str]
    issued_at: dt.datetime
    answered_at: dt.datetime | None
    pdf_url: str


class EventOut(Schema):
    seq: int
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor_name: str
    reason: str
    at: dt.datetime
    data: dict[str, Any] = Field(..., description="详情（仅工作人员可见，申请人为空对象）")


class ProcedureOut(Schema):
    id: int
    kind: str
    name: str
    reason: str
    pauses_clock: bool
    planned_days: int
    extension_days: int
    started_on: dt.date
    ended_on: dt.date | None
    paused_workdays: int
    result: str


class UrgeOut(Schema):
    id: int
    light: str
    message: str
    created_at: dt.datetime
    created_by_name: str
    response: str
    responded_at: dt.datetime | None
    responded_by_name: str


class CheckOut(Schema):
    due: dt.date
    state: str
    state_label: str
    note: str
    checked_at: dt.datetime | None


class DeadlinesOut(Schema):
    legal_due: dt.date | None = Field(..., description="法定办结日期")
    promise_due: dt.date | None = Field(..., description="承诺办结日期")
    warn_on: dt.date | None = Field(..., description="黄灯预警起始日")
    deferred_due: dt.date | None = Field(..., description="容缺材料补齐期限")
    paused_since: dt.date | None = Field(..., description="特别程序暂停计时起")
    paused_days: int = Field(..., description="累计暂停工作日")
    extended_days: int = Field(..., description="累计延长工作日")


class DeliveryOut(Schema):
    method: str
    method_label: str
    pickup_window: str = Field(..., description="领取窗口")
    pickup_code: str = Field(..., description="取件码（仅申请人可见）")
    address: str = Field(..., description="寄送地址（仅申请人可见）")
    tracking_number: str


class ApplicantOut(Schema):
    kind: str
    name: str
    person_id: int | None
    id_number_masked: str
    enterprise_id: int | None
    uscc: str


class CaseDetailOut(Schema):
    id: int
    number: str
    item_id: int
    item_code: str
    item_name: str
    version: int
    department_id: int
    department_name: str
    channel: str
    channel_label: str
    state: str
    state_label: str
    accept_mode: str
    light: LightIn | None = Field(..., description="时限灯（仅办理中的办件）")
    applicant: ApplicantOut
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    decision: str
    decision_reason: str
    decided_at: dt.datetime | None
    result_name: str
    closed_at: dt.datetime | None
    lookup_code: str = Field(..., description="进度查询码（仅申请人可见）")
    deadlines: DeadlinesOut
    delivery: DeliveryOut
    steps: list[StepOut]
    materials: list[MaterialOut]
    notices: list[NoticeOut]
    events: list[EventOut] = Field(..., description="办件过程（时间线）")
    special_procedures: list[ProcedureOut]
    urges: list[UrgeOut] = Field(..., description="督办（仅工作人员可见）")
    commitment_check: CheckOut | None
    auto_decision: dict[str, Any] | None = Field(..., description="秒批判定记录")
    form: list[FormRowOut] | None = Field(
        ..., description="申请表（逐项显示，身份证号和电话脱敏）；工作人员读取记入审计日志；办理操作的应答中为 null"
    )
    form_values: dict[str, Any] | None = Field(..., description="申请表原始内容（仅申请人，用于补正时修改）")
    actions: list[str] = Field(..., description="当前用户可执行的操作")


class LookupStepOut(Schema):
    name: str
    state_label: str
    started_on: dt.date
    finished_on: dt.date | None


class LookupOut(Schema):
    number: str
    item_name: str
    state: str
    state_label: str
    applicant_name: str = Field(..., description="申请人名称（脱敏）")
    submitted_on: dt.date
    steps: list[LookupStepOut]


class LightCountsOut(Schema):
    green: int
    yellow: int
    red: int
    total: int


class DepartmentLightsOut(LightCountsOut):
    department_id: int
    department_name: str


class LightStatsOut(Schema):
    on: dt.date = Field(..., description="统计日")
    total: LightCountsOut
    departments: list[DepartmentLightsOut] = Field(..., description="按部门分列（by_department=true 时）")


class FeedEventOut(Schema):
    id: int = Field(..., description="事件编号，即游标")
    case_id: int
    case_number: str
    seq: int
    action: str
    from_state: str
    to_state: str
    at: dt.datetime
    data: dict[str, Any]


class EventFeedOut(Schema):
    events: list[FeedEventOut]
    next: int = Field(..., description="下次请求的 after；没有新事件时与本次相同")


FormRowOut.model_rebuild()
