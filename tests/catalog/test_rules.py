"""Publishing rules of the 秒批 rules, the steps (办理机构, 并联) and 黄灯预警: each error names its element in
Chinese, at its path. Pure: no database."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from yiwang.catalog.rules import check_content
from yiwang.catalog.schema import AutoCondition, AutoOperator, AutoOperatorCode, AutoOutcomeCode, AutoRule
from yiwang.testing.catalog import sample_content

JOINT = "11371302MB0000001X"  # shape only: rules without known_usccs do not look organisations up
LICENCE_TYPE = "11100000MB0143028L002"
HINT = "form.<字段标识>、applicant.age、applicant.kind、applicant.region、enterprise.uscc、licence.<证照类型代码>.valid"


def cond(fact: str, op: str, value: Any = None, label: str = "条件") -> dict[str, Any]:
    return {"fact": fact, "op": op, "value": value, "label": label}


def approve(*conditions: dict[str, Any], name: str = "规则一") -> dict[str, Any]:
    return {"name": name, "outcome": "approve", "conditions": list(conditions), "reason": "符合条件"}


def auto(*rules: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The sample content (form: shop_name text, uscc, category select 餐饮服务/食品销售, staff group) as 秒批."""
    return sample_content(auto_approval=True, auto_rules=list(rules), **overrides)


def errors_of(content: dict[str, Any]) -> list[tuple[str, str]]:
    parsed, errors = check_content(content)
    assert (parsed is None) == bool(errors)
    return [(e.field, e.message) for e in errors]


def test_the_code_lists_spell_the_same_values_as_the_schema_literals():
    assert set(AutoOperatorCode.values) == set(get_args(AutoOperator))
    assert set(AutoOutcomeCode.values) == set(get_args(AutoRule.model_fields["outcome"].annotation))


def test_a_rule_set_using_every_operator_on_fitting_facts_passes():
    content = auto(
        approve(
            cond("applicant.kind", "eq", "person"),
            cond("applicant.age", "ge", 18),
            cond("applicant.age", "lt", 60.5),
            cond("applicant.region", "in", ["371302", "371311"]),
            cond("form.category", "ne", "餐饮服务"),
            cond("form.category", "not_in", ["餐饮服务"]),
            cond("form.shop_name", "present"),
            cond("form.staff", "present"),
            cond(f"licence.{LICENCE_TYPE}.valid", "is_true"),
            cond("enterprise.uscc", "present"),
        ),
        {
            "name": "营业执照已失效",
            "outcome": "refuse",
            "reason": "营业执照已失效",
            "conditions": [cond(f"licence.{LICENCE_TYPE}.valid", "is_false")],
        },
    )
    assert errors_of(content) == []


def test_a_date_field_compares_with_iso_dates():
    form = [*sample_content()["form"], {"key": "opening", "label": "开业日期", "type": "date"}]
    content = auto(
        approve(cond("form.opening", "ge", "2024-01-01"), cond("form.opening", "le", "2024-12-31")), form=form
    )
    assert errors_of(content) == []
    wrong = auto(approve(cond("form.opening", "ge", "2024-02-30"), cond("form.opening", "eq", 20240101)), form=form)
    assert errors_of(wrong) == [
        (
            "auto_rules.0.conditions.0.value",
            "秒批规则第1项·条件第1项·比较值：“大于或等于”的比较值应为数字或日期（YYYY-MM-DD）",
        ),
        (
            "auto_rules.0.conditions.1.value",
            "秒批规则第1项·条件第2项·比较值：“申请表·开业日期”是日期，比较值“20240101”应为 YYYY-MM-DD 格式的日期",
        ),
    ]


def test_an_auto_approval_item_needs_an_approving_rule():
    refusing_only = {
        "name": "未满18周岁",
        "outcome": "refuse",
        "reason": "未成年",
        "conditions": [cond("applicant.age", "lt", 18)],
    }
    expected = [("auto_rules", "秒批规则：秒批事项须至少有一条决定结果为“通过”的秒批规则")]
    assert errors_of(auto()) == expected
    assert errors_of(auto(refusing_only)) == expected


def test_rules_only_on_auto_approval_items():
    content = sample_content(auto_rules=[approve(cond("applicant.age", "ge", 18))])
    assert errors_of(content) == [("auto_rules", "秒批规则：不是秒批事项，不能设置秒批规则（请勾选“秒批”或删除规则）")]


def test_rule_names_are_unique_within_an_item():
    content = auto(approve(cond("applicant.age", "ge", 18)), approve(cond("applicant.age", "ge", 60)))
    assert errors_of(content) == [("auto_rules.1.name", "秒批规则第2项·规则名称：规则名称“规则一”重复")]


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        ("form.income", "申请表中没有字段标识为“income”的字段"),
        ("form.staff.name", "“form.staff.name”：只能引用申请表的顶层字段（form.字段标识）"),
        ("tax.paid", f"未知的事实“tax.paid”，可用：{HINT}"),
        ("applicant.income", f"未知的事实“applicant.income”，可用：{HINT}"),
        ("licence.ABC.valid", f"未知的事实“licence.ABC.valid”，可用：{HINT}"),
    ],
)
def test_a_fact_must_be_known_and_a_form_fact_must_name_a_top_level_field(fact: str, message: str):
    content = auto(approve(cond("applicant.age", "ge", 18), cond(fact, "present")))
    assert errors_of(content) == [("auto_rules.0.conditions.1.fact", f"秒批规则第1项·条件第2项·依据事实：{message}")]


@pytest.mark.parametrize(
    ("condition", "where", "message"),
    [
        (cond("form.category", "in", "餐饮服务"), "value", "“属于”须列出一个或多个比较值"),
        (cond("form.category", "not_in", []), "value", "“不属于”须列出一个或多个比较值"),
        (cond("applicant.age", "gt", "十八"), "value", "“大于”的比较值应为数字或日期（YYYY-MM-DD）"),
        (cond("applicant.age", "le", True), "value", "“小于或等于”的比较值应为数字或日期（YYYY-MM-DD）"),
        (cond("form.shop_name", "present", "x"), "value", "“有值”不需要比较值，请留空"),
        (cond(f"licence.{LICENCE_TYPE}.valid", "is_true", True), "value", "“为是”不需要比较值，请留空"),
        (cond("form.category", "eq"), "value", "“等于”须给出一个比较值（文本、数字或日期）"),
        (cond("form.category", "ne", ["餐饮服务"]), "value", "“不等于”须给出一个比较值（文本、数字或日期）"),
        (cond("applicant.age", "eq", "18"), "value", "“申请人年龄”是数字，比较值“18”应为数字"),
        (cond("applicant.region", "eq", 371302), "value", "“申请人所在地区划代码”是文本，比较值“371302”应为文本"),
        (cond("form.category", "eq", "零售"), "value", "“零售”不是“申请表·主体业态”的可选项（餐饮服务、食品销售）"),
        (
            cond("applicant.kind", "in", ["person", "company"]),
            "value",
            "“company”不是申请人类型，可选：person（自然人）、enterprise（法人）",
        ),
        (cond("form.shop_name", "gt", 3), "op", "“申请表·经营者名称”不是数字或日期，不能用“大于”比较"),
        (cond("form.category", "is_true"), "op", "“申请表·主体业态”不是“是/否”类事实，不能用“为是”判断"),
        (
            cond(f"licence.{LICENCE_TYPE}.valid", "eq", "是"),
            "op",
            f"“电子证照 {LICENCE_TYPE} 有效”是“是/否”类事实，请用“为是”“为否”或“有值”判断",
        ),
        (cond("form.staff", "eq", "张三"), "op", "“申请表·食品安全管理人员”只能用“有值”判断"),
    ],
)
def test_the_operator_and_the_value_must_fit_the_fact(condition: dict[str, Any], where: str, message: str):
    content = auto(approve(condition))
    label = "比较值" if where == "value" else "比较方式"
    assert errors_of(content) == [(f"auto_rules.0.conditions.0.{where}", f"秒批规则第1项·条件第1项·{label}：{message}")]


def test_a_condition_value_must_be_json_data_of_the_right_shape():
    assert AutoCondition.model_validate(cond("applicant.age", "ge", 18)).value == 18
    content = auto(approve(cond("applicant.age", "between", [1, 2])))
    assert [field for field, _ in errors_of(content)] == ["auto_rules.0.conditions.0.op"]


# --- steps ----------------------------------------------------------------------------------------------


def steps(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "受理", "unit": "综合窗口"}, *extra]


def test_a_step_department_must_be_a_joint_department():
    content = sample_content(
        joint_departments=[JOINT],
        steps=steps(
            {"name": "联合审查", "unit": "消防科", "department": JOINT, "parallel": False},
            {"name": "现场勘验", "unit": "勘验组", "department": "11371302MB0000002Y", "parallel": True},
        ),
    )
    assert errors_of(content) == [
        (
            "steps.2.department",
            "办理环节第3项·办理机构：办理机构 11371302MB0000002Y 不是本事项的联办机构"
            "（须先列入联办机构；留空表示由实施主体办理）",
        )
    ]


def test_the_first_step_cannot_run_in_parallel_but_a_later_one_can():
    first = sample_content(steps=[{"name": "受理", "unit": "综合窗口", "parallel": True}])
    assert errors_of(first) == [
        ("steps.0.parallel", "办理环节第1项·并联办理：第一个环节前面没有环节，不能设为并联办理")
    ]
    later = sample_content(
        steps=steps({"name": "审核", "unit": "甲科"}, {"name": "会签", "unit": "乙科", "parallel": True})
    )
    assert errors_of(later) == []


def test_the_limit_of_steps_is_kept():
    content = sample_content(steps=steps(*({"name": f"审核{i}", "unit": "科室"} for i in range(3))))
    assert errors_of(content) == [("steps", "办理环节：单部门办理的事项最多3个办理环节，现有4个")]


# --- 黄灯预警 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("promise", "warning", "message"),
    [
        ({"value": 5, "unit": "workday"}, 4, None),
        ({"value": 5, "unit": "workday"}, 5, "预警天数（5）应小于承诺办结时限（5个工作日），否则办件受理当天即亮黄灯"),
        ({"value": 1, "unit": "workday"}, 1, "预警天数（1）应小于承诺办结时限（1个工作日），否则办件受理当天即亮黄灯"),
        ({"value": 1, "unit": "workday"}, 0, None),
        (
            {"value": 3, "unit": "natural_day"},
            3,
            "预警天数（3）应小于承诺办结时限（3个自然日），否则办件受理当天即亮黄灯",
        ),
        (
            {"value": 4, "unit": "hour"},
            1,
            "预警天数（1）应小于承诺办结时限（4个小时，按每个工作日8小时计为1个工作日），否则办件受理当天即亮黄灯",
        ),
        ({"value": 16, "unit": "hour"}, 1, None),
    ],
)
def test_warning_days_stay_below_the_promise(promise: dict[str, Any], warning: int, message: str | None):
    legal = {"value": 20, "unit": promise["unit"]}
    content = sample_content(legal_limit=legal, promise_limit=promise, warning_days=warning)
    assert errors_of(content) == ([("warning_days", f"预警天数：{message}")] if message else [])


def test_an_instant_item_has_no_warning_to_check():
    content = sample_content(case_kind="1", promise_limit={"value": 0, "unit": "workday"}, warning_days=1)
    assert errors_of(content) == []
