"""Catalog API: the public read API (ETag, filters, fixed query counts) and the staff endpoints under the
role matrix (a department admin edits only his department; only the platform admin approves)."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.catalog.models import ChangeRequest, ItemDraft, ItemVersion, ServiceItem
from yiwang.catalog.services import catalog_entry_create, change_submit, item_create, publish_directly
from yiwang.testing.catalog import sample_content
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World

API = "/api/v1/catalog"


@pytest.fixture
def matrix(world: World) -> RoleMatrix:
    """Personas around an item of 兰山区市场监督管理局."""
    return RoleMatrix(
        users={
            "owner": world.users["deptadmin_a"],  # department admin of that bureau
            "same_department": world.users["approver_a"],  # same bureau, no editing role
            "other_department": world.users["deptadmin_a_admin"],  # department admin of another bureau
            "other_region": world.users["deptadmin_b"],  # department admin in 罗庄区
            "citizen": world.users["citizen_owner"],
            "anonymous": None,
        }
    )


def _published(world: World, n: int) -> list[ItemVersion]:
    entry = catalog_entry_create(
        actor=None, code="000101999000", name="测试事项", task_type="01", legal_basis="依据", levels=[4]
    )
    versions = []
    for i in range(n):
        item = item_create(
            actor=None,
            entry=entry,
            department=world.dept_a_market,
            level=4,
            handle_item=f"{i:02d}",
            content=sample_content(name=f"测试事项{i:02d}"),
        )
        versions.append(publish_directly(actor=None, item=item))
    return versions


def test_detail_has_an_etag_and_answers_304(world: World, item: ServiceItem):
    version = publish_directly(actor=None, item=item)
    client = Client()
    response = client.get(f"{API}/items/{item.task_code}")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["version"], body["content"]["name"]) == (item.task_code, 1, "食品经营许可（新办）")
    assert body["department"]["uscc"] == world.dept_a_market.uscc
    assert response["ETag"] == f'"{version.content_hash}"'
    again = client.get(f"{API}/items/{item.task_code}", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_list_filters_and_etag_changes_when_content_changes(world: World):
    _published(world, 3)
    client = Client()
    page = client.get(f"{API}/items", {"q": "测试事项01"})
    assert [row["name"] for row in page.json()["items"]] == ["测试事项01"]
    full = client.get(f"{API}/items", {"page_size": 2})
    assert full.json()["count"] == 3
    assert len(full.json()["items"]) == 2
    assert client.get(f"{API}/items", {"page_size": 2}, headers={"If-None-Match": full["ETag"]}).status_code == 304
    assert client.get(f"{API}/items", {"audience": "person"}).json()["count"] == 0  # sample is for enterprises
    assert client.get(f"{API}/items", {"audience": "organisation"}).json()["count"] == 3
    assert client.get(f"{API}/items", {"theme": "open"}).json()["count"] == 3
    bad = client.get(f"{API}/items", {"page_size": 1000})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.page_size"


@pytest.mark.parametrize("count", [3, 30])
def test_list_endpoint_query_count_does_not_grow(world: World, count: int, django_assert_num_queries):
    _published(world, count)
    with django_assert_num_queries(2):  # count + page
        rows = Client().get(f"{API}/items", {"page_size": 100}).json()["items"]
    assert len(rows) == count


def test_versions_and_diff(world: World, item: ServiceItem):
    publish_directly(actor=None, item=item)
    from yiwang.catalog.services import draft_update

    draft_update(actor=None, item_id=item.pk, content=sample_content(promise_limit={"value": 3}), revision=1)
    publish_directly(actor=None, item=item)
    client = Client()
    assert [v["version"] for v in client.get(f"{API}/items/{item.task_code}/versions").json()] == [2, 1]
    old = client.get(f"{API}/items/{item.task_code}/versions/1").json()
    assert old["content"]["promise_limit"]["value"] == 5
    diff = client.get(f"{API}/items/{item.task_code}/diff", {"old": 1, "new": 2}).json()
    assert diff == [
        {"path": "promise_limit.value", "label": "承诺办结时限·时限", "kind": "changed", "old": 5, "new": 3}
    ]


def test_unpublished_and_unknown_items_are_404_problem_json(world: World, item: ServiceItem):
    for code in (item.task_code, "X" * 31):
        response = Client().get(f"{API}/items/{code}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_derived_list_endpoint(world: World, item: ServiceItem):
    publish_directly(actor=None, item=item)
    client = Client()
    assert [r["name"] for r in client.get(f"{API}/lists/commitment").json()] == ["食品经营许可（新办）"]
    assert client.get(f"{API}/lists/not-in-hall").json() == []
    assert client.get(f"{API}/lists/nonsense").status_code == 404


def test_draft_read_role_matrix(world: World, item: ServiceItem, matrix: RoleMatrix):
    responses = matrix.check(
        lambda c: c.get(f"{API}/drafts/{item.pk}"),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
    )
    body = responses["owner"].json()
    assert (body["revision"], body["problems"], body["state"]) == (1, [], "draft")


def test_draft_save_role_matrix(world: World, item: ServiceItem, matrix: RoleMatrix):
    revisions = iter(range(1, 10))

    def save(client: Client):
        return client.put(
            f"{API}/drafts/{item.pk}",
            {
                "content": sample_content(summary=f"第{next(revisions)}次"),
                "revision": ItemDraft.objects.get(item=item).revision,
            },
            content_type="application/json",
        )

    matrix.check(
        save,
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
        side_effect=lambda: ItemDraft.objects.get(item=item).content,
    )


def test_saving_an_incomplete_draft_is_allowed_and_lists_the_problems(world: World, item: ServiceItem):
    client = Client()
    client.force_login(world.users["deptadmin_a"])
    content = sample_content(promise_limit={"value": 40})
    response = client.put(
        f"{API}/drafts/{item.pk}", {"content": content, "revision": 1}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["problems"] == [
        {"field": "promise_limit.value", "message": "承诺办结时限·时限：承诺办结时限（40）不能超过法定办结时限（20）"}
    ]
    submit = client.post(f"{API}/drafts/{item.pk}/submit", {}, content_type="application/json")
    assert submit.status_code == 422
    assert submit.json()["errors"][0]["field"] == "content.promise_limit.value"
    assert not ChangeRequest.objects.exists()


def test_submit_role_matrix(world: World, entry, matrix: RoleMatrix):
    items = iter(
        item_create(
            actor=None,
            entry=entry,
            department=world.dept_a_market,
            level=4,
            handle_item=f"{i:02d}",
            content=sample_content(),
        )
        for i in range(10)
    )

    def submit(client: Client):
        return client.post(f"{API}/drafts/{next(items).pk}/submit", {"reason": "新增"}, content_type="application/json")

    matrix.check(
        submit,
        {
            "owner": 201,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
        side_effect=ChangeRequest.objects.count,
    )


def test_approve_role_matrix_only_platform_admin(world: World, item: ServiceItem, matrix: RoleMatrix):
    change = change_submit(actor=None, item_id=item.pk)
    matrix.check(
        lambda c: c.post(f"{API}/changes/{change.pk}/approve", {}, content_type="application/json"),
        {
            "owner": 403,
            "same_department": 403,
            "other_department": 403,
            "other_region": 403,
            "citizen": 403,
            "anonymous": 401,
        },
        side_effect=ItemVersion.objects.count,
    )
    admin = Client()
    admin.force_login(world.users["admin"])
    queue = admin.get(f"{API}/changes").json()
    assert [c["id"] for c in queue] == [change.pk]
    detail = admin.get(f"{API}/changes/{change.pk}").json()
    assert detail["changes"][0]["kind"] == "added"  # against no current version, everything is new
    approved = admin.post(f"{API}/changes/{change.pk}/approve", {"comment": "同意"}, content_type="application/json")
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert admin.post(f"{API}/changes/{change.pk}/approve", {}, content_type="application/json").status_code == 409
