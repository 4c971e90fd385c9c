"""办事指南 and 派生清单 pages: search and filters, the guide (current and old versions), browse pages, the
derived lists with their CSV / Excel downloads, and a fixed number of queries however many items exist."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from yiwang.catalog.choices import ChangeKind
from yiwang.catalog.models import CatalogEntry, ServiceItem
from yiwang.catalog.selectors import DERIVED_LISTS, GuideFilter, derived_list, guide_list
from yiwang.catalog.services import (
    catalog_entry_create,
    change_approve,
    change_submit,
    draft_update,
    item_create,
    publish_directly,
)
from yiwang.regions.models import Department
from yiwang.testing.catalog import sample_content
from yiwang.testing.world import World

ROW_NAMES = re.compile(r'<li class="guide-row">\s*<h3><a href="[^"]+">([^<]+)</a></h3>')
TABLE_NAMES = re.compile(r'<th scope="row" data-label="事项名称"><a href="[^"]+">([^<]+)</a></th>')

FOOD = "食品经营许可（新办）"
BIRTH = "出生医学证明办理"
FIRE = "建设工程消防设计审查"
DRAFT = "尚未发布的事项"
CANCELLED = "已取消的事项"

_codes = iter(range(1, 10_000))


def _entry(name: str, task_type: str = "01") -> CatalogEntry:
    return catalog_entry_create(
        actor=None,
        code=f"00{task_type}{next(_codes):05d}000",
        name=name,
        task_type=task_type,
        legal_basis="《中华人民共和国行政许可法》",
        levels=[3, 4, 5],
    )


def _item(department: Department, level: int, task_type: str = "01", **overrides) -> ServiceItem:
    content = sample_content(**overrides)
    return item_create(
        actor=None, entry=_entry(content["name"], task_type), department=department, level=level, content=content
    )


def _published(department: Department, level: int = 4, task_type: str = "01", **overrides) -> ServiceItem:
    item = _item(department, level, task_type, **overrides)
    publish_directly(actor=None, item=item)
    item.refresh_from_db()
    return item


BIRTH_CONTENT = {
    "name": BIRTH,
    "summary": "新生儿出生后，由助产机构为其签发出生医学证明。",
    "service_objects": ["1"],
    "case_kind": "1",
    "legal_limit": {"value": 20, "unit": "workday"},
    "promise_limit": {"value": 0, "unit": "workday"},
    "online_depth": 3,
    "visits": 1,
    "visits_explain": "须现场核验新生儿和父母身份",
    "in_hall": False,
    "not_in_hall_reason": "由助产机构在医院内直接办理",
    "transact_address": "",
    "transact_time": "",
    "commitment": False,
    "commitment_text": "",
    "auto_approval": True,
    "form": [
        {"key": "newborn_name", "label": "新生儿姓名", "type": "text", "required": True},
        {"key": "place", "label": "分娩地点", "type": "select", "required": True, "options": ["本院", "院外"]},
    ],
    "auto_rules": [
        {
            "name": "本院分娩",
            "outcome": "approve",
            "conditions": [{"fact": "form.place", "op": "eq", "value": "本院", "label": "在本院分娩"}],
            "reason": "在本院分娩的新生儿，出生信息已由助产机构登记",
        }
    ],
    "high_frequency": False,
    "themes": ["birth"],
    "results": [{"type": "document", "name": "出生医学证明"}],
    "materials": [
        {"code": "household", "name": "户口簿", "source": "government", "shared_data_code": "HK-001"},
        {"code": "parents_id", "name": "父母身份证", "originals": 1, "copies": 2},
    ],
}

FIRE_CONTENT = {
    "name": FIRE,
    "summary": "新建、扩建、改建建设工程，开工前须通过消防设计审查。",
    "legal_limit": {"value": 15, "unit": "workday", "explain": "依《建设工程消防设计审查验收管理暂行规定》"},
    "promise_limit": {"value": 10, "unit": "workday"},
    "online_depth": 3,
    "visits": 1,
    "visits_explain": "领取审查意见书",
    "commitment": False,
    "commitment_text": "",
    "is_fee": True,
    "fees": [{"name": "技术审查费", "standard": "按建筑面积每平方米0.5元", "basis": "省物价局文件"}],
    "special_procedures": [{"type": "2", "name": "专家评审", "limit": {"value": 10}}],
    "themes": ["build"],
    "high_frequency": False,
    "materials": [{"code": "design", "name": "消防设计文件", "originals": 2}],
}


@dataclass
class Guides:
    food: ServiceItem
    birth: ServiceItem
    fire: ServiceItem
    draft: ServiceItem
    cancelled: ServiceItem


@pytest.fixture
def guides(world: World) -> Guides:
    """Three published items (兰山区 county ×2, 临沂市 city ×1), one draft and one cancelled item."""
    food = _published(world.dept_a_market)
    birth = _published(world.dept_a_admin, task_type="07", **BIRTH_CONTENT)
    fire = _published(world.city_admin_dept, level=3, **FIRE_CONTENT)
    draft = _item(world.dept_a_market, 4, name=DRAFT)
    cancelled = _published(world.dept_b_admin, name=CANCELLED)
    change = change_submit(actor=None, item_id=cancelled.pk, kind=ChangeKind.CANCEL, reason="事项已取消")
    change_approve(actor=None, change_id=change.pk)
    return Guides(food, birth, fire, draft, cancelled)


def _get(path: str, params: dict | None = None, expect: int = 200) -> str:
    response = Client().get(path, params or {})
    assert response.status_code == expect, response.content.decode()[:500]
    return response.content.decode()


def _names(page: str) -> list[str]:
    return [html.unescape(n) for n in ROW_NAMES.findall(page)]


def _detail(item: ServiceItem) -> str:
    return reverse("catalog:guide_detail", args=[item.code])


# --- the list --------------------------------------------------------------------------------------------


def test_list_shows_every_item_in_effect_and_nothing_else(guides: Guides):
    page = _get(reverse("catalog:guide_list"))
    assert sorted(_names(page)) == sorted([FIRE, FOOD, BIRTH])
    # in the order the selector gives (the pages and the API list items the same way)
    assert _names(page) == [v.name for v in guide_list(filters=GuideFilter())]
    assert "共 3 项" in page
    assert DRAFT not in page
    assert CANCELLED not in page


def test_each_row_shows_department_time_limit_visits_and_badges(guides: Guides):
    page = _get(reverse("catalog:guide_list"), {"q": "食品"})
    row = page.split('<li class="guide-row">')[1].split("</li>\n")[0]
    assert "兰山区市场监督管理局" in row
    assert "<dt>承诺时限</dt><dd>5个工作日</dd>" in row
    assert "<dt>跑动次数</dt><dd>0 次</dd>" in row
    badges = re.findall(r'<li class="badge badge-\w+">([^<]+)</li>', row)
    assert badges == ["全程网办", "告知承诺", "容缺受理"]
    birth = _get(reverse("catalog:guide_list"), {"q": "出生"})
    assert re.findall(r'<li class="badge badge-\w+">([^<]+)</li>', birth) == ["即办", "秒批"]
    assert "<dt>承诺时限</dt><dd>当场办结</dd>" in birth


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "食品"}, [FOOD]),
        ({"q": "许可"}, [FOOD]),
        ({"q": "消防"}, [FIRE]),
        ({"q": "不存在的事项"}, []),
        ({"level": "3"}, [FIRE]),
        ({"level": "4"}, [FOOD, BIRTH]),
        ({"level": "5"}, []),
        ({"audience": "person"}, [BIRTH]),
        ({"audience": "organisation"}, [FIRE, FOOD]),
        ({"theme": "birth"}, [BIRTH]),
        ({"theme": "open"}, [FOOD]),
        ({"theme": "build"}, [FIRE]),
        ({"online": "1"}, [FOOD]),
        ({"level": "4", "audience": "organisation"}, [FOOD]),
        ({"audience": "person", "theme": "open"}, []),
        # values that are not options are ignored, not errors
        ({"level": "abc", "audience": "martian", "theme": "nope", "online": "yes"}, [FIRE, FOOD, BIRTH]),
        ({"department": "9" * 30, "level": "٣"}, [FIRE, FOOD, BIRTH]),
    ],
)
def test_search_and_filters_return_exactly_the_matching_items(guides: Guides, params: dict, expected: list[str]):
    assert sorted(_names(_get(reverse("catalog:guide_list"), params))) == sorted(expected)


def test_search_by_task_code_and_filter_by_department(world: World, guides: Guides):
    assert _names(_get(reverse("catalog:guide_list"), {"q": guides.birth.task_code})) == [BIRTH]
    page = _get(reverse("catalog:guide_list"), {"department": str(world.dept_a_market.pk)})
    assert _names(page) == [FOOD]
    assert f'<option value="{world.dept_a_market.pk}" selected>兰山区市场监督管理局</option>' in page
    # the department filter offers only departments with items in effect
    assert "罗庄区行政审批服务局" not in page


def test_every_filter_control_has_a_label(guides: Guides):
    page = _get(reverse("catalog:guide_list"))
    form = page.split('<form class="guide-filters"')[1].split("</form>")[0]
    ids = re.findall(r'<(?:input|select) id="([^"]+)"', form)
    assert ids == ["f-q", "f-department", "f-level", "f-audience", "f-theme", "f-online"]
    for control in ids:
        assert f'<label for="{control}">' in form


def test_list_is_paginated_by_twenty_and_keeps_the_filters(world: World):
    for n in range(23):
        _published(world.dept_a_market, name=f"测试事项{n:02d}")
    first = _get(reverse("catalog:guide_list"), {"q": "测试"})
    assert len(_names(first)) == 20
    assert "共 23 项" in first
    assert 'href="?q=%E6%B5%8B%E8%AF%95&amp;page=2" rel="next"' in first
    second = _get(reverse("catalog:guide_list"), {"q": "测试", "page": "2"})
    assert _names(second) == ["测试事项20", "测试事项21", "测试事项22"]
    # a page number out of range shows the last page, not an error
    assert _names(_get(reverse("catalog:guide_list"), {"q": "测试", "page": "99"})) == _names(second)


# --- the guide ---------------------------------------------------------------------------------------------


def test_guide_shows_every_element_of_the_item(guides: Guides):
    page = _get(_detail(guides.food))
    assert f'<h1 id="guide-title">{FOOD}</h1>' in page
    assert "开办餐馆、超市等销售食品前，须取得食品经营许可证。" in page
    assert "申请人已取得营业执照等合法主体资格" in page
    # both time limits, with their unit
    assert "<dt>法定办结时限</dt><dd>20个工作日</dd>" in page
    assert "<dt>承诺办结时限</dt><dd>5个工作日</dd>" in page
    assert "<p>不收费。</p>" in page
    # steps, place and time, contacts, remedies, results, 告知承诺
    for text in (
        "食品经营许可科",
        "兰山区政务服务中心二楼 综合窗口",
        "周一至周五 9:00-17:00",
        "<dt>咨询方式</dt><dd>0539-12345</dd>",
        "<dt>行政复议机关</dt><dd>兰山区人民政府</dd>",
        "<dt>行政诉讼</dt><dd>兰山区人民法院</dd>",
        "食品经营许可证（证照）",
        "本人承诺所提交材料真实有效，经营场所符合食品安全要求。",
        "<dt>办理形式</dt><dd>窗口办理、电脑端网上办理、移动端网上申请</dd>",
        "<dt>网上办理深度</dt><dd>全程网办</dd>",
        "<dt>服务对象</dt><dd>企业法人、非法人企业</dd>",
        "第 1 版",
        f'href="/api/v1/catalog/items/{guides.food.code}"',
    ):
        assert text in page, text


def test_materials_are_marked_exempt_and_deferrable(guides: Guides):
    page = _get(_detail(guides.food))
    rows = page.split('<table class="table table-stack materials">')[1].split("</table>")[0].split("<tr")[2:]
    assert len(rows) == 3
    licence, rules, plan = rows
    assert "营业执照" in licence and "免提交（可调用电子证照）" in licence
    assert "政府部门核发" in licence
    assert "食品安全管理制度" in rules and '<span class="mark mark-deferrable">容缺后补</span>' in rules
    assert "免提交" not in rules
    assert "经营场所平面图" in plan and "免提交" not in plan and "容缺后补" not in plan
    assert "原件 1 份" in plan
    birth = _get(_detail(guides.birth))
    assert "户口簿" in birth and "免提交（可调用共享数据）" in birth
    assert "原件 1 份；复印件 2 份" in birth


def test_guide_of_an_instant_item_with_fees_and_special_procedures(guides: Guides):
    birth = _get(_detail(guides.birth))
    assert "<dt>承诺办结时限</dt><dd>当场办结</dd>" in birth
    assert "<dt>办件类型</dt><dd>即办件</dd>" in birth
    assert "由助产机构在医院内直接办理" in birth
    assert 'id="s-commitment"' not in birth
    fire = _get(_detail(guides.fire))
    assert "<dt>法定办结时限</dt><dd>15个工作日（依《建设工程消防设计审查验收管理暂行规定》）</dd>" in fire
    assert "技术审查费" in fire and "按建筑面积每平方米0.5元" in fire
    assert "专家评审" in fire and "所需时间不计入办结时限" in fire
    assert "<dt>行使层级</dt><dd>市级</dd>" in fire


def test_an_old_version_stays_reachable_and_says_it_is_old(guides: Guides):
    item = guides.food
    draft = item.draft
    draft_update(
        actor=None,
        item_id=item.pk,
        content=sample_content(promise_limit={"value": 3, "unit": "workday"}),
        revision=draft.revision,
    )
    publish_directly(actor=None, item=item)
    current = _get(_detail(item))
    assert "<dt>承诺办结时限</dt><dd>3个工作日</dd>" in current
    assert "第 2 版" in current
    assert "历史版本" not in current
    assert f'href="{reverse("catalog:guide_version", args=[item.code, 1])}"' in current
    old = _get(reverse("catalog:guide_version", args=[item.code, 1]))
    assert "<dt>承诺办结时限</dt><dd>5个工作日</dd>" in old
    assert "您正在查看的是<strong>历史版本</strong>（第 1 版" in old
    assert f'<a href="{_detail(item)}">查看现行版本</a>' in old
    assert f'href="/api/v1/catalog/items/{item.code}/versions/1"' in old
    _get(reverse("catalog:guide_version", args=[item.code, 9]), expect=404)


def test_cancelled_draft_and_unknown_items_are_not_found(guides: Guides):
    assert "事项不存在或您无权查看" in _get(_detail(guides.cancelled), expect=404)
    _get(_detail(guides.draft), expect=404)
    _get(reverse("catalog:guide_version", args=[guides.draft.code, 1]), expect=404)
    _get(reverse("catalog:guide_detail", args=["1" * 31]), expect=404)
    _get("/guide/not-a-code/", expect=404)


# --- browse pages ------------------------------------------------------------------------------------------


def test_departments_page_counts_items_per_department(world: World, guides: Guides, django_assert_num_queries):
    _published(world.dept_a_market, name="食品经营许可（变更）")
    with django_assert_num_queries(1):
        page = _get(reverse("catalog:guide_departments"))
    counts = re.findall(r'<span class="dept-name">([^<]+)</span><span class="dept-count">(\d+) 项</span>', page)
    assert counts == [("临沂市行政审批服务局", "1"), ("兰山区市场监督管理局", "2"), ("兰山区行政审批服务局", "1")]
    assert f'href="/guide/?department={world.dept_a_market.pk}"' in page


def test_themes_page_has_person_and_organisation_tiles(guides: Guides, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = _get(reverse("catalog:guide_themes"))
    person = page.split('id="theme-person"')[1].split("</section>")[0]
    organisation = page.split('id="theme-organisation"')[1].split("</section>")[0]
    assert "?audience=person&amp;theme=birth" in person
    assert re.search(r"<strong>出生</strong>.*?<span class=\"tile-count\">1 项事项</span>", person)
    assert "开办企业" not in person
    assert re.search(r"<strong>开办企业</strong>.*?<span class=\"tile-count\">1 项事项</span>", organisation)
    assert re.search(r"<strong>工程建设</strong>.*?<span class=\"tile-count\">1 项事项</span>", organisation)
    assert re.search(r"<strong>变更注销</strong>.*?<span class=\"tile-count\">0 项事项</span>", organisation)


# --- derived lists -------------------------------------------------------------------------------------------


def test_lists_index_shows_the_eight_lists_with_counts(guides: Guides, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = _get(reverse("catalog:lists_index"))
    found = re.findall(r'<h2><a href="/guide/lists/([-a-z]+)/">([^<]+)</a></h2>', page)
    assert found == [(key, title) for key, (title, _criteria) in DERIVED_LISTS.items()]
    counts = dict(zip((k for k, _t in found), re.findall(r'<span class="count">共 (\d+) 项</span>', page), strict=True))
    assert counts == {
        "licensing": "2",  # food, fire (birth is 行政确认)
        "commitment": "1",
        "deferrable": "1",
        "licence-free": "2",  # food and birth fetch their certificates; fire uses none, so it is not listed
        "fully-online": "1",
        "not-fully-online": "2",
        "not-in-hall": "1",
        "high-frequency": "1",
    }


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("licensing", [FIRE, FOOD]),
        ("commitment", [FOOD]),
        ("deferrable", [FOOD]),
        ("fully-online", [FOOD]),
        ("not-fully-online", [FIRE, BIRTH]),
        ("not-in-hall", [BIRTH]),
        ("high-frequency", [FOOD]),
    ],
)
def test_each_derived_list_shows_its_items(guides: Guides, key: str, expected: list[str]):
    page = _get(reverse("catalog:list_detail", args=[key]))
    names = [html.unescape(n) for n in TABLE_NAMES.findall(page)]
    assert sorted(names) == sorted(expected)
    assert names == [v.name for v in derived_list(key=key)]
    assert f"<caption>{DERIVED_LISTS[key][0]}（共 {len(expected)} 项）</caption>" in page
    assert f'href="/guide/lists/{key}.csv"' in page
    assert f'href="/guide/lists/{key}.xlsx"' in page
    assert f'href="/api/v1/catalog/lists/{key}"' in page


def test_deferrable_list_names_the_materials_and_not_in_hall_list_the_reason(guides: Guides):
    deferrable = _get(reverse("catalog:list_detail", args=["deferrable"]))
    assert '<th scope="col">可容缺后补的材料</th>' in deferrable
    assert '<td data-label="可容缺后补的材料">食品安全管理制度</td>' in deferrable
    not_in_hall = _get(reverse("catalog:list_detail", args=["not-in-hall"]))
    assert '<td data-label="不进驻大厅的理由">由助产机构在医院内直接办理</td>' in not_in_hall
    _get(reverse("catalog:list_detail", args=["no-such-list"]), expect=404)
    _get("/guide/lists/no-such-list.csv", expect=404)


def test_csv_download_is_utf8_with_bom_and_has_the_rows(guides: Guides):
    response = Client().get(reverse("catalog:list_csv", args=["deferrable"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "%E5%AE%B9%E7%BC%BA" in response["Content-Disposition"]  # 容缺…
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "事项名称", "实施编码", "事项类型"]
    assert rows[0][-1] == "可容缺后补的材料"
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["序号"] == "1"
    assert record["事项名称"] == FOOD
    assert record["实施编码"] == guides.food.code
    assert record["实施主体"] == "兰山区市场监督管理局"
    assert record["承诺办结时限"] == "5个工作日"
    assert record["可容缺后补的材料"] == "食品安全管理制度"
    licensing = Client().get(reverse("catalog:list_csv", args=["licensing"])).content.decode("utf-8-sig")
    assert [r[1] for r in csv.reader(io.StringIO(licensing))][1:] == [v.name for v in derived_list(key="licensing")]
    assert sorted([r[1] for r in csv.reader(io.StringIO(licensing))][1:]) == sorted([FIRE, FOOD])


def test_xlsx_download_opens_with_openpyxl_and_has_the_rows(guides: Guides):
    response = Client().get(reverse("catalog:list_xlsx", args=["not-in-hall"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["进驻大厅负面清单"]
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "事项名称", "实施编码")
    assert rows[0][-1] == "不进驻大厅的理由"
    assert len(rows) == 2
    assert rows[1][0] == 1
    assert rows[1][1] == BIRTH
    assert rows[1][2] == guides.birth.code
    assert rows[1][-1] == "由助产机构在医院内直接办理"


def test_downloads_never_turn_text_into_a_formula(world: World):
    _published(world.dept_a_market, name="=HYPERLINK(1)", high_frequency=True)
    text = Client().get(reverse("catalog:list_csv", args=["high-frequency"])).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][1] == "'=HYPERLINK(1)"
    content = Client().get(reverse("catalog:list_xlsx", args=["high-frequency"])).content
    cell = load_workbook(io.BytesIO(content)).active["B2"]
    assert cell.value == "=HYPERLINK(1)"
    assert cell.data_type == "s"


# --- query counts --------------------------------------------------------------------------------------------


@pytest.fixture(params=[3, 30], ids=["3-items", "30-items"])
def many(world: World, request) -> int:
    departments = [world.dept_a_market, world.dept_a_admin, world.city_admin_dept]
    offline = {
        "online_depth": 3,
        "visits": 1,
        "visits_explain": "须现场核验原件",
        "in_hall": False,
        "not_in_hall_reason": "在部门驻地办理",
    }
    for n in range(request.param):  # every list has at least one item, so every page reads its rows
        extra = offline if n % 3 == 1 else {}
        _published(departments[n % 3], level=3 if n % 3 == 2 else 4, name=f"批量事项{n:02d}", **extra)
    return request.param


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/guide/", 3),  # departments of the filter, count, page
        ("/guide/?q=批量&level=4&audience=organisation&theme=open&online=1", 3),
        ("/guide/lists/", 1),  # one aggregate for the eight counts
        *[(f"/guide/lists/{key}/", 2) for key in DERIVED_LISTS],  # count, page
        ("/guide/lists/deferrable.csv", 1),
        ("/guide/lists/not-in-hall.xlsx", 1),
        ("/guide/departments/", 1),
        ("/guide/themes/", 1),
    ],
)
def test_pages_run_a_fixed_number_of_queries(many: int, path: str, queries: int, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(queries):
        response = client.get(path)
    assert response.status_code == 200


def test_guide_detail_runs_a_fixed_number_of_queries(world: World, django_assert_num_queries):
    item = _published(world.dept_a_market)
    with django_assert_num_queries(3):  # item, version, version history
        assert Client().get(_detail(item)).status_code == 200
