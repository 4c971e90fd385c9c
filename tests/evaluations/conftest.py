"""Fixtures of the 好差评 tests: a frozen clock on a Monday, a published item and a 12345 agent."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.catalog.models import ServiceItem
from yiwang.core import clock
from yiwang.testing.cases import published_item
from yiwang.testing.evaluations import hotline_agent
from yiwang.testing.world import World

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, Monday 2 March 2026


class Clock:
    """The platform clock, movable by a test."""

    def __init__(self) -> None:
        self.at = MONDAY

    def move(self, **delta: float) -> None:
        self.at = self.at + dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def moment(monkeypatch) -> Clock:
    current = Clock()
    monkeypatch.setattr(clock, "now", lambda: current.at)
    return current


@pytest.fixture
def person_item(world: World) -> ServiceItem:
    return published_item(world.dept_a_market)


@pytest.fixture
def agent(world: World):
    return hotline_agent(world)
