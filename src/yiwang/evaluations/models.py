"""Models of 好差评: rateable service events, window visits, hall devices, evaluations and the 差评 loop.

- ``ServiceEvent``: one service a person may rate — a case's 受理, 补正, 缴费 or 办结 (一事一评, made from the
  case's ``CaseEvent`` by ``signals.py``) or one window visit (一次一评). It names who is responsible
  (department, window, staff member) so statistics never have to guess.
- ``WindowVisit``: a clerk finished serving someone at a window; he may ask for a rating, which then shows on
  the tablet bound to that window (``HallDevice``) for a few minutes.
- ``Evaluation``: at most one per service event (each event has exactly one person entitled to rate it), with
  its history in ``EvaluationRevision``; a bad one opens a ``RectificationOrder`` (核实 → 整改 → 回访),
  whose every transition is an ``OrderEvent`` and whose overdue escalations are ``OrderEscalation`` rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from yiwang.accounts.models import NaturalPerson
from yiwang.cases.models import Case, CaseEvent
from yiwang.catalog.models import ServiceItem
from yiwang.evaluations.choices import (
    BAD_LEVELS,
    OPEN_ORDER_STATES,
    RUNNING_ORDER_STATES,
    Channel,
    Level,
    OrderAction,
    OrderState,
    ReviewDecision,
    RevisitMethod,
    ServiceKind,
    Verdict,
)
from yiwang.regions.models import Department, Window

_USER = settings.AUTH_USER_MODEL


class ServiceEvent(models.Model):
    """A service that may be rated (好差评 服务数据, pushed before any evaluation). The rater is fixed when the
    event is made: the case's applicant (his own account) or, for a window visit, whoever stands at the
    tablet when the clerk asks — staff are never raters."""

    kind = models.CharField("服务名称", max_length=12, choices=ServiceKind.choices)
    case = models.ForeignKey(
        Case, verbose_name="办件", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case_event = models.OneToOneField(
        CaseEvent, verbose_name="办件过程", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )  # unique: one service event per case event, however often the signal or the sweep runs
    department = models.ForeignKey(Department, verbose_name="责任部门", on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey(
        Window, verbose_name="窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        _USER, verbose_name="服务人员", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rater = models.ForeignKey(
        _USER, verbose_name="评价人账号", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the only account that may rate it online; null: only at a hall device (or nobody)
    person = models.ForeignKey(
        NaturalPerson, verbose_name="服务对象", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("服务内容", max_length=300)
    occurred_at = models.DateTimeField("服务时间")
    rate_until = models.DateTimeField("可评价至")

    class Meta:
        verbose_name = "可评价服务"
        verbose_name_plural = verbose_name
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["rater", "-occurred_at"], name="eval_event_rater_idx"),
            models.Index(fields=["department", "occurred_at"], name="eval_event_dept_idx"),
            models.Index(fields=["occurred_at"], name="eval_event_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=ServiceKind.WINDOW) | Q(case__isnull=False), name="eval_event_case_or_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"


class SyncCursor(models.Model):
    """How far the catch-up sweep (``services.service_events_sync``) has read the case events."""

    name = models.CharField("名称", max_length=40, unique=True)
    position = models.PositiveBigIntegerField("已读到的事件编号", default=0)

    class Meta:
        verbose_name = "同步进度"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.name}:{self.position}"


class HallDevice(models.Model):
    """政务大厅评价设备: a tablet (or other terminal) facing the citizen, bound to one window.

    Registered on the workbench, which shows a one-time pairing code; typed into the device, the code becomes
    a long random token kept in an HttpOnly cookie (only its SHA-256 is stored). The device is not a user:
    it can only rate the visits its window's clerk asked to be rated, and nothing else."""

    window = models.ForeignKey(Window, verbose_name="绑定窗口", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("设备名称", max_length=100)
    channel = models.CharField(
        "评价渠道", max_length=16, choices=[(c.value, c.label) for c in (Channel.HALL_TABLET, Channel.HALL_TERMINAL)]
    )
    pairing_hash = models.CharField("配对码摘要", max_length=64, blank=True)
    pairing_until = models.DateTimeField("配对码有效期至", null=True, blank=True)
    token_hash = models.CharField("设备令牌摘要", max_length=64, blank=True)
    paired_at = models.DateTimeField("配对时间", null=True, blank=True)
    registered_at = models.DateTimeField("登记时间")
    registered_by = models.ForeignKey(_USER, verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        _USER, verbose_name="停用人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_seen_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "大厅评价设备"
        verbose_name_plural = verbose_name
        ordering = ["window_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], condition=~Q(token_hash=""), name="eval_device_token"),
            models.UniqueConstraint(fields=["pairing_hash"], condition=~Q(pairing_hash=""), name="eval_device_pairing"),
        ]

    def __str__(self) -> str:
        return f"{self.window} · {self.name}"


class WindowVisit(models.Model):
    """一次一评: one person served at one window by one clerk. ``rating_requested_at`` is set when the clerk
    presses "请群众评价"; the visit shows on the window's tablet until ``rating_request_until``."""

    service_event = models.OneToOneField(
        ServiceEvent, verbose_name="可评价服务", on_delete=models.CASCADE, related_name="visit"
    )
    window = models.ForeignKey(Window, verbose_name="窗口", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(_USER, verbose_name="窗口人员", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        Case, verbose_name="办件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.CharField("办理内容", max_length=200)
    served_at = models.DateTimeField("服务时间")
    rating_requested_at = models.DateTimeField("请求评价时间", null=True, blank=True)
    rating_request_until = models.DateTimeField("评价请求有效期至", null=True, blank=True)
    declined_at = models.DateTimeField("群众暂不评价", null=True, blank=True)

    class Meta:
        verbose_name = "窗口服务"
        verbose_name_plural = verbose_name
        ordering = ["-served_at", "-id"]
        indexes = [
            models.Index(
                fields=["window", "-rating_request_until"],
                condition=Q(rating_request_until__isnull=False),
                name="eval_visit_tablet_idx",
            ),
            models.Index(fields=["staff", "-served_at"], name="eval_visit_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.window} {self.topic}"


class Evaluation(models.Model):
    """评价: the one rating of one service event by the one person entitled to it. Changeable by that person
    until ``change_until``; every version is kept in ``EvaluationRevision``. A rating found 误评/恶意 on
    申诉复核 is voided (``voided_at``): kept, never counted."""

    service_event = models.OneToOneField(
        ServiceEvent, verbose_name="可评价服务", on_delete=models.CASCADE, related_name="evaluation"
    )  # one evaluation per service event (and so per event and person: each event has one rater)
    rater = models.ForeignKey(
        _USER, verbose_name="评价人账号", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(
        HallDevice, verbose_name="评价设备", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField("评价等级", max_length=20, choices=Level.choices)
    channel = models.CharField("评价渠道", max_length=16, choices=Channel.choices)
    reasons = models.JSONField("差评原因", default=list, blank=True)  # codes of conf.reasons()
    text = models.TextField("文字评价", blank=True)
    rated_at = models.DateTimeField("评价时间")
    changed_at = models.DateTimeField("最近修改", null=True, blank=True)
    change_count = models.PositiveSmallIntegerField("修改次数", default=0)
    change_until = models.DateTimeField("可修改至")
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = verbose_name
        ordering = ["-rated_at", "-id"]
        constraints = [
            # 差评 must say why (S6: evalDetail or writingEvaluation, else rejected).
            models.CheckConstraint(
                condition=~Q(level__in=sorted(level.value for level in BAD_LEVELS)) | ~Q(reasons=[]) | ~Q(text=""),
                name="eval_bad_has_reason",
            ),
            # Rated by a person's own account or at a registered hall device — never by nobody.
            models.CheckConstraint(condition=Q(rater__isnull=False) | Q(device__isnull=False), name="eval_has_source"),
        ]
        indexes = [models.Index(fields=["rated_at"], name="eval_rated_idx")]

    def __str__(self) -> str:
        return f"{self.service_event_id}:{self.level}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class EvaluationRevision(models.Model):
    """One version of an evaluation (first rating, each change, the voiding): append-only."""

    evaluation = models.ForeignKey(Evaluation, verbose_name="评价", on_delete=models.CASCADE, related_name="revisions")
    level = models.CharField("评价等级", max_length=20, choices=Level.choices)
    channel = models.CharField("评价渠道", max_length=16, choices=Channel.choices)
    reasons = models.JSONField("差评原因", default=list)
    text = models.TextField("文字评价", blank=True)
    note = models.CharField("说明", max_length=40)  # 首次评价 / 修改评价 / 申诉成立作废
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "评价记录"
        verbose_name_plural = verbose_name
        ordering = ["evaluation_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.evaluation_id}:{self.note}"


class RectificationOrder(models.Model):
    """差评整改单: opened by a bad rating, assigned to the department (and window) responsible for the
    service. 核实 → (申诉复核) → 整改 by ``due`` (working days) → 回访 → closed. "谁办理、谁负责"."""

    evaluation = models.ForeignKey(Evaluation, verbose_name="评价", on_delete=models.PROTECT, related_name="orders")
    department = models.ForeignKey(Department, verbose_name="责任部门", on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey(
        Window, verbose_name="责任窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        _USER, verbose_name="被评价人员", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("状态", max_length=12, choices=OrderState.choices, default=OrderState.VERIFYING)
    opened_at = models.DateTimeField("生成时间")
    due = models.DateField("整改期限")
    verdict = models.CharField("核实结论", max_length=10, choices=Verdict.choices, blank=True)
    verify_note = models.TextField("核实情况", blank=True)
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    verified_by = models.ForeignKey(
        _USER, verbose_name="核实人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_decision = models.CharField("复核结论", max_length=10, choices=ReviewDecision.choices, blank=True)
    review_note = models.TextField("复核意见", blank=True)
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        _USER, verbose_name="复核人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    measures = models.TextField("整改措施", blank=True)
    rectified_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    rectified_by = models.ForeignKey(
        _USER, verbose_name="整改人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revisit_level = models.CharField("回访满意度", max_length=20, choices=Level.choices, blank=True)
    revisit_method = models.CharField("回访方式", max_length=10, choices=RevisitMethod.choices, blank=True)
    revisit_note = models.TextField("回访记录", blank=True)
    revisited_at = models.DateTimeField("回访时间", null=True, blank=True)
    revisited_by = models.ForeignKey(
        _USER, verbose_name="回访人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    last_seq = models.PositiveIntegerField("最新事件序号", default=0)

    class Meta:
        verbose_name = "差评整改单"
        verbose_name_plural = verbose_name
        ordering = ["due", "id"]
        constraints = [
            # One live order per evaluation: a rating changed bad → good → bad reopens, never duplicates.
            models.UniqueConstraint(
                fields=["evaluation"],
                condition=Q(state__in=[s.value for s in OPEN_ORDER_STATES]),
                name="eval_order_one_open",
            ),
            models.CheckConstraint(
                condition=~Q(state=OrderState.RECTIFYING) | ~Q(verdict=""), name="eval_order_rectifying_verified"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[OrderState.REVISITING, OrderState.CLOSED]) | Q(rectified_at__isnull=False),
                name="eval_order_revisit_after_rectify",
            ),
            models.CheckConstraint(
                condition=~Q(state=OrderState.CLOSED) | Q(revisited_at__isnull=False, closed_at__isnull=False),
                name="eval_order_closed_revisited",
            ),
        ]
        indexes = [
            models.Index(
                fields=["department", "due"],
                condition=Q(state__in=[s.value for s in RUNNING_ORDER_STATES]),
                name="eval_order_running_idx",
            ),
            models.Index(fields=["opened_at"], name="eval_order_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"整改单{self.pk} {self.get_state_display()}"


class OrderEvent(models.Model):
    """差评整改过程: exactly one row per transition of an order, never updated or deleted."""

    order = models.ForeignKey(
        RectificationOrder, verbose_name="整改单", on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=12, choices=OrderAction.choices)
    from_state = models.CharField("原状态", max_length=12, blank=True)
    to_state = models.CharField("新状态", max_length=12)
    actor = models.ForeignKey(_USER, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "整改过程"
        verbose_name_plural = verbose_name
        ordering = ["order_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["order", "seq"], name="eval_order_event_seq")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.seq} {self.action}"


class OrderEscalation(models.Model):
    """超期督办: an order past its deadline is escalated once per level (1: at the deadline, to the
    department's handlers and the reviewers; 2: ``conf.escalate_workdays()`` later, to the supervisors)."""

    order = models.ForeignKey(
        RectificationOrder, verbose_name="整改单", on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField("督办级别")
    overdue_workdays = models.PositiveIntegerField("超期工作日")
    at = models.DateTimeField("督办时间")

    class Meta:
        verbose_name = "超期督办"
        verbose_name_plural = verbose_name
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["order", "level"], name="eval_escalation_once")]

    def __str__(self) -> str:
        return f"{self.order_id}:L{self.level}"
