"""Models of the audit log.

Writers only ever INSERT an :class:`AuditEvent`; they never read the chain, so concurrent transactions do
not wait on one another. A sealing step (``audit_seal``, run by the worker) later gives unsealed rows
their place in the chain in insertion order, in batches, under one lock on :class:`AuditChainHead`.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditEvent(models.Model):
    """审计事件: who did what to which object, when, from where, and why (for reads of personal data).

    Append-only: no code path updates or deletes a row, except ``audit_seal`` filling the three chain
    columns of a row that has none yet. ``hash = SHA-256(prev_hash || canonical content)``.
    """

    occurred_at = models.DateTimeField("时间", default=timezone.now)
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True)  # kept even if the user is deleted
    actor_username = models.CharField("操作人", max_length=150, blank=True)
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True, encoder=DjangoJSONEncoder)
    purpose = models.CharField("用途说明", max_length=200, blank=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    request_id = models.CharField("请求ID", max_length=32, blank=True)
    # Chain columns, filled once by audit_seal.
    seq = models.BigIntegerField("链序号", null=True, blank=True, unique=True)
    prev_hash = models.CharField("前一哈希", max_length=64, blank=True)
    hash = models.CharField("哈希", max_length=64, blank=True)
    sealed_at = models.DateTimeField("封存时间", null=True, blank=True)

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = verbose_name
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor_id", "occurred_at"], name="audit_actor_idx"),
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_unsealed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"


class AuditChainHead(models.Model):
    """The end of the sealed chain (one row, pk=1). Sealers lock it, so only one seals at a time."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class AuditSealBatch(models.Model):
    """封存批次: a checkpoint per seal, so truncating the tail of the chain is detected too."""

    sealed_at = models.DateTimeField(default=timezone.now)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField(unique=True)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计封存批次"
        verbose_name_plural = verbose_name
        ordering = ["last_seq"]

    def __str__(self) -> str:
        return f"{self.first_seq}–{self.last_seq}"
