"""The case life cycle under random action sequences (hypothesis stateful testing).

Every rule tries one service with an actor drawn from all personas — those allowed to act and those who
are not — and checks the outcome against a small model of the rules: who may act, in which state, and
what the case looks like afterwards. Whatever happens, the case never reaches an illegal state:

* its state is one of ``CaseState``; the model and the database agree on it;
* in handling its due dates are set and ``promise_due ≤ legal_due`` (and ``warn_on ≤ promise_due``);
* at most one open step per position, open steps only in handling, and exactly the one the model expects;
* every successful call wrote one ``CaseEvent`` per transition it made (a decision that closes the case
  is two transitions), with consecutive ``seq``, each ``from_state`` equal to the previous ``to_state``,
  the last ``to_state`` equal to the case's state;
* a refused call wrote nothing at all (case row, events, steps, notices, procedures, urges, materials,
  checks, audit rows);
* ``legal_due`` and ``promise_due`` never move earlier over the whole run: pauses and extensions only move
  them later, and nothing else touches them.

The world (regions, staff, the item, uploads) is built once per test; each example runs in a savepoint
rolled back at its end, so every example starts from the same fresh world. The clock is frozen on a
working Monday and moved by a rule, so yellow and red lights (and so 督办) happen.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from yiwang.accounts.models import User
from yiwang.audit.models import AuditEvent
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode, CaseState, Decision, DeliveryMethod, StepState
from yiwang.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseNotice,
    CaseStep,
    CommitmentCheck,
    SpecialProcedure,
    Urge,
)
from yiwang.catalog.models import ServiceItem
from yiwang.core import clock
from yiwang.core.errors import DomainError
from yiwang.files.models import Upload
from yiwang.files.services import upload_create
from yiwang.testing.cases import published_item, valid_form
from yiwang.testing.world import World
from yiwang.workdays.calendar import is_workday

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, Monday 2 March 2026
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ACTORS = ["clerk_a", "approver_a", "supervisor", "citizen_owner", "citizen_other", "clerk_b", "admin"]
ACCEPTORS = {"clerk_a"}  # 综合窗口 of 兰山区
HANDLERS = {"approver_a"}  # 兰山区市场监督管理局 (the item's department)
SUPERVISORS = {"supervisor"}
APPLICANTS = {"citizen_owner"}
OPEN_FOR_WITHDRAW = {CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING}
OPEN_FOR_DELIVERY = {CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING, CaseState.DECIDED}
REVIEW, FINAL = 1, 2  # positions of 审核 and 办结 in the item's steps (受理 is done by the acceptance)
EXPRESS_ADDRESS = "山东省临沂市兰山区金雀山路1号 张三 13800000000"

actors = st.sampled_from(ACTORS)
# For the actions that end a case early or bounce it back: mostly refused, now and then allowed.
rarely_allowed = st.sampled_from([a for a in ACTORS if a not in ("clerk_a", "citizen_owner")] * 2 + ACTORS)


def mostly(name: str) -> st.SearchStrategy[str]:
    """The allowed actor about half of the time, anyone (allowed or not) otherwise."""
    return st.sampled_from([name] * 6 + ACTORS)


@dataclass
class Context:
    """What every example shares: the world, the item, uploads, and the movable clock."""

    world: World
    item: ServiceItem
    uploads: dict[tuple[str, str], Upload]  # (username, material code) → upload of that user
    now: list[dt.datetime] = field(default_factory=lambda: [MONDAY])


@dataclass
class Model:
    """What the rules say the case is (the state machine under test must agree)."""

    state: str = CaseState.SUBMITTED
    delivery: str = ""
    provided: dict[str, bool] = field(default_factory=dict)  # premises / photo received and not faulty
    open_position: int | None = None
    paused: bool = False
    extended: int = 0
    open_urge: bool = False


def _fingerprint(case_id: int) -> tuple[Any, ...]:
    """Everything a transition may write, for the 'refused call wrote nothing' check."""
    return (
        Case.objects.filter(pk=case_id).values().get(),
        list(CaseEvent.objects.filter(case_id=case_id).order_by("id").values_list("id", "seq")),
        list(CaseStep.objects.filter(case_id=case_id).order_by("id").values()),
        list(CaseNotice.objects.filter(case_id=case_id).order_by("id").values_list("id", "answered_at")),
        list(SpecialProcedure.objects.filter(case_id=case_id).order_by("id").values()),
        list(Urge.objects.filter(case_id=case_id).order_by("id").values()),
        list(CaseMaterial.objects.filter(case_id=case_id).order_by("id").values()),
        list(CaseMaterial.uploads.through.objects.filter(casematerial__case_id=case_id).values_list("id")),
        list(CommitmentCheck.objects.filter(case_id=case_id).values()),
        AuditEvent.objects.count(),
    )


class CaseLifeCycle(RuleBasedStateMachine):
    ctx: Context  # set by the test

    def __init__(self) -> None:
        super().__init__()
        # One savepoint per example, rolled back in teardown: the next example sees the same fresh world.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.ctx.now[0] = MONDAY
        self.case_id = 0
        self.m = Model()
        self.dues: tuple[dt.date | None, dt.date | None] = (None, None)
        self.calls = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------------------------

    def user(self, name: str) -> User:
        return self.ctx.world.users[name]

    def case(self) -> Case:
        return Case.objects.get(pk=self.case_id)

    def attempt(self, call: Any, *, actor: str, expect: bool, transitions: list[str]) -> bool:
        """Run one service call; check it succeeded exactly when the model says so, and what it wrote."""
        before = _fingerprint(self.case_id)
        seq_before = before[0]["last_event_seq"]
        self.calls += 1
        try:
            call()
        except DomainError as exc:
            assert not expect, f"{actor} was refused a legal action: {exc.code} {exc.message}"
            assert _fingerprint(self.case_id) == before, "a refused action wrote something"
            return False
        assert expect, f"{actor} did something the rules forbid"
        new = list(
            CaseEvent.objects.filter(case_id=self.case_id, seq__gt=seq_before)
            .order_by("seq")
            .values_list("to_state", "actor_id")
        )
        assert [to for to, _ in new] == transitions, "one event per transition, in order"
        assert {who for _, who in new} == {self.user(actor).pk}
        self.m.state = transitions[-1]
        return True

    def open_step(self) -> CaseStep | None:
        return CaseStep.objects.filter(case_id=self.case_id, state=StepState.OPEN).first()

    def any_step(self) -> CaseStep | None:
        return self.open_step() or CaseStep.objects.filter(case_id=self.case_id).order_by("-id").first()

    def light(self) -> str:
        case = self.case()
        today = timezone.localdate(self.ctx.now[0])
        if case.promise_due is None or case.paused_since is not None:
            return "green"
        if today > case.promise_due:
            return "red"
        return "yellow" if case.warn_on is not None and today >= case.warn_on else "green"

    # --- submission --------------------------------------------------------------------------------------

    @initialize(
        premises=st.booleans(),
        photo=st.booleans(),
        delivery=st.sampled_from(["", DeliveryMethod.PICKUP, DeliveryMethod.EXPRESS]),
        head_start=st.sampled_from([0, 1, 2, 3]),
        age=st.sampled_from([0, 0, 5, 9]),
    )
    def submit(self, premises: bool, photo: bool, delivery: str, head_start: int, age: int) -> None:
        """A new online case. ``head_start`` lets an example begin accepted, reviewed or decided (through
        the same checked calls as the rules), and ``age`` days pass after it (yellow and red lights, 督办),
        so that twenty random steps reach every stage often enough."""
        materials = {
            code: [self.ctx.uploads[("citizen_owner", code)].pk]
            for code, given in (("premises", premises), ("photo", photo))
            if given
        }
        case = services.case_submit(
            actor=self.user("citizen_owner"),
            item_id=self.ctx.item.pk,
            form=valid_form(),
            materials=materials,
            idempotency_key="machine",
            delivery_method=delivery,
            pickup_window_id=self.ctx.world.window_a1.pk if delivery == DeliveryMethod.PICKUP else None,
            address=EXPRESS_ADDRESS if delivery == DeliveryMethod.EXPRESS else "",
            commitment_signed=not premises,  # online without a required material: only on the commitment
        )
        self.case_id = case.pk
        self.m = Model(delivery=delivery, provided={"premises": premises, "photo": photo})
        if head_start >= 1:
            self.accept("clerk_a", AcceptMode.COMMITMENT)
        if head_start >= 2:
            self.step_complete("approver_a")
        if head_start >= 3:
            self.decide("approver_a", Decision.APPROVE)
        self.ctx.now[0] += dt.timedelta(days=age)

    # --- 受理 --------------------------------------------------------------------------------------------

    @rule(
        actor=mostly("clerk_a"), mode=st.sampled_from([AcceptMode.NORMAL, AcceptMode.DEFERRED, AcceptMode.COMMITMENT])
    )
    def accept(self, actor: str, mode: str) -> None:
        premises, photo = self.m.provided["premises"], self.m.provided["photo"]
        rule_of_mode: dict[str, bool] = {
            AcceptMode.NORMAL: premises and photo,
            AcceptMode.DEFERRED: premises and not photo,  # only the 容缺后补 photo may be missing
            AcceptMode.COMMITMENT: True,  # the signed commitment replaces what is missing
        }
        materials_ok = rule_of_mode[mode]
        expect = actor in ACCEPTORS and self.m.state == CaseState.SUBMITTED and materials_ok
        if self.attempt(
            lambda: services.case_accept(
                actor=self.user(actor), case_id=self.case_id, mode=mode, commitment_signed=True
            ),
            actor=actor,
            expect=expect,
            transitions=[CaseState.HANDLING],
        ):
            self.m.open_position = REVIEW

    @rule(actor=rarely_allowed)
    def reject(self, actor: str) -> None:
        expect = actor in ACCEPTORS and self.m.state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT)
        self.attempt(
            lambda: services.case_reject(actor=self.user(actor), case_id=self.case_id, reason="不符合受理条件的情形"),
            actor=actor,
            expect=expect,
            transitions=[CaseState.REJECTED],
        )

    @rule(actor=mostly("clerk_a"), what=st.sampled_from(["premises", "photo", ""]))
    def request_supplement(self, actor: str, what: str) -> None:
        item = (
            {"code": what, "problem": "照片模糊，请重新上传"} if what else {"name": "申请表签字", "problem": "未签字"}
        )
        expect = actor in ACCEPTORS and self.m.state == CaseState.SUBMITTED
        if (
            self.attempt(
                lambda: services.case_request_supplement(actor=self.user(actor), case_id=self.case_id, items=[item]),
                actor=actor,
                expect=expect,
                transitions=[CaseState.SUPPLEMENT],
            )
            and what
        ):
            self.m.provided[what] = False  # faulty: to be replaced

    @rule(actor=mostly("citizen_owner"), what=st.sampled_from(["premises", "photo"]))
    def supplement(self, actor: str, what: str) -> None:
        user = self.user(actor)
        if user.kind == "staff":
            call = lambda: services.case_supplement(  # noqa: E731
                actor=user, case_id=self.case_id, paper={what: [1, 0]}
            )
            allowed = actor in ACCEPTORS
        else:
            upload = self.ctx.uploads[(actor, what)]
            call = lambda: services.case_supplement(  # noqa: E731
                actor=user, case_id=self.case_id, materials={what: [upload.pk]}
            )
            allowed = actor in APPLICANTS
        if self.attempt(
            call,
            actor=actor,
            expect=allowed and self.m.state == CaseState.SUPPLEMENT,
            transitions=[CaseState.SUBMITTED],
        ):
            self.m.provided[what] = True

    # --- 后台审批 ---------------------------------------------------------------------------------------

    @rule(actor=mostly("approver_a"))
    def step_complete(self, actor: str) -> None:
        step = self.any_step()
        if step is None:
            return
        expect = (
            actor in HANDLERS
            and self.m.state == CaseState.HANDLING
            and step.state == StepState.OPEN
            and step.position == REVIEW
        )
        if self.attempt(
            lambda: services.case_step_complete(
                actor=self.user(actor), case_id=self.case_id, step_id=step.pk, opinion="材料齐全，符合条件"
            ),
            actor=actor,
            expect=expect,
            transitions=[CaseState.HANDLING],
        ):
            self.m.open_position = FINAL

    @rule(actor=mostly("approver_a"))
    def step_return(self, actor: str) -> None:
        step = self.any_step()
        if step is None:
            return
        expect = (
            actor in HANDLERS
            and self.m.state == CaseState.HANDLING
            and step.state == StepState.OPEN
            and step.position == FINAL  # only back to 审核, which comes before it
        )
        if self.attempt(
            lambda: services.case_step_return(
                actor=self.user(actor), case_id=self.case_id, step_id=step.pk, to_position=REVIEW, reason="需补充核实"
            ),
            actor=actor,
            expect=expect,
            transitions=[CaseState.HANDLING],
        ):
            self.m.open_position = REVIEW

    @rule(actor=mostly("approver_a"), decision=st.sampled_from([Decision.APPROVE, Decision.REFUSE]))
    def decide(self, actor: str, decision: str) -> None:
        expect = (
            actor in HANDLERS
            and self.m.state == CaseState.HANDLING
            and self.m.open_position == FINAL
            and not self.m.paused
        )
        electronic = self.m.delivery in ("", DeliveryMethod.ELECTRONIC)
        if self.attempt(
            lambda: services.case_decide(
                actor=self.user(actor), case_id=self.case_id, decision=decision, reason="不符合法定条件和标准"
            ),
            actor=actor,
            expect=expect,
            transitions=[CaseState.DECIDED, CaseState.CLOSED] if electronic else [CaseState.DECIDED],
        ):
            self.m.open_position = None
            self.m.delivery = self.m.delivery or DeliveryMethod.ELECTRONIC

    # --- 特别程序, 延长 --------------------------------------------------------------------------------

    @rule(actor=mostly("approver_a"), pausing=st.booleans())
    def special_start(self, actor: str, pausing: bool) -> None:
        expect = actor in HANDLERS and self.m.state == CaseState.HANDLING and not (pausing and self.m.paused)
        if self.attempt(
            lambda: services.case_special_start(
                actor=self.user(actor),
                case_id=self.case_id,
                name="专家评审" if pausing else "现场核查",
                reason="需组织专家论证",
                planned_days=5,
            ),
            actor=actor,
            expect=expect,
            transitions=[CaseState.HANDLING],
        ):
            self.m.paused = self.m.paused or pausing

    @rule(actor=mostly("approver_a"))
    def special_end(self, actor: str) -> None:
        procedures = SpecialProcedure.objects.filter(case_id=self.case_id).order_by("ended_at", "-id")
        procedure = procedures.filter(ended_at__isnull=True).first() or procedures.first()
        if procedure is None:
            return
        expect = actor in HANDLERS and self.m.state == CaseState.HANDLING and procedure.ended_at is None
        if (
            self.attempt(
                lambda: services.case_special_end(
                    actor=self.user(actor), case_id=self.case_id, procedure_id=procedure.pk, result="专家评审通过"
                ),
                actor=actor,
                expect=expect,
                transitions=[CaseState.HANDLING],
            )
            and procedure.pauses_clock
        ):
            self.m.paused = False

    @rule(actor=mostly("approver_a"), days=st.integers(min_value=1, max_value=6))
    def extend(self, actor: str, days: int) -> None:
        expect = actor in HANDLERS and self.m.state == CaseState.HANDLING and self.m.extended + days <= 10
        if self.attempt(
            lambda: services.case_extend(
                actor=self.user(actor), case_id=self.case_id, days=days, reason="案情复杂，经负责人批准延长"
            ),
            actor=actor,
            expect=expect,
            transitions=[CaseState.HANDLING],
        ):
            self.m.extended += days

    # --- 撤回, 出件 --------------------------------------------------------------------------------------

    @rule(actor=rarely_allowed)
    def withdraw(self, actor: str) -> None:
        expect = actor in APPLICANTS and self.m.state in OPEN_FOR_WITHDRAW
        if self.attempt(
            lambda: services.case_withdraw(actor=self.user(actor), case_id=self.case_id, reason="不再需要办理"),
            actor=actor,
            expect=expect,
            transitions=[CaseState.WITHDRAWN],
        ):
            self.m.open_position = None
            self.m.paused = False

    # The two actions that end a case early are drawn with mostly-refused actors above; these two make
    # sure the allowed actor also tries them when it is too late.
    @precondition(lambda self: self.m.state not in (CaseState.SUBMITTED, CaseState.SUPPLEMENT))
    @rule()
    def reject_too_late(self) -> None:
        self.reject("clerk_a")

    @precondition(lambda self: self.m.state not in OPEN_FOR_WITHDRAW)
    @rule()
    def withdraw_too_late(self) -> None:
        self.withdraw("citizen_owner")

    @rule(actor=mostly("citizen_owner"), method=st.sampled_from(list(DeliveryMethod)))
    def delivery_set(self, actor: str, method: str) -> None:
        expect = actor in APPLICANTS and self.m.state in OPEN_FOR_DELIVERY
        closes = self.m.state == CaseState.DECIDED and method == DeliveryMethod.ELECTRONIC
        state = self.m.state
        if self.attempt(
            lambda: services.case_delivery_set(
                actor=self.user(actor),
                case_id=self.case_id,
                method=method,
                pickup_window_id=self.ctx.world.window_a1.pk,
                address=EXPRESS_ADDRESS,
            ),
            actor=actor,
            expect=expect,
            transitions=[state, CaseState.CLOSED] if closes else [state],
        ):
            self.m.delivery = method

    @rule(actor=mostly("clerk_a"), right=st.sampled_from([True, True, True, False]))
    def close(self, actor: str, right: bool) -> None:
        case = self.case()
        if self.m.delivery == DeliveryMethod.EXPRESS:
            code, tracking = "", "SF1234567890" if right else "x"
        else:
            code, tracking = (case.pickup_code if right else "ABCDEF"), ""
        expect = (
            actor in ACCEPTORS
            and self.m.state == CaseState.DECIDED
            and right
            and self.m.delivery in (DeliveryMethod.PICKUP, DeliveryMethod.EXPRESS)
        )
        self.attempt(
            lambda: services.case_close(
                actor=self.user(actor), case_id=self.case_id, pickup_code=code, tracking_number=tracking
            ),
            actor=actor,
            expect=expect,
            transitions=[CaseState.CLOSED],
        )

    # --- 督办, and time ----------------------------------------------------------------------------------

    @rule(actor=mostly("supervisor"))
    def urge(self, actor: str) -> None:
        expect = (
            actor in SUPERVISORS
            and self.m.state == CaseState.HANDLING
            and self.light() != "green"
            and not self.m.open_urge
        )
        if self.attempt(
            lambda: services.case_urge(actor=self.user(actor), case_id=self.case_id, message="请尽快办理"),
            actor=actor,
            expect=expect,
            transitions=[CaseState.HANDLING],
        ):
            self.m.open_urge = True

    @rule(actor=mostly("approver_a"))
    def urge_respond(self, actor: str) -> None:
        urge = Urge.objects.filter(case_id=self.case_id).order_by("responded_at", "-id").first()
        if urge is None:
            return
        expect = actor in HANDLERS and urge.responded_at is None
        state = self.m.state
        if self.attempt(
            lambda: services.case_urge_respond(
                actor=self.user(actor), case_id=self.case_id, urge_id=urge.pk, response="已加快办理"
            ),
            actor=actor,
            expect=expect,
            transitions=[state],
        ):
            self.m.open_urge = False

    @rule(days=st.integers(min_value=1, max_value=7))
    def time_passes(self, days: int) -> None:
        self.ctx.now[0] += dt.timedelta(days=days)

    # --- invariants ----------------------------------------------------------------------------------

    @invariant()
    def state_is_legal_and_agrees_with_the_model(self) -> None:
        case = self.case()
        assert case.state in CaseState.values
        assert case.state == self.m.state
        assert (case.paused_since is not None) == self.m.paused
        if case.state in (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN):
            assert case.closed_at is not None
        if case.state in (CaseState.DECIDED, CaseState.CLOSED):
            assert case.decision in Decision.values

    @invariant()
    def handling_has_ordered_due_dates(self) -> None:
        case = self.case()
        if case.state == CaseState.HANDLING:
            assert case.accepted_at is not None
            assert case.legal_due is not None and case.promise_due is not None and case.warn_on is not None
            assert case.warn_on <= case.promise_due <= case.legal_due
            assert is_workday(case.promise_due) and is_workday(case.legal_due)

    @invariant()
    def due_dates_never_move_earlier(self) -> None:
        case = self.case()
        for old, new in zip(self.dues, (case.legal_due, case.promise_due), strict=True):
            if old is not None:
                assert new is not None and new >= old
        self.dues = (case.legal_due, case.promise_due)

    @invariant()
    def steps_are_consistent(self) -> None:
        case = self.case()
        open_steps = list(CaseStep.objects.filter(case=case, state=StepState.OPEN).values_list("position", "block"))
        positions = [position for position, _ in open_steps]
        assert len(positions) == len(set(positions)), "at most one open step per position"
        if case.state == CaseState.HANDLING:
            assert positions == [self.m.open_position]
            assert {block for _, block in open_steps} == {case.current_block}
        else:
            assert positions == []
            assert case.current_block == 0

    @invariant()
    def events_form_one_chain(self) -> None:
        case = self.case()
        events = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", "from_state", "to_state"))
        assert [seq for seq, _, _ in events] == list(range(1, case.last_event_seq + 1))
        assert events[0][1:] == ("", CaseState.SUBMITTED)
        for (_, _, before), (_, after_from, _) in itertools.pairwise(events):
            assert after_from == before
        assert events[-1][2] == case.state


def test_random_life_cycles_never_reach_an_illegal_state(world, monkeypatch):
    item = published_item(world.dept_a_market)
    uploads = {
        (username, code): upload_create(
            actor=world.users[username], name=f"{code}.pdf", data=PDF + f"{username}:{code}".encode()
        )
        for username in ("citizen_owner", "citizen_other")
        for code in ("premises", "photo")
    }
    context = Context(world=world, item=item, uploads=uploads)
    monkeypatch.setattr(clock, "now", lambda: context.now[0])
    calls: list[int] = []  # rule calls per example

    class Machine(CaseLifeCycle):
        ctx = context

        def teardown(self) -> None:
            calls.append(self.calls)
            super().teardown()

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert len(calls) >= 25 and sum(calls) > 100  # the machine really ran
    assert not Case.objects.filter(item=item).exists()  # every example rolled back
