"""Workbench pages of 事项管理: the editor saves through the service, shows problems, submits; the review
page shows the element diff and publishes; people without the role are refused."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from yiwang.catalog.choices import ChangeRequestState, ItemState
from yiwang.catalog.forms import initial_from_content
from yiwang.catalog.models import ChangeRequest, ItemDraft, ServiceItem
from yiwang.catalog.services import change_submit, publish_directly
from yiwang.testing.world import World


def _client(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def _post_data(item: ServiceItem, **changes) -> dict:
    draft = ItemDraft.objects.get(item=item)
    data = {k: v for k, v in initial_from_content(draft.content, draft.revision).items() if v is not None}
    data.update(changes)
    for flag in (
        "is_online",
        "in_hall",
        "commitment",
        "high_frequency",
        "is_fee",
        "appointment",
        "express",
        "auto_approval",
    ):
        if data.get(flag) is False:
            data.pop(flag)
    return data


def test_editor_saves_a_change_through_the_service(world: World, item: ServiceItem):
    client = _client(world, "deptadmin_a")
    url = reverse("workbench:catalog_edit", args=[item.pk])
    page = client.get(url).content.decode()
    assert "草稿符合全部发布规则" in page
    response = client.post(url, _post_data(item, promise_value=3, summary="三个工作日办结。"))
    assert response.status_code == 302
    draft = ItemDraft.objects.get(item=item)
    assert (draft.revision, draft.content["promise_limit"]["value"], draft.content["summary"]) == (
        2,
        3,
        "三个工作日办结。",
    )
    assert draft.content["materials"] == item.draft.content["materials"]  # untouched elements survive


def test_editor_shows_problems_and_bad_json(world: World, item: ServiceItem):
    client = _client(world, "deptadmin_a")
    url = reverse("workbench:catalog_edit", args=[item.pk])
    client.post(url, _post_data(item, promise_value=99))
    page = client.get(url).content.decode()
    assert "承诺办结时限（99）不能超过法定办结时限（20）" in page
    bad = client.post(url, _post_data(item, materials="[{oops"), follow=True).content.decode()
    assert "不是合法的 JSON：第 1 行第 3 列" in bad
    assert ItemDraft.objects.get(item=item).revision == 2


def test_editor_refuses_a_stale_revision(world: World, item: ServiceItem):
    client = _client(world, "deptadmin_a")
    url = reverse("workbench:catalog_edit", args=[item.pk])
    stale = _post_data(item, summary="乙的修改")
    client.post(url, _post_data(item, summary="甲的修改"))
    page = client.post(url, stale).content.decode()
    assert "草稿已被他人修改，请刷新后再编辑" in page
    assert ItemDraft.objects.get(item=item).content["summary"] == "甲的修改"


def test_submit_then_review_with_diff_then_publish(world: World, item: ServiceItem):
    publish_directly(actor=None, item=item)
    editor = _client(world, "deptadmin_a")
    editor.post(reverse("workbench:catalog_edit", args=[item.pk]), _post_data(item, promise_value=2))
    editor.post(reverse("workbench:catalog_submit", args=[item.pk]), {"kind": "publish", "reason": "压缩时限"})
    change = ChangeRequest.objects.get(state=ChangeRequestState.SUBMITTED)
    reviewer = _client(world, "admin")
    queue = reviewer.get(reverse("workbench:catalog_review_queue")).content.decode()
    assert "食品经营许可" in queue
    review_page = reviewer.get(reverse("workbench:catalog_review", args=[change.pk])).content.decode()
    assert "承诺办结时限·时限" in review_page
    assert "要素级差异（1 处）" in review_page
    reviewer.post(reverse("workbench:catalog_review", args=[change.pk]), {"decision": "approve", "comment": "同意"})
    item.refresh_from_db()
    assert (item.state, item.current_version.number, item.current_version.promise_days) == (ItemState.PUBLISHED, 2, 2)
    diff = editor.get(reverse("workbench:catalog_diff", args=[item.pk]), {"old": 1, "new": 2}).content.decode()
    assert "承诺办结时限·时限" in diff


def test_return_needs_a_comment(world: World, item: ServiceItem):
    change = change_submit(actor=None, item_id=item.pk)
    reviewer = _client(world, "admin")
    page = reviewer.post(reverse("workbench:catalog_review", args=[change.pk]), {"decision": "return"}, follow=True)
    assert "退回须填写审核意见" in page.content.decode()
    change.refresh_from_db()
    assert change.state == ChangeRequestState.SUBMITTED


def test_pages_refuse_people_without_the_role(world: World, item: ServiceItem):
    change = change_submit(actor=None, item_id=item.pk)
    assert _client(world, "approver_a").get(reverse("workbench:catalog_list")).status_code == 403
    assert _client(world, "deptadmin_b").get(reverse("workbench:catalog_edit", args=[item.pk])).status_code == 404
    assert _client(world, "deptadmin_a").get(reverse("workbench:catalog_review", args=[change.pk])).status_code == 403
    assert _client(world, "citizen_owner").get(reverse("workbench:catalog_list")).status_code == 403


def test_item_list_shows_only_my_department(world: World, item: ServiceItem):
    mine = _client(world, "deptadmin_a").get(reverse("workbench:catalog_list")).content.decode()
    theirs = _client(world, "deptadmin_a_admin").get(reverse("workbench:catalog_list")).content.decode()
    assert item.task_code in mine
    assert item.task_code not in theirs
