"""Shared fixtures: a small valid region (``world``), the demo region, and the role matrix."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.catalog.models import CatalogEntry, ServiceItem
from yiwang.catalog.services import catalog_entry_create, item_create
from yiwang.core import crypto
from yiwang.testing.catalog import sample_content
from yiwang.testing.otp import force_login_verified
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that do not test hashing use a fast hasher.
    ``tests/core/test_settings.py`` asserts the real configuration puts Argon2 first."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """``Client.force_login`` skips authentication: the password and, for a role in ``SECOND_FACTOR_ROLES``,
    the second factor too — by the hook django-otp itself uses (``yiwang.testing.otp``), not by any setting.
    Tests of the sign-in flow (tests/accounts, tests/browser) go through the real pages instead."""
    original = Client.force_login

    def force_login(self, user, backend=None):
        force_login_verified(self, user, original=lambda client, who: original(client, who, backend))

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fresh_keys():
    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The working-day index lives in the process and would outlive a test's rolled-back calendar rows."""
    from yiwang.workdays.calendar import calendar_invalidate

    calendar_invalidate()
    yield
    calendar_invalidate()


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def person_matrix(world: World) -> RoleMatrix:
    """Personas around ``world.persons['owner']``, a citizen of 兰山区."""
    return RoleMatrix(
        users={
            "owner": world.users["citizen_owner"],
            "same_department": world.users["clerk_a"],
            "other_department": world.users["approver_a"],
            "other_region": world.users["clerk_b"],
            "citizen": world.users["citizen_other"],
            "anonymous": None,
        }
    )


@pytest.fixture
def entry(world: World) -> CatalogEntry:
    """A 基本目录 entry for 食品经营许可 (行政许可, city and county level)."""
    return catalog_entry_create(
        actor=None,
        code="000101234000",
        name="食品经营许可",
        task_type="01",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        levels=[3, 4],
    )


@pytest.fixture
def item(world: World, entry: CatalogEntry) -> ServiceItem:
    """A draft item of 兰山区市场监督管理局 with complete, valid content."""
    return item_create(actor=None, entry=entry, department=world.dept_a_market, level=4, content=sample_content())
