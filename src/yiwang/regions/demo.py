"""Loading the demo region (临沂市) through the services, so every row is validated and audit-logged.

``demo_load()`` is idempotent: once 临沂市 (371300) exists it changes nothing and reports what is there.
All demo people are fictional; see :mod:`yiwang.regions.demo_data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from yiwang.accounts.choices import StaffRole, UserKind
from yiwang.accounts.models import LegalPerson, NaturalPerson, StaffAssignment, User
from yiwang.accounts.services import (
    citizen_create,
    legal_person_register,
    person_register,
    staff_assign,
    staff_create,
)
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.regions import demo_data as data
from yiwang.regions.models import Department, Region, Venue, Window
from yiwang.regions.services import department_create, region_create, venue_create, window_create


@dataclass
class DemoSummary:
    """Counts in the database after a load, and the demo log-ins as (username, role label, department)."""

    regions: int
    departments: int
    venues: int
    windows: int
    staff: int
    citizens: int
    persons: int
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    legal_persons: int = 0
    created: bool = False  # True when this call loaded the data, False when it was already there


def demo_is_loaded() -> bool:
    return Region.objects.filter(code=data.CITY_CODE).exists()


def demo_accounts() -> list[tuple[str, str, str]]:
    """(username, what it is, password) of every demo log-in, for printing. Needs no database."""
    rows: list[tuple[str, str, str]] = []
    for staff in data.STAFF:
        what = f"{StaffRole(staff.role).label}（{staff.display_name}，{staff.department}"
        if staff.window is not None:
            what += f"，{staff.window[0]} {staff.window[1]} 窗口"
        rows.append((staff.username, what + "）", data.DEMO_PASSWORD))
    persons = {person.key: person for person in data.PERSONS}
    counties = {county.code: county.name for county in data.COUNTIES}
    for citizen in data.CITIZENS:
        person = persons[citizen.person_key]
        what = f"{UserKind.CITIZEN.label}（{citizen.display_name}，{counties[person.county_code]}）"
        rows.append((citizen.username, what, data.DEMO_PASSWORD))
    return rows


def demo_load() -> DemoSummary:
    """Load the demo region unless it is already there; return the counts either way."""
    with transaction.atomic():
        created = not demo_is_loaded()
        if created:
            _Loader().load()
        demo_second_factor_install()  # also for a demo database loaded before staff had a second factor
    return _summary(created=created)


def demo_second_factor_install() -> None:
    """Give each demo staff member whose role needs a second factor a TOTP device with the published
    ``DEMO_TOTP_SECRET`` (idempotent), so that a tester can sign in with any authenticator app."""
    from yiwang.accounts.permissions import second_factor_required
    from yiwang.accounts.second_factor import totp_device_install

    for user in User.objects.filter(username__in=[staff.username for staff in data.STAFF], kind=UserKind.STAFF):
        if second_factor_required(user):
            totp_device_install(user=user, secret=data.DEMO_TOTP_SECRET, reason="demo")


def demo_totp_code() -> tuple[str, int]:
    """The demo staff's current TOTP code and the seconds it stays valid (for ``yiwang demo accounts``)."""
    import base64
    import time

    from django_otp.oath import totp

    key = base64.b32decode(data.DEMO_TOTP_SECRET)
    return f"{totp(key):06d}", 30 - int(time.time()) % 30


def _summary(*, created: bool) -> DemoSummary:
    usernames = [staff.username for staff in data.STAFF]
    assignments = {
        (row.user.username, row.role): row
        for row in StaffAssignment.objects.filter(user__username__in=usernames).select_related("user", "department")
    }
    accounts: list[tuple[str, str, str]] = []
    for staff in data.STAFF:
        row = assignments.get((staff.username, staff.role))
        if row is not None:
            accounts.append((staff.username, StaffRole(staff.role).label, row.department.name))
    present = set(
        User.objects.filter(username__in=[c.username for c in data.CITIZENS], kind=UserKind.CITIZEN).values_list(
            "username", flat=True
        )
    )
    accounts += [(c.username, UserKind.CITIZEN.label, "") for c in data.CITIZENS if c.username in present]
    return DemoSummary(
        regions=Region.objects.count(),
        departments=Department.objects.count(),
        venues=Venue.objects.count(),
        windows=Window.objects.count(),
        staff=User.objects.filter(kind=UserKind.STAFF).count(),
        citizens=User.objects.filter(kind=UserKind.CITIZEN).count(),
        persons=NaturalPerson.objects.count(),
        accounts=accounts,
        legal_persons=LegalPerson.objects.count(),
        created=created,
    )


class _Loader:
    """One pass over the demo data; keeps every created object so nothing is looked up again."""

    def __init__(self) -> None:
        self.serial = 0
        self.regions: dict[str, Region] = {}
        self.departments: dict[str, Department] = {}  # by full name
        self.windows: dict[tuple[str, str], Window] = {}  # by (venue name, number)
        self.persons: dict[str, NaturalPerson] = {}

    # Synthetic government USCCs: prefix 11 (机关), the region's 6-digit code, "00" + a running number.
    def _uscc(self, region_code: str) -> str:
        self.serial += 1
        return make_uscc("11", region_code[:6], f"00{self.serial:06d}")

    def _region(self, code: str, name: str, level: int, parent: Region | None) -> Region:
        region = region_create(actor=None, code=code, name=name, level=level, parent=parent)
        self.regions[code] = region
        return region

    def _department(
        self, name: str, region: Region, kind: str, *, uscc_region: str, short_name: str = ""
    ) -> Department:
        department = department_create(
            actor=None,
            name=name,
            uscc=self._uscc(uscc_region),
            region=region,
            kind=kind,
            short_name=short_name,
        )
        self.departments[name] = department
        return department

    def _venue(
        self,
        *,
        name: str,
        kind: str,
        region: Region,
        operator: Department,
        address: str,
        opening_hours: str,
        phone: str,
        windows: tuple[data.WindowSpec, ...],
        by_key: dict[str, Department] | None = None,
    ) -> Venue:
        venue = venue_create(
            actor=None,
            name=name,
            kind=kind,
            region=region,
            operator=operator,
            address=address,
            opening_hours=opening_hours,
            phone=phone,
        )
        for spec in windows:
            department = (by_key or {})[spec.department_key] if spec.department_key else None
            self.windows[(name, spec.number)] = window_create(
                actor=None, venue=venue, number=spec.number, name=spec.name, kind=spec.kind, department=department
            )
        return venue

    def load(self) -> None:
        province = Region.objects.filter(code=data.PROVINCE_CODE).first() or self._region(
            data.PROVINCE_CODE, data.PROVINCE_NAME, data.LEVEL_PROVINCE, None
        )
        city = self._region(data.CITY_CODE, data.CITY_NAME, data.LEVEL_CITY, province)
        self._load_city(city)
        for county in data.COUNTIES:
            self._load_county(county, city)
        self._load_people()

    def _load_city(self, city: Region) -> None:
        by_key = {
            spec.key: self._department(
                spec.name, city, spec.kind, uscc_region=data.CITY_CODE, short_name=spec.short_name
            )
            for spec in data.CITY_DEPARTMENTS
        }
        self._venue(
            name=data.CITY_CENTER_NAME,
            kind=data.VENUE_CENTER,
            region=city,
            operator=by_key["admin"],
            address=data.CITY_CENTER_ADDRESS,
            opening_hours=data.OPENING_HOURS_CITY,
            phone=data.SERVICE_PHONE,
            windows=data.CENTER_WINDOWS,
            by_key=by_key,
        )

    def _load_county(self, county: data.County, city: Region) -> None:
        region = self._region(county.code, county.name, data.LEVEL_COUNTY, city)
        by_key: dict[str, Department] = {}
        for spec in data.COUNTY_DEPARTMENTS:
            name = county.name + spec.name
            if spec.key == "police" and county.police_name:
                name = county.police_name
            by_key[spec.key] = self._department(name, region, spec.kind, uscc_region=county.code)
        self._venue(
            name=county.name + data.CENTER_SUFFIX,
            kind=data.VENUE_CENTER,
            region=region,
            operator=by_key["admin"],
            address=county.center_address,
            opening_hours=data.OPENING_HOURS,
            phone=data.SERVICE_PHONE,
            windows=data.CENTER_WINDOWS,
            by_key=by_key,
        )
        for town in county.towns:
            town_region = self._region(town.code, town.name, data.LEVEL_TOWN, region)
            office = self._department(
                town.name + data.TOWN_DEPARTMENT_SUFFIX, town_region, data.DEPT_SUBDISTRICT, uscc_region=county.code
            )
            self._venue(
                name=town.name + data.TOWN_CENTER_SUFFIX,
                kind=data.VENUE_TOWN_CENTER,
                region=town_region,
                operator=office,
                address=town.address,
                opening_hours=data.OPENING_HOURS,
                phone="",
                windows=data.TOWN_CENTER_WINDOWS,
            )
            for village in town.villages:
                village_region = self._region(village.code, village.name, data.LEVEL_VILLAGE, town_region)
                self._venue(
                    name=village.name + data.VILLAGE_STATION_SUFFIX,
                    kind=data.VENUE_VILLAGE_STATION,
                    region=village_region,
                    operator=office,
                    address=village.address,
                    opening_hours=data.OPENING_HOURS_STATION,
                    phone="",
                    windows=data.VILLAGE_STATION_WINDOWS,
                )

    def _load_people(self) -> None:
        for staff in data.STAFF:
            user = staff_create(
                actor=None,
                username=staff.username,
                password=data.DEMO_PASSWORD,
                display_name=staff.display_name,
                department=self.departments[staff.department],
            )
            window = self.windows[staff.window] if staff.window is not None else None
            staff_assign(actor=None, user=user, role=staff.role, window=window)
        users = {
            citizen.person_key: citizen_create(
                actor=None, username=citizen.username, password=data.DEMO_PASSWORD, display_name=citizen.display_name
            )
            for citizen in data.CITIZENS
        }
        for person in data.PERSONS:
            self.persons[person.key] = person_register(
                actor=None,
                name=person.name,
                id_number=make_id_number(person.county_code, person.birth, person.sequence),
                region=self.regions[person.county_code],
                phone=person.phone,
                user=users.get(person.key),
            )
        for enterprise in data.ENTERPRISES:
            legal_person_register(
                actor=None,
                uscc=make_uscc("91", enterprise.region_code, enterprise.org_body),
                name=enterprise.name,
                legal_representative=self.persons[enterprise.representative_key],
                region=self.regions[enterprise.region_code],
            )
