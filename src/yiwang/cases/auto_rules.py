"""秒批 (automatic approval): evaluating an item's ``auto_rules`` against the facts of one application.

Pure: :func:`auto_decide` reads rules and facts and returns an :class:`AutoDecision`; it writes nothing.
The caller (the cases services) records the decision (``AutoDecision.as_json()``) and acts on it.

**Semantics.** Rules are tried in order. Each condition is *true*, *false* or *unknown*; it is unknown when
its fact is ``MISSING`` (nobody can establish it), has no value (``None``/blank, except for ``present``),
or has a value of the wrong type for the comparison (a text where a number is compared, a malformed date).
A rule is false as soon as one of its conditions is false; otherwise it is unknown if one is unknown, and
true when all are true. Every condition of a rule is evaluated, so the trace shows all of them.

* the first *true* rule decides (``approve`` or ``refuse``);
* a *false* rule passes to the next one;
* an *unknown* rule stops everything: ``manual`` (人工审核), the reason naming what is missing.

So a missing or ill-typed fact never leads to an approval or a refusal: the decision reached is the one
that would be reached whatever the fact's value. (A rule that is false on an established fact cannot hold
whatever its unknown facts are, which is why it does not stop the evaluation.) No rule true → ``manual``.

**Facts** (:func:`build_facts`): ``form.<key>`` (the top-level answers; a key not answered is ``None``),
``applicant.age`` (whole years on the given day, from the birth date in the 身份证号), ``applicant.kind``
(``person``/``enterprise``), ``applicant.region`` (region code of the person's 常住地 or the enterprise's
注册地), ``enterprise.uscc``. Other prefixes come from providers registered with
:func:`register_fact_provider` (the licence app registers ``licence``); with no provider for a prefix its
facts are ``MISSING``, so rules on them send the case to manual review — the documented fallback.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from yiwang.accounts.indexes import ID_NUMBER_CONTEXT
from yiwang.catalog.schema import AUTO_FACTS, AutoRule, fact_label
from yiwang.core import crypto
from yiwang.core.identifiers import id_number_birth_date

if TYPE_CHECKING:
    from yiwang.accounts.models import LegalPerson, NaturalPerson
    from yiwang.catalog.schema import FormField

logger = logging.getLogger(__name__)


class _Missing:
    """The sentinel type of :data:`MISSING` (a class so that it prints readably and never equals data)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()  # a fact nobody can establish (no person, no provider, undecryptable …)


class FactSource(Protocol):
    """Where :func:`auto_decide` reads facts. ``get`` returns :data:`MISSING` for a fact it cannot establish.

    A source may also have ``label(name) -> str`` (the Chinese name of a fact, for the reasons); without it
    ``catalog.schema.fact_label`` names the fact."""

    def get(self, name: str) -> Any: ...


# --- decisions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    """One evaluated condition. ``actual`` is JSON-safe (``MISSING`` → None, a date → ``YYYY-MM-DD``);
    ``holds`` is None when the condition could not be decided (fact missing, empty or of the wrong type)."""

    label: str
    fact: str
    op: str
    expected: Any
    actual: Any
    holds: bool | None


@dataclass(frozen=True)
class AutoDecision:
    """The outcome (``approve``/``refuse``/``manual``), the deciding rule's name ("" for manual), the
    Chinese reason, and every condition evaluated on the way, in order (across rules)."""

    outcome: str
    rule_name: str
    reason: str
    trace: list[ConditionResult] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "rule_name": self.rule_name,
            "reason": self.reason,
            "trace": [
                {
                    "label": c.label,
                    "fact": c.fact,
                    "op": c.op,
                    "expected": c.expected,
                    "actual": c.actual,
                    "holds": c.holds,
                }
                for c in self.trace
            ],
        }


APPROVE, REFUSE, MANUAL = "approve", "refuse", "manual"
NO_RULE_REASON = "不满足任何秒批规则，转人工审核"
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class _Unknown(Exception):
    """A condition that cannot be decided; ``why`` completes “事实“…”…”."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _kind_name(value: Any) -> str:
    if isinstance(value, bool):
        return "是/否"
    if _is_number(value):
        return "数字"
    if isinstance(value, dt.date):
        return "日期"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, list | tuple):
        return "列表"
    return "其他类型"


def _mismatch(actual: Any, wanted: str) -> _Unknown:
    return _Unknown(f"的值类型不符（应为{wanted}，实为{_kind_name(actual)}）")


def _equal(actual: Any, expected: Any) -> bool:
    """Type-safe equality; raises ``_Unknown`` when the two cannot be compared."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(expected, bool) and isinstance(actual, bool):
            return actual is expected
        raise _mismatch(actual, _kind_name(expected))
    if _is_number(expected):
        if not _is_number(actual):
            raise _mismatch(actual, "数字")
        return bool(Decimal(str(actual)) == Decimal(str(expected)))
    if isinstance(expected, str):
        expected_date = _as_date(expected)
        if expected_date is not None and isinstance(actual, dt.date):
            return _as_date(actual) == expected_date
        if not isinstance(actual, str):
            raise _mismatch(actual, "文本")
        if expected_date is not None and _as_date(actual) is not None:
            return _as_date(actual) == expected_date
        return actual.strip() == expected.strip()
    raise _mismatch(actual, "文本、数字或日期")


def _order(actual: Any, expected: Any) -> int:
    """-1, 0 or 1 as ``actual`` is below, at or above ``expected`` (numbers, or dates as ISO strings)."""
    if _is_number(expected):
        if not _is_number(actual):
            raise _mismatch(actual, "数字")
        a, b = Decimal(str(actual)), Decimal(str(expected))
    else:
        b_date = _as_date(expected)
        if b_date is None:
            raise _Unknown("无法比较（比较值不是数字或日期）")
        a_date = _as_date(actual)
        if a_date is None:
            raise _mismatch(actual, "日期")
        return (a_date > b_date) - (a_date < b_date)
    return (a > b) - (a < b)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


def _holds(op: str, actual: Any, expected: Any) -> bool:
    """Whether the condition holds; raises ``_Unknown`` when it cannot be decided."""
    if actual is MISSING:
        raise _Unknown("")
    if op == "present":
        return not _empty(actual)
    if _empty(actual):
        raise _Unknown("没有值")
    if op in ("is_true", "is_false"):
        if not isinstance(actual, bool):
            raise _mismatch(actual, "是/否")
        return actual is (op == "is_true")
    if op in ("eq", "ne"):
        return _equal(actual, expected) is (op == "eq")
    if op in ("in", "not_in"):
        if not isinstance(expected, list | tuple):
            raise _Unknown("无法比较（比较值不是列表）")
        found, comparable = False, False
        for candidate in expected:
            try:
                found = found or _equal(actual, candidate)
                comparable = True
            except _Unknown:
                continue
        if not comparable:
            raise _mismatch(actual, _kind_name(expected[0]) if expected else "列表中的类型")
        return found is (op == "in")
    sign = _order(actual, expected)
    return {"gt": sign > 0, "ge": sign >= 0, "lt": sign < 0, "le": sign <= 0}[op]


def json_safe(value: Any) -> Any:
    """A fact value as it can be stored in a JSON column: MISSING → None, dates → ISO, Decimal → number."""
    if value is MISSING or value is None or isinstance(value, bool | int | float | str):
        return None if value is MISSING else value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


def _rules(rules: Sequence[AutoRule] | Sequence[Mapping[str, Any]]) -> list[AutoRule]:
    return [r if isinstance(r, AutoRule) else AutoRule.model_validate(r) for r in rules]


def auto_decide(*, rules: list[AutoRule] | list[dict[str, Any]], facts: FactSource) -> AutoDecision:
    """Decide one application by the item's 秒批规则 (see the module docstring). Rules given as dicts (the
    stored content) are validated with ``AutoRule``. Each fact is read at most once."""
    label_of: Callable[[str], str] = getattr(facts, "label", None) or fact_label
    cache: dict[str, Any] = {}
    trace: list[ConditionResult] = []
    for rule in _rules(rules):
        unknown: dict[str, str] = {}  # fact → why (in order)
        false = False
        for condition in rule.conditions:
            if condition.fact not in cache:
                cache[condition.fact] = facts.get(condition.fact)
            actual = cache[condition.fact]
            holds: bool | None
            try:
                holds = _holds(condition.op, actual, condition.value)
            except _Unknown as exc:
                holds = None
                unknown.setdefault(condition.fact, exc.why)
            false = false or holds is False
            trace.append(
                ConditionResult(
                    label=condition.label,
                    fact=condition.fact,
                    op=condition.op,
                    expected=json_safe(condition.value),
                    actual=json_safe(actual),
                    holds=holds,
                )
            )
        if false:
            continue
        if unknown:
            missing = [f for f, why in unknown.items() if not why]
            parts = []
            if missing:
                parts.append("缺少事实" + "、".join(f"“{label_of(f)}”" for f in missing))
            parts += [f"事实“{label_of(f)}”{why}" for f, why in unknown.items() if why]
            return AutoDecision(MANUAL, "", "；".join(parts) + "，转人工审核", trace)
        return AutoDecision(rule.outcome, rule.name, f"符合秒批规则“{rule.name}”：{rule.reason}", trace)
    return AutoDecision(MANUAL, "", NO_RULE_REASON, trace)


# --- facts -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactContext:
    """What a fact provider may look at: the application and the day it is decided on."""

    form_data: Mapping[str, Any]
    person: NaturalPerson | None
    enterprise: LegalPerson | None
    on: dt.date


# A provider gets the full fact name (``licence.<code>.valid``) and the context; returns MISSING when unknown.
FactProvider = Callable[[str, FactContext], Any]
BUILT_IN_PREFIXES = frozenset({"form", "applicant", "enterprise"})
_PROVIDERS: dict[str, FactProvider] = {}


def register_fact_provider(prefix: str, fn: FactProvider) -> None:
    """Let another app establish the facts ``<prefix>.*`` (e.g. the licence app: ``licence``). Register in
    ``AppConfig.ready()``; registering a prefix again replaces its provider (tests install fakes that way)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", prefix):
        raise ValueError(f"fact prefix must be a lowercase word, not {prefix!r}")
    if prefix in BUILT_IN_PREFIXES:
        raise ValueError(f"facts {prefix}.* are built in and cannot be provided")
    _PROVIDERS[prefix] = fn


def unregister_fact_provider(prefix: str) -> None:
    """Remove a provider (its facts become MISSING again)."""
    _PROVIDERS.pop(prefix, None)


def fact_providers() -> dict[str, FactProvider]:
    """A copy of the registered providers, by prefix."""
    return dict(_PROVIDERS)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Whole years (周岁) on ``on``: one more on each birthday. Someone born on 29 February has a birthday on
    28 February in common years (民法典 第二百零二条: no corresponding day → the last day of the month)."""
    try:
        birthday = birth.replace(year=on.year)
    except ValueError:  # 29 February in a common year
        birthday = dt.date(on.year, 2, 28)
    return on.year - birth.year - (1 if on < birthday else 0)


def person_birth_date(person: NaturalPerson) -> dt.date | None:
    """The birth date inside the person's 身份证号 (decrypted in memory only; not a “reveal”: nobody sees the
    number, and the date is used for the decision only). None when it cannot be read."""
    try:
        number = crypto.decrypt(person.id_number_cipher, context=ID_NUMBER_CONTEXT)
        return id_number_birth_date(number)
    except Exception:  # an unreadable cipher or a malformed number: the fact is missing, never a decision
        logger.warning("birth date of person %s could not be read", person.pk, exc_info=True)
        return None


_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def _typed_answer(value: Any, kind: str) -> Any:
    """A form answer as the form field's type says (an HTML form sends a number as text)."""
    if kind == "number" and isinstance(value, str) and _NUMBER.match(value.strip()):
        number = Decimal(value.strip())
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date().isoformat()
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return value


class CaseFacts:
    """The facts of one application (see the module docstring). Facts are established lazily — the
    身份证号 is decrypted only when a rule asks for the age — and each at most once."""

    def __init__(
        self,
        *,
        form_data: Mapping[str, Any],
        person: NaturalPerson | None,
        enterprise: LegalPerson | None,
        on: dt.date,
        providers: Mapping[str, FactProvider],
        form: Sequence[FormField] | Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.context = FactContext(form_data=form_data, person=person, enterprise=enterprise, on=on)
        self.providers = dict(providers)
        self._fields = {_attr(f, "key"): (_attr(f, "label"), str(_attr(f, "type"))) for f in form}
        self._cache: dict[str, Any] = {}

    def label(self, name: str) -> str:
        return fact_label(name, {key: label for key, (label, _type) in self._fields.items()})

    def get(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self._establish(name)
        return self._cache[name]

    def _establish(self, name: str) -> Any:
        prefix, _, rest = name.partition(".")
        context = self.context
        if prefix == "form":
            if not rest or "." in rest:
                return MISSING
            value = context.form_data.get(rest)
            kind = self._fields.get(rest, ("", ""))[1]
            return _typed_answer(value, kind) if kind else value
        applicant = context.enterprise or context.person
        if name == "applicant.kind":
            if applicant is None:
                return MISSING
            return "enterprise" if context.enterprise is not None else "person"
        if name == "applicant.region":
            return MISSING if applicant is None else applicant.region.code
        if name == "applicant.age":
            if context.enterprise is not None:
                return None  # an enterprise has no age (a rule on it is undecidable, never a refusal)
            if context.person is None:
                return MISSING
            birth = person_birth_date(context.person)
            return MISSING if birth is None else age_on(birth, context.on)
        if name == "enterprise.uscc":
            if applicant is None:
                return MISSING
            return context.enterprise.uscc if context.enterprise is not None else None
        if name in AUTO_FACTS or prefix in BUILT_IN_PREFIXES:
            return MISSING
        provider = self.providers.get(prefix)
        if provider is None:
            return MISSING
        try:
            return provider(name, context)
        except Exception:  # a failing provider (a service down …) must not decide: manual review
            logger.exception("fact provider %r failed for %s", prefix, name)
            return MISSING


def _attr(field: Any, name: str) -> Any:
    return field.get(name) if isinstance(field, Mapping) else getattr(field, name)


def build_facts(
    *,
    form_data: Mapping[str, Any],
    person: NaturalPerson | None,
    enterprise: LegalPerson | None,
    on: dt.date,
    providers: Mapping[str, FactProvider] | None = None,
    form: Sequence[FormField] | Sequence[Mapping[str, Any]] = (),
) -> CaseFacts:
    """The facts of one application. ``person``: the applicant, or for an enterprise application the person
    acting (not used for ``applicant.*`` then); ``enterprise``: the applicant enterprise, if any; ``on``: the
    day ages are counted on (the day of the decision, in Asia/Shanghai). ``providers``: by default the
    registered ones. ``form``: the item's form fields, optional: names the facts in the reasons by their
    labels, and types the answers (a number field answered "3500" compares as 3500)."""
    return CaseFacts(
        form_data=form_data,
        person=person,
        enterprise=enterprise,
        on=on,
        providers=fact_providers() if providers is None else providers,
        form=form,
    )
