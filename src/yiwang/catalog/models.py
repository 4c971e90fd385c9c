"""Models of the catalog: 基本目录, 实施清单 items, their drafts, change requests and published versions.

The content of an item is one JSON document (``schema.ItemContent``); a published ``ItemVersion`` keeps
it forever, with its SHA-256 (the API's ETag). Columns that lists and filters need are copied out of
the content when the version is created, never edited afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiwang.catalog.choices import ChangeKind, ChangeRequestState, ItemLevel, ItemState, TaskType
from yiwang.regions.models import Department


class CatalogEntry(models.Model):
    """基本目录 entry: what a power or service is, independent of who implements it."""

    code = models.CharField("基本编码", max_length=12, unique=True)  # CATALOG_CODE, 12 chars
    name = models.CharField("事项名称", max_length=200)
    task_type = models.CharField("事项类型", max_length=2, choices=TaskType.choices)
    legal_basis = models.TextField("设定依据")
    levels = models.JSONField("行使层级", default=list)  # multi-valued 行使层级代码

    class Meta:
        verbose_name = "基本目录"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceItem(models.Model):
    """实施清单 item: one implementation of a catalog entry by one organisation at one level.

    Its identity (实施编码 = implementer USCC + level digit + 基本编码, plus an optional 业务办理项编码)
    never changes; its content lives in the draft and in the published versions.
    """

    task_code = models.CharField("实施编码", max_length=31)
    handle_item_code = models.CharField("业务办理项编码", max_length=33, blank=True)
    entry = models.ForeignKey(CatalogEntry, verbose_name="基本目录", on_delete=models.PROTECT, related_name="items")
    department = models.ForeignKey(
        Department, verbose_name="实施主体", on_delete=models.PROTECT, related_name="service_items"
    )
    level = models.PositiveSmallIntegerField("行使层级", choices=ItemLevel.choices)
    state = models.CharField("状态", max_length=10, choices=ItemState.choices, default=ItemState.DRAFT)
    current_version = models.OneToOneField(
        "ItemVersion",
        verbose_name="现行版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="current_of",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "实施清单事项"
        verbose_name_plural = verbose_name
        ordering = ["task_code", "handle_item_code"]
        constraints = [
            models.UniqueConstraint(fields=["task_code", "handle_item_code"], name="item_unique_code"),
            models.CheckConstraint(
                condition=~Q(state=ItemState.PUBLISHED) | Q(current_version__isnull=False),
                name="item_published_has_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.entry.name}"

    @property
    def code(self) -> str:
        return self.handle_item_code or self.task_code


class ItemDraft(models.Model):
    """草稿: the editable content of an item, one per item. Publishing copies it; it is never published
    in place."""

    item = models.OneToOneField(ServiceItem, verbose_name="事项", on_delete=models.CASCADE, related_name="draft")
    content = models.JSONField("内容")
    base_version = models.ForeignKey(
        "ItemVersion", verbose_name="基于版本", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revision = models.PositiveIntegerField("修订号", default=1)  # optimistic lock for concurrent editors

    class Meta:
        verbose_name = "事项草稿"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.item} 草稿 r{self.revision}"


class ChangeRequest(models.Model):
    """变更申请: a department's request to publish its draft (or cancel the item), reviewed by the
    政务服务管理机构. The submitted content is frozen here, so later draft edits do not change it."""

    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField("类型", max_length=10, choices=ChangeKind.choices)
    state = models.CharField("状态", max_length=10, choices=ChangeRequestState.choices)
    content = models.JSONField("提交内容", null=True, blank=True)
    reason = models.TextField("申请说明", blank=True)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField("申请时间", default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "变更申请"
        verbose_name_plural = verbose_name
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(state=ChangeRequestState.SUBMITTED), name="change_one_open_per_item"
            ),
        ]
        indexes = [
            models.Index(
                fields=["submitted_at"], condition=Q(state=ChangeRequestState.SUBMITTED), name="change_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.get_kind_display()} {self.get_state_display()}"


class ItemVersion(models.Model):
    """已发布版本: immutable. Cases pin the version they were opened on.

    ``content`` and ``content_hash`` never change after insert; ``effective_until`` is set once, when a
    newer version supersedes this one or the item is cancelled — so "in effect" is ``effective_until IS
    NULL``, at most one per item (a partial unique constraint), and the public list reads a partial
    index. The other columns are copies of content
    elements for lists and filters.
    """

    item = models.ForeignKey(ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    content = models.JSONField("内容")
    content_hash = models.CharField("内容摘要", max_length=64)
    effective_from = models.DateField("生效日期")
    effective_until = models.DateField("失效日期", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_request = models.OneToOneField(
        ChangeRequest, verbose_name="变更申请", null=True, blank=True, on_delete=models.PROTECT, related_name="version"
    )
    # Copies of content elements (set at insert, never edited):
    name = models.CharField("事项名称", max_length=200)
    task_type = models.CharField("事项类型", max_length=2, choices=TaskType.choices)
    department = models.ForeignKey(Department, verbose_name="实施主体", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("行使层级", choices=ItemLevel.choices)
    for_persons = models.BooleanField("面向自然人", default=False)
    for_organisations = models.BooleanField("面向法人", default=False)
    themes = models.JSONField("主题", default=list)
    is_instant = models.BooleanField("即办件", default=False)
    is_fully_online = models.BooleanField("全程网办", default=False)
    in_hall = models.BooleanField("进驻大厅", default=True)
    commitment = models.BooleanField("告知承诺", default=False)
    deferrable = models.BooleanField("可容缺受理", default=False)
    licence_free = models.BooleanField("免证办", default=False)
    auto_approval = models.BooleanField("秒批", default=False)
    high_frequency = models.BooleanField("高频", default=False)
    legal_days = models.PositiveIntegerField("法定时限")
    promise_days = models.PositiveIntegerField("承诺时限")
    visits = models.PositiveSmallIntegerField("跑动次数")

    class Meta:
        verbose_name = "事项版本"
        verbose_name_plural = verbose_name
        ordering = ["item_id", "-number"]
        indexes = [
            # The public list: versions in effect, in list order, read straight off the index.
            models.Index(
                fields=["department", "name"], condition=Q(effective_until__isnull=True), name="version_in_effect_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="version_unique_number"),
            # The version in effect is the one with no end date: at most one per item.
            models.UniqueConstraint(
                fields=["item"], condition=Q(effective_until__isnull=True), name="version_one_in_effect"
            ),
            models.CheckConstraint(
                condition=Q(promise_days__lte=models.F("legal_days")), name="version_promise_le_legal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"
