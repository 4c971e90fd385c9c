"""A small, fully valid region for tests: two counties of 临沂市, their departments and staff personas.

Built through the services (so it exercises them) and fast enough to build per test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.models import NaturalPerson, User
from yiwang.accounts.services import citizen_create, person_register, staff_assign, staff_create
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.regions.choices import DepartmentKind, RegionLevel, VenueKind, WindowKind
from yiwang.regions.models import Department, Region, Venue, Window
from yiwang.regions.services import department_create, region_create, venue_create, window_create

PASSWORD = "test-pass-2026-ok"


@dataclass
class World:
    province: Region
    city: Region
    county_a: Region  # 兰山区
    county_b: Region  # 罗庄区
    town_a: Region
    village_a: Region
    city_admin_dept: Department
    dept_a_admin: Department  # 兰山区行政审批服务局
    dept_a_market: Department  # 兰山区市场监督管理局
    dept_b_admin: Department  # 罗庄区行政审批服务局
    venue_a: Venue
    window_a1: Window
    users: dict[str, User] = field(default_factory=dict)
    persons: dict[str, NaturalPerson] = field(default_factory=dict)


_counter = [0]


def _uscc(region_code: str) -> str:
    _counter[0] += 1
    return make_uscc("11", region_code[:6], f"T{_counter[0]:07d}")


def build_world() -> World:
    province = region_create(actor=None, code="370000", name="山东省", level=RegionLevel.PROVINCE)
    city = region_create(actor=None, code="371300", name="临沂市", level=RegionLevel.CITY, parent=province)
    county_a = region_create(actor=None, code="371302", name="兰山区", level=RegionLevel.COUNTY, parent=city)
    county_b = region_create(actor=None, code="371311", name="罗庄区", level=RegionLevel.COUNTY, parent=city)
    town_a = region_create(actor=None, code="371302001", name="兰山街道", level=RegionLevel.TOWN, parent=county_a)
    village_a = region_create(
        actor=None, code="371302001001", name="金雀山社区", level=RegionLevel.VILLAGE, parent=town_a
    )
    city_admin = department_create(
        actor=None,
        name="临沂市行政审批服务局",
        uscc=_uscc("371300"),
        region=city,
        kind=DepartmentKind.SERVICE_ADMIN,
    )
    a_admin = department_create(
        actor=None,
        name="兰山区行政审批服务局",
        uscc=_uscc("371302"),
        region=county_a,
        kind=DepartmentKind.SERVICE_ADMIN,
    )
    a_market = department_create(actor=None, name="兰山区市场监督管理局", uscc=_uscc("371302"), region=county_a)
    b_admin = department_create(
        actor=None,
        name="罗庄区行政审批服务局",
        uscc=_uscc("371311"),
        region=county_b,
        kind=DepartmentKind.SERVICE_ADMIN,
    )
    venue_a = venue_create(
        actor=None,
        name="兰山区政务服务中心",
        kind=VenueKind.SERVICE_CENTER,
        region=county_a,
        operator=a_admin,
    )
    window_a1 = window_create(actor=None, venue=venue_a, number="A01", name="综合窗口", kind=WindowKind.COMPREHENSIVE)
    world = World(
        province,
        city,
        county_a,
        county_b,
        town_a,
        village_a,
        city_admin,
        a_admin,
        a_market,
        b_admin,
        venue_a,
        window_a1,
    )

    def staff(username: str, name: str, department: Department, role: str, window: Window | None = None) -> User:
        user = staff_create(actor=None, username=username, password=PASSWORD, display_name=name, department=department)
        staff_assign(actor=None, user=user, role=role, window=window)
        world.users[username] = user
        return user

    # Personas of the role matrix, for a resource of 兰山区 (a person living there, registered by its hall).
    staff("clerk_a", "测试窗口甲", a_admin, StaffRole.WINDOW_CLERK, window_a1)  # same department
    staff("approver_a", "测试审批乙", a_market, StaffRole.APPROVER)  # other department, same region
    staff("clerk_b", "测试窗口丙", b_admin, StaffRole.WINDOW_CLERK)  # other region
    staff("admin", "测试管理员", city_admin, StaffRole.PLATFORM_ADMIN)
    # Department admins (事项编辑): of the market bureau, of another bureau in 兰山区, and of 罗庄区.
    staff("deptadmin_a", "测试部门管理员甲", a_market, StaffRole.DEPARTMENT_ADMIN)
    staff("deptadmin_a_admin", "测试部门管理员乙", a_admin, StaffRole.DEPARTMENT_ADMIN)
    staff("deptadmin_b", "测试部门管理员丙", b_admin, StaffRole.DEPARTMENT_ADMIN)
    staff("supervisor", "测试监察", city_admin, StaffRole.SUPERVISOR)
    owner = citizen_create(actor=None, username="citizen_owner", password=PASSWORD, display_name="测试群众甲")
    other = citizen_create(actor=None, username="citizen_other", password=PASSWORD, display_name="测试群众乙")
    world.users["citizen_owner"] = owner
    world.users["citizen_other"] = other
    world.persons["owner"] = person_register(
        actor=None,
        name="测试群众甲",
        id_number=make_id_number("371302", dt.date(1985, 6, 1), 12),
        region=county_a,
        phone="13805390001",
        user=owner,
    )
    world.persons["other"] = person_register(
        actor=None,
        name="测试群众乙",
        id_number=make_id_number("371311", dt.date(1990, 2, 3), 21),
        region=county_b,
        user=other,
    )
    return world
