"""Reads of cases, always scoped: staff by region and department, applicants by ownership.

Lights are computed in SQL from stored dates (``with_lights``), so queues of any size are filtered and
counted by the database without loading rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from yiwang.accounts.permissions import Action, scope_reaches, scopes_for
from yiwang.accounts.selectors import enterprises_for_user
from yiwang.cases.choices import CaseState, CheckState, Light, StepState
from yiwang.cases.models import ApplicationDraft, Case, CaseEvent, CaseStep, CommitmentCheck
from yiwang.core import clock
from yiwang.core.errors import not_found


def today() -> dt.date:
    """Today's date in the platform's time zone (Asia/Shanghai)."""
    return timezone.localdate(clock.now())


def _none() -> Q:
    return Q(pk__in=[])


def staff_case_q(user: Any, action: str) -> Q:
    """Cases of departments inside one of ``user``'s scopes for ``action``; a department-scoped grant also
    reaches cases where one of its steps is handled by that department (联办).

    The departments of a region subtree are looked up first and the cases filtered by ``department_id IN
    (…)``: PostgreSQL misjudges a join on the region path and picks a poor plan over millions of cases
    (``bench/lights.py``), while a list of a few hundred ids uses the partial indexes directly.
    """
    department_ids, step_ids = _scope_departments(user, action)
    if not department_ids:
        return _none()
    q = Q(department_id__in=department_ids)
    if step_ids:
        # Not correlated (no OuterRef): PostgreSQL hashes the step cases once instead of probing per case.
        q |= Q(pk__in=CaseStep.objects.filter(department_id__in=step_ids).values("case_id"))
    return q


def staff_may_case(
    user: Any, action: str, *, case_id: int, department_id: int, department_path: str | None = None
) -> bool:
    """Whether the case ``case_id`` of ``department_id`` is inside ``staff_case_q(user, action)``: the same
    rule, without a query when the case's own department is reached (the common case). ``department_path``:
    the region path of that department, when the caller read it with the case (then not even the
    departments of the user's scopes are read)."""
    if department_path is not None and scope_reaches(
        user, action, department_id=department_id, region_path=department_path
    ):
        return True
    department_ids, step_ids = _scope_departments(user, action)
    if department_id in department_ids:
        return True
    if not step_ids:
        return False
    return CaseStep.objects.filter(case_id=case_id, department_id__in=step_ids).exists()


def _scope_departments(user: Any, action: str) -> tuple[list[int], list[int]]:
    """(departments whose cases ``user`` reaches for ``action``, departments of his department-scoped
    grants). One query per request for all actions: the departments under any of his grants, with their
    region paths, cached on the user object like ``scopes_for``."""
    from yiwang.regions.models import Department

    scopes = scopes_for(user, action)
    if not scopes:
        return [], []
    rows: list[tuple[int, str]] | None = getattr(user, "_yiwang_scope_departments", None)
    if rows is None:
        q = _none()
        for scope in scopes_for(user, "*"):
            part = Q(region__path__startswith=scope.region_path)
            q |= part if scope.department_id is None else part & Q(pk=scope.department_id)
        rows = list(Department.objects.filter(q).values_list("pk", "region__path"))
        user._yiwang_scope_departments = rows
    reached: set[int] = set()
    scoped: set[int] = set()
    for scope in scopes:
        for pk, path in rows:
            if path.startswith(scope.region_path) and scope.department_id in (None, pk):
                reached.add(pk)
                if scope.department_id is not None:
                    scoped.add(pk)
    return sorted(reached), sorted(scoped)


def applicant_case_q(user: Any) -> Q:
    """Cases a citizen may see: his own, those he submitted for someone (代办), and his enterprises'."""
    if user is None or not user.is_authenticated:
        return _none()
    return (
        Q(applicant_person__user=user)
        | Q(submitted_by=user)
        | Q(applicant_enterprise__in=enterprises_for_user(user=user).values("pk"))
    )


def case_list_for_staff(*, user: Any, action: str = Action.CASE_VIEW) -> QuerySet[Case]:
    return Case.objects.filter(staff_case_q(user, action))


def case_list_for_applicant(*, user: Any) -> QuerySet[Case]:
    return (
        Case.objects.filter(applicant_case_q(user))
        .select_related("department", "version")
        .order_by("-submitted_at", "-id")  # the id breaks ties, so pages never repeat or skip a case
    )


def case_get_for_user(*, user: Any, case_id: int) -> Case:
    """The case if ``user`` may see it (applicant side or staff side), else the same not-found answer."""
    q = applicant_case_q(user) | staff_case_q(user, Action.CASE_VIEW)
    case = (
        Case.objects.filter(q, pk=case_id)
        .select_related("department", "department__region", "version", "item", "applicant_person", "window")
        .first()
    )
    if case is None:
        raise not_found("办件")
    return case


def case_is_applicant_side(*, user: Any, case: Case) -> bool:
    return Case.objects.filter(applicant_case_q(user), pk=case.pk).exists()


def case_lookup_public(*, number: str, code: str) -> Case | None:
    """公开查询: a case by its number and its 查询码 (both must match)."""
    import hmac

    case = Case.objects.filter(number=number.strip()).select_related("department").first()
    if case is None or not hmac.compare_digest(case.lookup_code, code.strip()):
        return None
    return case


def light_expression(due_field: str, warn_field: str, *, on: dt.date, paused_field: str | None = None) -> SqlCase:
    """The light of a deadline as an SQL expression (the rule of ``deadlines.light_of``)."""
    whens = []
    if paused_field:
        whens.append(When(**{f"{paused_field}__isnull": False}, then=Value(Light.GREEN)))
    whens += [
        When(**{f"{due_field}__isnull": True}, then=Value(Light.GREEN)),
        When(**{f"{due_field}__lt": on}, then=Value(Light.RED)),
        When(**{f"{warn_field}__lte": on}, then=Value(Light.YELLOW)),
    ]
    return SqlCase(*whens, default=Value(Light.GREEN), output_field=CharField())


def light_q(light: str, *, on: dt.date) -> Q:
    """A filter for the cases in handling with ``light`` (uses the partial index on promise_due)."""
    base = Q(state=CaseState.HANDLING)
    if light == Light.RED:
        return base & Q(paused_since__isnull=True, promise_due__lt=on)
    if light == Light.YELLOW:
        return base & Q(paused_since__isnull=True, promise_due__gte=on, warn_on__lte=on)
    return base & (Q(paused_since__isnull=False) | Q(promise_due__gte=on) & Q(warn_on__gt=on))


def with_lights(queryset: QuerySet[Case], *, on: dt.date | None = None) -> QuerySet[Case]:
    """Annotate ``light``: green / yellow / red for cases in handling, "" for the others (no clock runs)."""
    on = on or today()
    running = light_expression("promise_due", "warn_on", on=on, paused_field="paused_since")
    return queryset.annotate(
        light=SqlCase(When(~Q(state=CaseState.HANDLING), then=Value("")), default=running, output_field=CharField())
    )


def light_counts(queryset: QuerySet[Case], *, on: dt.date | None = None, by_department: bool = False) -> list[dict]:
    """Counts of cases in handling by light (and department): one grouped query."""
    on = on or today()
    rows = with_lights(queryset.filter(state=CaseState.HANDLING), on=on)
    fields = ["department_id", "light"] if by_department else ["light"]
    return list(rows.values(*fields).annotate(n=Count("pk")).order_by(*fields))


QUEUES: dict[str, str] = {
    "to_accept": "待受理",
    "supplement": "待补正",
    "to_review": "待审核",
    "to_decide": "待决定",
    "to_deliver": "待出件",
    "deferred": "容缺待补",
    "to_verify": "承诺待核查",
    "yellow": "黄灯预警",
    "red": "红灯超期",
    "urged": "督办待反馈",
}


def queue(*, user: Any, name: str, on: dt.date | None = None) -> QuerySet[Case]:
    """A work queue of the workbench, scoped to ``user``. Unknown names raise not-found."""
    on = on or today()
    accept = case_list_for_staff(user=user, action=Action.CASE_ACCEPT)
    handle = case_list_for_staff(user=user, action=Action.CASE_HANDLE)
    view = case_list_for_staff(user=user, action=Action.CASE_VIEW)
    open_steps = CaseStep.objects.filter(case_id=OuterRef("pk"), state=StepState.OPEN)
    match name:
        case "to_accept":
            qs = accept.filter(state=CaseState.SUBMITTED)
        case "supplement":
            qs = accept.filter(state=CaseState.SUPPLEMENT)
        case "to_review":
            qs = handle.filter(Exists(open_steps.filter(is_final=False)), state=CaseState.HANDLING)
        case "to_decide":
            qs = handle.filter(Exists(open_steps.filter(is_final=True)), state=CaseState.HANDLING)
        case "to_deliver":
            qs = accept.filter(state=CaseState.DECIDED)
        case "deferred":
            qs = view.filter(deferred_due__isnull=False)
        case "to_verify":
            pending = CommitmentCheck.objects.filter(case_id=OuterRef("pk"), state=CheckState.PENDING)
            qs = handle.filter(Exists(pending))
        case "yellow" | "red":
            qs = view.filter(light_q(name, on=on))
        case "urged":
            from yiwang.cases.models import Urge

            qs = view.filter(Exists(Urge.objects.filter(case_id=OuterRef("pk"), responded_at__isnull=True)))
        case _:
            raise not_found("队列")
    return with_lights(qs, on=on).select_related("department", "version").order_by("promise_due", "submitted_at", "id")


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("seq")


def event_feed(*, user: Any, after: int = 0, limit: int = 100) -> QuerySet[CaseEvent]:
    """审管联动 feed: events of the cases ``user`` may view, after the cursor ``after`` (an event id)."""
    cases = Case.objects.filter(staff_case_q(user, Action.CASE_VIEW)).values("pk")
    return (
        CaseEvent.objects.filter(case_id__in=cases, pk__gt=after)
        .select_related("case")
        .order_by("pk")[: max(1, min(limit, 500))]
    )


def draft_get(*, user: Any, item_id: int, identity: str) -> ApplicationDraft | None:
    """The signed-in applicant's draft of ``item_id`` under ``identity`` (only ever his own)."""
    if user is None or not user.is_authenticated:
        return None
    return ApplicationDraft.objects.filter(owner_id=user.pk, item_id=item_id, identity=identity).first()
