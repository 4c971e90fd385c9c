"""Catalog fixtures: one catalog entry and one draft item of 兰山区市场监督管理局."""

from __future__ import annotations

import pytest

from yiwang.catalog.models import CatalogEntry, ServiceItem
from yiwang.catalog.services import catalog_entry_create, item_create
from yiwang.testing.catalog import sample_content
from yiwang.testing.world import World


@pytest.fixture
def entry(world: World) -> CatalogEntry:
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
    return item_create(actor=None, entry=entry, department=world.dept_a_market, level=4, content=sample_content())
