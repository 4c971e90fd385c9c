"""Races on 验证码 and grants, on the real database: concurrent sends, guesses and uses each have exactly the
outcome one at a time would have; and the database itself refuses rows that break the rules."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from tests.accounts.conftest import last_code
from yiwang.accounts import services
from yiwang.accounts.choices import PhoneCodeState
from yiwang.accounts.models import AgentAuthorisation, EnterpriseAgent, PhoneCode
from yiwang.core.errors import DomainError
from yiwang.core.identifiers import make_uscc
from yiwang.testing.world import World, build_world

PHONE = "13905397777"


def _race(count: int, work: Callable[[int], str]) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes.append(work(n))
        except DomainError as exc:
            outcomes.append(exc.code.value)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_to_one_phone_send_one_code():
    outcomes = _race(
        4, lambda n: services.phone_code_send(phone=PHONE, purpose="register", ip=f"10.0.0.{n}") and "sent"
    )
    assert outcomes == ["rate_limited", "rate_limited", "rate_limited", "sent"]
    assert list(PhoneCode.objects.values_list("state", flat=True)) == [PhoneCodeState.PENDING]


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_the_right_code_give_one_proof():
    services.phone_code_send(phone=PHONE, purpose="register", ip=None)
    code = last_code(PHONE)
    outcomes = _race(4, lambda n: services.phone_code_verify(phone=PHONE, purpose="register", code=code) and "proof")
    assert outcomes == ["proof", "validation_error", "validation_error", "validation_error"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_are_all_counted_and_stop_at_five():
    services.phone_code_send(phone=PHONE, purpose="register", ip=None)
    wrong = f"{(int(last_code(PHONE)) + 1) % 1_000_000:06d}"
    outcomes = _race(8, lambda n: services.phone_code_verify(phone=PHONE, purpose="register", code=wrong))
    assert outcomes.count("rate_limited") == 1  # the fifth wrong try locks the code
    assert outcomes.count("validation_error") == 7
    row = PhoneCode.objects.get()
    assert (row.attempts, row.state) == (5, PhoneCodeState.LOCKED)


@pytest.fixture
def tx_world(transactional_db) -> World:
    return build_world()


def test_the_database_refuses_a_grant_without_scope(tx_world: World):
    legal = services.legal_person_register(
        actor=None,
        uscc=make_uscc("91", "371302", "MA0C0001"),
        name="某公司",
        legal_representative=tx_world.persons["owner"],
        region=tx_world.county_a,
    )
    until = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseAgent.objects.create(
            enterprise=legal, person=tx_world.persons["other"], scope_all=False, item_codes=[], valid_until=until
        )
    EnterpriseAgent.objects.create(
        enterprise=legal, person=tx_world.persons["other"], scope_all=False, item_codes=["X"], valid_until=until
    )
    with pytest.raises(IntegrityError), transaction.atomic():  # one live grant per person
        EnterpriseAgent.objects.create(
            enterprise=legal, person=tx_world.persons["other"], scope_all=True, valid_until=until
        )


def test_the_database_refuses_an_authorisation_without_scope_or_expiring_before_it_starts(tx_world: World):
    now = timezone.now()
    base = {"principal": tx_world.persons["owner"], "agent": tx_world.users["citizen_other"], "reason": "代办"}
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentAuthorisation.objects.create(
            **base, scope_all=False, item_codes=[], valid_until=now + dt.timedelta(days=1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentAuthorisation.objects.create(**base, scope_all=True, created_at=now, valid_until=now)


def test_the_database_refuses_a_sixth_try_and_a_proof_without_verification(tx_world: World):
    services.phone_code_send(phone=PHONE, purpose="register", ip=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneCode.objects.update(attempts=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneCode.objects.update(proof_hash="0" * 64)  # still pending
