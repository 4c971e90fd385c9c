"""Code lists of the regions app."""

from django.db import models


class RegionLevel(models.IntegerChoices):
    """行使层级代码 (GB/T 39046 A.2, STANDARDS §1.3); 7 分级管理 is a level of an item, not of a region."""

    NATIONAL = 1, "国家级"
    PROVINCE = 2, "省级"
    CITY = 3, "市级"
    COUNTY = 4, "县级"
    TOWN = 5, "镇(乡、街道)级"
    VILLAGE = 6, "村(社区)级"


class VenueKind(models.TextChoices):
    """Kinds of 政务服务场所, each tied to a region level."""

    SERVICE_CENTER = "center", "政务服务中心"  # county level and above
    TOWN_CENTER = "town_center", "便民服务中心"  # town / street
    VILLAGE_STATION = "village_station", "便民服务站"  # village / community


class WindowKind(models.TextChoices):
    """Kinds of windows in a venue."""

    COMPREHENSIVE = "comprehensive", "综合窗口"  # 无差别受理: any item of any department
    DEDICATED = "dedicated", "专窗"  # one department's items
    ASSISTED = "assisted", "帮办代办窗口"  # help and agency service
    UNRESOLVED = "unresolved", "办不成事反映窗口"  # "办不成事" complaints
    CROSS_PROVINCE = "cross_province", "跨省通办窗口"  # 跨省通办 receipt


class DepartmentKind(models.TextChoices):
    """Kinds of organisations."""

    GOVERNMENT = "government", "政府部门"
    SERVICE_ADMIN = "service_admin", "政务服务管理机构"  # runs the platform and the halls
    SUBDISTRICT = "subdistrict", "乡镇(街道)"
    VILLAGE_COMMITTEE = "village_committee", "村(居)委会"
    OTHER = "other", "其他组织"


VENUE_LEVELS: dict[str, tuple[int, ...]] = {
    VenueKind.SERVICE_CENTER: (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY),
    VenueKind.TOWN_CENTER: (RegionLevel.TOWN,),
    VenueKind.VILLAGE_STATION: (RegionLevel.VILLAGE,),
}
