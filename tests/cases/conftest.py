"""Fixtures of the cases tests: a published item for individuals and uploads owned by the applicant."""

from __future__ import annotations

import pytest

from yiwang.catalog.models import ServiceItem
from yiwang.files.models import Upload
from yiwang.files.services import upload_create
from yiwang.testing.cases import published_item
from yiwang.testing.world import World

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def person_item(world: World) -> ServiceItem:
    return published_item(world.dept_a_market)


@pytest.fixture
def upload_for(world: World):
    def make(username: str = "citizen_owner", content: bytes = b"") -> Upload:
        data = PDF + (content or username.encode())
        return upload_create(actor=world.users[username], name="材料.pdf", data=data)

    return make
