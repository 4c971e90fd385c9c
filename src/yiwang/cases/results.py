"""The approval hook: one place that turns an approved case into its results (电子证照 later).

``case_results_issue`` is called once, after the transaction that approved the case commits. Issuers
(the licences app, when it exists) register a function here; the cases app never imports them, so the
dependency points from licences to cases and not back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from yiwang.cases.models import Case

logger = logging.getLogger(__name__)

ResultIssuer = Callable[[Case], None]
_issuers: list[ResultIssuer] = []


def register_result_issuer(issuer: ResultIssuer) -> None:
    """Register ``issuer(case)``, called for each approved case (idempotency is the issuer's business)."""
    if issuer not in _issuers:
        _issuers.append(issuer)


def unregister_result_issuer(issuer: ResultIssuer) -> None:
    if issuer in _issuers:
        _issuers.remove(issuer)


def case_results_issue(case_id: int) -> None:
    """Call every registered issuer for the approved case ``case_id``. A failing issuer is logged and does
    not stop the others; the case keeps its decision (issuers retry on their own)."""
    if not _issuers:
        return  # nothing registered (no licences app yet): no query at all
    case = Case.objects.select_related("version", "department").filter(pk=case_id, decision="approve").first()
    if case is None:
        return
    for issuer in list(_issuers):
        try:
            issuer(case)
        except Exception:
            logger.exception("办件 %s 的结果出证失败（%s）", case.number, getattr(issuer, "__name__", issuer))
