"""Background work of the hotline, run by ``yiwang worker`` on its scheduler tick."""

from __future__ import annotations

from yiwang.hotline.services import ticket_supervise_overdue


def hotline_tick() -> int:
    """到期督办: one automatic 督办 per overdue open ticket and due time (see ``ticket_supervise_overdue``)."""
    return ticket_supervise_overdue()
