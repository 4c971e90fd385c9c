"""Models of 行政区划, organisations, venues and windows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from yiwang.regions.choices import DepartmentKind, RegionLevel, VenueKind, WindowKind

if TYPE_CHECKING:
    from yiwang.accounts.models import User


class RegionQuerySet(models.QuerySet["Region"]):
    def subtree(self, region: Region) -> RegionQuerySet:
        """The region and everything below it, by materialised path (one indexed prefix query)."""
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    """行政区划: a node of the GB/T 2260 tree, with 9- and 12-digit codes for towns and villages.

    ``path`` is the materialised path of codes (``/370000/371300/371302/``) so a subtree is one indexed
    ``LIKE 'prefix%'`` query; it is set by ``region_create`` and never changes (codes are immutable).
    """

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("路径", max_length=120, unique=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = verbose_name
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=6), name="region_level_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class DepartmentQuerySet(models.QuerySet["Department"]):
    def restrict(self, user: User, action: str) -> DepartmentQuerySet:
        """Departments the user may act on: public reads for everyone, writes by scope."""
        from yiwang.accounts.permissions import department_q

        return self.filter(department_q(user, action))


class Department(models.Model):
    """机构: a government department or other organisation that implements service items.

    Identified by its 统一社会信用代码; placed in a region; may hang under a parent organisation.
    """

    name = models.CharField("机构名称", max_length=200)
    short_name = models.CharField("简称", max_length=60, blank=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    kind = models.CharField("机构类型", max_length=20, choices=DepartmentKind.choices)
    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="departments")
    parent = models.ForeignKey(
        "self",
        verbose_name="上级机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    phone = models.CharField("咨询电话", max_length=40, blank=True)
    is_active = models.BooleanField("启用", default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = verbose_name
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_unique_name_in_region"),
        ]

    def __str__(self) -> str:
        return self.name


class Venue(models.Model):
    """政务服务场所: 政务服务中心 (county and above), 便民服务中心 (town), 便民服务站 (village)."""

    name = models.CharField("场所名称", max_length=200)
    kind = models.CharField("场所类型", max_length=20, choices=VenueKind.choices)
    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="venues")
    operator = models.ForeignKey(
        Department,
        verbose_name="管理机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="venues",
    )
    address = models.CharField("地址", max_length=300, blank=True)
    opening_hours = models.CharField("办公时间", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=40, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "政务服务场所"
        verbose_name_plural = verbose_name
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="venue_unique_name_in_region"),
        ]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    """服务窗口 in a venue. A 专窗 belongs to one department; the other kinds serve every department."""

    venue = models.ForeignKey(Venue, verbose_name="场所", on_delete=models.PROTECT, related_name="windows")
    number = models.CharField("窗口编号", max_length=20)
    name = models.CharField("窗口名称", max_length=100)
    kind = models.CharField("窗口类型", max_length=20, choices=WindowKind.choices)
    department = models.ForeignKey(
        Department,
        verbose_name="专窗所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="windows",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "服务窗口"
        verbose_name_plural = verbose_name
        ordering = ["venue_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "number"], name="window_unique_number_in_venue"),
            models.CheckConstraint(
                condition=~Q(kind=WindowKind.DEDICATED) | Q(department__isnull=False),
                name="window_dedicated_has_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
