"""秒批 evaluator: every operator, unknown facts (missing, empty, ill-typed) → manual with a Chinese reason,
rule order, refusals, the facts of a real applicant (age from the 身份证号), and fact providers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.accounts.services import legal_person_register, person_register
from yiwang.audit.models import AuditEvent
from yiwang.cases.auto_rules import (
    MISSING,
    NO_RULE_REASON,
    AutoDecision,
    CaseFacts,
    ConditionResult,
    FactContext,
    age_on,
    auto_decide,
    build_facts,
    fact_providers,
    register_fact_provider,
    unregister_fact_provider,
)
from yiwang.catalog.schema import AutoRule
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.testing.world import World

LICENCE_TYPE = "11100000MB0143028L002"
LICENCE_FACT = f"licence.{LICENCE_TYPE}.valid"


class Facts:
    """A FactSource over a dict; counts reads (each fact must be read at most once per decision)."""

    def __init__(self, **values: Any) -> None:
        self.values = {name.replace("__", "."): value for name, value in values.items()}
        self.reads: list[str] = []

    def get(self, name: str) -> Any:
        self.reads.append(name)
        return self.values.get(name, MISSING)


def cond(fact: str, op: str, value: Any = None, label: str = "条件") -> dict[str, Any]:
    return {"fact": fact, "op": op, "value": value, "label": label}


def rule(name: str, *conditions: dict[str, Any], outcome: str = "approve", reason: str = "理由") -> dict[str, Any]:
    return {"name": name, "outcome": outcome, "conditions": list(conditions), "reason": reason}


ADULT = cond("applicant.age", "ge", 18, "年满18周岁")
MINOR = cond("applicant.age", "lt", 18, "未满18周岁")


# --- operators ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "actual", "expected", "holds"),
    [
        ("eq", "就业", "就业", True),
        ("eq", "入学", "就业", False),
        ("eq", 3, 3.0, True),
        ("eq", "2024-06-01", "2024-06-01", True),
        ("eq", dt.date(2024, 6, 1), "2024-06-01", True),
        ("ne", "入学", "就业", True),
        ("ne", "就业", "就业", False),
        ("gt", 5, 3, True),
        ("gt", 3, 3, False),
        ("ge", 3, 3, True),
        ("ge", 2.5, 3, False),
        ("lt", 2, 3, True),
        ("lt", 3, 3, False),
        ("le", 3, 3, True),
        ("le", 4, 3, False),
        ("ge", "2024-06-01", "2024-01-01", True),
        ("lt", dt.date(2023, 12, 31), "2024-01-01", True),
        ("le", "2024-01-02", "2024-01-01", False),
        ("in", "二孩", ["一孩", "二孩"], True),
        ("in", "四孩", ["一孩", "二孩"], False),
        ("in", 2, [1, 2], True),
        ("not_in", "其他", ["就业", "入学"], True),
        ("not_in", "就业", ["就业", "入学"], False),
        ("is_true", True, None, True),
        ("is_true", False, None, False),
        ("is_false", False, None, True),
        ("is_false", True, None, False),
        ("present", "张三", None, True),
        ("present", 0, None, True),
        ("present", "", None, False),
        ("present", None, None, False),
        ("present", [], None, False),
    ],
)
def test_every_operator(op: str, actual: Any, expected: Any, holds: bool):
    decision = auto_decide(rules=[rule("规则", cond("form.x", op, expected))], facts=Facts(form__x=actual))
    assert decision.outcome == ("approve" if holds else "manual")
    assert decision.rule_name == ("规则" if holds else "")
    assert decision.reason == ("符合秒批规则“规则”：理由" if holds else NO_RULE_REASON)
    assert [c.holds for c in decision.trace] == [holds]


def test_the_decision_and_its_json_record_every_condition():
    rules = [rule("成年人", ADULT, cond("form.purpose", "in", ["就业", "入学"], "用途为就业或入学"), reason="可出具")]
    decision = auto_decide(rules=rules, facts=Facts(applicant__age=30, form__purpose="就业"))
    assert decision == AutoDecision(
        outcome="approve",
        rule_name="成年人",
        reason="符合秒批规则“成年人”：可出具",
        trace=[
            ConditionResult(label="年满18周岁", fact="applicant.age", op="ge", expected=18, actual=30, holds=True),
            ConditionResult(
                label="用途为就业或入学",
                fact="form.purpose",
                op="in",
                expected=["就业", "入学"],
                actual="就业",
                holds=True,
            ),
        ],
    )
    assert decision.as_json() == {
        "outcome": "approve",
        "rule_name": "成年人",
        "reason": "符合秒批规则“成年人”：可出具",
        "trace": [
            {"label": "年满18周岁", "fact": "applicant.age", "op": "ge", "expected": 18, "actual": 30, "holds": True},
            {
                "label": "用途为就业或入学",
                "fact": "form.purpose",
                "op": "in",
                "expected": ["就业", "入学"],
                "actual": "就业",
                "holds": True,
            },
        ],
    }


def test_rules_may_be_models_or_stored_dicts_and_each_fact_is_read_once():
    facts = Facts(applicant__age=17)
    as_models = [AutoRule.model_validate(rule("成年", ADULT)), AutoRule.model_validate(rule("未成年", MINOR))]
    first = auto_decide(rules=as_models, facts=facts)
    assert facts.reads == ["applicant.age"]
    assert first == auto_decide(rules=[rule("成年", ADULT), rule("未成年", MINOR)], facts=Facts(applicant__age=17))
    assert (first.outcome, first.rule_name) == ("approve", "未成年")


# --- unknown facts: never a decision ---------------------------------------------------------------------


def test_a_missing_fact_goes_to_manual_review_and_names_the_fact():
    rules = [rule("成年", ADULT), rule("未成年", MINOR, outcome="refuse")]
    decision = auto_decide(rules=rules, facts=Facts())
    assert (decision.outcome, decision.rule_name) == ("manual", "")
    assert decision.reason == "缺少事实“申请人年龄”，转人工审核"
    assert decision.trace == [
        ConditionResult(label="年满18周岁", fact="applicant.age", op="ge", expected=18, actual=None, holds=None)
    ]


def test_a_missing_fact_never_refuses_even_as_the_only_condition_of_a_refusal():
    decision = auto_decide(rules=[rule("未成年", MINOR, outcome="refuse")], facts=Facts())
    assert (decision.outcome, decision.reason) == ("manual", "缺少事实“申请人年龄”，转人工审核")


def test_present_on_a_missing_fact_is_unknown_not_false():
    decision = auto_decide(rules=[rule("持证", cond(LICENCE_FACT, "present"))], facts=Facts())
    assert decision.reason == f"缺少事实“电子证照 {LICENCE_TYPE} 有效”，转人工审核"
    assert decision.trace[0].holds is None


def test_several_missing_facts_are_all_named():
    rules = [rule("规则", ADULT, cond("applicant.kind", "eq", "person"), cond("enterprise.uscc", "present"))]
    decision = auto_decide(rules=rules, facts=Facts())
    assert decision.reason == "缺少事实“申请人年龄”、“申请人类型”、“企业统一社会信用代码”，转人工审核"
    assert [c.holds for c in decision.trace] == [None, None, None]


def test_a_rule_false_on_an_established_fact_passes_on_whatever_its_missing_facts_are():
    """The rule could not hold whatever the licence says: the next rule decides (and the trace shows both)."""
    rules = [
        rule("企业持证", cond("applicant.kind", "eq", "enterprise"), cond(LICENCE_FACT, "is_true")),
        rule("未成年", MINOR, outcome="refuse", reason="未满18周岁"),
    ]
    decision = auto_decide(rules=rules, facts=Facts(applicant__kind="person", applicant__age=16))
    assert (decision.outcome, decision.rule_name, decision.reason) == (
        "refuse",
        "未成年",
        "符合秒批规则“未成年”：未满18周岁",
    )
    assert [(c.fact, c.holds) for c in decision.trace] == [
        ("applicant.kind", False),
        (LICENCE_FACT, None),
        ("applicant.age", True),
    ]


def test_a_rule_that_might_hold_stops_at_its_missing_fact_before_a_later_refusal():
    rules = [
        rule("持证个人", cond("applicant.kind", "eq", "person"), cond(LICENCE_FACT, "is_true")),
        rule("未成年", MINOR, outcome="refuse"),
    ]
    decision = auto_decide(rules=rules, facts=Facts(applicant__kind="person", applicant__age=16))
    assert (decision.outcome, decision.reason) == ("manual", f"缺少事实“电子证照 {LICENCE_TYPE} 有效”，转人工审核")
    assert len(decision.trace) == 2  # the refusal was never tried


@pytest.mark.parametrize(
    ("condition", "actual", "reason"),
    [
        (cond("form.rent", "le", 1500), "三千", "事实“申请表字段 rent”的值类型不符（应为数字，实为文本），转人工审核"),
        (cond("form.rent", "eq", 18), "18", "事实“申请表字段 rent”的值类型不符（应为数字，实为文本），转人工审核"),
        (cond("form.rent", "eq", "18"), 18, "事实“申请表字段 rent”的值类型不符（应为文本，实为数字），转人工审核"),
        (cond("form.rent", "ge", 1), True, "事实“申请表字段 rent”的值类型不符（应为数字，实为是/否），转人工审核"),
        (
            cond("form.rent", "ge", "2024-01-01"),
            "明年",
            "事实“申请表字段 rent”的值类型不符（应为日期，实为文本），转人工审核",
        ),
        (cond("form.rent", "in", ["一孩"]), 1, "事实“申请表字段 rent”的值类型不符（应为文本，实为数字），转人工审核"),
        (cond("form.rent", "is_true"), "是", "事实“申请表字段 rent”的值类型不符（应为是/否，实为文本），转人工审核"),
        (cond("form.rent", "eq", "是"), None, "事实“申请表字段 rent”没有值，转人工审核"),
        (cond("form.rent", "ne", "是"), "", "事实“申请表字段 rent”没有值，转人工审核"),
    ],
)
def test_a_value_of_the_wrong_type_or_no_value_is_unknown_not_false(condition: dict, actual: Any, reason: str):
    """A refusal rule after it must not be reached: a type mismatch is treated like a missing fact."""
    rules = [rule("规则", condition), rule("拒绝", cond("form.other", "present"), outcome="refuse")]
    decision = auto_decide(rules=rules, facts=Facts(form__rent=actual, form__other="x"))
    assert (decision.outcome, decision.rule_name, decision.reason) == ("manual", "", reason)
    assert [c.holds for c in decision.trace] == [None]


def test_unknown_facts_of_different_kinds_are_named_together():
    rules = [rule("规则", ADULT, cond("form.rent", "le", 1500))]
    decision = auto_decide(rules=rules, facts=Facts(form__rent="三千"))
    assert decision.reason == (
        "缺少事实“申请人年龄”；事实“申请表字段 rent”的值类型不符（应为数字，实为文本），转人工审核"
    )


# --- order and refusals ----------------------------------------------------------------------------------


def test_the_first_rule_that_holds_decides():
    rules = [
        rule("未成年", MINOR, outcome="refuse", reason="未满18周岁，不予办理"),
        rule("成年", ADULT, reason="年满18周岁"),
        rule("任何人", cond("applicant.age", "ge", 0), reason="兜底"),
    ]
    assert auto_decide(rules=rules, facts=Facts(applicant__age=17)).as_json()["reason"] == (
        "符合秒批规则“未成年”：未满18周岁，不予办理"
    )
    adult = auto_decide(rules=rules, facts=Facts(applicant__age=18))
    assert (adult.outcome, adult.rule_name, adult.reason) == ("approve", "成年", "符合秒批规则“成年”：年满18周岁")
    assert [c.holds for c in adult.trace] == [False, True]  # the third rule was never tried


def test_a_rule_holds_only_when_every_condition_holds():
    rules = [rule("成年且就业", ADULT, cond("form.purpose", "eq", "就业"))]
    decision = auto_decide(rules=rules, facts=Facts(applicant__age=40, form__purpose="入学"))
    assert (decision.outcome, decision.reason) == ("manual", "不满足任何秒批规则，转人工审核")
    assert [c.holds for c in decision.trace] == [True, False]


def test_no_rules_means_manual_review():
    assert auto_decide(rules=[], facts=Facts()) == AutoDecision("manual", "", NO_RULE_REASON, [])


# --- age ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (dt.date(2006, 6, 1), dt.date(2024, 5, 31), 17),
        (dt.date(2006, 6, 1), dt.date(2024, 6, 1), 18),  # on the 18th birthday: 18
        (dt.date(2006, 6, 1), dt.date(2024, 12, 31), 18),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 27), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 18),  # no 29 February: the last day of the month
        (dt.date(2008, 2, 29), dt.date(2028, 2, 28), 19),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
    ],
)
def test_age_in_whole_years(birth: dt.date, on: dt.date, age: int):
    assert age_on(birth, on) == age


def _person(world: World, birth: dt.date, sequence: int) -> NaturalPerson:
    return person_register(
        actor=None,
        name="测试申请人",
        id_number=make_id_number("371302", birth, sequence),
        region=world.town_a,
    )


def test_the_age_comes_from_the_real_id_number_and_is_18_on_the_18th_birthday(world: World):
    person = _person(world, dt.date(2006, 6, 1), 31)
    rules = [rule("成年", ADULT, reason="年满18周岁"), rule("未成年", MINOR, outcome="refuse", reason="未满18周岁")]
    day_before = build_facts(form_data={}, person=person, enterprise=None, on=dt.date(2024, 5, 31))
    birthday = build_facts(form_data={}, person=person, enterprise=None, on=dt.date(2024, 6, 1))
    assert (day_before.get("applicant.age"), birthday.get("applicant.age")) == (17, 18)
    assert auto_decide(rules=rules, facts=day_before).outcome == "refuse"
    assert auto_decide(rules=rules, facts=birthday).outcome == "approve"


def test_the_facts_of_a_person_need_no_query_and_reveal_nothing(world: World, django_assert_num_queries):
    owner = world.persons["owner"]  # born 1985-06-01, lives in 兰山区
    audit_rows = AuditEvent.objects.count()
    facts = build_facts(form_data={"purpose": "就业"}, person=owner, enterprise=None, on=dt.date(2025, 5, 31))
    with django_assert_num_queries(0):
        values = [facts.get(name) for name in ("applicant.age", "applicant.kind", "applicant.region")]
        values += [facts.get("enterprise.uscc"), facts.get("form.purpose"), facts.get("form.unanswered")]
    assert values == [39, "person", "371302", None, "就业", None]
    assert AuditEvent.objects.count() == audit_rows  # deriving an age is not a 查看完整身份证号


def test_the_facts_of_an_enterprise(world: World):
    owner = world.persons["owner"]
    uscc = make_uscc("91", "371311", "MA3C0001")
    enterprise: LegalPerson = legal_person_register(
        actor=None, uscc=uscc, name="临沂测试商贸有限公司", legal_representative=owner, region=world.county_b
    )
    facts = build_facts(form_data={}, person=owner, enterprise=enterprise, on=dt.date(2025, 1, 1))
    assert [facts.get(n) for n in ("applicant.kind", "applicant.region", "enterprise.uscc", "applicant.age")] == [
        "enterprise",
        "371311",
        uscc,
        None,  # an enterprise has no age
    ]
    decision = auto_decide(rules=[rule("成年", ADULT)], facts=facts)
    assert (decision.outcome, decision.reason) == ("manual", "事实“申请人年龄”没有值，转人工审核")


def test_without_an_applicant_the_applicant_facts_are_missing():
    facts = build_facts(form_data={}, person=None, enterprise=None, on=dt.date(2025, 1, 1))
    assert [facts.get(n) for n in ("applicant.kind", "applicant.age", "applicant.region", "enterprise.uscc")] == [
        MISSING
    ] * 4
    assert facts.get("form.a.b") is MISSING and facts.get("applicant.income") is MISSING


def test_an_unreadable_id_number_makes_the_age_missing_not_a_refusal(world: World):
    person = _person(world, dt.date(2010, 1, 1), 41)
    person.id_number_cipher = "not-a-cipher"  # in memory only
    facts = build_facts(form_data={}, person=person, enterprise=None, on=dt.date(2025, 1, 1))
    decision = auto_decide(rules=[rule("未成年", MINOR, outcome="refuse")], facts=facts)
    assert (decision.outcome, decision.reason) == ("manual", "缺少事实“申请人年龄”，转人工审核")


def test_with_the_form_the_answers_are_typed_and_the_reasons_use_the_labels():
    form = [
        {"key": "monthly_rent", "label": "月租金（元）", "type": "number"},
        {"key": "moved_in", "label": "入住日期", "type": "date"},
    ]
    facts = build_facts(
        form_data={"monthly_rent": "1200", "moved_in": dt.date(2024, 3, 1)},
        person=None,
        enterprise=None,
        on=dt.date(2025, 1, 1),
        form=form,
    )
    assert isinstance(facts, CaseFacts)
    assert (facts.get("form.monthly_rent"), facts.get("form.moved_in")) == (1200, "2024-03-01")
    rules = [rule("限额内", cond("form.monthly_rent", "le", 1500), cond("form.moved_in", "ge", "2024-01-01"))]
    assert auto_decide(rules=rules, facts=facts).outcome == "approve"
    unknown = auto_decide(
        rules=[rule("成年", cond("applicant.age", "ge", 18), cond("form.moved_in", "present"))], facts=facts
    )
    assert unknown.reason == "缺少事实“申请人年龄”，转人工审核"
    bad = build_facts(
        form_data={"monthly_rent": "一千"}, person=None, enterprise=None, on=dt.date(2025, 1, 1), form=form
    )
    assert auto_decide(rules=rules, facts=bad).reason == (
        "事实“申请表·月租金（元）”的值类型不符（应为数字，实为文本）；事实“申请表·入住日期”没有值，转人工审核"
    )


# --- fact providers ---------------------------------------------------------------------------------------


@pytest.fixture
def no_licence_provider() -> Iterator[None]:
    """Whatever the licence app registers, these tests start without it and leave it as it was."""
    saved = fact_providers().get("licence")
    unregister_fact_provider("licence")
    yield
    if saved is None:
        unregister_fact_provider("licence")
    else:
        register_fact_provider("licence", saved)


@pytest.fixture
def licence_provider(no_licence_provider) -> list[tuple[str, FactContext]]:
    calls: list[tuple[str, FactContext]] = []

    def provide(name: str, context: FactContext) -> Any:
        calls.append((name, context))
        return True if name == LICENCE_FACT else MISSING

    register_fact_provider("licence", provide)
    return calls


def test_without_a_provider_licence_facts_are_missing_and_the_case_goes_to_people(no_licence_provider):
    assert "licence" not in fact_providers()
    facts = build_facts(form_data={}, person=None, enterprise=None, on=dt.date(2025, 1, 1))
    decision = auto_decide(rules=[rule("持证", cond(LICENCE_FACT, "is_true"))], facts=facts)
    assert (decision.outcome, decision.reason) == ("manual", f"缺少事实“电子证照 {LICENCE_TYPE} 有效”，转人工审核")


def test_a_registered_provider_establishes_its_facts(licence_provider):
    on = dt.date(2025, 1, 1)
    facts = build_facts(form_data={"a": 1}, person=None, enterprise=None, on=on)
    decision = auto_decide(rules=[rule("持证", cond(LICENCE_FACT, "is_true"))], facts=facts)
    assert (decision.outcome, decision.rule_name) == ("approve", "持证")
    assert [(name, context.on, dict(context.form_data)) for name, context in licence_provider] == [
        (LICENCE_FACT, on, {"a": 1})
    ]
    other = f"licence.{LICENCE_TYPE[:-1]}9.valid"
    assert facts.get(other) is MISSING


def test_explicit_providers_replace_the_registry(licence_provider):
    facts = build_facts(form_data={}, person=None, enterprise=None, on=dt.date(2025, 1, 1), providers={})
    assert facts.get(LICENCE_FACT) is MISSING
    assert licence_provider == []


def test_a_failing_provider_makes_its_fact_missing():
    def broken(name: str, context: FactContext) -> Any:
        raise ConnectionError("电子证照库不可用")

    facts = build_facts(
        form_data={}, person=None, enterprise=None, on=dt.date(2025, 1, 1), providers={"licence": broken}
    )
    decision = auto_decide(rules=[rule("未持证", cond(LICENCE_FACT, "is_false"), outcome="refuse")], facts=facts)
    assert (decision.outcome, decision.trace[0].holds) == ("manual", None)


@pytest.mark.parametrize("prefix", ["form", "applicant", "enterprise", "Licence", "licence.x", ""])
def test_built_in_or_malformed_prefixes_cannot_be_registered(prefix: str, no_licence_provider):
    with pytest.raises(ValueError):
        register_fact_provider(prefix, lambda name, context: True)
    assert prefix not in fact_providers()


# --- the demo catalog's rules --------------------------------------------------------------------------------


def _demo_rules(name: str) -> list[dict[str, Any]]:
    from yiwang.catalog.demo.loader import SPECS

    return next(spec.content["auto_rules"] for spec in SPECS if spec.content["name"] == name)


@pytest.mark.parametrize(
    ("item", "facts", "outcome", "rule_name"),
    [
        ("80周岁以上老年人高龄津贴申领", {"applicant.kind": "person", "applicant.age": 85}, "approve", "年满80周岁"),
        ("80周岁以上老年人高龄津贴申领", {"applicant.kind": "person", "applicant.age": 79}, "refuse", "未满80周岁"),
        ("80周岁以上老年人高龄津贴申领", {"applicant.kind": "person"}, "manual", ""),
        (
            "就业登记",
            {"applicant.kind": "person", "applicant.age": 30, "form.kind": "单位就业", "form.employer": "某公司"},
            "approve",
            "单位就业",
        ),
        ("就业登记", {"applicant.kind": "person", "applicant.age": 30, "form.kind": "单位就业"}, "manual", ""),
        (
            "就业登记",
            {"applicant.kind": "person", "applicant.age": 15, "form.kind": "灵活就业"},
            "refuse",
            "未满16周岁",
        ),
        ("就业登记", {"applicant.kind": "enterprise", "applicant.age": None, "form.kind": "灵活就业"}, "manual", ""),
        ("道路货物运输经营许可（普通货运）", {"form.vehicles": 3}, "approve", "车辆数在当场发证范围内"),
        ("道路货物运输经营许可（普通货运）", {"form.vehicles": 80}, "manual", ""),
        ("道路货物运输经营许可（普通货运）", {"form.vehicles": 0}, "refuse", "未投入车辆"),
        (
            "个体工商户设立登记",
            {"applicant.kind": "person", "applicant.age": 40, "form.scope": "餐饮"},
            "manual",
            "",
        ),
    ],
)
def test_the_demo_rules_decide_as_a_clerk_would(item: str, facts: dict[str, Any], outcome: str, rule_name: str):
    source = Facts(**{name.replace(".", "__"): value for name, value in facts.items()})
    decision = auto_decide(rules=_demo_rules(item), facts=source)
    assert (decision.outcome, decision.rule_name) == (outcome, rule_name)
