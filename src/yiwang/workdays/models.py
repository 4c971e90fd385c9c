"""Models of 工作日历: years entered by the platform admin, per-day overrides, and the generation counter.

The built-in years come from the ``chinesecalendar`` package (国务院办公厅 notices, 2004 onward); these
tables hold what the platform adds to it. Only ``yiwang.workdays.services`` writes them, and every write
bumps :class:`CalendarGeneration` so that other processes rebuild their working-day index.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CalendarYear(models.Model):
    """录入年份: a year that ``chinesecalendar`` does not know, entered from the State Council's notice
    (国务院办公厅关于某年部分节假日安排的通知).

    For an entered year Monday–Friday are working days and Saturday/Sunday are not, except the days in
    :class:`CalendarOverride` (the notice's holidays and 调休上班 days). Entered years follow the built-in
    years without a gap (the services refuse 2028 before 2027), so the covered range is one interval.
    """

    year = models.PositiveSmallIntegerField("年份", unique=True)
    notice_title = models.CharField("通知标题", max_length=200)
    notice_number = models.CharField("文号", max_length=60)  # e.g. 国办发明电〔2026〕7号
    published_on = models.DateField("发布日期")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,  # null: entered by the system (a command, a data migration)
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField("录入时间", default=timezone.now)

    class Meta:
        verbose_name = "工作日历年份"
        verbose_name_plural = verbose_name
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2200), name="calendar_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年（{self.notice_number}）"


class CalendarOverride(models.Model):
    """调整日: one day whose working status the admin set — a holiday (放假, ``is_workday=False``) or an
    adjusted working day (调休上班, ``is_workday=True``).

    It wins over the weekday rule of an entered year and over ``chinesecalendar`` in a built-in year
    (for a correction, or a day off the State Council announces late). One row per day.
    """

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")  # False 放假 / True 调休上班
    name = models.CharField("名称", max_length=20)  # 春节、国庆节、调休上班 …
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="设置人",
        null=True,  # null: set by the system
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("设置时间", default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="最后修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField("最后修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "工作日历调整日"
        verbose_name_plural = verbose_name
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}（{'上班' if self.is_workday else '放假'}）"


class CalendarGeneration(models.Model):
    """日历版本号: a single row (pk 1) whose ``generation`` every calendar write increases.

    Each process caches its working-day index with the generation it was built from and re-reads this
    one row at most every ``calendar.GENERATION_CHECK_SECONDS``; a different number means another process
    changed the calendar, so the index is rebuilt. The services also lock this row (``select_for_update``)
    first, which serialises calendar writes: two admins cannot both enter 2027 or both pass the
    "no gap between years" check with stale data.
    """

    generation = models.PositiveBigIntegerField("版本号", default=0)
    changed_at = models.DateTimeField("修改时间", default=timezone.now)

    class Meta:
        verbose_name = "工作日历版本号"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="calendar_generation_singleton"),
        ]

    def __str__(self) -> str:
        return f"工作日历版本 {self.generation}"
