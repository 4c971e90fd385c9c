"""Reads of the catalog. Public reads (guides, the read API, derived lists) see only items in effect;
the workbench sees drafts and requests within the user's scope. Pages and API use the same functions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from yiwang.accounts.permissions import Action, scopes_for
from yiwang.catalog.choices import ChangeRequestState, ItemState
from yiwang.catalog.models import ChangeRequest, ItemVersion, ServiceItem
from yiwang.core.errors import not_found

MAX_ID = 2**63  # larger numbers overflow the database's integer columns


@dataclass(frozen=True)
class GuideFilter:
    """Filters of the public list; every field optional."""

    q: str = ""
    department_id: int | None = None
    region_code: str = ""
    level: int | None = None
    theme: str = ""
    audience: str = ""  # "person" (个人) or "organisation" (法人)
    task_type: str = ""
    online: bool | None = None


def published_versions() -> QuerySet[ItemVersion]:
    """The version in effect of every published item (one row per item): ``effective_until IS NULL``."""
    return ItemVersion.objects.filter(effective_until__isnull=True).select_related(
        "department", "department__region", "item"
    )


def guide_list(*, filters: GuideFilter) -> QuerySet[ItemVersion]:
    qs = published_versions()
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(item__task_code__startswith=filters.q.upper()))
    if filters.department_id and 0 < filters.department_id < MAX_ID:
        qs = qs.filter(department_id=filters.department_id)
    if filters.region_code:
        qs = qs.filter(department__region__code=filters.region_code)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.theme:
        qs = (
            qs.filter(themes__contains=[filters.theme])
            if _json_contains_supported()
            else qs.filter(themes__icontains=f'"{filters.theme}"')
        )
    if filters.audience == "person":
        qs = qs.filter(for_persons=True)
    elif filters.audience == "organisation":
        qs = qs.filter(for_organisations=True)
    if filters.task_type:
        qs = qs.filter(task_type=filters.task_type)
    if filters.online is not None:
        qs = qs.filter(is_fully_online=filters.online)
    return qs.order_by("department_id", "name", "pk")


def _json_contains_supported() -> bool:
    from django.db import connection

    return bool(connection.features.supports_json_field_contains)


def guide_get(*, code: str, number: int | None = None) -> ItemVersion:
    """One published item by 实施编码 or 业务办理项编码; a given version number, or the one in effect."""
    item = ServiceItem.objects.filter(Q(handle_item_code=code) | Q(task_code=code, handle_item_code="")).first()
    if item is None or item.state == ItemState.DRAFT:
        raise not_found("事项")
    if number is None:
        if item.state != ItemState.PUBLISHED or item.current_version_id is None:
            raise not_found("事项")
        version = published_versions().filter(pk=item.current_version_id).first()
    else:
        version = (
            ItemVersion.objects.select_related("department", "department__region", "item")
            .filter(item=item, number=number)
            .first()
        )
    if version is None:
        raise not_found("事项版本")
    return version


# Derived lists (派生清单): each is a filter over the items in effect.
DERIVED_LISTS: dict[str, tuple[str, dict[str, Any]]] = {
    "licensing": ("行政许可事项清单", {"task_type": "01"}),
    "commitment": ("告知承诺事项清单", {"commitment": True}),
    "deferrable": ("容缺受理事项清单", {"deferrable": True}),
    "licence-free": ("免证办事项清单", {"licence_free": True}),
    "fully-online": ("全程网办事项清单", {"is_fully_online": True}),
    "not-fully-online": ("全程网办负面清单", {"is_fully_online": False}),
    "not-in-hall": ("进驻大厅负面清单", {"in_hall": False}),
    "high-frequency": ("高频事项清单", {"high_frequency": True}),
}


def derived_list(*, key: str) -> QuerySet[ItemVersion]:
    if key not in DERIVED_LISTS:
        raise not_found("清单")
    return published_versions().filter(**DERIVED_LISTS[key][1]).order_by("department_id", "name", "pk")


def guide_department_counts() -> list[Any]:
    """Departments with items in effect and how many — one aggregate query."""
    return list(
        published_versions()
        .values("department_id", "department__name", "department__region__name", "department__region__code")
        .annotate(count=Count("pk"))
        .order_by("department__region__code", "department__name")
    )


def guide_theme_counts() -> Counter[str]:
    """Items in effect per life-event theme — one query (themes are a JSON list on each version)."""
    counts: Counter[str] = Counter()
    for themes in published_versions().values_list("themes", flat=True):
        counts.update(set(themes or []))
    return counts


def derived_list_counts() -> dict[str, int]:
    """How many items each derived list holds — one aggregate query."""
    aliases = {key: key.replace("-", "_") for key in DERIVED_LISTS}
    counts = published_versions().aggregate(
        **{aliases[key]: Count("pk", filter=Q(**criteria)) for key, (_title, criteria) in DERIVED_LISTS.items()}
    )
    return {key: counts[alias] for key, alias in aliases.items()}


def items_for_user(*, user: Any) -> QuerySet[ServiceItem]:
    """Items the user may edit (department admins: their department; platform admins: their region)."""
    q = Q(pk__in=[])
    for scope in scopes_for(user, Action.CATALOG_EDIT):
        part = Q(department__region__path__startswith=scope.region_path)
        if scope.department_id is not None:
            part &= Q(department_id=scope.department_id)
        q |= part
    return ServiceItem.objects.filter(q).select_related("entry", "department", "current_version", "draft")


def item_get_for_user(*, user: Any, item_id: int) -> ServiceItem:
    item = items_for_user(user=user).filter(pk=item_id).first()
    if item is None:
        raise not_found("事项")
    return item


def review_queue_for_user(*, user: Any) -> QuerySet[ChangeRequest]:
    """Submitted change requests the platform admin may review, oldest first."""
    q = Q(pk__in=[])
    for scope in scopes_for(user, Action.CATALOG_REVIEW):
        q |= Q(item__department__region__path__startswith=scope.region_path)
    return (
        ChangeRequest.objects.filter(q, state=ChangeRequestState.SUBMITTED)
        .select_related("item__entry", "item__department", "submitted_by")
        .order_by("submitted_at")
    )


def versions_of(*, item: ServiceItem) -> QuerySet[ItemVersion]:
    return ItemVersion.objects.filter(item=item).order_by("-number")
