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


def case_results_issue(case: Case | int) -> None:
    """Call every registered issuer for the approved case. A failing issuer is logged and does not stop the
    others; the case keeps its decision (issuers retry on their own).

    ``case``: the case object the deciding transition holds (its pinned version already parsed — no query,
    and the version's JSON is not read and parsed again), or an id to read it by (a retry)."""
    if not _issuers:
        return  # nothing registered (no licences app yet): no query at all
    if not isinstance(case, Case):
        found = Case.objects.select_related("version", "department").filter(pk=case, decision="approve").first()
        if found is None:
            return
        case = found
    elif case.decision != "approve":
        return
    for issuer in list(_issuers):
        try:
            issuer(case)
        except Exception:
            logger.exception("办件 %s 的结果出证失败（%s）", case.number, getattr(issuer, "__name__", issuer))
