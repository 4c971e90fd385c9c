"""Loading the demo catalog through the catalog services: entries, items, and one published version each.

Every content goes through ``item_create`` and ``publish_directly`` — so the publishing rules check it,
and each publication is audit-logged — inside one transaction. ``catalog_demo_load()`` is idempotent:
once any demo item exists it creates nothing and reports what is there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from yiwang.catalog.demo import (
    items_civil_affairs,
    items_construction,
    items_culture_safety,
    items_health,
    items_market,
    items_other,
    items_public_security,
    items_social,
    items_town,
)
from yiwang.catalog.demo.spec import FLAG_LABELS, CatalogDemoSummary, ItemSpec
from yiwang.catalog.models import CatalogEntry, ItemVersion, ServiceItem
from yiwang.catalog.services import catalog_entry_create, item_create, publish_directly
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.regions import demo_data as region_data
from yiwang.regions.demo import demo_is_loaded, demo_load
from yiwang.regions.models import Department

SPECS: tuple[ItemSpec, ...] = (
    *items_market.ITEMS,
    *items_public_security.ITEMS,
    *items_social.ITEMS,
    *items_civil_affairs.ITEMS,
    *items_construction.ITEMS,
    *items_health.ITEMS,
    *items_other.ITEMS,
    *items_culture_safety.ITEMS,
    *items_town.ITEMS,
)

HOTLINE = "0539-12345（12345政务服务便民热线）"


@dataclass(frozen=True)
class Place:
    """Where an organisation sits: fills the place-holders and the place-dependent elements."""

    level: int
    county: str = ""  # 兰山区
    short: str = ""  # 兰山
    police: str = ""  # 临沂市公安局兰山分局
    town: str = ""  # 兰山街道
    hall: str = region_data.CITY_CENTER_NAME  # where it is handled
    center: str = region_data.CITY_CENTER_NAME  # the 政务服务中心 with the “办不成事”反映窗口
    address: str = region_data.CITY_CENTER_ADDRESS
    hours: str = region_data.OPENING_HOURS_CITY
    government: str = region_data.CITY_NAME + "人民政府"  # 行政复议机关
    court: str = region_data.CITY_NAME + "兰山区人民法院"  # 第一审行政案件 (基层人民法院)


def _places() -> tuple[dict[str, Place], dict[str, Place]]:
    """Every demo organisation by full name, and each county's own place by county name (from the region
    demo data, no database needed)."""
    places = {spec.name: Place(level=region_data.LEVEL_CITY) for spec in region_data.CITY_DEPARTMENTS}
    counties: dict[str, Place] = {}
    for county in region_data.COUNTIES:
        police = county.police_name or county.name + "公安局"
        center = county.name + region_data.CENTER_SUFFIX
        at_county = counties[county.name] = Place(
            level=region_data.LEVEL_COUNTY,
            county=county.name,
            short=county.name[:-1],
            police=police,
            hall=center,
            center=center,
            address=county.center_address,
            hours=region_data.OPENING_HOURS,
            government=county.name + "人民政府",
            court=region_data.CITY_NAME + county.name + "人民法院",
        )
        for spec in region_data.COUNTY_DEPARTMENTS:
            places[police if spec.key == "police" else county.name + spec.name] = at_county
        for town in county.towns:
            places[town.name + region_data.TOWN_DEPARTMENT_SUFFIX] = Place(
                level=region_data.LEVEL_TOWN,
                county=county.name,
                short=county.name[:-1],
                police=police,
                town=town.name,
                hall=town.name + region_data.TOWN_CENTER_SUFFIX,
                center=center,
                address=town.address,
                hours=region_data.OPENING_HOURS,
                government=at_county.government,
                court=at_county.court,
            )
    return places, counties


PLACES, COUNTY_PLACES = _places()
_COUNTY_TOKENS = ("{county}", "{short}", "{police}")


def implementers(spec: ItemSpec) -> Iterator[str]:
    """The full names of the organisations implementing ``spec`` (its pattern expanded)."""
    counties = [c for c in region_data.COUNTIES if c.name in spec.counties]
    if "{town}" in spec.department:
        names = [
            _fill(spec.department, PLACES[t.name + region_data.TOWN_DEPARTMENT_SUFFIX], "")
            for c in counties
            for t in c.towns
        ]
    elif any(token in spec.department for token in _COUNTY_TOKENS):
        names = [_fill(spec.department, COUNTY_PLACES[c.name], "") for c in counties]
    else:
        names = [spec.department]
    for name in names:
        if name not in PLACES:
            raise ValueError(f"演示事项“{spec.name}”的实施主体“{name}”不在演示区划中")
        yield name


def _fill(text: str, place: Place, department: str) -> str:
    for token, value in (
        ("{city}", region_data.CITY_NAME),
        ("{county}", place.county),
        ("{short}", place.short),
        ("{police}", place.police),
        ("{town}", place.town),
        ("{dept}", department),
    ):
        text = text.replace(token, value)
    return text


def _fill_all(value: Any, place: Place, department: str) -> Any:
    if isinstance(value, str):
        return _fill(value, place, department)
    if isinstance(value, list):
        return [_fill_all(v, place, department) for v in value]
    if isinstance(value, dict):
        return {k: _fill_all(v, place, department) for k, v in value.items()}
    return value


def check_specs(specs: tuple[ItemSpec, ...] = SPECS) -> None:
    """Specs that share a catalog code must describe the same entry; no item may be defined twice."""
    entries: dict[str, tuple[str, str, str, tuple[int, ...]]] = {}
    seen: set[tuple[str, str, str]] = set()
    for spec in specs:
        entry = (spec.name, spec.task_type, spec.legal_basis, spec.levels)
        if entries.setdefault(spec.code, entry) != entry:
            raise ValueError(f"基本编码 {spec.code} 的演示事项定义不一致：{spec.name}")
        for name in implementers(spec):
            key = (spec.code, spec.handle_item, name)
            if key in seen:
                raise ValueError(f"演示事项重复：{spec.name}（{name}）")
            seen.add(key)


def _uscc(usccs: Mapping[str, str], name: str) -> str:
    try:
        return usccs[name]
    except KeyError:
        raise ValueError(f"演示事项引用的机构“{name}”不存在") from None


def localise(content: dict[str, Any], department: str, usccs: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The content of ``department``'s item: place-holders replaced, 办理地点/时间, 咨询/投诉 and 复议/诉讼
    filled in unless the spec gives them, and 联办机构/委托部门 names turned into USCCs (when known)."""
    place = PLACES[department]
    doc: dict[str, Any] = _fill_all(json.loads(json.dumps(content)), place, department)
    if doc.get("in_hall", True):
        doc.setdefault("transact_address", f"{place.address}（{place.hall}）")
        doc.setdefault("transact_time", place.hours)
    doc.setdefault(
        "contacts",
        {
            "consult": f"{department}：{HOTLINE}；或到{place.hall}咨询",
            "complaint": f"{HOTLINE}；{place.center}“办不成事”反映窗口",
        },
    )
    doc.setdefault("remedies", {"reconsideration": place.government, "litigation": place.court})
    if usccs is not None:
        doc["joint_departments"] = [_uscc(usccs, name) for name in doc.get("joint_departments", [])]
        if doc.get("entrusted_department"):
            doc["entrusted_department"] = _uscc(usccs, doc["entrusted_department"])
    return doc


def _demo_items() -> QuerySet[ServiceItem]:
    codes = {spec.code for spec in SPECS}
    return ServiceItem.objects.filter(entry__code__in=codes, department__name__in=list(PLACES))


def catalog_demo_is_loaded() -> bool:
    return _demo_items().exists()


def catalog_demo_load() -> CatalogDemoSummary:
    """Load the demo region if needed, then the demo catalog unless any demo item exists (one transaction)."""
    with transaction.atomic():
        if not demo_is_loaded():
            demo_load()
        created = not catalog_demo_is_loaded()
        if created:
            _load()
    return _summary(created=created)


def _load() -> None:
    check_specs()
    departments = {d.name: d for d in Department.objects.select_related("region")}
    names = {name for spec in SPECS for name in implementers(spec)}
    missing = sorted(names - departments.keys())
    if missing:
        raise DomainError(ErrorCode.NOT_FOUND, f"演示事项的实施主体不存在：{'、'.join(missing)}")
    usccs = {name: d.uscc for name, d in departments.items()}
    entries: dict[str, CatalogEntry] = {}
    for spec in SPECS:
        entry = entries.get(spec.code)
        if entry is None:
            entry = CatalogEntry.objects.filter(code=spec.code).first() or catalog_entry_create(
                actor=None,
                code=spec.code,
                name=spec.name,
                task_type=spec.task_type,
                legal_basis=spec.legal_basis,
                levels=list(spec.levels),
            )
            entries[spec.code] = entry
        for name in implementers(spec):
            department = departments[name]
            content = localise(spec.content, name, usccs)
            try:
                item = item_create(
                    actor=None,
                    entry=entry,
                    department=department,
                    level=department.region.level,
                    handle_item=spec.handle_item,
                    content=content,
                )
                publish_directly(actor=None, item=item, reason="演示数据")
            except DomainError as exc:
                details = "；".join(e.message for e in exc.errors) or exc.message
                raise DomainError(
                    exc.code,
                    f"演示事项“{content.get('name', spec.name)}”（{name}）未能发布：{details}",
                    errors=exc.errors,
                ) from exc


def _summary(*, created: bool) -> CatalogDemoSummary:
    items = _demo_items()
    versions = ItemVersion.objects.filter(item__in=items, effective_until__isnull=True)
    flags = versions.aggregate(
        **{key: Count("pk", filter=Q(**{key: True})) for key in FLAG_LABELS if key != "not_in_hall"},
        not_in_hall=Count("pk", filter=Q(in_hall=False)),
    )
    return CatalogDemoSummary(
        entries=CatalogEntry.objects.filter(items__in=items).distinct().count(),
        items=items.count(),
        published=versions.count(),
        departments=versions.values("department").distinct().count(),
        levels=sorted(set(versions.values_list("level", flat=True))),
        flags={key: int(flags[key]) for key in FLAG_LABELS},
        created=created,
    )
