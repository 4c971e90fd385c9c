"""The application form (申请表): validation, parsing the page's POST, display and the rendered inputs.

The form is a realistic 个人申请表 built with the demo helpers (``person_form``) and dumped through the
catalog schema, exactly as ``version.content["form"]`` holds it.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.http import QueryDict
from django.template import Context, Template
from stdnum.cn import ric

from tests.browser.conftest import axe_violations, browser, page  # noqa: F401 — Chromium fixtures
from yiwang.cases.form_data import form_display, form_from_post, form_validate
from yiwang.catalog.demo.spec import field, person_form
from yiwang.catalog.schema import FormField
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_id_number, make_uscc

ID_NUMBER = make_id_number("371302", dt.date(1958, 3, 9), 21)  # a 68-year-old applicant
MEMBER_ID = make_id_number("371302", dt.date(1960, 5, 1), 42)
USCC = make_uscc("91", "371302", "MA0B0001")
WRONG_CHECK = {"0": "1", "1": "2", "2": "3", "3": "4", "4": "5", "5": "6", "6": "7", "7": "8", "8": "9", "9": "X"}


def _dump(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [FormField.model_validate(f).model_dump(mode="json") for f in fields]


FORM = _dump(
    person_form(
        field("birth_date", "出生日期", "date"),
        field("kind", "备案类型", "select", options=["异地长期居住", "常驻异地工作", "临时外出就医"]),
        field("place", "就医地", "region", help="选择就医所在的县区或街道"),
        field("area", "住房面积（平方米）", "number", required=False),
        field("employer", "工作单位统一社会信用代码", "uscc", required=False),
        field("address", "居住地址", "address"),
        field(
            "members",
            "家庭成员",
            "group",
            required=False,
            min_items=1,
            max_items=3,
            fields=[
                field("name", "姓名", max_length=20),
                field("relation", "与申请人关系", "select", options=["配偶", "子女", "父母"]),
                field("member_id", "身份证号", "id_number", required=False),
                field("town", "居住街道", "region", required=False),
            ],
        ),
        field("proof", "居住证明", "file", required=False, max_items=2),
    )
)

GOOD = {
    "applicant_name": "  王秀兰 ",
    "id_number": ID_NUMBER.lower(),
    "phone": "138 0539 8888",
    "birth_date": "1958/3/9",
    "kind": "异地长期居住",
    "place": "371302001",
    "area": "86.5",
    "employer": USCC.lower(),
    "address": "临沂市兰山区金雀山路8号",
    "members": [
        {"name": "李建国", "relation": "配偶", "member_id": MEMBER_ID, "town": "371302001"},
        {"name": "李明", "relation": "子女"},
    ],
    "proof": [5, 6],
}
CLEANED = {
    "applicant_name": "王秀兰",
    "id_number": ID_NUMBER.upper(),
    "phone": "13805398888",
    "birth_date": "1958-03-09",
    "kind": "异地长期居住",
    "place": "371302001",
    "area": 86.5,
    "employer": USCC,
    "address": "临沂市兰山区金雀山路8号",
    "members": [
        {"name": "李建国", "relation": "配偶", "member_id": MEMBER_ID, "town": "371302001"},
        {"name": "李明", "relation": "子女"},
    ],
    "proof": [5, 6],
}


def _mine(upload_id: int) -> bool:
    return upload_id in {5, 6}


def _errors(data: Any, *, fields: list[dict[str, Any]] = FORM, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(DomainError) as caught:
        form_validate(fields=fields, data=data, upload_ok=kwargs.pop("upload_ok", _mine), **kwargs)
    assert caught.value.code == ErrorCode.VALIDATION
    assert caught.value.message == "申请表填写有误，请按提示修改"
    return [(e.field, e.message) for e in caught.value.errors]


def _with(**changes: Any) -> dict[str, Any]:
    data = {**GOOD, **changes}
    return {k: v for k, v in data.items() if v is not None}


def _wrong_check(number: str) -> str:
    return number[:17] + WRONG_CHECK.get(number[17], "0")


# --- form_validate -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_complete_form_is_cleaned_with_one_query_for_every_region(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        cleaned = form_validate(fields=FORM, data=GOOD, upload_ok=_mine)

    assert cleaned == CLEANED
    assert isinstance(cleaned["area"], float)


@pytest.mark.django_db
def test_empty_optional_fields_are_left_out_of_the_cleaned_data(world):
    data = _with(area="  ", employer="", proof=[], members=[{"name": "李建国", "relation": "配偶", "member_id": ""}])

    cleaned = form_validate(fields=FORM, data=data, upload_ok=_mine)

    assert "area" not in cleaned and "employer" not in cleaned and "proof" not in cleaned
    assert cleaned["members"] == [{"name": "李建国", "relation": "配偶"}]


@pytest.mark.django_db
def test_an_empty_form_names_every_required_field(world):
    assert _errors({}) == [
        ("form.applicant_name", "申请人姓名：请填写"),
        ("form.id_number", "公民身份号码：请填写"),
        ("form.phone", "联系电话：请填写"),
        ("form.birth_date", "出生日期：请填写"),
        ("form.kind", "备案类型：请选择"),
        ("form.place", "就医地：请选择"),
        ("form.address", "居住地址：请填写"),
        ("form.members", "家庭成员：请至少填写1项"),
    ]


@pytest.mark.django_db
def test_every_problem_is_listed_at_once_in_form_order(world):
    data = {
        "applicant_name": "王" * 51,
        "id_number": _wrong_check(ID_NUMBER),
        "phone": "12345",
        "birth_date": "23/11/2026",
        "kind": "旅游",
        "place": "371399",
        "area": "八十",
        "employer": USCC[:17],
        "address": "路" * 301,
        "members": [
            {"name": "李建国", "relation": "配偶"},
            {"name": "", "relation": "表亲", "member_id": "3713", "town": "999999"},
        ],
        "proof": [5, 99],
        "nickname": "秀兰",
    }

    assert _errors(data) == [
        ("form.applicant_name", "申请人姓名：最多填写50个字，现在有51个字"),
        ("form.id_number", "公民身份号码：身份证号校验位不正确，请逐位核对，特别是最后一位"),
        ("form.phone", "联系电话：请填写11位手机号，或带区号的固定电话，例如 0539-1234567"),
        ("form.birth_date", "出生日期：日期格式应为 年-月-日，例如 2026-11-23"),
        ("form.kind", "备案类型：请从列表中选择"),
        ("form.place", "就医地：所选地区不存在，请重新选择"),
        ("form.area", "住房面积（平方米）：请填写数字，例如 3 或 2.5"),
        ("form.employer", "工作单位统一社会信用代码：统一社会信用代码应为18位，您填写了17位"),
        ("form.address", "居住地址：最多填写300个字，现在有301个字"),
        ("form.members.1.name", "家庭成员第2项·姓名：请填写"),
        ("form.members.1.relation", "家庭成员第2项·与申请人关系：请从列表中选择"),
        ("form.members.1.member_id", "家庭成员第2项·身份证号：身份证号应为18位，您填写了4位"),
        ("form.members.1.town", "家庭成员第2项·居住街道：所选地区不存在，请重新选择"),
        ("form.proof", "居住证明：文件不存在或不属于您"),
        ("form.nickname", "nickname：未知字段，本申请表没有这一项，请刷新页面后重新填写"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "value", "cleaned"),
    [
        ("phone", "0539-1234567", "0539-1234567"),  # 固定电话 with its area code
        ("phone", "+86 138-0539-8888", "13805398888"),
        ("phone", "１３８０５３９８８８８", "13805398888"),  # full-width digits from a Chinese IME
        ("area", "１２０", 120),
        ("area", "1,200", 1200),
        ("area", 75, 75),
        ("area", 75.25, 75.25),
        ("birth_date", "1958年3月9日", "1958-03-09"),
        ("birth_date", "1958-03-09", "1958-03-09"),
        ("place", "371302", "371302"),
        ("place", "371302001001", "371302001001"),
        ("kind", " 临时外出就医 ", "临时外出就医"),
    ],
)
def test_values_are_normalised(world, key, value, cleaned):
    assert form_validate(fields=FORM, data=_with(**{key: value}), upload_ok=_mine)[key] == cleaned


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("id_number", ID_NUMBER[:17], "公民身份号码：身份证号应为18位，您填写了17位"),
        ("id_number", "37130219580309A021", "公民身份号码：身份证号只能是数字，最后一位可以是X"),
        ("id_number", _wrong_check(ID_NUMBER), "公民身份号码：身份证号校验位不正确，请逐位核对，特别是最后一位"),
        (
            "id_number",
            "37130219580230021" + ric.calc_check_digit("371302195802300210"),
            "公民身份号码：身份证号中的出生日期不存在",
        ),
        (
            "id_number",
            make_id_number("371302", dt.date(2999, 1, 1), 1),
            "公民身份号码：身份证号中的出生日期不合理",
        ),
        (
            "employer",
            USCC[:17] + ("0" if USCC[17] != "0" else "1"),
            "工作单位统一社会信用代码：统一社会信用代码校验不通过，请对照营业执照逐位核对",
        ),
        ("phone", "2345678", "联系电话：请填写11位手机号，或带区号的固定电话，例如 0539-1234567"),
        ("phone", "12805398888", "联系电话：请填写11位手机号，或带区号的固定电话，例如 0539-1234567"),
        ("birth_date", "1958-02-30", "出生日期：没有1958年2月30日这一天，请核对"),
        ("birth_date", "1858-03-09", "出生日期：年份应在1900年到2100年之间，请核对"),
        ("birth_date", 19580309, "出生日期：内容格式不正确，请重新填写"),
        ("place", "3713", "就医地：请从列表中选择"),
        ("area", True, "住房面积（平方米）：请填写数字，例如 3 或 2.5"),
        ("area", "1e9", "住房面积（平方米）：请填写数字，例如 3 或 2.5"),
        ("area", "1000000000000000", "住房面积（平方米）：数字太大，请核对"),
        ("applicant_name", ["王秀兰"], "申请人姓名：内容格式不正确，请重新填写"),
        ("members", {"name": "李建国"}, "家庭成员：内容格式不正确，请刷新页面后重新填写"),
        ("proof", "5", "居住证明：内容格式不正确，请刷新页面后重新上传"),
        ("proof", ["5"], "居住证明：文件不存在或不属于您"),
    ],
)
def test_a_wrong_value_is_refused_with_a_message_saying_what_to_fix(world, key, value, message):
    assert _errors(_with(**{key: value})) == [(f"form.{key}", message)]


@pytest.mark.django_db
def test_a_group_holds_between_min_items_and_max_items_rows(world):
    fields = _dump([field("members", "家庭成员", "group", min_items=2, max_items=3, fields=[field("name", "姓名")])])

    assert _errors({"members": [{"name": "李建国"}]}, fields=fields) == [
        ("form.members", "家庭成员：至少填写2项，现有1项")
    ]
    assert _errors({"members": [{"name": "甲"}, {"name": "乙"}, {"name": "丙"}, {"name": "丁"}]}, fields=fields) == [
        ("form.members", "家庭成员：最多填写3项，现有4项，请删去多余的")
    ]
    assert _errors({}, fields=fields) == [("form.members", "家庭成员：请至少填写2项")]
    rows = [{"name": "甲"}, {"name": "乙"}, {"name": "丙"}]
    assert form_validate(fields=fields, data={"members": rows}) == {"members": rows}


@pytest.mark.django_db
def test_an_unknown_key_is_refused_at_the_top_and_inside_a_group_row(world):
    data = _with(members=[{"name": "李建国", "relation": "配偶", "age": "66"}], hobby="太极")

    assert _errors(data) == [
        ("form.members.0.age", "家庭成员第1项·age：未知字段，本申请表没有这一项，请刷新页面后重新填写"),
        ("form.hobby", "hobby：未知字段，本申请表没有这一项，请刷新页面后重新填写"),
    ]


@pytest.mark.django_db
def test_data_that_is_not_an_object_is_refused(world):
    assert _errors(["王秀兰"]) == [("form", "申请表：提交的内容格式不正确，请刷新页面后重新填写")]


@pytest.mark.django_db
def test_an_upload_that_is_not_the_applicants_is_refused_and_not_kept(world):
    asked: list[int] = []

    def upload_ok(upload_id: int) -> bool:
        asked.append(upload_id)
        return upload_id == 5

    assert _errors(_with(proof=[5, 7]), upload_ok=upload_ok) == [("form.proof", "居住证明：文件不存在或不属于您")]
    assert asked == [5, 7]


@pytest.mark.django_db
def test_without_an_ownership_check_every_upload_is_refused(world):
    assert _errors(_with(proof=[5]), upload_ok=None) == [("form.proof", "居住证明：文件不存在或不属于您")]
    assert "proof" not in form_validate(fields=FORM, data=_with(proof=None), upload_ok=None)


@pytest.mark.django_db
def test_too_many_uploads_are_refused(world):
    assert _errors(_with(proof=[5, 6, 7]), upload_ok=lambda _id: True) == [
        ("form.proof", "居住证明：最多上传2个文件，现有3个，请删去多余的")
    ]
    assert form_validate(fields=FORM, data=_with(proof=[5, 5, 6]), upload_ok=_mine)["proof"] == [5, 6]


# --- drafts (partial=True) -----------------------------------------------------------------------------------


def test_a_draft_keeps_whatever_was_typed_without_a_query():
    """No django_db mark: a query would fail the test."""
    draft = {
        "applicant_name": " 王秀兰",
        "id_number": "3713021958",  # not finished yet
        "phone": "138",
        "birth_date": "1958年3月",
        "place": "371399",
        "area": "八十多",
        "members": [{"name": "李建国", "relation": "表亲"}],
        "proof": [5],
    }

    assert form_validate(fields=FORM, data=draft, upload_ok=_mine, partial=True) == draft
    assert form_validate(fields=FORM, data={}, partial=True) == {}


def test_a_draft_is_still_checked_for_shape_unknown_keys_and_uploads():
    draft = {
        "applicant_name": "王" * 10001,
        "phone": {"number": "138"},
        "members": [{"name": "李建国", "pet": "猫"}, {"name": "李明"}, {"name": "甲"}, {"name": "乙"}],
        "proof": [5, 8],
        "nickname": "秀兰",
    }

    assert _errors(draft, partial=True) == [
        ("form.applicant_name", "申请人姓名：内容太长，草稿最多保存10000个字"),
        ("form.phone", "联系电话：内容格式不正确"),
        ("form.members", "家庭成员：最多填写3项，现有4项，请删去多余的"),
        ("form.proof", "居住证明：文件不存在或不属于您"),
        ("form.nickname", "nickname：未知字段，本申请表没有这一项，请刷新页面后重新填写"),
    ]
    assert _errors({"members": [{"name": "李建国", "pet": "猫"}]}, partial=True) == [
        ("form.members.0.pet", "家庭成员第1项·pet：未知字段，本申请表没有这一项，请刷新页面后重新填写")
    ]


# --- form_from_post ------------------------------------------------------------------------------------------


def _post(pairs: list[tuple[str, str]]) -> QueryDict:
    post = QueryDict(mutable=True)
    for name, value in pairs:
        post.appendlist(name, value)
    return post


@pytest.mark.django_db
def test_a_posted_form_is_read_back_and_validates(world):
    post = _post(
        [
            ("csrfmiddlewaretoken", "x"),
            ("form.applicant_name", " 王秀兰 "),
            ("form.id_number", ID_NUMBER),
            ("form.phone", "13805398888"),
            ("form.birth_date", "1958-03-09"),
            ("form.kind", "异地长期居住"),
            ("form.place", "371302001"),
            ("form.area", ""),
            ("form.employer", ""),
            ("form.address", "临沂市兰山区金雀山路8号"),
            ("form.members.0.name", "李建国"),
            ("form.members.0.relation", "配偶"),
            ("form.members.0.member_id", ""),
            ("form.members.0.town", ""),
            ("form.members.10.name", "李明"),  # rows are ordered by number, not text
            ("form.members.10.relation", "子女"),
            ("form.members.2.name", "  "),  # the spare empty row
            ("form.members.2.relation", ""),
            ("form.proof", "5"),
            ("form.proof", "6"),
            ("upload.proof", ""),
        ]
    )

    data = form_from_post(fields=FORM, post=post)

    assert data == {
        "applicant_name": " 王秀兰 ",
        "id_number": ID_NUMBER,
        "phone": "13805398888",
        "birth_date": "1958-03-09",
        "kind": "异地长期居住",
        "place": "371302001",
        "address": "临沂市兰山区金雀山路8号",
        "members": [{"name": "李建国", "relation": "配偶"}, {"name": "李明", "relation": "子女"}],
        "proof": [5, 6],
    }
    assert form_validate(fields=FORM, data=data, upload_ok=_mine)["members"] == data["members"]


def test_a_tampered_upload_id_is_kept_for_validation_to_refuse():
    data = form_from_post(fields=FORM, post=_post([("form.proof", "5"), ("form.proof", "../etc")]))

    assert data == {"proof": [5, "../etc"]}
    assert _errors(data, partial=True) == [("form.proof", "居住证明：文件不存在或不属于您")]


# --- form_display --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_display_masks_id_numbers_and_phones_and_names_regions_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        shown = form_display(fields=FORM, data=CLEANED | {"area": 86.5, "employer": ""})

    summary = [(e["label"], e["value"], e["masked"]) for e in shown]
    assert summary == [
        ("申请人姓名", "王秀兰", False),
        ("公民身份号码", ID_NUMBER[:4] + "**********" + ID_NUMBER[-4:], True),
        ("联系电话", "138****8888", True),
        ("出生日期", "1958-03-09", False),
        ("备案类型", "异地长期居住", False),
        ("就医地", "山东省临沂市兰山区兰山街道", False),
        ("住房面积（平方米）", "86.5", False),
        ("工作单位统一社会信用代码", "未填写", False),
        ("居住地址", "临沂市兰山区金雀山路8号", False),
        ("家庭成员", "共2项", False),
        ("居住证明", "共2个文件", False),
    ]
    assert ID_NUMBER not in str(shown) and "13805398888" not in str(shown)
    assert shown[7]["empty"] is True
    assert shown[10]["uploads"] == [5, 6]
    first, second = shown[9]["rows"]
    assert [(e["label"], e["value"], e["masked"]) for e in first] == [
        ("姓名", "李建国", False),
        ("与申请人关系", "配偶", False),
        ("身份证号", MEMBER_ID[:4] + "**********" + MEMBER_ID[-4:], True),
        ("居住街道", "山东省临沂市兰山区兰山街道", False),
    ]
    assert [(e["value"], e["empty"]) for e in second] == [
        ("李明", False),
        ("子女", False),
        ("未填写", True),
        ("未填写", True),
    ]


def test_the_display_of_a_form_without_regions_needs_no_query():
    shown = form_display(fields=FORM, data={"phone": "0539-1234567"})  # no django_db: a query would fail

    assert shown[2]["value"] == "053*****4567" and shown[2]["masked"] is True
    assert shown[0] == {
        "key": "applicant_name",
        "label": "申请人姓名",
        "type": "text",
        "value": "未填写",
        "empty": True,
        "masked": False,
        "rows": [],
        "uploads": [],
    }


# --- the rendered inputs -------------------------------------------------------------------------------------


def _render(values: dict[str, Any], errors: dict[str, str] | None = None, **extra: Any) -> str:
    template = Template(
        "{% load case_forms %}{% case_form_fields fields values errors uploads=uploads summary=summary %}"
    )
    context = {"fields": FORM, "values": values, "errors": errors or {}, "uploads": {}, "summary": True, **extra}
    return template.render(Context(context))


class _Inputs(HTMLParser):
    """What a browser would post for the rendered form (file inputs left out), plus every element by id."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.by_id: dict[str, dict[str, str | None]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.by_id[str(a["id"])] = {"tag": tag, **a}
        if tag == "input":
            if a.get("type") != "file" and (a.get("type") != "checkbox" or "checked" in a):
                self.pairs.append((str(a["name"]), a.get("value") or ""))
        elif tag == "select":
            self._select = str(a["name"])
        elif tag == "option" and self._select and "selected" in a:
            self.pairs.append((self._select, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = str(a["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.pairs.append((self._textarea, data))
            self._textarea = None


def _parse(html: str) -> _Inputs:
    parser = _Inputs()
    parser.feed(html)
    return parser


@pytest.mark.django_db
def test_the_rendered_inputs_post_back_the_same_data(world):
    parsed = _parse(_render(CLEANED))

    data = form_from_post(fields=FORM, post=_post(parsed.pairs))

    assert data == {**CLEANED, "area": "86.5", "proof": [5, 6]}
    assert form_validate(fields=FORM, data=data, upload_ok=_mine) == CLEANED


@pytest.mark.django_db
def test_the_inputs_have_labels_required_markers_help_and_input_types(world, django_assert_num_queries):
    with django_assert_num_queries(1):  # the region choices, once for all region inputs
        html = _render({"members": [{"name": "李建国", "relation": "配偶"}]})
    el = _parse(html).by_id

    assert '<label for="form-applicant_name">申请人姓名<span class="req">（必填）</span></label>' in html
    assert '<label for="form-area">住房面积（平方米）</label>' in html
    assert el["form-applicant_name"] == {
        "tag": "input",
        "type": "text",
        "name": "form.applicant_name",
        "id": "form-applicant_name",
        "value": "",
        "maxlength": "50",
        "autocomplete": "name",
        "aria-required": "true",
    }
    assert (el["form-phone"]["type"], el["form-phone"]["inputmode"], el["form-phone"]["autocomplete"]) == (
        "tel",
        "tel",
        "tel",
    )
    assert el["form-id_number"]["autocomplete"] == "off"
    assert el["form-birth_date"]["type"] == "date"
    assert el["form-area"]["inputmode"] == "decimal" and "aria-required" not in el["form-area"]
    assert el["form-address"]["tag"] == "textarea" and el["form-address"]["maxlength"] == "300"
    assert el["form-kind"]["tag"] == "select"
    assert '<option value="">请选择</option>\n    <option value="异地长期居住">异地长期居住</option>' in html
    assert el["form-place"]["aria-describedby"] == "form-place-help"
    assert '<p class="help" id="form-place-help">选择就医所在的县区或街道</p>' in html
    assert '<option value="371302001">兰山区 · 兰山街道</option>' in html
    # The group: a fieldset with a legend, the filled row, one spare row (min 1, max 3), numbered.
    assert el["form-members"]["tag"] == "fieldset"
    assert "<legend>家庭成员 第1项</legend>" in html
    assert '<legend>家庭成员 第2项<span class="muted">（选填，不需要可留空）</span></legend>' in html
    assert "家庭成员 第3项" not in html
    assert el["form-members-0-name"]["value"] == "李建国"
    assert el["form-members-0-name"]["aria-required"] == "true"
    assert "aria-required" not in el["form-members-1-name"]
    assert "autocomplete" not in el["form-members-0-name"]
    # The file field: a note tied to the input, and the upload input the page turns into ids.
    assert el["form-proof"] == {
        "tag": "input",
        "type": "file",
        "name": "upload.proof",
        "id": "form-proof",
        "multiple": None,
        "aria-describedby": "form-proof-help",
    }
    assert "error-summary" not in html


@pytest.mark.django_db
def test_errors_are_shown_under_their_inputs_and_listed_with_links(world):
    errors = {
        "form.phone": "联系电话：请填写",
        "form.members.1.relation": "家庭成员第2项·与申请人关系：请选择",
        "form.members": "家庭成员：至少填写2项，现有1项",
        "form.nickname": "nickname：未知字段，本申请表没有这一项，请刷新页面后重新填写",
    }
    values = {"members": [{"name": "李建国", "relation": "配偶"}, {"name": "李明"}], "proof": [5]}

    html = _render(values, errors, uploads={5: "居住证明.jpg"})
    el = _parse(html).by_id

    assert el["form-phone"]["aria-invalid"] == "true"
    assert el["form-phone"]["aria-describedby"] == "form-phone-error"
    assert '<p class="field-error" id="form-phone-error">联系电话：请填写</p>' in html
    assert html.index('id="form-phone"') < html.index('id="form-phone-error"') < html.index('id="form-birth_date"')
    relation = el["form-members-1-relation"]
    assert (relation["aria-invalid"], relation["aria-describedby"]) == ("true", "form-members-1-relation-error")
    assert "家庭成员第2项·与申请人关系：请选择</p>" in html
    assert el["form-members"]["aria-describedby"] == "form-members-help form-members-error"
    assert "aria-invalid" not in el["form-applicant_name"]
    assert '<div class="error-summary case-form-summary" role="alert">' in html
    assert "<p>申请表有4处需要修改：</p>" in html
    assert '<li><a href="#form-phone">联系电话：请填写</a></li>' in html
    assert '<li><a href="#form-members-1-relation">家庭成员第2项·与申请人关系：请选择</a></li>' in html
    assert "<li>nickname：未知字段，本申请表没有这一项，请刷新页面后重新填写</li>" in html
    # The attached upload stays ticked (untick to remove) and is named.
    assert el["form-proof-keep-5"] == {
        "tag": "input",
        "type": "checkbox",
        "name": "form.proof",
        "value": "5",
        "id": "form-proof-keep-5",
        "checked": None,
    }
    assert '<label for="form-proof-keep-5">保留：居住证明.jpg（编号 5）</label>' in html
    assert "家庭成员 第3项" in html  # two rows filled, one spare up to max_items 3


@pytest.mark.django_db
def test_a_date_typed_in_another_shape_stays_visible_as_text(world):
    el = _parse(_render({"birth_date": "1958年3月9日"}, {"form.birth_date": "出生日期：…"}, summary=False)).by_id

    assert (el["form-birth_date"]["type"], el["form-birth_date"]["value"]) == ("text", "1958年3月9日")


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_the_rendered_form_passes_axe(world, page, large):  # noqa: F811 — the Chromium fixture
    css = Path(__import__("yiwang").__file__).with_name("static").joinpath("yiwang", "site.css").read_text()
    errors = {"form.phone": "联系电话：请填写", "form.members.0.relation": "家庭成员第1项·与申请人关系：请选择"}
    fields_html = _render({"members": [{"name": "李建国"}], "proof": [5]}, errors, uploads={5: "证明.jpg"})
    page.set_content(
        f'<!doctype html><html lang="zh-CN"{" class=large" if large else ""}><head><meta charset="utf-8">'
        f"<title>申请表</title><style>{css}</style></head><body><main><h1>填写申请表</h1>"
        f'<form method="post" class="form" novalidate>{fields_html}'
        '<button type="submit" class="btn btn-primary">提交申请</button></form></main></body></html>'
    )

    assert axe_violations(page) == []
