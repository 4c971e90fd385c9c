"""Background work of 好差评, run by ``yiwang worker`` on its scheduler tick (``evaluations_tick``)."""

from __future__ import annotations

from yiwang.evaluations.services import orders_escalate_overdue, service_events_sync


def evaluations_tick() -> tuple[int, int]:
    """The catch-up sweep of rateable services, then 超期督办 of overdue orders (each idempotent, cheap when
    there is nothing to do: one indexed query each). Returns (service events made, escalations recorded)."""
    return service_events_sync(), orders_escalate_overdue()
