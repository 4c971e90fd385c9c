"""Background tasks of the audit app."""

from __future__ import annotations

from django_tasks import task

from yiwang.audit.services import audit_seal


@task()
def audit_seal_task() -> int:
    """Seal the unsealed audit rows into the hash chain (the worker enqueues this every few seconds)."""
    return audit_seal()
