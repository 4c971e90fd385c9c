"""The demo catalog: enough published items of the demo region to show every guide, filter and flag."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command

from yiwang.audit.models import AuditEvent
from yiwang.catalog.choices import ItemState
from yiwang.catalog.demo import catalog_demo_is_loaded, catalog_demo_load, loader
from yiwang.catalog.demo.spec import ItemSpec, content, result
from yiwang.catalog.models import CatalogEntry, ItemVersion, ServiceItem
from yiwang.catalog.rules import check_content
from yiwang.catalog.services import known_usccs
from yiwang.core.errors import DomainError
from yiwang.regions.models import Department

pytestmark = pytest.mark.django_db

REQUIRED_ITEMS = (
    "企业设立登记",
    "企业变更登记",
    "企业注销登记",
    "食品经营许可",
    "出生医学证明",
    "出生登记",
    "户口迁入",
    "居民身份证申领",
    "居民身份证换领",
    "社会保障卡申领",
    "就业登记",
    "失业保险金申领",
    "职工正常退休核准",
    "结婚登记",
    "离婚登记",
    "残疾人证",
    "建筑工程施工许可",
    "不动产转移登记",
    "机动车驾驶证有效期满换证",
    "城乡居民基本医疗保险参保登记",
    "住房公积金购房提取",
    "药品零售企业经营许可",
    "公共场所卫生许可",
    "道路货物运输经营许可",
    "排污许可",
    "临时救助",
    "最低生活保障",
    "高龄津贴",
    "义务教育入学",
    "特种设备使用登记",
    "城市道路占用、挖掘许可",
    "居住证申领",
    "生育登记",
)


def test_demo_catalog_publishes_items_across_departments_and_levels():
    summary = catalog_demo_load()
    assert summary.created is True
    assert catalog_demo_is_loaded()
    versions = list(ItemVersion.objects.filter(effective_until__isnull=True).select_related("department"))
    assert summary.published == len(versions) >= 120
    assert summary.items == ServiceItem.objects.filter(state=ItemState.PUBLISHED).count() == len(versions)
    assert summary.departments >= 12
    assert {3, 4, 5} <= set(summary.levels)
    names = {v.department.name for v in versions}
    for county in ("兰山区", "罗庄区", "河东区"):
        assert f"{county}市场监督管理局" in names
    assert "兰山街道办事处" in names
    assert {"临沂市市场监督管理局", "临沂市公安局兰山分局"} <= names
    titles = [v.name for v in versions]
    for wanted in REQUIRED_ITEMS:
        assert any(wanted in title for title in titles), wanted
    # Replicated county items are items of their own, each with its county's department and address.
    food = [v for v in versions if v.name.startswith("食品经营许可")]
    assert {v.department.name for v in food} == {f"{c}市场监督管理局" for c in ("兰山区", "罗庄区", "河东区")}
    assert all(v.department.name[:3] in v.content["transact_address"] for v in food)


def test_demo_catalog_flags_materials_and_rules():
    summary = catalog_demo_load()
    versions = list(ItemVersion.objects.filter(effective_until__isnull=True))
    flags = summary.flags
    assert flags["commitment"] == sum(v.commitment for v in versions) >= 10
    assert flags["deferrable"] == sum(v.deferrable for v in versions) >= 10
    assert flags["is_instant"] == sum(v.is_instant for v in versions) >= 15
    assert flags["is_fully_online"] == sum(v.is_fully_online for v in versions) >= 20
    assert flags["auto_approval"] == sum(v.auto_approval for v in versions) >= 5
    assert flags["high_frequency"] >= 15
    assert flags["not_in_hall"] == sum(not v.in_hall for v in versions) >= 5
    assert all(v.content["promise_limit"]["value"] == 0 for v in versions if v.is_instant)
    assert all(v.visits == 0 for v in versions if v.is_fully_online)
    assert all(v.content["commitment_text"] for v in versions if v.commitment)
    assert all(v.content["form"] for v in versions if v.auto_approval)
    assert all(v.content["auto_rules"] for v in versions if v.auto_approval)
    assert not any(v.content["auto_rules"] for v in versions if not v.auto_approval)
    assert all(v.content["warning_days"] < v.promise_days for v in versions if v.promise_days)
    assert all(v.content["not_in_hall_reason"] for v in versions if not v.in_hall)
    themed = [v for v in versions if v.themes]
    assert len(themed) >= 0.9 * len(versions)
    assert any(v.for_persons for v in themed) and any(v.for_organisations for v in themed)

    # Shared materials: one code, one licence type code, wherever it is asked for or issued.
    users: dict[str, int] = defaultdict(int)
    licence_codes: dict[str, set[str]] = defaultdict(set)
    issued: dict[str, set[str]] = defaultdict(set)
    for version in versions:
        for material in version.content["materials"]:
            users[material["code"]] += 1
            licence_codes[material["code"]].add(material["licence_type_code"])
        for res in version.content["results"]:
            if res["licence_type_code"]:
                issued[res["licence_type_code"]].add(res["name"].split("（")[0])
    assert max(users.values()) >= 5
    assert users["id_card"] >= 5 and users["business_licence"] >= 5
    assert len([code for code, found in licence_codes.items() if found - {""}]) >= 5
    assert all(len(found - {""}) <= 1 for found in licence_codes.values()), licence_codes
    assert all(len(names) == 1 for names in issued.values()), issued

    # Every published content passes the publishing rules, 联办机构 resolved to real organisations.
    usccs = known_usccs()
    for version in versions:
        parsed, errors = check_content(version.content, known_usccs=usccs)
        assert parsed is not None, (version.name, [e.message for e in errors])
    joint = [v for v in versions if v.content["joint_departments"]]
    assert joint and all(set(v.content["joint_departments"]) <= usccs for v in joint)
    assert all(len(v.content["steps"]) <= 5 for v in joint)


def test_demo_load_command_reports_items_and_a_second_load_creates_nothing():
    out = StringIO()
    call_command("demo", "load", stdout=out)
    assert "事项：已发布" in out.getvalue()
    assert "层级 市级、县级、镇（街道）级" in out.getvalue()
    before = (
        CatalogEntry.objects.count(),
        ServiceItem.objects.count(),
        ItemVersion.objects.count(),
        AuditEvent.objects.count(),
    )
    again = catalog_demo_load()
    assert again.created is False
    assert again.published == before[2]
    after = (
        CatalogEntry.objects.count(),
        ServiceItem.objects.count(),
        ItemVersion.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_a_broken_demo_item_names_itself_and_loads_nothing(monkeypatch):
    broken = content(
        "演示坏事项",
        summary="承诺时限超过法定时限",
        basis="测试",
        accept="测试",
        legal=5,
        promise=9,
        results=[result("测试结果", "record")],
        materials=[],
    )
    spec = ItemSpec("000109999000", "演示坏事项", "01", "测试", (4,), "兰山区民政局", broken)
    monkeypatch.setattr(loader, "SPECS", (spec,))
    with pytest.raises(DomainError) as caught:
        catalog_demo_load()
    assert "演示坏事项" in caught.value.message and "兰山区民政局" in caught.value.message
    assert "承诺办结时限（9）不能超过法定办结时限（5）" in caught.value.message
    assert caught.value.errors
    assert not ServiceItem.objects.exists() and not CatalogEntry.objects.exists()
    assert not Department.objects.exists()  # one transaction: the region demo loaded with it is rolled back too
