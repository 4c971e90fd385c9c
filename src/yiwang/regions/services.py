"""Writes of the regions app: regions, departments, venues and windows.

``actor=None`` means the system itself (the demo loader, an import command); otherwise the actor needs
``org.manage`` in a scope that covers the region concerned.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from yiwang.audit.services import record
from yiwang.core.errors import DomainError, ErrorCode, permission_denied
from yiwang.core.identifiers import validate_uscc
from yiwang.regions.choices import VENUE_LEVELS, DepartmentKind, RegionLevel, VenueKind, WindowKind
from yiwang.regions.models import Department, Region, Venue, Window

# Digits of a code that identify the node at each level (GB/T 2260 + 9/12-digit town/village codes).
_SIGNIFICANT = {RegionLevel.PROVINCE: 2, RegionLevel.CITY: 4, RegionLevel.COUNTY: 6, RegionLevel.TOWN: 9}
_LENGTH = {
    RegionLevel.NATIONAL: 6,
    RegionLevel.PROVINCE: 6,
    RegionLevel.CITY: 6,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWN: 9,
    RegionLevel.VILLAGE: 12,
}


def _require_org_manage(actor: Any, region: Region) -> None:
    if actor is None:
        return
    from yiwang.accounts.permissions import Action, scopes_for

    if not any(region.path.startswith(s.region_path) for s in scopes_for(actor, Action.ORG_MANAGE)):
        raise permission_denied("您无权维护该区划的机构信息")


def validate_region_code(code: str, level: int, parent: Region | None) -> None:
    """Check a code's length and digits for its level and that it lies under its parent's code."""
    if not code.isdigit() or len(code) != _LENGTH[RegionLevel(level)]:
        raise DomainError(
            ErrorCode.REGION_CODE_INVALID,
            f"{RegionLevel(level).label}区划代码应为{_LENGTH[RegionLevel(level)]}位数字",
            field="code",
        )
    if level == RegionLevel.PROVINCE and not code.endswith("0000"):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, "省级区划代码应以0000结尾", field="code")
    if level == RegionLevel.CITY and (not code.endswith("00") or code.endswith("0000")):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, "市级区划代码应以00结尾（且不以0000结尾）", field="code")
    if level == RegionLevel.COUNTY and code.endswith("00"):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, "县级区划代码不应以00结尾", field="code")
    if parent is not None:
        if parent.level >= level:
            raise DomainError(ErrorCode.REGION_CODE_INVALID, "上级区划的层级应高于本级", field="parent")
        prefix = parent.code[: _SIGNIFICANT.get(RegionLevel(parent.level), len(parent.code))]
        if not code.startswith(prefix):
            raise DomainError(ErrorCode.REGION_CODE_INVALID, f"区划代码应以上级区划代码 {prefix} 开头", field="code")


@transaction.atomic
def region_create(*, actor: Any, code: str, name: str, level: int, parent: Region | None = None) -> Region:
    """新增行政区划."""
    code = code.strip()
    name = name.strip()
    if not name:
        raise DomainError(ErrorCode.VALIDATION, "请填写区划名称", field="name")
    if level not in RegionLevel.values:
        raise DomainError(ErrorCode.VALIDATION, "区划层级应为 1–6", field="level")
    validate_region_code(code, level, parent)
    if parent is not None:
        _require_org_manage(actor, parent)
    elif actor is not None:
        raise permission_denied("只有系统可以创建顶级区划")
    if Region.objects.filter(code=code).exists():
        raise DomainError(ErrorCode.CONFLICT, f"区划代码 {code} 已存在", field="code")
    path = f"{parent.path if parent else '/'}{code}/"
    try:
        region = Region.objects.create(code=code, name=name, level=level, parent=parent, path=path)
    except IntegrityError as exc:  # a concurrent create of the same code won
        raise DomainError(ErrorCode.CONFLICT, f"区划代码 {code} 已存在", field="code") from exc
    record(
        actor=actor,
        action="region.create",
        target=region,
        changes={"code": [None, code], "name": [None, name]},
    )
    return region


@transaction.atomic
def department_create(
    *,
    actor: Any,
    name: str,
    uscc: str,
    region: Region,
    kind: str = DepartmentKind.GOVERNMENT,
    parent: Department | None = None,
    short_name: str = "",
    phone: str = "",
) -> Department:
    """新增机构. The USCC must be valid and unique; a parent must lie in the same region or above it."""
    _require_org_manage(actor, region)
    name = name.strip()
    if not name:
        raise DomainError(ErrorCode.VALIDATION, "请填写机构名称", field="name")
    code = validate_uscc(uscc)
    if kind not in DepartmentKind.values:
        raise DomainError(ErrorCode.VALIDATION, "机构类型不正确", field="kind")
    if parent is not None and not region.path.startswith(parent.region.path):
        raise DomainError(ErrorCode.VALIDATION, "上级机构应位于本机构所在区划或其上级区划", field="parent")
    if Department.objects.filter(uscc=code).exists():
        raise DomainError(ErrorCode.CONFLICT, f"统一社会信用代码 {code} 已被其他机构使用", field="uscc")
    if Department.objects.filter(region=region, name=name).exists():
        raise DomainError(ErrorCode.CONFLICT, f"{region.name}已有名为“{name}”的机构", field="name")
    try:
        department = Department.objects.create(
            name=name, short_name=short_name, uscc=code, kind=kind, region=region, parent=parent, phone=phone
        )
    except IntegrityError as exc:  # a concurrent create won the race for the same code or name
        raise DomainError(ErrorCode.CONFLICT, "机构名称或统一社会信用代码已存在", field="uscc") from exc
    record(actor=actor, action="department.create", target=department, changes={"uscc": [None, code]})
    return department


@transaction.atomic
def venue_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    region: Region,
    operator: Department | None = None,
    address: str = "",
    opening_hours: str = "",
    phone: str = "",
) -> Venue:
    """新增政务服务场所: its kind must match the region level (中心 county+, 便民服务中心 town, 站 village)."""
    _require_org_manage(actor, region)
    if kind not in VenueKind.values:
        raise DomainError(ErrorCode.VALIDATION, "场所类型不正确", field="kind")
    if region.level not in VENUE_LEVELS[kind]:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"{VenueKind(kind).label}不能设在{RegionLevel(region.level).label}区划“{region.name}”",
            field="region",
        )
    if not name.strip():
        raise DomainError(ErrorCode.VALIDATION, "请填写场所名称", field="name")
    if operator is not None and not region.path.startswith(operator.region.path):
        raise DomainError(ErrorCode.VALIDATION, "管理机构须位于场所所在区划或其上级区划", field="operator")
    if Venue.objects.filter(region=region, name=name.strip()).exists():
        raise DomainError(ErrorCode.CONFLICT, f"{region.name}已有名为“{name}”的场所", field="name")
    venue = Venue.objects.create(
        name=name.strip(),
        kind=kind,
        region=region,
        operator=operator,
        address=address,
        opening_hours=opening_hours,
        phone=phone,
    )
    record(actor=actor, action="venue.create", target=venue, changes={"kind": [None, kind]})
    return venue


@transaction.atomic
def window_create(
    *, actor: Any, venue: Venue, number: str, name: str, kind: str, department: Department | None = None
) -> Window:
    """新增窗口. A 专窗 names its department, which must be in the venue's region or above it."""
    _require_org_manage(actor, venue.region)
    if kind not in WindowKind.values:
        raise DomainError(ErrorCode.VALIDATION, "窗口类型不正确", field="kind")
    if kind == WindowKind.DEDICATED and department is None:
        raise DomainError(ErrorCode.VALIDATION, "专窗须指定所属部门", field="department")
    if department is not None and not venue.region.path.startswith(department.region.path):
        raise DomainError(ErrorCode.VALIDATION, "专窗所属部门须位于场所所在区划或其上级区划", field="department")
    number = number.strip()
    if not number:
        raise DomainError(ErrorCode.VALIDATION, "请填写窗口编号", field="number")
    if Window.objects.filter(venue=venue, number=number).exists():
        raise DomainError(ErrorCode.CONFLICT, f"{venue.name}已有编号为 {number} 的窗口", field="number")
    window = Window.objects.create(venue=venue, number=number, name=name.strip(), kind=kind, department=department)
    record(actor=actor, action="window.create", target=window, changes={"kind": [None, kind]})
    return window
