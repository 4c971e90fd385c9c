"""Code lists of the hotline app (12345 诉求 and the 办不成事 window).

STANDARDS §5: the five 诉求 categories come from the 北京市接诉即办工作条例 [V]; ticket states and deadlines
are not national [U], so the states below are this platform's and the deadlines live in a table
(``DeadlineRule``) with local defaults.
"""

from __future__ import annotations

from django.db import models


class TicketSource(models.TextChoices):
    """诉求来源 (渠道)."""

    PHONE = "phone", "12345电话"  # registered by a 话务员 during a call
    WEB = "web", "网站"  # the public form /hotline/new/
    MOBILE = "mobile", "移动端"  # the same form or the API from a phone app
    WINDOW = "window", "办不成事窗口"  # the 办不成事 window in a 政务服务中心 (five steps)
    EVALUATION = "evaluation", "好差评差评"  # a bad rating handed over by the evaluations app
    ASSISTANT = "assistant", "智能客服转人工"  # the assistant's hand-off (later)
    OPEN311 = "open311", "第三方应用（Open311）"  # a GeoReport v2 client POSTed it


# Sources a person or a client may choose; the other ones are set by platform code only.
PUBLIC_SOURCES = (TicketSource.WEB, TicketSource.MOBILE)
STAFF_SOURCES = (TicketSource.PHONE, TicketSource.WINDOW)


class TicketType(models.TextChoices):
    """诉求类型 (北京市接诉即办工作条例, STANDARDS §5 [V])."""

    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"


class Urgency(models.TextChoices):
    """紧急程度."""

    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"  # 急诉速办: hours, round the clock


class DeadlineUnit(models.TextChoices):
    """办理时限单位."""

    WORKDAY = "workday", "工作日"  # counted from the day after 受理 (yiwang.workdays)
    HOUR = "hour", "小时"  # elapsed hours, 7×24 (12345 works round the clock)


class TicketState(models.TextChoices):
    """工单状态. Every state says what holds in it."""

    REGISTERED = "registered", "待派单"  # 已受理登记; no 承办单位 yet (new, or returned by one); the clock runs
    DISPATCHED = "dispatched", "待签收"  # 已派给承办单位 (``department``); not yet signed for
    HANDLING = "handling", "办理中"  # 承办单位已签收 (``responded_at`` set) and is working on it
    REPLIED = "replied", "已答复"  # 承办单位已答复 (``reply``); the centre checks it and closes
    CLOSED = "closed", "已办结"  # 办结; waiting for 回访 (or the citizen's own rating)
    REVISITED = "revisited", "已回访"  # 回访 done and solved; terminal (a 抽查回访 may still sample it)


OPEN_STATES = (TicketState.REGISTERED, TicketState.DISPATCHED, TicketState.HANDLING)
WITH_DEPARTMENT_STATES = (TicketState.DISPATCHED, TicketState.HANDLING)
DONE_STATES = (TicketState.CLOSED, TicketState.REVISITED)


class ReplyOutcome(models.TextChoices):
    """答复结果."""

    SOLVED = "solved", "已解决"
    EXPLAINED = "explained", "已解释说明"  # cannot be solved (no legal basis, outside remit): the reasons given


class Satisfaction(models.TextChoices):
    """满意度, five levels stored as an unambiguous enum (STANDARDS §2: report codes differ by system)."""

    VERY_SATISFIED = "very_satisfied", "非常满意"
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"
    VERY_DISSATISFIED = "very_dissatisfied", "非常不满意"


SATISFIED_LEVELS = (Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASIC)


class RevisitMethod(models.TextChoices):
    """回访方式 (STANDARDS §5: phone / SMS / web)."""

    PHONE = "phone", "电话回访"
    SMS = "sms", "短信回访"
    WEB = "web", "网上评价"  # the citizen rated it himself on 我的诉求
    VISIT = "visit", "当面回访"


class ExtensionState(models.TextChoices):
    """延期申请状态."""

    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予批准"


class SupervisionKind(models.TextChoices):
    """督办来源."""

    AUTO = "auto", "到期自动督办"  # written by the worker when the deadline passes (one per due time)
    MANUAL = "manual", "人工督办"  # a supervisor's 督办 with a message


class SpotCheckState(models.TextChoices):
    """抽查回访状态."""

    PENDING = "pending", "待回访"
    DONE = "done", "已回访"


class EventAction(models.TextChoices):
    """工单过程事件 (one per transition)."""

    CREATE = "create", "受理登记"
    DISPATCH = "dispatch", "派单"
    TRANSFER = "transfer", "转办"
    ACCEPT = "accept", "签收"
    RETURN = "return", "退回"
    EXTENSION_REQUEST = "extension_request", "申请延期"
    EXTENSION_DECIDE = "extension_decide", "延期审批"
    SUPERVISE = "supervise", "督办"
    SUPERVISE_RESPOND = "supervise_respond", "督办反馈"
    REPLY = "reply", "答复"
    CLOSE = "close", "办结"
    REVISIT = "revisit", "回访"
    REOPEN = "reopen", "重新办理"
    SPOT_CHECK = "spot_check", "抽查回访"


# Events a citizen does not see on 我的诉求: internal work distribution and supervision.
INTERNAL_EVENTS = frozenset(
    {
        EventAction.EXTENSION_REQUEST,
        EventAction.EXTENSION_DECIDE,
        EventAction.SUPERVISE,
        EventAction.SUPERVISE_RESPOND,
        EventAction.SPOT_CHECK,
        EventAction.RETURN,
    }
)


class WindowStage(models.IntegerChoices):
    """“办不成事”反映窗口的五个环节 (Gonghe 十八: 接受登记、分类处置、限时办结、评价反馈、抽查回访)."""

    REGISTER = 1, "接受登记"
    CLASSIFY = 2, "分类处置"
    FINISH = 3, "限时办结"
    FEEDBACK = 4, "评价反馈"
    SPOT_CHECK = 5, "抽查回访"
