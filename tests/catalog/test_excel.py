"""Bulk import and export of 事项 with an Excel workbook: layout, round trip, all-or-nothing, permissions,
the upload pages and the background import through the database worker."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.models import User
from yiwang.accounts.services import staff_assign, staff_create
from yiwang.audit.models import AuditEvent
from yiwang.catalog import import_views, tasks
from yiwang.catalog.choices import Necessity, TaskType
from yiwang.catalog.excel import (
    CHILD_SHEETS,
    ITEM_SHEET,
    SHEETS,
    RowError,
    WorkbookItem,
    row_errors,
    version_json,
    workbook_export,
    workbook_import,
    workbook_parse,
    workbook_template,
    workbook_write,
)
from yiwang.catalog.models import CatalogEntry, ChangeRequest, ItemDraft, ItemVersion, ServiceItem
from yiwang.catalog.schema import AutoCondition, ItemContent
from yiwang.catalog.services import catalog_entry_create, item_create, publish_directly
from yiwang.catalog.tasks import progress_path, progress_write
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.regions.models import Department
from yiwang.testing.catalog import sample_content
from yiwang.testing.world import PASSWORD, World

LICENSING = "000117051000"  # 基本编码 of a 行政许可 (positions 3–4 = 01)
NEW_ENTRY = "370120001000"  # not in the catalog yet
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def entry(world: World) -> CatalogEntry:
    return catalog_entry_create(
        actor=None, code=LICENSING, name="食品经营许可", task_type="01", legal_basis="《食品安全法》", levels=[3, 4]
    )


def rich_content(world: World) -> dict[str, Any]:
    """Every kind of cell: fees, special procedures, nested form groups, an option containing 、, text that
    starts with = (must stay text), line breaks, limits with explanations, joint departments."""
    return sample_content(
        name="=食品经营许可（变更）",
        summary="第一行\n第二行",
        legal_limit={"value": 20, "unit": "workday", "explain": "自受理之日起计算"},
        promise_limit={"value": 3, "unit": "workday"},
        joint_departments=[world.dept_a_admin.uscc],
        power_source="2",
        is_fee=True,
        fees=[
            {"name": "工本费", "standard": "10元/证", "basis": "物价文件", "reducible": True, "reduction_basis": "低保"}
        ],
        special_procedures=[
            {"type": "2", "name": "现场核查", "limit": {"value": 10, "explain": "不计入办理时限"}, "basis": "第45条"}
        ],
        steps=[
            {"name": "受理", "unit": "综合窗口", "limit": {"value": 1}},
            {"name": "核查", "unit": "食品科", "is_special": True, "special_explain": "现场核查"},
            {"name": "办结", "unit": "食品科", "limit": {"value": 1, "unit": "workday", "explain": "当日"}},
        ],
        form=[
            {"key": "category", "label": "主体业态", "type": "select", "options": ["餐饮服务、食品销售", "单位食堂"]},
            {
                "key": "staff",
                "label": "人员",
                "type": "group",
                "min_items": 1,
                "max_items": 5,
                "fields": [
                    {"key": "name", "label": "姓名", "type": "text", "required": True, "max_length": 20},
                    {
                        "key": "certs",
                        "label": "证书",
                        "type": "group",
                        "fields": [{"key": "no", "label": "证书编号", "type": "text"}],
                    },
                ],
            },
        ],
        themes=["open", "license", "work"],
        service_objects=["1", "2", "9"],
    )


def publish(world: World, entry: CatalogEntry, content: dict[str, Any], *, handle_item: str = "") -> ItemVersion:
    item = item_create(
        actor=None, entry=entry, department=world.dept_a_market, level=4, handle_item=handle_item, content=content
    )
    return publish_directly(actor=None, item=item)


def row(world: World, content: dict[str, Any], *, department: Department | None = None, **identity: Any):
    department = department or world.dept_a_market
    values = {"entry_code": LICENSING, "task_type": "01", "level": 4, "uscc": department.uscc, **identity}
    return WorkbookItem(content=content, department_name=department.name, **values)


def edit(data: bytes, sheet: str, row_number: int, header: str, value: Any) -> bytes:
    book = load_workbook(io.BytesIO(data))
    ws = book[sheet]
    column = [c.value for c in ws[1]].index(header) + 1
    ws.cell(row=row_number, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        ServiceItem.objects.count(),
        ItemDraft.objects.count(),
        CatalogEntry.objects.count(),
        AuditEvent.objects.count(),
    )


def dept_admin(world: World, department: Department, username: str = "dept_admin_b") -> User:
    user = staff_create(
        actor=None, username=username, password=PASSWORD, display_name="部门管理员", department=department
    )
    staff_assign(actor=None, user=user, role=StaffRole.DEPARTMENT_ADMIN)
    return user


# --- layout -------------------------------------------------------------------------------------------


def test_template_has_every_sheet_a_frozen_header_code_lists_and_the_explanations(db):
    book = load_workbook(io.BytesIO(workbook_template()))
    assert book.sheetnames == ["事项", "材料", "收费", "环节", "结果", "特别程序", "表单字段", "秒批规则", "说明"]
    items = book["事项"]
    headers = [c.value for c in items[1]]
    assert headers[:9] == [
        "事项编码",
        "基本编码",
        "事项名称",
        "事项类型",
        "设定依据",
        "行使层级",
        "实施主体统一社会信用代码",
        "实施主体名称",
        "业务办理项序号",
    ]
    for sheet in book.sheetnames[:-1]:
        assert book[sheet].freeze_panes == "A2"
    task_type = next(dv for dv in items.data_validations.dataValidation if "D2:D1048576" in str(dv.sqref))
    assert task_type.type == "list"
    assert task_type.formula1 == '"' + ",".join(TaskType.values) + '"'
    necessity_column = [c.value for c in book["材料"][1]].index("材料必要性") + 1
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[necessity_column - 1]
    necessity = next(
        dv for dv in book["材料"].data_validations.dataValidation if f"{letter}2:{letter}1048576" in str(dv.sqref)
    )
    assert necessity.formula1 == '"' + ",".join(Necessity.values) + '"'
    assert items.column_dimensions["B"].number_format == "@"  # 基本编码 stays text: 0001… keeps its zeros
    explained = [[c.value for c in r] for r in book["说明"].iter_rows()]
    documented = {(r[0], r[1]) for r in explained if len(r) >= 2}
    for sheet in SHEETS:
        for column in sheet.columns:
            assert (sheet.name, column.header) in documented
    assert ["事项类型代码", "01", "行政许可"] in [r[:3] for r in explained]
    assert ["材料必要性", "deferrable", "容缺后补"] in [r[:3] for r in explained]


def test_layout_covers_every_element_of_the_content_schema():
    """A new ItemContent element must get a column, or exports would silently drop it."""

    def leaves(model: Any, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for name, info in model.model_fields.items():
            annotation = info.annotation
            nested = [a for a in getattr(annotation, "__args__", (annotation,)) if hasattr(a, "model_fields")]
            if nested and getattr(annotation, "__origin__", None) is not list:
                out |= leaves(nested[0], f"{prefix}{name}.")
            else:
                out.add(f"{prefix}{name}")
        return out

    lists = {sheet.element for sheet in CHILD_SHEETS}
    assert {p for p in leaves(ItemContent) if p not in lists} == {
        c.path for c in ITEM_SHEET.columns if not c.path.startswith("@")
    }
    for sheet in CHILD_SHEETS:
        written = {c.path for c in sheet.columns if not c.path.startswith("@")}
        expected = leaves(sheet.model) - ({"fields"} if sheet.element == "form" else set())
        if sheet.element == "auto_rules":  # one row per condition: the condition's elements are columns
            expected = expected - {"conditions"} | {f"conditions.{p}" for p in leaves(AutoCondition)}
        assert written == expected, sheet.name


# --- round trip ---------------------------------------------------------------------------------------


def test_export_then_import_reproduces_every_content(world: World, entry: CatalogEntry):
    versions = [
        publish(world, entry, sample_content()),
        publish(world, entry, rich_content(world), handle_item="01"),
    ]
    data = workbook_export(ItemVersion.objects.filter(pk__in=[v.pk for v in versions]).order_by("pk"))

    parsed = workbook_parse(data)
    assert parsed.errors == []
    assert [i.content for i in parsed.items] == [v.content for v in versions]
    assert [i.code for i in parsed.items] == [v.item.code for v in versions]
    assert versions[1].content["name"] == "=食品经营许可（变更）"  # stayed text, never became a formula

    expected = {v.item.code: v.content for v in versions}
    # into an empty catalog (the 基本目录 entry stays): every item comes back as a draft with the same content
    ServiceItem.objects.update(current_version=None, state="draft")
    ItemDraft.objects.all().delete()
    ItemVersion.objects.all().delete()
    ChangeRequest.objects.all().delete()
    ServiceItem.objects.all().delete()
    result = workbook_import(actor=world.users["admin"], data=data)
    assert sorted(result.created) == sorted(expected)
    assert (result.updated, result.unchanged, result.entries_created) == ([], [], [])
    for item in ServiceItem.objects.select_related("draft"):
        assert item.draft.content == expected[item.code]
        assert item.state == "draft"  # never published by an import


def test_version_json_has_identity_number_dates_and_content(world: World, entry: CatalogEntry):
    version = publish(world, entry, sample_content())
    data = version_json(version)
    assert data["code"] == version.item.code
    assert data["catalog_code"] == LICENSING
    assert data["department"] == {"uscc": world.dept_a_market.uscc, "name": "兰山区市场监督管理局"}
    assert (data["version"], data["level"], data["task_type"]) == (1, 4, "01")
    assert data["effective_from"] == version.effective_from.isoformat()
    assert data["effective_until"] is None
    assert data["content"] == version.content
    assert data["content_hash"] == version.content_hash


# --- all or nothing -----------------------------------------------------------------------------------


def three_items(world: World, second: dict[str, Any] | None = None) -> bytes:
    return workbook_write(
        [
            row(world, sample_content()),
            row(world, second or sample_content(name="食品经营许可（延续）"), handle_item="01"),
            row(world, sample_content(name="食品经营许可（注销）"), handle_item="02"),
        ]
    )


def test_one_item_with_a_promise_beyond_the_legal_limit_writes_nothing(world: World, entry: CatalogEntry):
    data = three_items(world, sample_content(promise_limit={"value": 30, "unit": "workday"}))
    before = counts()
    with pytest.raises(DomainError) as caught:
        workbook_import(actor=world.users["admin"], data=data)
    assert caught.value.code == ErrorCode.VALIDATION
    assert row_errors(caught.value) == [
        RowError("事项", 3, "承诺办结时限", "承诺办结时限：承诺办结时限（30）不能超过法定办结时限（20）")
    ]
    assert caught.value.errors[0].field == "事项!3!承诺办结时限"
    assert counts() == before


def test_one_bad_necessity_code_in_the_materials_sheet_writes_nothing(world: World, entry: CatalogEntry):
    # 3 materials per item: the second item's second material is on row 6 of 材料
    data = edit(three_items(world), "材料", 6, "材料必要性", "必须")
    before = counts()
    with pytest.raises(DomainError) as caught:
        workbook_import(actor=world.users["admin"], data=data)
    assert row_errors(caught.value) == [
        RowError(
            "材料",
            6,
            "材料必要性",
            "材料必要性：“必须”不是有效的代码，可选：required（必要）、optional（非必要）、deferrable（容缺后补）",
        )
    ]
    assert "未导入任何内容" in caught.value.message
    assert counts() == before


def test_blank_rows_are_skipped_and_errors_keep_the_excel_row_numbers(world: World, entry: CatalogEntry):
    book = load_workbook(io.BytesIO(three_items(world)))
    book["材料"].insert_rows(3, amount=2)  # two empty rows after the first material
    out = io.BytesIO()
    book.save(out)
    data = edit(out.getvalue(), "材料", 8, "材料必要性", "必须")  # formerly row 6
    assert [(e.sheet, e.row, e.column) for e in workbook_parse(data).errors] == [("材料", 8, "材料必要性")]


def test_every_kind_of_problem_is_reported_at_its_cell(world: World, entry: CatalogEntry):
    data = workbook_write(
        [
            row(world, sample_content()),
            row(world, sample_content(), uscc="91370000MA3C00000X"),  # no such organisation
            row(world, sample_content(), level=2),  # the entry allows 3 and 4 only
            row(world, sample_content(results=[]), handle_item="05"),  # no 结果 rows
            row(world, sample_content(), entry_code="000217051000"),  # a new 基本编码 whose type digits say 02
        ]
    )
    data = edit(data, "环节", 2, "办理时限", "三天")
    data = edit(data, "表单字段", 6, "字段标识", "nobody.name")
    parsed = workbook_parse(data)
    assert {(e.sheet, e.row, e.column): e.message for e in parsed.errors} == {
        ("事项", 3, "实施主体统一社会信用代码"): "统一社会信用代码 91370000MA3C00000X 不是平台上的机构",
        ("事项", 4, "行使层级"): f"行使层级 2 不在基本目录 {LICENSING} 规定的层级（3（市级）、4（县级））之内",
        ("事项", 5, "（结果表）"): "办理结果：缺少必填字段",
        ("事项", 6, "基本编码"): "基本编码第3–4位应为事项类型代码 01",
        ("环节", 2, "办理时限"): "办理时限：“三天”不是整数",
        ("表单字段", 6, "字段标识"): "上级字段组“nobody”不存在，须先在上面的行列出字段组",
    }
    assert [i.content is None for i in parsed.items] == [True, True, True, True, True]


def test_rule_errors_inside_a_list_name_the_column_of_the_sheet(world: World, entry: CatalogEntry):
    data = workbook_write([row(world, sample_content())])
    data = edit(data, "环节", 3, "办理处室", "  ")  # blank: the step has no 办理处室
    data = edit(data, "表单字段", 2, "字段标识", "Shop Name")
    assert workbook_parse(data).errors == [
        RowError("环节", 3, "办理处室", "办理处室：缺少必填字段"),
        RowError("表单字段", 2, "字段标识", "字段标识：格式不正确"),
    ]


# --- 秒批规则, 办理机构 and 并联, 预警天数 ---------------------------------------------------------------------

LICENCE_TYPE = "11100000MB0143028L002"


def auto_content(world: World) -> dict[str, Any]:
    """A 秒批 item whose rules use every kind of 比较值: text, numbers (int and decimal), a date, lists (one
    option containing “、”), a region code that looks like a number, and no value; joint steps in parallel."""
    joint = world.dept_a_admin.uscc

    def cond(fact: str, op: str, value: Any = None, label: str = "条件") -> dict[str, Any]:
        return {"fact": fact, "op": op, "value": value, "label": label}

    return sample_content(
        auto_approval=True,
        warning_days=2,
        joint_departments=[joint],
        steps=[
            {"name": "受理", "unit": "综合窗口", "limit": {"value": 1}},
            {"name": "联合审查", "unit": "审批科", "department": joint},
            {"name": "现场核查", "unit": "食品科", "parallel": True},
        ],
        form=[
            *sample_content()["form"],
            {"key": "opening", "label": "开业日期", "type": "date"},
            {"key": "area", "label": "经营面积（平方米）", "type": "number"},
            {"key": "kind", "label": "类别", "type": "select", "options": ["餐饮服务、食品销售", "单位食堂", "其他"]},
        ],
        auto_rules=[
            {
                "name": "小型餐饮",
                "outcome": "approve",
                "reason": "经营面积在150平方米以内，当场发证",
                "conditions": [
                    cond("applicant.kind", "eq", "enterprise", "申请人为企业"),
                    cond("form.area", "gt", 0, "面积大于0"),
                    cond("form.area", "le", 150.5, "面积不超过150.5平方米"),
                    cond("form.opening", "ge", "2024-01-01", "2024年起开业"),
                    cond("form.kind", "in", ["餐饮服务、食品销售", "单位食堂"], "类别"),
                    cond("applicant.region", "in", ["371302", "371311"], "注册在兰山区或罗庄区"),
                    cond("form.shop_name", "present", None, "已填写经营者名称"),
                    cond(f"licence.{LICENCE_TYPE}.valid", "is_true", None, "营业执照有效"),
                ],
            },
            {
                "name": "面积为零",
                "outcome": "refuse",
                "reason": "没有经营场所",
                "conditions": [cond("form.area", "le", 0, "面积不大于0")],
            },
        ],
    )


def test_rules_steps_and_warning_days_survive_export_and_import(world: World, entry: CatalogEntry):
    version = publish(world, entry, auto_content(world))
    data = workbook_export(ItemVersion.objects.filter(pk=version.pk))
    rules = [[c.value for c in r] for r in load_workbook(io.BytesIO(data))["秒批规则"].iter_rows(min_row=2)]
    assert [r[1:5] for r in rules[:2]] == [
        ["小型餐饮", "approve", "经营面积在150平方米以内，当场发证", "applicant.kind"],
        ["小型餐饮", "approve", "经营面积在150平方米以内，当场发证", "form.area"],
    ]
    assert [r[6] for r in rules] == [
        "enterprise",
        0,
        150.5,
        "2024-01-01",
        "餐饮服务、食品销售\n单位食堂",
        "371302、371311",
        None,
        None,
        0,
    ]
    parsed = workbook_parse(data)
    assert parsed.errors == []
    assert parsed.items[0].content == version.content
    assert version.content["steps"][2] == {
        "name": "现场核查",
        "unit": "食品科",
        "limit": None,
        "is_special": False,
        "special_explain": "",
        "department": "",
        "parallel": True,
    }
    assert version.content["warning_days"] == 2


def test_values_typed_by_hand_are_read_as_their_fact_says(world: World, entry: CatalogEntry):
    data = workbook_write([row(world, auto_content(world))])
    data = edit(data, "秒批规则", 3, "比较值", "１")  # a full-width digit is not a number: the rules say so
    data = edit(data, "秒批规则", 4, "比较值", "200")  # text in the cell: 面积 is a number
    data = edit(data, "秒批规则", 7, "比较值", 371302)  # a number in the cell: a region code is text
    data = edit(data, "秒批规则", 5, "比较值", "2024-03-01")
    parsed = workbook_parse(data)
    assert parsed.errors == [
        RowError("秒批规则", 3, "比较值", "比较值：“大于”的比较值应为数字或日期（YYYY-MM-DD）"),
    ]
    data = edit(data, "秒批规则", 3, "比较值", 1)
    content = workbook_parse(data).items[0].content
    assert content is not None
    values = [c["value"] for c in content["auto_rules"][0]["conditions"]]
    assert values[1:6] == [1, 200, "2024-03-01", ["餐饮服务、食品销售", "单位食堂"], ["371302"]]


def test_later_rows_of_a_rule_may_leave_outcome_and_reason_blank_but_not_contradict_them(
    world: World, entry: CatalogEntry
):
    content = auto_content(world)
    data = workbook_write([row(world, content)])
    blank = edit(edit(data, "秒批规则", 3, "决定结果", " "), "秒批规则", 3, "决定理由", " ")  # None would not write
    parsed = workbook_parse(blank)
    assert parsed.errors == []
    assert parsed.items[0].content["auto_rules"] == workbook_parse(data).items[0].content["auto_rules"]
    contradicting = edit(data, "秒批规则", 4, "决定结果", "refuse")
    assert workbook_parse(contradicting).errors == [
        RowError("秒批规则", 4, "决定结果", "决定结果：与第2行（同一规则“小型餐饮”）的决定结果不一致")
    ]
    nameless = edit(data, "秒批规则", 10, "规则名称", " ")
    assert workbook_parse(nameless).errors == [
        RowError("秒批规则", 10, "规则名称", "规则名称：请填写规则名称（同一规则的各个条件行填写相同的规则名称）")
    ]


def test_rule_errors_are_reported_at_the_row_and_column_of_the_condition(world: World, entry: CatalogEntry):
    data = workbook_write([row(world, auto_content(world))])
    data = edit(data, "秒批规则", 6, "比较值", "零售")
    data = edit(data, "秒批规则", 8, "依据事实", "form.nothing")
    data = edit(data, "环节", 4, "办理机构", "91370000MA3C00000X")
    data = edit(data, "事项", 2, "预警天数", 5)
    assert sorted(workbook_parse(data).errors) == [
        RowError(
            "事项", 2, "预警天数", "预警天数：预警天数（5）应小于承诺办结时限（5个工作日），否则办件受理当天即亮黄灯"
        ),
        RowError(
            "环节",
            4,
            "办理机构",
            "办理机构：办理机构 91370000MA3C00000X 不是本事项的联办机构（须先列入联办机构；留空表示由实施主体办理）",
        ),
        RowError(
            "秒批规则", 6, "比较值", "比较值：“零售”不是“申请表·类别”的可选项（餐饮服务、食品销售、单位食堂、其他）"
        ),
        RowError("秒批规则", 8, "依据事实", "依据事实：申请表中没有字段标识为“nothing”的字段"),
    ]
    without_approval = edit(data, "事项", 2, "是否秒批", "否")
    assert (
        RowError("事项", 2, "（秒批规则表）", "秒批规则：不是秒批事项，不能设置秒批规则（请勾选“秒批”或删除规则）")
        in workbook_parse(without_approval).errors
    )


def test_the_same_item_twice_in_a_file_is_an_error_on_the_second_row(world: World, entry: CatalogEntry):
    data = workbook_write([row(world, sample_content()), row(world, sample_content(name="另一个名称"))])
    errors = workbook_parse(data).errors
    code = f"{world.dept_a_market.uscc}4{LICENSING}"
    assert RowError("事项", 3, "事项编码", f"与第2行是同一事项（{code}）") in errors


def test_a_file_that_is_not_a_workbook_or_lacks_a_sheet_is_refused(db):
    assert workbook_parse(b"not a zip").errors == [
        RowError("文件", 0, "", "文件不是有效的 Excel 工作簿（.xlsx），请使用下载的模板填写后上传")
    ]
    book = load_workbook(io.BytesIO(workbook_template()))
    del book["特别程序"]
    book["材料"].cell(row=1, column=2, value="材料代码")
    out = io.BytesIO()
    book.save(out)
    assert {(e.sheet, e.row, e.column) for e in workbook_parse(out.getvalue()).errors} == {
        ("特别程序", 0, ""),
        ("材料", 1, "材料代码"),
        ("材料", 1, "材料编码"),
    }


# --- re-import and drafts -----------------------------------------------------------------------------


def test_reimporting_the_same_file_creates_no_duplicates_and_leaves_drafts_alone(world: World, entry: CatalogEntry):
    data = three_items(world)
    admin = world.users["admin"]
    first = workbook_import(actor=admin, data=data)
    assert len(first.created) == 3
    drafts = {d.item_id: (d.revision, d.updated_at) for d in ItemDraft.objects.all()}
    events = AuditEvent.objects.count()

    second = workbook_import(actor=admin, data=data)
    assert (second.created, second.updated, len(second.unchanged)) == ([], [], 3)
    assert ServiceItem.objects.count() == 3
    assert {d.item_id: (d.revision, d.updated_at) for d in ItemDraft.objects.all()} == drafts
    assert list(AuditEvent.objects.filter(pk__gt=0).order_by("-id").values_list("action", flat=True)[:1]) == [
        "catalog.import"
    ]
    assert AuditEvent.objects.count() == events + 1  # the import's own record, nothing else

    changed = edit(data, "事项", 3, "一句话说明", "延续许可证有效期。")
    third = workbook_import(actor=admin, data=changed)
    assert (third.created, len(third.updated), len(third.unchanged)) == ([], 1, 2)
    item = ServiceItem.objects.get(handle_item_code__endswith="01")
    assert item.draft.revision == 2
    assert item.draft.content["summary"] == "延续许可证有效期。"
    assert item.state == "draft"


def test_import_updates_the_draft_of_a_published_item_without_publishing(world: World, entry: CatalogEntry):
    version = publish(world, entry, sample_content())
    data = workbook_export(ItemVersion.objects.filter(pk=version.pk))
    data = edit(data, "事项", 2, "办理时间", "周一至周六 9:00-17:00")
    result = workbook_import(actor=world.users["admin"], data=data)
    assert result.updated == [version.item.code]
    item = ServiceItem.objects.get(pk=version.item_id)
    assert item.current_version_id == version.pk
    assert item.versions.count() == 1
    assert item.draft.content["transact_time"] == "周一至周六 9:00-17:00"


def test_a_platform_admin_may_create_catalog_entries_with_the_items(world: World):
    data = workbook_write([row(world, sample_content(), entry_code=NEW_ENTRY, task_type="01", level=4)])
    result = workbook_import(actor=world.users["admin"], data=data)
    assert result.entries_created == [NEW_ENTRY]
    created = CatalogEntry.objects.get(code=NEW_ENTRY)
    assert (created.name, created.task_type, created.levels) == ("食品经营许可（新办）", "01", [4])
    event = AuditEvent.objects.get(action="catalog.import")
    assert event.actor_username == "admin"
    assert event.changes == {"created": 1, "updated": 0, "unchanged": 0, "entries_created": [NEW_ENTRY]}


# --- permissions --------------------------------------------------------------------------------------


def test_a_department_admin_of_another_department_is_refused_per_row_and_nothing_is_written(
    world: World, entry: CatalogEntry
):
    admin_b = dept_admin(world, world.dept_b_admin)
    data = workbook_write(
        [
            row(world, sample_content()),
            row(world, sample_content(), department=world.dept_b_admin),  # its own department: fine
            row(world, sample_content(), handle_item="01"),
            row(world, sample_content(), department=world.dept_b_admin, entry_code=NEW_ENTRY),
        ]
    )
    before = counts()
    with pytest.raises(DomainError) as caught:
        workbook_import(actor=admin_b, data=data)
    refusal = "您无权编辑“兰山区市场监督管理局”的事项（只能导入本部门或本级管辖范围内的事项）"
    assert row_errors(caught.value) == [
        RowError("事项", 2, "实施主体统一社会信用代码", refusal),
        RowError("事项", 4, "实施主体统一社会信用代码", refusal),
        RowError(
            "事项",
            5,
            "基本编码",
            f"基本编码 {NEW_ENTRY} 不在基本目录中；只有政务服务管理机构可以新增基本目录，请先联系其添加",
        ),
    ]
    assert {e.code for e in caught.value.errors} == {ErrorCode.PERMISSION_DENIED.value}
    assert counts() == before

    own = workbook_write([row(world, sample_content(), department=world.dept_b_admin)])
    assert len(workbook_import(actor=admin_b, data=own).created) == 1


# --- pages --------------------------------------------------------------------------------------------


def upload_file(data: bytes, name: str = "事项.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def test_only_catalog_editors_may_use_the_import_pages(world: World):
    url = reverse("catalog_import:upload")
    assert Client().get(url).status_code == 302  # to the log-in page
    for username in ("clerk_a", "approver_a", "supervisor", "citizen_owner"):
        client = Client()
        client.force_login(world.users[username])
        assert client.get(url).status_code == 403, username
        assert client.get(reverse("catalog_import:template")).status_code == 403, username
    client = Client()
    client.force_login(world.users["admin"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert "catalog-import.css" in html
    download = client.get(reverse("catalog_import:template"))
    assert download["Content-Type"] == XLSX
    assert "attachment" in download["Content-Disposition"]
    assert load_workbook(io.BytesIO(download.content)).sheetnames[0] == "事项"


def test_upload_without_a_csrf_token_is_refused(world: World, entry: CatalogEntry):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["admin"])
    response = client.post(reverse("catalog_import:upload"), {"file": upload_file(three_items(world))})
    assert response.status_code == 403
    assert ServiceItem.objects.count() == 0


def test_a_small_upload_is_imported_at_once_and_the_outcome_shown(world: World, entry: CatalogEntry):
    client = Client()
    client.force_login(world.users["admin"])
    response = client.post(reverse("catalog_import:upload"), {"file": upload_file(three_items(world))})
    assert response.status_code == 200
    html = response.content.decode()
    assert "导入完成" in html
    assert "新增事项 <strong>3</strong> 个" in html
    assert ServiceItem.objects.count() == 3


def test_an_upload_with_errors_shows_the_error_table_and_writes_nothing(world: World, entry: CatalogEntry):
    client = Client()
    client.force_login(world.users["admin"])
    data = edit(three_items(world), "材料", 6, "材料必要性", "必须")
    html = client.post(reverse("catalog_import:upload"), {"file": upload_file(data)}).content.decode()
    assert '<th scope="col">表</th><th scope="col">行</th><th scope="col">列</th><th scope="col">问题</th>' in html
    assert "<tr><td>材料</td><td>6</td><td>材料必要性</td><td>材料必要性：“必须”不是有效的代码" in html
    assert 'role="alert"' in html
    assert ServiceItem.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("事项.xls", b"whatever", "请上传 .xlsx 格式的 Excel 工作簿"),
        ("事项.xlsx", b"PK\x03\x04 not really", "文件不是有效的 Excel 工作簿（.xlsx）"),
    ],
)
def test_an_upload_that_is_not_an_xlsx_is_refused(world: World, name: str, data: bytes, message: str):
    client = Client()
    client.force_login(world.users["admin"])
    html = client.post(reverse("catalog_import:upload"), {"file": upload_file(data, name)}).content.decode()
    assert message in html
    assert 'class="field has-error"' in html


def test_the_export_holds_the_published_items_the_user_may_edit_in_a_fixed_number_of_queries(
    world: World, entry: CatalogEntry
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(world.users["admin"])
    publish(world, entry, sample_content())

    def export() -> tuple[int, list[Any]]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("catalog_import:export"))
        assert response.status_code == 200
        rows = list(load_workbook(io.BytesIO(response.content))["事项"].iter_rows(min_row=2, values_only=True))
        return len(queries), rows

    one_queries, one = export()
    publish(world, entry, sample_content(), handle_item="01")
    publish(world, entry, sample_content(), handle_item="02")
    three_queries, three = export()
    assert (len(one), len(three)) == (1, 3)
    assert three_queries == one_queries  # no query per item
    other = Client()
    other.force_login(dept_admin(world, world.dept_b_admin))
    response = other.get(reverse("catalog_import:export"))
    assert list(load_workbook(io.BytesIO(response.content))["事项"].iter_rows(min_row=2)) == []  # not its items


def test_the_json_of_a_published_version_is_public(world: World, entry: CatalogEntry):
    version = publish(world, entry, sample_content())
    response = Client().get(reverse("catalog_import:version_json", args=[version.pk]))
    assert response.status_code == 200
    assert response.json() == version_json(version)
    assert response["ETag"] == f'"{version.content_hash}"'
    missing = Client().get(reverse("catalog_import:version_json", args=[version.pk + 1000]))
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"


def test_a_large_upload_is_queued_and_its_progress_partial_polls(world: World, entry: CatalogEntry, monkeypatch):
    monkeypatch.setattr(import_views, "SYNC_ITEM_LIMIT", 2)
    client = Client()
    client.force_login(world.users["admin"])
    response = client.post(reverse("catalog_import:upload"), {"file": upload_file(three_items(world))})
    assert response.status_code == 302
    import_id = response["Location"].rstrip("/").split("/")[-1]
    assert response["Location"] == reverse("catalog_import:job", args=[import_id])
    assert ServiceItem.objects.count() == 0  # nothing yet: the worker has not run
    page = client.get(response["Location"]).content.decode()
    assert "排队等待中" in page
    progress_write(import_id, 3, 10)
    partial = client.get(reverse("catalog_import:job_status", args=[import_id])).content.decode()
    status_url = reverse("catalog_import:job_status", args=[import_id])
    assert f'hx-get="{status_url}" hx-trigger="every 1s" hx-swap="outerHTML"' in partial
    assert '<progress aria-labelledby="import-progress-label" max="10" value="3">3 / 10</progress>' in partial
    stranger = Client()
    stranger.force_login(dept_admin(world, world.dept_a_market, "dept_admin_a"))
    assert stranger.get(status_url).status_code == 404  # someone else's import


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks, as in production
def test_a_queued_import_runs_for_real_in_the_database_worker(world: World, entry: CatalogEntry, monkeypatch):
    monkeypatch.setattr(import_views, "SYNC_ITEM_LIMIT", 2)
    client = Client()
    client.force_login(world.users["admin"])
    good = client.post(reverse("catalog_import:upload"), {"file": upload_file(three_items(world))})
    bad_file = edit(three_items(world), "事项", 2, "行使层级", "9")
    bad = client.post(reverse("catalog_import:upload"), {"file": upload_file(bad_file)})
    good_id, bad_id = (r["Location"].rstrip("/").split("/")[-1] for r in (good, bad))
    assert not progress_path(good_id).exists()  # queued: no progress yet
    written: list[tuple[str, int, int]] = []

    def spy(result_id: str, done: int, total: int) -> None:
        written.append((result_id, done, total))
        progress_write(result_id, done, total)

    monkeypatch.setattr(tasks, "progress_write", spy)

    call_command("db_worker", batch=True, no_startup_delay=True, interval=0)

    assert (good_id, 0, 3) in written and (good_id, 3, 3) in written  # the file the partial reads

    done = client.get(reverse("catalog_import:job_status", args=[good_id])).content.decode()
    assert "hx-trigger" not in done  # finished: polling stops
    assert "导入完成" in done
    assert "新增事项 <strong>3</strong> 个" in done
    assert not progress_path(good_id).exists()
    refused = client.get(reverse("catalog_import:job_status", args=[bad_id])).content.decode()
    assert "<tr><td>事项</td><td>2</td><td>行使层级</td>" in refused
    assert ServiceItem.objects.count() == 3  # the good file only; its twin with the error wrote nothing
    assert AuditEvent.objects.filter(action="catalog.import").count() == 1
