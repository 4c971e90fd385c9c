"""The demo region: 山东省临沂市, its 12 county-level units, towns, villages, organisations, halls and people.

Pure data (no Django imports); :mod:`yiwang.regions.demo` loads it through the services.

What is real and what is not:

* Province, city and county names and codes are the real GB/T 2260 codes.
* Town (9-digit) and village (12-digit) codes are illustrative demo codes (county code + 3 digits, town
  code + 3 digits); the county-seat subdistrict names are real, the community names are plain made-up ones.
* Organisation names follow the real pattern, but their 统一社会信用代码 are synthetic: the loader builds
  them with ``make_uscc("11", <region code>, "00" + <6-digit running number>)`` so every code is valid and
  unique, and none is the code of a real organisation.
* Addresses are illustrative; the telephone number is the public 12345 政务服务便民热线.
* Every person is fictional (placeholder names such as 张三、李四); ID numbers are generated with valid
  check characters only, and phone numbers are made up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# One password for every demo log-in (policy: ≥10 characters, letters and digits, not a common password).
DEMO_PASSWORD = "yiwang-demo-2026"  # noqa: S105 - published demo credential, documented in the README
# One TOTP secret (base32) for every demo staff member whose role needs the second factor: add it to any
# authenticator app by hand, or compute the code with `yiwang demo accounts`. Published, like the password.
DEMO_TOTP_SECRET = "YIWANGDEMOSECRETFORTOTPTESTING22"  # noqa: S105 - published demo credential (README)

# Values of the code lists (regions.choices / accounts.choices), spelled out so this module needs no Django.
LEVEL_PROVINCE, LEVEL_CITY, LEVEL_COUNTY, LEVEL_TOWN, LEVEL_VILLAGE = 2, 3, 4, 5, 6

DEPT_GOVERNMENT = "government"
DEPT_SERVICE_ADMIN = "service_admin"
DEPT_SUBDISTRICT = "subdistrict"

VENUE_CENTER = "center"
VENUE_TOWN_CENTER = "town_center"
VENUE_VILLAGE_STATION = "village_station"

WIN_COMPREHENSIVE = "comprehensive"
WIN_DEDICATED = "dedicated"
WIN_ASSISTED = "assisted"
WIN_UNRESOLVED = "unresolved"
WIN_CROSS_PROVINCE = "cross_province"

ROLE_WINDOW_CLERK = "window_clerk"
ROLE_APPROVER = "approver"
ROLE_DEPARTMENT_ADMIN = "department_admin"
ROLE_PLATFORM_ADMIN = "platform_admin"
ROLE_SUPERVISOR = "supervisor"
ROLE_HOTLINE_AGENT = "hotline_agent"


# --- regions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Village:
    code: str  # 12 digits (illustrative)
    name: str
    address: str  # of its 便民服务站


@dataclass(frozen=True)
class Town:
    code: str  # 9 digits (illustrative)
    name: str
    address: str  # of its 便民服务中心
    villages: tuple[Village, ...]


@dataclass(frozen=True)
class County:
    code: str  # real GB/T 2260 code
    name: str
    center_address: str  # of its 政务服务中心
    towns: tuple[Town, ...]
    police_name: str = ""  # a 市辖区 is policed by a 分局 of the city bureau; empty = "<county>公安局"


PROVINCE_CODE, PROVINCE_NAME = "370000", "山东省"
CITY_CODE, CITY_NAME = "371300", "临沂市"

OPENING_HOURS_CITY = "周一至周五 9:00-17:00；周六 9:00-12:00（延时错时服务）"
OPENING_HOURS = "周一至周五 9:00-17:00"
OPENING_HOURS_STATION = "周一至周五 9:00-12:00，14:00-17:00"
SERVICE_PHONE = "0539-12345"

CITY_CENTER_NAME = "临沂市政务服务中心"
CITY_CENTER_ADDRESS = "临沂市兰山区北京路与沂蒙路交汇处市政务服务中心大楼"


def _v(code: str, name: str, address: str) -> Village:
    return Village(code, name, address)


# Town and village codes below are illustrative demo codes, not official statistical codes.
COUNTIES: tuple[County, ...] = (
    County(
        "371302",
        "兰山区",
        "临沂市兰山区金雀山路与解放路交汇处兰山区政务服务中心",
        (
            Town(
                "371302001",
                "兰山街道",
                "临沂市兰山区兰山街道沂州路88号",
                (
                    _v("371302001001", "城中社区", "兰山街道城中社区党群服务中心一楼"),
                    _v("371302001002", "东关社区", "兰山街道东关社区党群服务中心一楼"),
                ),
            ),
            Town(
                "371302002",
                "银雀山街道",
                "临沂市兰山区银雀山街道银雀山路66号",
                (_v("371302002001", "银雀社区", "银雀山街道银雀社区党群服务中心一楼"),),
            ),
        ),
        police_name="临沂市公安局兰山分局",
    ),
    County(
        "371311",
        "罗庄区",
        "临沂市罗庄区罗庄街道沂河路与湖北路交汇处罗庄区政务服务中心",
        (
            Town(
                "371311001",
                "罗庄街道",
                "临沂市罗庄区罗庄街道新华路18号",
                (
                    _v("371311001001", "新华社区", "罗庄街道新华社区党群服务中心一楼"),
                    _v("371311001002", "和平社区", "罗庄街道和平社区党群服务中心一楼"),
                ),
            ),
        ),
        police_name="临沂市公安局罗庄分局",
    ),
    County(
        "371312",
        "河东区",
        "临沂市河东区九曲街道东兴路与人民大街交汇处河东区政务服务中心",
        (
            Town(
                "371312001",
                "九曲街道",
                "临沂市河东区九曲街道人民大街20号",
                (
                    _v("371312001001", "幸福社区", "九曲街道幸福社区党群服务中心一楼"),
                    _v("371312001002", "光明社区", "九曲街道光明社区党群服务中心一楼"),
                ),
            ),
        ),
        police_name="临沂市公安局河东分局",
    ),
    County(
        "371321",
        "沂南县",
        "临沂市沂南县界湖街道振兴路与澳柯玛大道交汇处沂南县政务服务中心",
        (
            Town(
                "371321001",
                "界湖街道",
                "临沂市沂南县界湖街道人民路36号",
                (
                    _v("371321001001", "建设社区", "界湖街道建设社区党群服务中心一楼"),
                    _v("371321001002", "团结社区", "界湖街道团结社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371322",
        "郯城县",
        "临沂市郯城县郯城街道人民路与东关路交汇处郯城县政务服务中心",
        (
            Town(
                "371322001",
                "郯城街道",
                "临沂市郯城县郯城街道郯东路12号",
                (
                    _v("371322001001", "文化社区", "郯城街道文化社区党群服务中心一楼"),
                    _v("371322001002", "振兴社区", "郯城街道振兴社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371323",
        "沂水县",
        "临沂市沂水县沂城街道正阳路与长安路交汇处沂水县政务服务中心",
        (
            Town(
                "371323001",
                "沂城街道",
                "临沂市沂水县沂城街道长安路58号",
                (
                    _v("371323001001", "东城社区", "沂城街道东城社区党群服务中心一楼"),
                    _v("371323001002", "西城社区", "沂城街道西城社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371324",
        "兰陵县",
        "临沂市兰陵县卞庄街道会宝路与文化路交汇处兰陵县政务服务中心",
        (
            Town(
                "371324001",
                "卞庄街道",
                "临沂市兰陵县卞庄街道文化路26号",
                (
                    _v("371324001001", "南关社区", "卞庄街道南关社区党群服务中心一楼"),
                    _v("371324001002", "北关社区", "卞庄街道北关社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371325",
        "费县",
        "临沂市费县费城街道北京路与建设路交汇处费县政务服务中心",
        (
            Town(
                "371325001",
                "费城街道",
                "临沂市费县费城街道建设路40号",
                (
                    _v("371325001001", "中心社区", "费城街道中心社区党群服务中心一楼"),
                    _v("371325001002", "向阳社区", "费城街道向阳社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371326",
        "平邑县",
        "临沂市平邑县平邑街道莲花山路与金花路交汇处平邑县政务服务中心",
        (
            Town(
                "371326001",
                "平邑街道",
                "临沂市平邑县平邑街道金花路16号",
                (
                    _v("371326001001", "金花社区", "平邑街道金花社区党群服务中心一楼"),
                    _v("371326001002", "青年社区", "平邑街道青年社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371327",
        "莒南县",
        "临沂市莒南县十字路街道人民路与隆山路交汇处莒南县政务服务中心",
        (
            Town(
                "371327001",
                "十字路街道",
                "临沂市莒南县十字路街道隆山路30号",
                (
                    _v("371327001001", "隆山社区", "十字路街道隆山社区党群服务中心一楼"),
                    _v("371327001002", "民主社区", "十字路街道民主社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371328",
        "蒙阴县",
        "临沂市蒙阴县蒙阴街道叠翠路与新城路交汇处蒙阴县政务服务中心",
        (
            Town(
                "371328001",
                "蒙阴街道",
                "临沂市蒙阴县蒙阴街道叠翠路22号",
                (
                    _v("371328001001", "叠翠社区", "蒙阴街道叠翠社区党群服务中心一楼"),
                    _v("371328001002", "城北社区", "蒙阴街道城北社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
    County(
        "371329",
        "临沭县",
        "临沂市临沭县临沭街道常林大街与兴大路交汇处临沭县政务服务中心",
        (
            Town(
                "371329001",
                "临沭街道",
                "临沂市临沭县临沭街道兴大路10号",
                (
                    _v("371329001001", "常林社区", "临沭街道常林社区党群服务中心一楼"),
                    _v("371329001002", "新兴社区", "临沭街道新兴社区党群服务中心一楼"),
                ),
            ),
        ),
    ),
)


# --- organisations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentSpec:
    key: str  # stable handle the loader uses (e.g. "police" for a 专窗)
    name: str  # full name at city level; the suffix after the county name at county level
    kind: str = DEPT_GOVERNMENT
    short_name: str = ""


CITY_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("admin", "临沂市行政审批服务局", DEPT_SERVICE_ADMIN, "市审批服务局"),
    DepartmentSpec("police", "临沂市公安局", short_name="市公安局"),
    DepartmentSpec("market", "临沂市市场监督管理局", short_name="市市场监管局"),
    DepartmentSpec("hrss", "临沂市人力资源和社会保障局", short_name="市人社局"),
    DepartmentSpec("land", "临沂市自然资源和规划局", short_name="市自然资源和规划局"),
    DepartmentSpec("housing", "临沂市住房和城乡建设局", short_name="市住建局"),
    DepartmentSpec("transport", "临沂市交通运输局", short_name="市交通运输局"),
    DepartmentSpec("health", "临沂市卫生健康委员会", short_name="市卫生健康委"),
    DepartmentSpec("education", "临沂市教育局", short_name="市教育局"),
    DepartmentSpec("civil", "临沂市民政局", short_name="市民政局"),
    DepartmentSpec("medical", "临沂市医疗保障局", short_name="市医保局"),
    DepartmentSpec("environment", "临沂市生态环境局", short_name="市生态环境局"),
    DepartmentSpec("agriculture", "临沂市农业农村局", short_name="市农业农村局"),
    DepartmentSpec("culture", "临沂市文化和旅游局", short_name="市文化和旅游局"),
    DepartmentSpec("veterans", "临沂市退役军人事务局", short_name="市退役军人局"),
    DepartmentSpec("justice", "临沂市司法局", short_name="市司法局"),
    DepartmentSpec("urban", "临沂市城市管理局", short_name="市城市管理局"),
    DepartmentSpec("water", "临沂市水利局", short_name="市水利局"),
    DepartmentSpec("commerce", "临沂市商务局", short_name="市商务局"),
    DepartmentSpec("emergency", "临沂市应急管理局", short_name="市应急局"),
    DepartmentSpec("finance", "临沂市财政局", short_name="市财政局"),
)

# Every county gets these, named "<county name><suffix>" (the police name may be overridden per county).
COUNTY_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("admin", "行政审批服务局", DEPT_SERVICE_ADMIN),
    DepartmentSpec("police", "公安局"),
    DepartmentSpec("market", "市场监督管理局"),
    DepartmentSpec("hrss", "人力资源和社会保障局"),
    DepartmentSpec("civil", "民政局"),
    DepartmentSpec("health", "卫生健康局"),
    DepartmentSpec("medical", "医疗保障局"),
)

# Every town gets a department of kind "subdistrict" named "<town name><suffix>".
TOWN_DEPARTMENT_SUFFIX = "办事处"


# --- venues and windows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowSpec:
    number: str
    name: str
    kind: str
    department_key: str = ""  # for a 专窗: the key of the department of the same level


CENTER_WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec("A01", "综合窗口", WIN_COMPREHENSIVE),
    WindowSpec("A02", "综合窗口", WIN_COMPREHENSIVE),
    WindowSpec("A03", "综合窗口", WIN_COMPREHENSIVE),
    WindowSpec("A04", "综合窗口", WIN_COMPREHENSIVE),
    WindowSpec("B01", "帮办代办窗口", WIN_ASSISTED),
    WindowSpec("C01", "办不成事反映窗口", WIN_UNRESOLVED),
    WindowSpec("D01", "跨省通办窗口", WIN_CROSS_PROVINCE),
    WindowSpec("E01", "公安专窗", WIN_DEDICATED, "police"),
    WindowSpec("E02", "市场监管专窗", WIN_DEDICATED, "market"),
)

TOWN_CENTER_WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec("A01", "综合窗口", WIN_COMPREHENSIVE),
    WindowSpec("A02", "综合窗口", WIN_COMPREHENSIVE),
    WindowSpec("B01", "帮办代办窗口", WIN_ASSISTED),
)

VILLAGE_STATION_WINDOWS: tuple[WindowSpec, ...] = (WindowSpec("A01", "综合窗口", WIN_COMPREHENSIVE),)

CENTER_SUFFIX = "政务服务中心"  # "<county name>政务服务中心"
TOWN_CENTER_SUFFIX = "便民服务中心"  # "<town name>便民服务中心"
VILLAGE_STATION_SUFFIX = "便民服务站"  # "<village name>便民服务站"


# --- people (all fictional) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    department: str  # full department name (unique across the demo data)
    role: str  # a StaffRole value
    window: tuple[str, str] | None = None  # (venue name, window number)


STAFF: tuple[StaffAccount, ...] = (
    StaffAccount("admin", "王小明", "临沂市行政审批服务局", ROLE_PLATFORM_ADMIN),
    StaffAccount("clerk", "李芳", "兰山区行政审批服务局", ROLE_WINDOW_CLERK, ("兰山区政务服务中心", "A01")),
    StaffAccount("approver", "张伟", "兰山区市场监督管理局", ROLE_APPROVER),
    StaffAccount("deptadmin", "刘洋", "兰山区市场监督管理局", ROLE_DEPARTMENT_ADMIN),
    StaffAccount("supervisor", "陈静", "临沂市行政审批服务局", ROLE_SUPERVISOR),
    StaffAccount("hotline", "赵敏", "临沂市行政审批服务局", ROLE_HOTLINE_AGENT),
    StaffAccount("clerk2", "孙丽", "罗庄区行政审批服务局", ROLE_WINDOW_CLERK, ("罗庄区政务服务中心", "A01")),
)


@dataclass(frozen=True)
class PersonSpec:
    key: str
    name: str
    county_code: str  # 常住地 and the region part of the generated ID number
    birth: dt.date
    sequence: int  # 3-digit 顺序码 of the ID number (odd = male, even = female)
    phone: str = ""


PERSONS: tuple[PersonSpec, ...] = (
    PersonSpec("zhangsan", "张三", "371302", dt.date(1986, 3, 12), 11, "13805390101"),
    PersonSpec("lisi", "李四", "371311", dt.date(1990, 7, 21), 31, "13805390102"),
    PersonSpec("wangwu", "王五", "371312", dt.date(1978, 11, 2), 15, "13805390103"),
    PersonSpec("zhaoliu", "赵六", "371321", dt.date(1995, 1, 30), 27, "13805390104"),
    PersonSpec("sunxiaohong", "孙小红", "371325", dt.date(2000, 5, 18), 42, "13805390105"),
)


@dataclass(frozen=True)
class CitizenAccount:
    username: str
    display_name: str
    person_key: str  # the natural person whose account this is


CITIZENS: tuple[CitizenAccount, ...] = (
    CitizenAccount("citizen", "张三", "zhangsan"),
    CitizenAccount("citizen2", "李四", "lisi"),
)


@dataclass(frozen=True)
class EnterpriseSpec:
    name: str
    region_code: str
    org_body: str  # 8-character organisation body of the synthetic USCC (prefix "91": 企业)
    representative_key: str


ENTERPRISES: tuple[EnterpriseSpec, ...] = (
    EnterpriseSpec("临沂沂好办示范科技有限公司", "371302", "MA3DEM01", "zhangsan"),
)
