"""Code lists of the cases app. Every state carries a comment saying what holds in it."""

from __future__ import annotations

from django.db import models


class CaseState(models.TextChoices):
    """办件状态."""

    SUBMITTED = "submitted", "待受理"  # 已提交，等待窗口预审 (or back from 补正)
    SUPPLEMENT = "supplement", "待补正"  # 一次性告知书已发出，等待申请人补正；时限未起算
    HANDLING = "handling", "办理中"  # 已受理；环节在后台流转，时限在走 (unless a 特别程序 pauses it)
    DECIDED = "decided", "待出件"  # 已作出决定；结果待领取或寄送
    CLOSED = "closed", "已办结"  # 结果已送达；终态
    REJECTED = "rejected", "不予受理"  # 不予受理通知书已出具；终态
    WITHDRAWN = "withdrawn", "已撤回"  # 申请人在决定前撤回；终态


OPEN_STATES = (CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING, CaseState.DECIDED)
TERMINAL_STATES = (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN)


class Channel(models.TextChoices):
    """申报渠道 (申请类型)."""

    ONLINE = "online", "网上申请"  # 电脑端或移动端
    WINDOW = "window", "窗口受理"  # 综合窗口无差别受理
    API = "api", "部门系统推送"  # 部门业务系统经接口提交


class ApplicantKind(models.TextChoices):
    """申请人类型 (simplified from 服务对象)."""

    PERSON = "person", "自然人"
    ENTERPRISE = "enterprise", "法人或其他组织"


class AcceptMode(models.TextChoices):
    """受理方式."""

    NORMAL = "normal", "一般受理"
    DEFERRED = "deferred", "容缺受理"  # 容缺后补材料 missing, with a due date to supply them
    COMMITMENT = "commitment", "告知承诺"  # applicant signed the commitment; materials checked later (核查)
    INSTANT = "instant", "即办"  # decided at acceptance
    AUTO = "auto", "秒批"  # decided by rules, no human step


class Decision(models.TextChoices):
    """审批决定."""

    APPROVE = "approve", "准予"
    REFUSE = "refuse", "不予"


class StepState(models.TextChoices):
    """环节状态 (环节办理状态: 1 待办, 2 已办)."""

    OPEN = "open", "待办"  # the step's block is the case's current block
    DONE = "done", "已办"  # passed (业务动作: 通过)
    RETURNED = "returned", "已退回"  # sent back to an earlier step (业务动作: 退回); a new activation follows
    CANCELLED = "cancelled", "已终止"  # the case left handling (withdrawn) while the step was open


class MaterialStatus(models.TextChoices):
    """材料收取状态."""

    PROVIDED = "provided", "已提交"  # uploaded or received on paper
    ABSENT = "absent", "未提交"  # optional and not given, or still missing before 受理
    DEFERRED = "deferred", "容缺待补"  # accepted without it; owed by ``Case.deferred_due``
    COMMITTED = "committed", "承诺代替"  # 告知承诺: replaced by the signed commitment, checked later
    EXEMPT = "exempt", "免提交"  # obtained by the platform (电子证照 / 数据共享)


class NoticeKind(models.TextChoices):
    """文书种类."""

    ACCEPTANCE = "acceptance", "受理通知书"
    SUPPLEMENT = "supplement", "补正材料一次性告知书"
    REJECTION = "rejection", "不予受理通知书"
    APPROVAL = "approval", "准予许可决定书"
    REFUSAL = "refusal", "不予许可决定书"
    SPECIAL = "special", "特别程序告知书"
    EXTENSION = "extension", "延长审批期限告知书"


class DeliveryMethod(models.TextChoices):
    """出件方式."""

    PICKUP = "pickup", "窗口领取"  # 统一窗口出件, with a pickup code
    EXPRESS = "express", "快递送达"  # address and tracking number
    ELECTRONIC = "electronic", "电子送达"  # nothing on paper; the result is online


class CheckState(models.TextChoices):
    """告知承诺核查."""

    PENDING = "pending", "待核查"
    KEPT = "kept", "属实守诺"
    BROKEN = "broken", "承诺不实"  # feeds credit records later


class Light(models.TextChoices):
    """时限灯."""

    GREEN = "green", "绿灯"  # within the limit
    YELLOW = "yellow", "黄灯"  # remaining working days ≤ the item's warning threshold (预警)
    RED = "red", "红灯"  # overdue (超期)


class EventAction(models.TextChoices):
    """办件过程事件 (one per transition)."""

    SUBMIT = "submit", "提交申请"
    AUTO_DECIDE = "auto_decide", "秒批判定"
    ACCEPT = "accept", "受理"
    REJECT = "reject", "不予受理"
    REQUEST_SUPPLEMENT = "request_supplement", "一次性告知补正"
    SUPPLEMENT = "supplement", "补正提交"
    STEP_ASSIGN = "step_assign", "分派"
    STEP_COMPLETE = "step_complete", "环节通过"
    STEP_RETURN = "step_return", "退回"
    DECIDE = "decide", "作出决定"
    DELIVERY_SET = "delivery_set", "选择出件方式"
    CLOSE = "close", "出件办结"
    WITHDRAW = "withdraw", "撤回申请"
    SPECIAL_START = "special_start", "特别程序开始"
    SPECIAL_END = "special_end", "特别程序结束"
    EXTEND = "extend", "延长审批"
    DEFERRED_SUPPLY = "deferred_supply", "容缺材料补齐"
    COMMITMENT_CHECK = "commitment_check", "承诺核查"
    URGE = "urge", "督办"
    URGE_RESPOND = "urge_respond", "督办反馈"
