"""Reading the audit log: verification of the chain, and the scoped list for the audit page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from yiwang.audit.models import AuditChainHead, AuditEvent, AuditSealBatch
from yiwang.audit.services import GENESIS_HASH, chain_hash


@dataclass(frozen=True)
class VerifyReport:
    """Result of walking the chain. ``broken_id`` names the first row that does not check out."""

    ok: bool
    checked: int
    unsealed: int
    broken_id: int | None = None
    broken_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"审计链完整：已校验 {self.checked} 条，尚未封存 {self.unsealed} 条"
        where = f"第 {self.broken_seq} 号 (id={self.broken_id})" if self.broken_id else f"第 {self.broken_seq} 号"
        return f"审计链损坏：{where}：{self.reason}；此前已校验 {self.checked} 条"


def audit_verify(*, chunk_size: int = 2000) -> VerifyReport:
    """Walk every sealed row in chain order and recompute its hash.

    Detects an altered row (hash mismatch), a removed row (gap in ``seq``), a re-linked row (prev_hash
    mismatch) and a truncated tail (the head or a seal checkpoint names a row that is gone or different).
    """
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    checkpoints = dict(AuditSealBatch.objects.values_list("last_seq", "last_hash"))
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for row in AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=chunk_size):
        if row.seq != expected_seq:
            return VerifyReport(
                False,
                checked,
                unsealed,
                None,
                expected_seq,
                f"缺少链序号 {expected_seq} 的记录（可能被删除）",
            )
        if row.prev_hash != prev:
            return VerifyReport(False, checked, unsealed, row.pk, row.seq, "前一哈希与上一条记录不符")
        if chain_hash(prev, row) != row.hash:
            return VerifyReport(False, checked, unsealed, row.pk, row.seq, "内容与哈希不符（记录被修改）")
        if row.seq in checkpoints and checkpoints[row.seq] != row.hash:
            return VerifyReport(False, checked, unsealed, row.pk, row.seq, "与封存批次记录的哈希不符")
        prev = row.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return VerifyReport(
            False,
            checked,
            unsealed,
            None,
            head.last_seq,
            f"链尾与链头不符：链头记录到第 {head.last_seq} 号（记录可能被截断）",
        )
    return VerifyReport(True, checked, unsealed)


def audit_events_for_user(*, user: object, object_type: str = "", object_id: str = "") -> QuerySet[AuditEvent]:
    """Audit rows the user may read (platform admins and supervisors), newest first."""
    from yiwang.accounts.permissions import Action, user_can

    if not user_can(user, Action.AUDIT_VIEW):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.all()
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs.order_by("-id")
