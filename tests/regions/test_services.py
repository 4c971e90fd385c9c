"""Regions, departments, venues and windows: codes, levels and scope are enforced by the services."""

from __future__ import annotations

import pytest

from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_uscc
from yiwang.regions.choices import RegionLevel, VenueKind, WindowKind
from yiwang.regions.models import Department, Region, Venue
from yiwang.regions.services import department_create, region_create, venue_create, window_create
from yiwang.testing.world import World


def test_region_path_makes_subtrees_one_query(world: World):
    assert world.village_a.path == "/370000/371300/371302/371302001/371302001001/"
    codes = list(Region.objects.subtree(world.county_a).values_list("code", flat=True))
    assert codes == ["371302", "371302001", "371302001001"]


@pytest.mark.parametrize(
    ("code", "level", "message"),
    [
        ("3713021", RegionLevel.COUNTY, "应为6位数字"),
        ("371400", RegionLevel.COUNTY, "不应以00结尾"),
        ("371402", RegionLevel.COUNTY, "应以上级区划代码 3713 开头"),
        ("37130200", RegionLevel.TOWN, "应为9位数字"),
    ],
)
def test_bad_region_codes_are_refused(world: World, code: str, level: int, message: str):
    with pytest.raises(DomainError) as caught:
        region_create(actor=None, code=code, name="错误", level=level, parent=world.city)
    assert caught.value.code == ErrorCode.REGION_CODE_INVALID
    assert message in caught.value.message


def test_duplicate_region_code_is_a_conflict(world: World):
    with pytest.raises(DomainError) as caught:
        region_create(actor=None, code="371302", name="重复", level=RegionLevel.COUNTY, parent=world.city)
    assert caught.value.code == ErrorCode.CONFLICT


def test_department_uscc_is_validated_and_unique(world: World):
    with pytest.raises(DomainError) as caught:
        department_create(actor=None, name="某局", uscc="11371302ABCDEFGH12", region=world.county_a)
    assert caught.value.code == ErrorCode.USCC_INVALID
    with pytest.raises(DomainError) as caught:
        department_create(actor=None, name="某局", uscc=world.dept_a_market.uscc, region=world.county_a)
    assert caught.value.code == ErrorCode.CONFLICT
    assert not Department.objects.filter(name="某局").exists()


@pytest.mark.parametrize(
    ("kind", "region_attr", "ok"),
    [
        (VenueKind.SERVICE_CENTER, "county_a", True),
        (VenueKind.SERVICE_CENTER, "town_a", False),
        (VenueKind.TOWN_CENTER, "town_a", True),
        (VenueKind.TOWN_CENTER, "village_a", False),
        (VenueKind.VILLAGE_STATION, "village_a", True),
        (VenueKind.VILLAGE_STATION, "county_a", False),
    ],
)
def test_venue_kind_must_match_region_level(world: World, kind: str, region_attr: str, ok: bool):
    region = getattr(world, region_attr)
    if ok:
        assert venue_create(actor=None, name="新场所", kind=kind, region=region).region == region
    else:
        with pytest.raises(DomainError) as caught:
            venue_create(actor=None, name="新场所", kind=kind, region=region)
        assert caught.value.field == "region"
        assert not Venue.objects.filter(name="新场所").exists()


def test_dedicated_window_needs_a_department(world: World):
    with pytest.raises(DomainError) as caught:
        window_create(actor=None, venue=world.venue_a, number="B01", name="专窗", kind=WindowKind.DEDICATED)
    assert caught.value.field == "department"
    window = window_create(
        actor=None,
        venue=world.venue_a,
        number="B01",
        name="市场监管专窗",
        kind=WindowKind.DEDICATED,
        department=world.dept_a_market,
    )
    assert window.department == world.dept_a_market


def test_org_manage_is_scoped_to_the_actors_region(world: World):
    admin = world.users["admin"]  # platform admin of 临沂市
    created = department_create(
        actor=admin, name="兰山区民政局", uscc=make_uscc("11", "371302", "Y0000001"), region=world.county_a
    )
    assert created.region == world.county_a
    for username in ("clerk_a", "approver_a", "citizen_owner"):
        with pytest.raises(DomainError) as caught:
            department_create(
                actor=world.users[username],
                name="越权局",
                uscc=make_uscc("11", "371302", "Y0000002"),
                region=world.county_a,
            )
        assert caught.value.code == ErrorCode.PERMISSION_DENIED
    assert not Department.objects.filter(name="越权局").exists()
