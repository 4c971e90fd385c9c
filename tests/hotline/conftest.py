"""Fixtures of the hotline tests: the clock on a Monday, a 12345 agent, a leaf category."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from yiwang.accounts.models import User
from yiwang.core import clock
from yiwang.hotline.models import Category
from yiwang.testing.hotline import MONDAY, hotline_agent, leaf
from yiwang.testing.world import World


@pytest.fixture
def at(monkeypatch) -> Callable[[dt.datetime], None]:
    """Move the platform clock: ``at(moment)``; starts on MONDAY."""
    moment = [MONDAY]
    monkeypatch.setattr(clock, "now", lambda: moment[0])

    def move(to: dt.datetime) -> None:
        moment[0] = to

    return move


@pytest.fixture
def agent(world: World, at) -> User:
    return hotline_agent(world)


@pytest.fixture
def streetlight(world: World) -> Category:
    return leaf("0201")
