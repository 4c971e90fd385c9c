"""API of the regions app: the region tree, departments, venues and windows (public reads)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from yiwang.regions import selectors, services
from yiwang.regions.models import Region

router = Router(tags=["行政区划与机构"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None = Field(None, alias="parent.code")


class DepartmentOut(Schema):
    id: int
    name: str
    short_name: str
    uscc: str
    kind: str
    region_code: str = Field(..., alias="region.code")
    phone: str


class DepartmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    uscc: str = Field(..., min_length=18, max_length=18)
    region_code: str = Field(..., min_length=6, max_length=12)
    kind: str = "government"
    parent_id: int | None = None
    short_name: str = Field("", max_length=60)
    phone: str = Field("", max_length=40)


class VenueOut(Schema):
    id: int
    name: str
    kind: str
    region_code: str = Field(..., alias="region.code")
    address: str
    opening_hours: str
    phone: str


class WindowOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    department_id: int | None


def _region_or_none(code: str | None) -> Region | None:
    return selectors.region_get(code=code) if code else None


@router.get("/", response=list[RegionOut], auth=None, summary="下级行政区划")
def region_children(request: HttpRequest, parent: str | None = None) -> list[Region]:
    return list(selectors.region_children(region=_region_or_none(parent)).select_related("parent"))


@router.get("/departments", response=list[DepartmentOut], auth=None, summary="机构列表")
def department_list(request: HttpRequest, region: str | None = None) -> object:
    return list(selectors.department_list(region=_region_or_none(region)))


@router.post("/departments", response={201: DepartmentOut}, summary="新增机构")
def department_create(request: HttpRequest, payload: DepartmentIn) -> Status:
    parent = None
    if payload.parent_id is not None:
        parent = selectors.department_list().filter(pk=payload.parent_id).first()
    department = services.department_create(
        actor=request.user,
        name=payload.name,
        uscc=payload.uscc,
        region=selectors.region_get(code=payload.region_code),
        kind=payload.kind,
        parent=parent,
        short_name=payload.short_name,
        phone=payload.phone,
    )
    return Status(201, department)


@router.get("/venues", response=list[VenueOut], auth=None, summary="政务服务场所列表")
def venue_list(request: HttpRequest, region: str | None = None) -> object:
    return list(selectors.venue_list(region=_region_or_none(region)))


@router.get("/venues/{venue_id}/windows", response=list[WindowOut], auth=None, summary="场所的窗口")
def window_list(request: HttpRequest, venue_id: int) -> object:
    venue = selectors.venue_list().filter(pk=venue_id).first()
    if venue is None:
        from yiwang.core.errors import not_found

        raise not_found("场所")
    return list(selectors.window_list(venue=venue))


@router.get("/{code}", response=RegionOut, auth=None, summary="行政区划")
def region_detail(request: HttpRequest, code: str) -> Region:
    return selectors.region_get(code=code)
