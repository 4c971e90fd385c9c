"""The demo region (临沂市): complete enough to show every subsystem, loaded once, fictional people."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from yiwang.accounts.models import StaffAssignment, User
from yiwang.regions.choices import RegionLevel, VenueKind, WindowKind
from yiwang.regions.demo import demo_accounts, demo_load
from yiwang.regions.demo_data import DEMO_PASSWORD
from yiwang.regions.models import Department, Region, Venue, Window

pytestmark = pytest.mark.django_db


def test_demo_region_has_what_the_foundation_promises():
    summary = demo_load()
    assert summary.created is True
    city = Region.objects.get(code="371300")
    counties = Region.objects.filter(parent=city, level=RegionLevel.COUNTY)
    assert counties.count() == 12
    for county in counties:
        towns = Region.objects.filter(parent=county, level=RegionLevel.TOWN)
        assert towns.exists(), county.name
        assert Region.objects.filter(parent__in=towns, level=RegionLevel.VILLAGE).exists(), county.name
        assert Venue.objects.filter(region=county, kind=VenueKind.SERVICE_CENTER).exists(), county.name
    assert Department.objects.filter(region__path__startswith=city.path, region__level__lte=4).count() >= 15
    assert Department.objects.filter(region=city).count() >= 15
    for kind in WindowKind.values:
        assert Window.objects.filter(kind=kind).exists(), kind
    assert Venue.objects.filter(kind=VenueKind.TOWN_CENTER).exists()
    assert Venue.objects.filter(kind=VenueKind.VILLAGE_STATION).exists()


def test_demo_load_is_idempotent():
    first = demo_load()
    second = demo_load()
    assert second.created is False
    assert (second.regions, second.departments, second.windows) == (first.regions, first.departments, first.windows)


def test_demo_accounts_log_in_and_hold_their_roles(rf):
    demo_load()
    usernames = {username for username, _, _ in demo_accounts()}
    assert {"admin", "clerk", "approver", "supervisor", "hotline", "citizen"} <= usernames
    request = rf.post("/accounts/login/")
    assert authenticate(request, username="clerk", password=DEMO_PASSWORD) == User.objects.get(username="clerk")
    clerk_grant = StaffAssignment.objects.get(user__username="clerk")
    assert clerk_grant.window is not None
    assert clerk_grant.window.venue.name == "兰山区政务服务中心"
