"""Models of the 12345 hotline: the classification tree, the deadline table, work orders (诉求) and what
happens to them (events, extensions, 督办, 回访, 抽查回访).

One ticket model carries every source (phone, web, mobile, the 办不成事 window, a bad evaluation, the
assistant, Open311). The caller's name, phone and e-mail are stored encrypted (``yiwang.core.crypto``) with
a masked copy for screens and a blind index of the phone for the duplicate hint.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from yiwang.hotline.choices import (
    OPEN_STATES,
    DeadlineUnit,
    EventAction,
    ExtensionState,
    ReplyOutcome,
    RevisitMethod,
    Satisfaction,
    SpotCheckState,
    SupervisionKind,
    TicketSource,
    TicketState,
    TicketType,
    Urgency,
)
from yiwang.regions.models import Department, Region, Window

_USER = settings.AUTH_USER_MODEL


class Category(models.Model):
    """诉求分类: a tree edited in the admin and seeded with common topics (``seeds.CATEGORIES``).

    The leaves are the services of the Open311 interface (``code`` is the ``service_code``);
    ``attributes`` are their Open311 attributes (a list of ``{"code", "description", "datatype",
    "required", "values"}``).
    """

    code = models.CharField("分类编码", max_length=20, unique=True)
    name = models.CharField("分类名称", max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    default_type = models.CharField("常见诉求类型", max_length=12, choices=TicketType.choices, blank=True)
    description = models.CharField("说明", max_length=300, blank=True)
    keywords = models.CharField("关键词", max_length=200, blank=True)  # comma-separated, shown to Open311 clients
    attributes = models.JSONField("附加信息项", default=list, blank=True)
    position = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = verbose_name
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DeadlineRule(models.Model):
    """办理时限: one row per 诉求类型 × 紧急程度, editable in the admin.

    The defaults (``seeds.DEADLINES``) are LOCAL, not national (STANDARDS §5 [U]): a bureau example's
    咨询/求助 ≤ 3 working days and 投诉/举报/建议 ≤ 13 working days, and Beijing's 紧急 2 hours. A missing
    row falls back to the same defaults (``deadlines.DEFAULTS``).
    """

    ticket_type = models.CharField("诉求类型", max_length=12, choices=TicketType.choices)
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices)
    amount = models.PositiveSmallIntegerField("时限")
    unit = models.CharField("单位", max_length=10, choices=DeadlineUnit.choices)
    note = models.CharField("依据或说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = verbose_name
        ordering = ["urgency", "ticket_type"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "urgency"], name="hotline_deadline_one_per_kind"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="hotline_deadline_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_ticket_type_display()}·{self.get_urgency_display()}：{self.amount}{self.get_unit_display()}"


class TicketCounter(models.Model):
    """The last serial used on one day (工单编号 ``H<yyyyMMdd><5 digits>``), incremented under a row lock."""

    day = models.DateField("日期", unique=True)
    last = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "工单编号序号"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.day}:{self.last}"


class Ticket(models.Model):
    """诉求 (工单): one request of a citizen or enterprise from 受理 to 回访, whatever the channel.

    首接负责: ``first_department`` is the first 承办单位 dispatched to; ``department`` is the current one
    (empty while the ticket waits for dispatch). The deadline (``due_at``) is set at 受理 from the
    ``DeadlineRule`` table and moves only by an approved extension or a reopening.
    """

    number = models.CharField("工单编号", max_length=20, unique=True)
    source = models.CharField("来源", max_length=12, choices=TicketSource.choices)
    ticket_type = models.CharField("诉求类型", max_length=12, choices=TicketType.choices)
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    category = models.ForeignKey(
        Category, verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    state = models.CharField("状态", max_length=12, choices=TicketState.choices, default=TicketState.REGISTERED)
    title = models.CharField("标题", max_length=100)
    content = models.TextField("诉求内容")
    keywords = models.JSONField("关键词", default=list, blank=True)  # jieba, at 受理 (hot topics, duplicates)
    region = models.ForeignKey(Region, verbose_name="受理区划", on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey(
        Window, verbose_name="受理窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("事发地址", max_length=300, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    attributes = models.JSONField("附加信息", default=dict, blank=True)

    # 诉求人 (personal data: encrypted, masked copies for screens, a blind index of the phone)
    caller_name_cipher = models.TextField("诉求人姓名(密文)", blank=True)
    caller_name_masked = models.CharField("诉求人姓名(脱敏)", max_length=100, blank=True)
    caller_phone_cipher = models.TextField("联系电话(密文)", blank=True)
    caller_phone_index = models.CharField("联系电话(盲索引)", max_length=64, blank=True, db_index=True)
    caller_phone_masked = models.CharField("联系电话(脱敏)", max_length=20, blank=True)
    caller_email_cipher = models.TextField("电子邮箱(密文)", blank=True)
    citizen = models.ForeignKey(
        _USER, verbose_name="群众账号", null=True, blank=True, on_delete=models.PROTECT, related_name="hotline_tickets"
    )  # the signed-in citizen who filed it: he sees it on 我的诉求
    created_by = models.ForeignKey(
        _USER, verbose_name="登记人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the 话务员 or window clerk (or the API client's account)
    external_ref = models.CharField("来源单号", max_length=64, blank=True)  # e.g. "evaluation:42"
    open311_token = models.CharField("Open311令牌", max_length=40, blank=True)

    # 承办
    department = models.ForeignKey(
        Department, verbose_name="承办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_department = models.ForeignKey(
        Department, verbose_name="首接单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # 时间与时限
    registered_at = models.DateTimeField("受理时间")
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    responded_at = models.DateTimeField("首次响应时间", null=True, blank=True)  # 签收 or the first reply
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    revisited_at = models.DateTimeField("回访时间", null=True, blank=True)
    due_at = models.DateTimeField("办理期限")
    extended_days = models.PositiveIntegerField("已延期工作日", default=0)
    reopen_count = models.PositiveSmallIntegerField("重新办理次数", default=0)

    # 答复与回访
    reply = models.TextField("答复内容", blank=True)
    reply_outcome = models.CharField("答复结果", max_length=12, choices=ReplyOutcome.choices, blank=True)
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices, blank=True)
    solved = models.BooleanField("诉求人认为已解决", null=True, blank=True)
    last_event_seq = models.PositiveIntegerField("最新事件序号", default=0)

    class Meta:
        verbose_name = "诉求工单"
        verbose_name_plural = verbose_name
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=[TicketState.DISPATCHED, TicketState.HANDLING, TicketState.REPLIED])
                | Q(department__isnull=False),
                name="hotline_ticket_with_department",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[TicketState.REPLIED, TicketState.CLOSED, TicketState.REVISITED])
                | (Q(replied_at__isnull=False) & ~Q(reply="")),
                name="hotline_ticket_replied_has_reply",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[TicketState.CLOSED, TicketState.REVISITED]) | Q(closed_at__isnull=False),
                name="hotline_ticket_closed_has_time",
            ),
            models.UniqueConstraint(
                fields=["open311_token"], condition=~Q(open311_token=""), name="hotline_ticket_open311_token"
            ),
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=~Q(external_ref=""),
                name="hotline_ticket_one_per_external_ref",
            ),
        ]
        indexes = [
            # Work queues and the 督办 sweep: only open tickets, by deadline.
            models.Index(fields=["due_at"], condition=Q(state__in=OPEN_STATES), name="hotline_open_due_idx"),
            models.Index(fields=["department", "state"], name="hotline_department_state_idx"),
            models.Index(fields=["registered_at"], name="hotline_registered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TicketEvent(models.Model):
    """工单过程: one row per transition, append-only (the timeline of the ticket page)."""

    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=20, choices=EventAction.choices)
    from_state = models.CharField("原状态", max_length=12, choices=TicketState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=12, choices=TicketState.choices)
    actor = models.ForeignKey(_USER, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT)
    actor_name = models.CharField("操作人名称", max_length=100)
    department = models.ForeignKey(
        Department, verbose_name="涉及单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the 承办单位 dispatched or transferred to, returned from, replied by
    reason = models.TextField("理由或说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "工单过程"
        verbose_name_plural = verbose_name
        ordering = ["ticket", "seq"]
        constraints = [models.UniqueConstraint(fields=["ticket", "seq"], name="hotline_event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id}#{self.seq} {self.action}"


class Extension(models.Model):
    """延期申请: asked by the 承办单位 before the deadline, decided by 政务服务管理机构 or 监察."""

    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField("延期工作日")
    reason = models.TextField("申请理由")
    state = models.CharField("状态", max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING)
    requested_by = models.ForeignKey(_USER, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间")
    department = models.ForeignKey(Department, verbose_name="申请单位", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        _USER, verbose_name="审批人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = verbose_name
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One pending request per ticket: a second one waits for the decision on the first.
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(state=ExtensionState.PENDING), name="hotline_one_pending_extension"
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="hotline_extension_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} +{self.days}"


class Supervision(models.Model):
    """督办: automatic when the deadline passes (once per due time), or by a supervisor with a message;
    the 承办单位 answers it."""

    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="supervisions")
    kind = models.CharField("来源", max_length=10, choices=SupervisionKind.choices)
    message = models.TextField("督办内容")
    due_at = models.DateTimeField("当时的办理期限")
    department = models.ForeignKey(
        Department, verbose_name="被督办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        _USER, verbose_name="督办人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("督办时间")
    response = models.TextField("反馈内容", blank=True)
    responded_by = models.ForeignKey(
        _USER, verbose_name="反馈人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField("反馈时间", null=True, blank=True)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        constraints = [
            # The sweep runs every tick on every worker: at most one automatic 督办 per ticket and due time.
            models.UniqueConstraint(
                fields=["ticket", "due_at"], condition=Q(kind=SupervisionKind.AUTO), name="hotline_one_auto_supervision"
            ),
        ]
        indexes = [
            models.Index(fields=["department"], condition=Q(responded_at__isnull=True), name="hotline_supervision_open")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_kind_display()}"


class Revisit(models.Model):
    """回访: the centre's call (or the citizen's own rating on 我的诉求) after 办结."""

    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="revisits")
    method = models.CharField("回访方式", max_length=10, choices=RevisitMethod.choices)
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices)
    solved = models.BooleanField("已解决")
    note = models.TextField("回访记录", blank=True)
    by = models.ForeignKey(_USER, verbose_name="回访人", null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField("回访时间")

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_satisfaction_display()}"


class SpotCheck(models.Model):
    """抽查回访 (the fifth step of the 办不成事 window): a closed ticket drawn at random for a second visit."""

    ticket = models.OneToOneField(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="spot_check")
    batch = models.CharField("批次", max_length=40)  # e.g. "2026Q1"
    state = models.CharField("状态", max_length=10, choices=SpotCheckState.choices, default=SpotCheckState.PENDING)
    drawn_by = models.ForeignKey(_USER, verbose_name="抽取人", on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField("抽取时间")
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices, blank=True)
    solved = models.BooleanField("确已解决", null=True, blank=True)
    note = models.TextField("回访记录", blank=True)
    done_by = models.ForeignKey(
        _USER, verbose_name="回访人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField("回访时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽查回访"
        verbose_name_plural = verbose_name
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.batch} {self.ticket_id}"
