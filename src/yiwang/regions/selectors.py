"""Reads of the regions app. Departments, venues and windows are public information (办事指南)."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.errors import not_found
from yiwang.regions.models import Department, Region, Venue, Window


def region_get(*, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise not_found("行政区划")
    return region


def region_children(*, region: Region | None) -> QuerySet[Region]:
    if region is None:
        return Region.objects.filter(parent__isnull=True)
    return Region.objects.filter(parent=region)


def department_list(*, region: Region | None = None, include_subregions: bool = True) -> QuerySet[Department]:
    qs = Department.objects.filter(is_active=True).select_related("region")
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path) if include_subregions else qs.filter(region=region)
    return qs


def venue_list(*, region: Region | None = None) -> QuerySet[Venue]:
    qs = Venue.objects.filter(is_active=True).select_related("region", "operator")
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs


def window_list(*, venue: Venue) -> QuerySet[Window]:
    return Window.objects.filter(venue=venue, is_active=True).select_related("department")
