"""List endpoints and list pages run a fixed number of queries, however many rows they show (no N+1)."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.regions.demo import demo_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return demo_load()


def test_department_list_endpoint_is_one_query(demo, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(1):
        rows = client.get("/api/v1/regions/departments").json()
    assert len(rows) == demo.departments


def test_venue_list_endpoint_is_one_query(demo, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(1):
        rows = client.get("/api/v1/regions/venues").json()
    assert len(rows) == demo.venues


def test_venues_page_is_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    client = Client()
    with django_assert_max_num_queries(4):
        page = client.get("/venues/", {"region": "371302"}).content.decode()
    assert page.count('class="card"') >= 3  # the county centre and its towns' centres


def test_departments_page_is_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    client = Client()
    with django_assert_max_num_queries(4):
        page = client.get("/departments/").content.decode()
    assert "临沂市公安局" in page
