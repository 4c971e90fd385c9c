"""The demo tickets of 临沂: loaded through the services, idempotent, in several states."""

from __future__ import annotations

import pytest

from yiwang.hotline.demo import hotline_demo_load
from yiwang.hotline.models import SpotCheck, Supervision, Ticket
from yiwang.regions.demo import demo_load

pytestmark = pytest.mark.django_db


def test_demo_tickets_in_several_states_and_idempotent():
    demo_load()
    first = hotline_demo_load()
    assert first.created is True and first.tickets == 7
    states = set(Ticket.objects.values_list("state", flat=True))
    assert {"registered", "dispatched", "handling", "replied", "revisited"} <= states
    assert Ticket.objects.filter(source="window").count() == 1 and SpotCheck.objects.count() == 1
    assert Supervision.objects.filter(kind="auto").exists()  # the overdue ones were supervised
    assert Ticket.objects.filter(citizen__username="citizen").count() == 1
    again = hotline_demo_load()
    assert again.created is False and again.tickets == 7


def test_without_the_demo_region_nothing_is_loaded(db):
    summary = hotline_demo_load()
    assert summary.created is False and summary.tickets == 0
