"""Two clerks register the same ID number at the same moment: exactly one wins, nothing is corrupted."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections

from yiwang.accounts.models import NaturalPerson
from yiwang.accounts.services import person_register
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_id_number
from yiwang.testing.world import build_world


@pytest.mark.django_db(transaction=True)
def test_concurrent_registration_of_one_id_number_has_exactly_one_winner():
    world = build_world()
    number = make_id_number("371302", dt.date(1962, 8, 8), 77)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def register(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            person_register(actor=world.users["clerk_a"], name=name, id_number=number, region=world.county_a)
            outcomes.append("created")
        except DomainError as exc:
            outcomes.append(exc.code.value)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(f"申请人{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == sorted(["created"] + [ErrorCode.CONFLICT.value] * 3)
    stored = NaturalPerson.objects.filter(name__startswith="申请人")
    assert stored.count() == 1
