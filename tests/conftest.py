"""Shared fixtures: a small valid region (``world``), the demo region, and the role matrix."""

from __future__ import annotations

import pytest

from yiwang.core import crypto
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that do not test hashing use a fast hasher.
    ``tests/core/test_settings.py`` asserts the real configuration puts Argon2 first."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_keys():
    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()


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
