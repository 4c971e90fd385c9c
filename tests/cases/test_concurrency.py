"""Races on one case, with real connections: each thread has its own database connection, and all of them
are made to wait on the same lock at the same moment before they run.

How the race is forced: the main thread opens a transaction and takes the lock the threads will contend
for (the case row, or the case-number counter row), starts the threads, and lets go only when every
thread is blocked on it — on PostgreSQL we see them waiting in ``pg_locks``; on SQLite each is parked in
``BEGIN IMMEDIATE`` behind the main thread's write lock. They are then released together, so the outcome
depends on the services' locking and constraints alone, never on thread start-up timing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections, transaction

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.models import User
from yiwang.accounts.services import staff_assign, staff_create
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode, CaseState, EventAction, NoticeKind, StepState
from yiwang.cases.models import Case, CaseEvent, CaseNotice, CaseNumberCounter, CaseStep
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.files.services import upload_create
from yiwang.testing.cases import published_item, valid_form
from yiwang.testing.world import PASSWORD, World, build_world

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, Monday 2 March 2026
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

Outcome = tuple[str, Any]  # ("ok", value) or ("error", ErrorCode)


@pytest.fixture(autouse=True)
def _monday(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)


def _staff(world: World, username: str, role: str) -> User:
    department = world.dept_a_admin if role == StaffRole.WINDOW_CLERK else world.dept_a_market
    user = staff_create(actor=None, username=username, password=PASSWORD, display_name=username, department=department)
    staff_assign(actor=None, user=user, role=role, window=world.window_a1 if role == StaffRole.WINDOW_CLERK else None)
    return user


def _complete_submission(world: World, item_id: int, *, key: str = "") -> Case:
    """A submission with every material, so a normal 受理 is possible."""
    citizen = world.users["citizen_owner"]
    premises = upload_create(actor=citizen, name="场所.pdf", data=PDF + key.encode() + b"premises")
    photo = upload_create(actor=citizen, name="照片.pdf", data=PDF + key.encode() + b"photo")
    return services.case_submit(
        actor=citizen,
        item_id=item_id,
        form=valid_form(),
        materials={"premises": [premises.pk], "photo": [photo.pk]},
        idempotency_key=key,
    )


def _blocked_on_locks() -> int:
    """Backends of this database waiting for a lock held by someone else (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
        return int(cursor.fetchone()[0])


def race(calls: list[Callable[[], Any]], *, hold: Callable[[], None]) -> list[Outcome]:
    """Run ``calls`` in threads released together from one lock that ``hold`` takes in the main thread."""
    outcomes: list[Outcome | None] = [None] * len(calls)
    started = threading.Barrier(len(calls) + 1)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            started.wait(timeout=30)
            outcomes[index] = ("ok", call())
        except DomainError as exc:
            outcomes[index] = ("error", exc.code)
        except Exception as exc:  # a crash is an outcome the assertions must see, not a lost thread
            outcomes[index] = ("crash", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with transaction.atomic():
        hold()
        for thread in threads:
            thread.start()
        started.wait(timeout=30)
        if connection.vendor == "postgresql":
            deadline = time.monotonic() + 20
            while _blocked_on_locks() < len(calls):
                assert time.monotonic() < deadline, "the threads never queued on the held lock"
                time.sleep(0.02)
        else:
            time.sleep(0.5)  # SQLite: every thread is parked in BEGIN IMMEDIATE behind our write lock
    for thread in threads:
        thread.join(timeout=90)
    assert all(not thread.is_alive() for thread in threads)
    return [outcome for outcome in outcomes if outcome is not None]


def _lock_case(case_id: int) -> Callable[[], None]:
    def hold() -> None:
        Case.objects.select_for_update().get(pk=case_id)

    return hold


def _lock_counter(prefix: str) -> Callable[[], None]:
    def hold() -> None:
        CaseNumberCounter.objects.select_for_update().get(prefix=prefix)

    return hold


def test_two_clerks_accepting_one_case_at_once_have_exactly_one_winner():
    world = build_world()
    item = published_item(world.dept_a_market)
    case = _complete_submission(world, item.pk)
    clerks = [world.users["clerk_a"], _staff(world, "clerk_a2", StaffRole.WINDOW_CLERK)]

    def accept(clerk: User) -> int | None:
        return services.case_accept(actor=clerk, case_id=case.pk, mode=AcceptMode.NORMAL).accepted_by_id

    outcomes = race([partial(accept, clerk) for clerk in clerks], hold=_lock_case(case.pk))

    winners = [value for kind, value in outcomes if kind == "ok"]
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    assert [value for kind, value in outcomes if kind == "error"] == [ErrorCode.INVALID_STATE]
    case.refresh_from_db()
    assert case.state == CaseState.HANDLING
    assert case.accepted_by_id == winners[0]
    assert winners[0] in {c.pk for c in clerks}
    assert list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", "action")) == [
        (1, EventAction.SUBMIT),
        (2, EventAction.ACCEPT),
    ]
    assert case.last_event_seq == 2
    assert CaseNotice.objects.filter(case=case, kind=NoticeKind.ACCEPTANCE).count() == 1
    steps = sorted(CaseStep.objects.filter(case=case).values_list("position", "state"))
    assert steps == [(0, StepState.DONE), (1, StepState.OPEN)]


def test_concurrent_submissions_on_one_item_draw_distinct_consecutive_numbers():
    world = build_world()
    item = published_item(world.dept_a_market)
    first = _complete_submission(world, item.pk, key="first")
    prefix = f"{item.code}20260302"
    assert first.number == f"{prefix}0001"
    citizen = world.users["citizen_owner"]
    n = 6

    def submit(i: int) -> str:
        return services.case_submit(
            actor=citizen,
            item_id=item.pk,
            form=valid_form(shop_name=f"店{i}"),
            idempotency_key=f"n-{i}",
            commitment_signed=True,
        ).number

    outcomes = race([partial(submit, i) for i in range(n)], hold=_lock_counter(prefix))

    assert [kind for kind, _ in outcomes] == ["ok"] * n
    numbers = sorted(value for _, value in outcomes)
    assert numbers == [f"{prefix}{serial:04d}" for serial in range(2, n + 2)]
    assert Case.objects.filter(item=item).count() == n + 1
    assert CaseNumberCounter.objects.get(prefix=prefix).last == n + 1
    assert CaseEvent.objects.filter(case__item=item, action=EventAction.SUBMIT).count() == n + 1


def test_one_idempotency_key_submitted_concurrently_makes_one_case():
    world = build_world()
    item = published_item(world.dept_a_market)
    _complete_submission(world, item.pk, key="warm-up")  # the counter row exists: the threads queue on it
    citizen = world.users["citizen_owner"]
    n = 5

    outcomes = race(
        [
            lambda: (
                services.case_submit(
                    actor=citizen,
                    item_id=item.pk,
                    form=valid_form(shop_name="同一份申请"),
                    idempotency_key="same-key",
                    commitment_signed=True,
                ).pk
            )
            for _ in range(n)
        ],
        hold=_lock_counter(f"{item.code}20260302"),
    )

    assert [kind for kind, _ in outcomes] == ["ok"] * n
    made = Case.objects.filter(submitted_by=citizen, idempotency_key="same-key")
    assert made.count() == 1
    assert {value for _, value in outcomes} == {made.get().pk}
    assert CaseEvent.objects.filter(case=made.get()).count() == 1
    assert services.case_form(made.get())["shop_name"] == "同一份申请"
    assert Case.objects.filter(item=item).count() == 2
    # The losers rolled back whole, their case-number serials too: the warm-up's and the winner's only.
    assert CaseNumberCounter.objects.get(prefix=f"{item.code}20260302").last == 2


def test_the_same_key_with_a_different_application_is_refused_even_concurrently():
    world = build_world()
    item = published_item(world.dept_a_market)
    _complete_submission(world, item.pk, key="warm-up")
    citizen = world.users["citizen_owner"]

    def submit(name: str) -> int:
        return services.case_submit(
            actor=citizen,
            item_id=item.pk,
            form=valid_form(shop_name=name),
            idempotency_key="k-two",
            commitment_signed=True,
        ).pk

    outcomes = race([partial(submit, name) for name in ("甲店", "乙店")], hold=_lock_counter(f"{item.code}20260302"))

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    assert [value for kind, value in outcomes if kind == "error"] == [ErrorCode.CONFLICT]
    made = Case.objects.get(submitted_by=citizen, idempotency_key="k-two")
    assert made.pk == next(value for kind, value in outcomes if kind == "ok")
    assert Case.objects.filter(item=item).count() == 2


def test_two_approvers_completing_one_step_at_once_have_exactly_one_winner():
    world = build_world()
    item = published_item(world.dept_a_market)
    case = _complete_submission(world, item.pk)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.NORMAL)
    review = CaseStep.objects.get(case=case, state=StepState.OPEN)
    approvers = [world.users["approver_a"], _staff(world, "approver_a2", StaffRole.APPROVER)]

    def complete(approver: User) -> int:
        return services.case_step_complete(
            actor=approver, case_id=case.pk, step_id=review.pk, opinion=f"{approver.username}审核通过"
        ).last_event_seq

    outcomes = race([partial(complete, a) for a in approvers], hold=_lock_case(case.pk))

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    assert [value for kind, value in outcomes if kind == "error"] == [ErrorCode.INVALID_STATE]
    review.refresh_from_db()
    assert review.state == StepState.DONE
    assert review.finished_by_id in {a.pk for a in approvers}
    assert review.finished_by is not None
    assert review.opinion == f"{review.finished_by.username}审核通过"
    completes = CaseEvent.objects.filter(case=case, action=EventAction.STEP_COMPLETE)
    assert completes.count() == 1
    assert completes.get().actor_id == review.finished_by_id
    # The final step opened once, not twice.
    assert list(CaseStep.objects.filter(case=case, state=StepState.OPEN).values_list("position", flat=True)) == [2]
    case.refresh_from_db()
    assert case.current_block == 3
    assert case.last_event_seq == 3
