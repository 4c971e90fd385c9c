"""The hook from cases to 好差评, without cases importing evaluations.

Decision (documented in the app's ADR note in ``apps.py``): a ``post_save`` receiver on ``CaseEvent``,
registered in ``EvaluationsConfig.ready``. It runs inside the case transition's transaction, so the
service event commits or rolls back with the case event; it runs in a savepoint and swallows (and logs) its
own errors, so a fault in 好差评 can never refuse a case transition. ``services.service_events_sync``
(the worker tick) makes any service event the receiver missed, from a cursor over case events.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def case_event_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    from yiwang.evaluations.services import RATEABLE_ACTIONS, service_event_record_for_case_event

    if not created or raw or instance.action not in RATEABLE_ACTIONS:
        return
    try:
        with transaction.atomic():
            service_event_record_for_case_event(case_event=instance, inserted=True)
    except Exception:  # never break the case transition; the sweep retries
        logger.exception("could not record the rateable service of case event %s", instance.pk)
