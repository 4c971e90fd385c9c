"""Models of a case (办件): the case, its steps, materials, notices, special procedures, checks, urges and
events.

A case pins the item version it was opened on (``Case.version``): later catalog changes never change a
running case. Deadlines are stored as dates (``legal_due``, ``promise_due``, ``warn_on``) computed by
``yiwang.workdays.calendar`` when they change, so the lights of a million cases are a comparison of
stored dates with today's date inside SQL (see ``selectors.with_lights``). Personal data inside the
application form is stored encrypted (``form_cipher``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from yiwang.accounts.models import AgentAuthorisation, LegalPerson, NaturalPerson
from yiwang.cases.choices import (
    AcceptMode,
    ApplicantKind,
    CaseState,
    Channel,
    CheckState,
    Decision,
    DeliveryMethod,
    EventAction,
    MaterialStatus,
    NoticeKind,
    StepState,
)
from yiwang.catalog.models import ItemVersion, ServiceItem
from yiwang.files.models import Upload
from yiwang.regions.models import Department, Window

_USER = settings.AUTH_USER_MODEL


class CaseNumberCounter(models.Model):
    """The last serial used for one case-number prefix (实施编码 + yyyyMMdd). Incremented with an upsert in
    the submitting transaction, so two submissions never draw the same serial."""

    prefix = models.CharField("编号前缀", max_length=44, unique=True)
    last = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "办件编号序号"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last}"


class Case(models.Model):
    """办件: one application for one item version, from submission to closure, whatever the channel."""

    number = models.CharField("办件编号", max_length=50, unique=True)
    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="cases")
    version = models.ForeignKey(ItemVersion, verbose_name="事项版本", on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(
        Department, verbose_name="实施主体", on_delete=models.PROTECT, related_name="cases"
    )  # 受理部门 / 办理部门
    channel = models.CharField("申报渠道", max_length=10, choices=Channel.choices)
    state = models.CharField("状态", max_length=12, choices=CaseState.choices, default=CaseState.SUBMITTED)
    accept_mode = models.CharField("受理方式", max_length=12, choices=AcceptMode.choices, blank=True)
    summary = models.CharField("办理摘要", max_length=300)

    # 申请人
    applicant_kind = models.CharField("申请人类型", max_length=12, choices=ApplicantKind.choices)
    applicant_person = models.ForeignKey(
        NaturalPerson, verbose_name="申请人(自然人)", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # for an enterprise case: the 经办人 who applied
    applicant_enterprise = models.ForeignKey(
        LegalPerson, verbose_name="申请人(法人)", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    applicant_name = models.CharField("申请人名称", max_length=200)
    submitted_by = models.ForeignKey(
        _USER,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # led by case_submitter_key_idx, which serves the key look-up too
    )  # the citizen, the 代办人, the window clerk or the department system's account
    authorisation = models.ForeignKey(
        AgentAuthorisation,
        verbose_name="代办授权",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    form_cipher = models.TextField("申请表(密文)")
    idempotency_key = models.CharField("幂等键", max_length=64, blank=True)
    payload_hash = models.CharField("提交内容摘要", max_length=64, blank=True)
    lookup_code = models.CharField("查询码", max_length=8)  # 办件进度查询验证码, given to the applicant

    # 受理
    submitted_at = models.DateTimeField("申请时间")
    window = models.ForeignKey(
        Window, verbose_name="受理窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        _USER, verbose_name="受理人员", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commitment_signed = models.BooleanField("已签署告知承诺书", default=False)
    deferred_due = models.DateField("容缺补齐期限", null=True, blank=True)  # null: nothing owed
    deferred_reminded_on = models.DateField("容缺提醒日期", null=True, blank=True)  # one reminder a day at most

    # 时限 (working days from the day after 受理)
    warning_days = models.PositiveSmallIntegerField("预警天数", default=1)
    legal_due = models.DateField("法定办结日期", null=True, blank=True)
    promise_due = models.DateField("承诺办结日期", null=True, blank=True)
    warn_on = models.DateField("预警日期", null=True, blank=True)  # yellow from this day (inclusive)
    paused_since = models.DateField("暂停计时起", null=True, blank=True)  # a pausing 特别程序 is open
    paused_days = models.PositiveIntegerField("累计暂停工作日", default=0)
    extended_days = models.PositiveIntegerField("延长审批工作日", default=0)
    current_block = models.PositiveSmallIntegerField("当前环节组", default=0)  # 0: none open
    last_event_seq = models.PositiveIntegerField("最新事件序号", default=0)  # written with each event, under the lock

    # 决定与结果
    decision = models.CharField("审批决定", max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField("决定理由", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        _USER, verbose_name="决定人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    auto_decision = models.JSONField("秒批判定记录", null=True, blank=True)
    result_name = models.CharField("结果名称", max_length=200, blank=True)
    delivery_method = models.CharField("出件方式", max_length=12, choices=DeliveryMethod.choices, blank=True)
    pickup_window = models.ForeignKey(
        Window, verbose_name="领取窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pickup_code = models.CharField("取件码", max_length=8, blank=True)
    address_cipher = models.TextField("寄送地址(密文)", blank=True)
    tracking_number = models.CharField("快递单号", max_length=40, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        _USER, verbose_name="出件人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = verbose_name
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # A retried submission finds the first case instead of making a second one.
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="case_one_per_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(applicant_person__isnull=False) | Q(applicant_enterprise__isnull=False),
                name="case_has_applicant",
            ),
            models.CheckConstraint(
                condition=~Q(state=CaseState.HANDLING)
                | (Q(legal_due__isnull=False) & Q(promise_due__isnull=False) & Q(accepted_at__isnull=False)),
                name="case_handling_has_deadlines",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[CaseState.DECIDED, CaseState.CLOSED]) | ~Q(decision=""),
                name="case_decided_has_decision",
            ),
            models.CheckConstraint(
                condition=~Q(state=CaseState.CLOSED) | Q(closed_at__isnull=False), name="case_closed_has_time"
            ),
            models.CheckConstraint(
                condition=Q(promise_due__isnull=True)
                | Q(legal_due__isnull=True)
                | Q(promise_due__lte=models.F("legal_due")),
                name="case_promise_due_le_legal_due",
            ),
        ]
        indexes = [
            # Work queues and lights: only cases in handling, by department and deadline.
            models.Index(
                fields=["department", "promise_due"],
                condition=Q(state=CaseState.HANDLING),
                name="case_handling_due_idx",
            ),
            models.Index(fields=["submitted_at"], condition=Q(state=CaseState.SUBMITTED), name="case_to_accept_idx"),
            models.Index(fields=["deferred_due"], condition=Q(deferred_due__isnull=False), name="case_deferred_idx"),
            models.Index(fields=["applicant_person", "-submitted_at"], name="case_applicant_idx"),
            models.Index(fields=["applicant_enterprise", "-submitted_at"], name="case_enterprise_idx"),
            # The idempotency probe (submitter and key, bound as parameters): a prepared statement's generic
            # plan cannot prove ``key <> ''``, so it cannot use the partial unique constraint's index and
            # would scan every case of the submitter (a department system's account has them all).
            models.Index(fields=["submitted_by", "idempotency_key"], name="case_submitter_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary}"


class CaseStep(models.Model):
    """环节 activation: one row each time a step of the pinned version opens (a return opens it again).

    ``position`` indexes ``version.content["steps"]``; steps that run in parallel share a ``block``. The
    case is in one block at a time (``Case.current_block``) and moves on when every step of it is done.
    """

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField("环节序号")
    block = models.PositiveSmallIntegerField("环节组")
    name = models.CharField("环节名称", max_length=50)
    is_final = models.BooleanField("决定环节", default=False)
    department = models.ForeignKey(Department, verbose_name="办理机构", on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=10, choices=StepState.choices, default=StepState.OPEN)
    assignee = models.ForeignKey(
        _USER, verbose_name="办理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opinion = models.TextField("处理意见", blank=True)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    finished_by = models.ForeignKey(
        _USER, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due = models.DateField("环节办结日期", null=True, blank=True)
    warn_on = models.DateField("环节预警日期", null=True, blank=True)

    class Meta:
        verbose_name = "办件环节"
        verbose_name_plural = verbose_name
        ordering = ["case_id", "started_at", "position", "id"]
        constraints = [
            # One open activation of a step per case: a concurrent double "complete" cannot reopen it twice.
            models.UniqueConstraint(
                fields=["case", "position"], condition=Q(state=StepState.OPEN), name="step_one_open_per_position"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "due"], condition=Q(state=StepState.OPEN), name="step_open_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.name}"


class CaseMaterial(models.Model):
    """One 申请材料 of a case: what was asked (copied from the version), what was received, and how."""

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="materials")
    code = models.CharField("材料编码", max_length=40)
    name = models.CharField("材料名称", max_length=200)
    necessity = models.CharField("材料必要性", max_length=12)
    status = models.CharField("收取状态", max_length=10, choices=MaterialStatus.choices)
    uploads = models.ManyToManyField(Upload, verbose_name="电子材料", blank=True, related_name="+")
    originals_received = models.PositiveSmallIntegerField("收取原件份数", default=0)
    copies_received = models.PositiveSmallIntegerField("收取复印件份数", default=0)
    problem = models.CharField("预审意见", max_length=300, blank=True)  # what is wrong, for the 补正 notice
    exempt_note = models.CharField("免提交说明", max_length=300, blank=True)  # 免提交：已调用电子证照 …
    supplied_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = verbose_name
        ordering = ["case_id", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="material_unique_per_case")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.name}"


class CaseNotice(models.Model):
    """文书: a notice given to the applicant (受理、补正一次性告知、不予受理、决定、特别程序). Stored as data;
    the PDF is rendered from these columns whenever it is asked for, so it never differs from them."""

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField("种类", max_length=12, choices=NoticeKind.choices)
    number = models.CharField("文书编号", max_length=60, unique=True)
    paragraphs = models.JSONField("正文段落", default=list)
    items = models.JSONField("告知事项", default=list)  # e.g. every missing or faulty material, at once
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(_USER, verbose_name="出具人", null=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField("补正提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "办件文书"
        verbose_name_plural = verbose_name
        ordering = ["case_id", "issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


class SpecialProcedure(models.Model):
    """特别程序 (up_pro_special_procedure): 延长审批 moves the due dates by the approved working days; any
    other kind that the item marks as pausing (听证、检验、检测、鉴定、专家评审…) stops the clock while open."""

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="special_procedures")
    kind = models.CharField("种类代码", max_length=1)  # catalog.choices.SpecialProcedureType
    name = models.CharField("名称", max_length=100)
    reason = models.TextField("启动理由或依据")
    pauses_clock = models.BooleanField("暂停计时", default=True)
    planned_days = models.PositiveIntegerField("告知所需时间(工作日)", default=0)
    extension_days = models.PositiveIntegerField("延长工作日", default=0)
    started_on = models.DateField("开始日期")
    started_at = models.DateTimeField("开始时间")
    started_by = models.ForeignKey(_USER, verbose_name="发起人", null=True, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    paused_workdays = models.PositiveIntegerField("暂停工作日", default=0)
    result = models.TextField("结果", blank=True)

    class Meta:
        verbose_name = "特别程序"
        verbose_name_plural = verbose_name
        ordering = ["case_id", "started_at"]
        constraints = [
            # One pausing procedure at a time: the clock is either running or stopped.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(ended_at__isnull=True, pauses_clock=True),
                name="special_one_open_pause_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.name}"


class CommitmentCheck(models.Model):
    """告知承诺核查: after a decision made on the applicant's commitment, the department checks it by the
    due date and records whether it was kept — the record credit systems read later."""

    case = models.OneToOneField(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="commitment_check")
    due = models.DateField("核查期限")
    state = models.CharField("核查结果", max_length=10, choices=CheckState.choices, default=CheckState.PENDING)
    note = models.TextField("核查说明", blank=True)
    checked_at = models.DateTimeField("核查时间", null=True, blank=True)
    checked_by = models.ForeignKey(
        _USER, verbose_name="核查人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "告知承诺核查"
        verbose_name_plural = verbose_name
        ordering = ["due"]
        indexes = [models.Index(fields=["due"], condition=Q(state=CheckState.PENDING), name="check_pending_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.get_state_display()}"


class Urge(models.Model):
    """督办: a supervisor urges a yellow or red case; the assignee must respond."""

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="urges")
    light = models.CharField("督办时灯色", max_length=10)
    message = models.TextField("督办内容")
    created_at = models.DateTimeField("督办时间")
    created_by = models.ForeignKey(_USER, verbose_name="督办人", null=True, on_delete=models.PROTECT, related_name="+")
    response = models.TextField("反馈", blank=True)
    responded_at = models.DateTimeField("反馈时间", null=True, blank=True)
    responded_by = models.ForeignKey(
        _USER, verbose_name="反馈人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(responded_at__isnull=True), name="urge_one_open_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.light}"


class CaseEvent(models.Model):
    """办件过程: exactly one row per transition, never updated or deleted. Its id is the cursor of the
    event feed that department systems read (审管联动)."""

    case = models.ForeignKey(Case, verbose_name="办件", on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=20, choices=EventAction.choices)
    from_state = models.CharField("原状态", max_length=12, blank=True)
    to_state = models.CharField("新状态", max_length=12)
    actor = models.ForeignKey(_USER, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField("操作人名称", max_length=100, blank=True)
    reason = models.TextField("理由或意见", blank=True)
    data = models.JSONField("详情", default=dict)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "办件过程"
        verbose_name_plural = verbose_name
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class ApplicationDraft(models.Model):
    """网上申请草稿: the form and uploads of an application not yet submitted, kept on the server so the
    applicant can resume it on another device. One per account, item and acting identity."""

    owner = models.ForeignKey(_USER, verbose_name="账号", on_delete=models.CASCADE, related_name="application_drafts")
    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.CASCADE, related_name="+")
    identity = models.CharField(
        "办事身份", max_length=40, default="person"
    )  # person | enterprise:<id> | principal:<id>
    form_cipher = models.TextField("申请表(密文)", blank=True)
    materials = models.JSONField("材料", default=dict)  # {material code: [upload id, …]}
    revision = models.PositiveIntegerField("修订号", default=1)  # two devices: the stale one is told
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("保存时间")

    class Meta:
        verbose_name = "申请草稿"
        verbose_name_plural = verbose_name
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "item", "identity"], name="draft_one_per_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}:{self.item_id}:{self.identity}"


class WebhookSubscription(models.Model):
    """部门系统事件订阅 (审管联动 push): a department system receives the events of its department's cases
    at ``url``, each POST signed with HMAC-SHA256 under ``secret``. ``cursor`` is the last event id queued."""

    name = models.CharField("接入系统名称", max_length=100)
    department = models.ForeignKey(Department, verbose_name="订阅部门", on_delete=models.PROTECT, related_name="+")
    url = models.URLField("接收地址", max_length=500)
    secret_cipher = models.TextField("签名密钥(密文)")
    active = models.BooleanField("启用", default=True)
    cursor = models.PositiveBigIntegerField("已入队事件", default=0)
    created_at = models.DateTimeField("创建时间")
    created_by = models.ForeignKey(_USER, verbose_name="创建人", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "事件订阅"
        verbose_name_plural = verbose_name
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event to one subscriber: retried with exponential backoff until a 2xx answer or the last try."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"  # not yet delivered; ``next_attempt_at`` says when to try
        DELIVERED = "delivered", "已送达"  # the subscriber answered 2xx
        FAILED = "failed", "已放弃"  # every try failed; the event stays readable in the feed

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name="订阅", on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(CaseEvent, verbose_name="事件", on_delete=models.CASCADE, related_name="+")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间")
    last_status = models.PositiveSmallIntegerField("最近响应码", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "事件推送"
        verbose_name_plural = verbose_name
        ordering = ["event_id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="delivery_once_per_event")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.event_id}:{self.state}"
