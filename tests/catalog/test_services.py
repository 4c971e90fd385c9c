"""动态管理: drafts, change requests, review, immutable versions, publishing rules and diffs."""

from __future__ import annotations

import pytest
from django.db import connection

from yiwang.audit.models import AuditEvent
from yiwang.catalog.choices import ChangeKind, ChangeRequestState, ItemState
from yiwang.catalog.diff import content_diff
from yiwang.catalog.models import ChangeRequest, ItemVersion, ServiceItem
from yiwang.catalog.rules import check_content
from yiwang.catalog.services import (
    catalog_entry_create,
    change_approve,
    change_return,
    change_submit,
    change_withdraw,
    draft_update,
    item_create,
    publish_directly,
)
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.testing.catalog import sample_content
from yiwang.testing.world import World


def test_task_code_is_uscc_plus_level_plus_catalog_code(world: World, item: ServiceItem):
    assert item.task_code == world.dept_a_market.uscc + "4" + "000101234000"
    assert len(item.task_code) == 31
    assert item.state == ItemState.DRAFT


def test_catalog_code_must_carry_the_task_type(world: World):
    with pytest.raises(DomainError) as caught:
        catalog_entry_create(actor=None, code="000201234000", name="x", task_type="01", legal_basis="y", levels=[4])
    assert "事项类型代码 01" in caught.value.message
    with pytest.raises(DomainError) as caught:
        catalog_entry_create(actor=None, code="0001012340", name="x", task_type="01", legal_basis="y", levels=[4])
    assert caught.value.field == "code"


def test_level_must_be_one_of_the_entry_levels(world: World, entry):
    with pytest.raises(DomainError) as caught:
        item_create(actor=None, entry=entry, department=world.dept_a_market, level=5, content={})
    assert caught.value.field == "level"


def test_duplicate_task_code_is_refused(world: World, entry, item):
    with pytest.raises(DomainError) as caught:
        item_create(actor=None, entry=entry, department=world.dept_a_market, level=4, content={})
    assert caught.value.code == ErrorCode.CONFLICT
    assert ServiceItem.objects.count() == 1
    handled = item_create(
        actor=None, entry=entry, department=world.dept_a_market, level=4, handle_item="01", content={}
    )
    assert handled.handle_item_code == item.task_code + "01"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"promise_limit": {"value": 25}}, "promise_limit.value", "承诺办结时限（25）不能超过法定办结时限（20）"),
        ({"promise_limit": {"value": 3, "unit": "natural_day"}}, "promise_limit.unit", "单位应一致"),
        (
            {"steps": [{"name": f"环节{i}", "unit": "科室"} for i in range(4)]},
            "steps",
            "单部门办理的事项最多3个办理环节，现有4个",
        ),
        ({"case_kind": "1"}, "promise_limit.value", "即办件的承诺办结时限应为0"),
        ({"visits": 1}, "visits", "全程网办事项的到现场次数应为0"),
        ({"is_fee": True}, "fees", "收费事项须列出收费项目"),
        ({"commitment_text": ""}, "commitment_text", "告知承诺事项须提供承诺书内容"),
        ({"in_hall": True, "transact_time": ""}, "transact_address", "须写明办理地点和办理时间"),
        ({"joint_departments": ["91110000MA01ABCD52"]}, "joint_departments.0", "不是平台上的机构"),
        ({"legal_basis": ""}, "legal_basis", "设定依据：长度不能少于 1 个字符"),
        ({"results": []}, "results", "办理结果：至少需要 1 项"),
    ],
)
def test_publishing_rules_name_the_element(world: World, overrides, field: str, message: str):
    from yiwang.catalog.services import known_usccs

    content, errors = check_content(sample_content(**overrides), known_usccs=known_usccs())
    assert content is None
    assert field in [e.field for e in errors]
    assert any(message in e.message for e in errors if e.field == field), [e.message for e in errors]


def test_joint_items_may_have_five_steps_but_not_six(world: World):
    steps = [{"name": f"环节{i}", "unit": "科室"} for i in range(5)]
    joint = [world.dept_a_admin.uscc]
    assert check_content(sample_content(steps=steps, joint_departments=joint), known_usccs={joint[0]})[1] == []
    errors = check_content(sample_content(steps=[*steps, steps[0]], joint_departments=joint), known_usccs={joint[0]})[1]
    assert [e.message for e in errors] == ["办理环节：多部门联办事项最多5个办理环节，现有6个"]


def test_submit_refuses_an_invalid_draft_and_writes_nothing(world: World, entry):
    bad = item_create(
        actor=None,
        entry=entry,
        department=world.dept_a_admin,
        level=4,
        content=sample_content(promise_limit={"value": 30}),
    )
    with pytest.raises(DomainError) as caught:
        change_submit(actor=world.users["deptadmin_a_admin"], item_id=bad.pk)
    assert caught.value.code == ErrorCode.VALIDATION
    assert caught.value.errors[0].field == "content.promise_limit.value"
    assert not ChangeRequest.objects.exists()


def test_review_cycle_return_edit_resubmit_approve(world: World, item: ServiceItem):
    editor, reviewer = world.users["deptadmin_a"], world.users["admin"]
    first = change_submit(actor=editor, item_id=item.pk, reason="新增事项")
    with pytest.raises(DomainError) as caught:
        change_submit(actor=editor, item_id=item.pk)
    assert caught.value.code == ErrorCode.CONFLICT  # one open request per item
    with pytest.raises(DomainError) as caught:
        change_return(actor=reviewer, change_id=first.pk, comment="  ")
    assert caught.value.field == "comment"
    change_return(actor=reviewer, change_id=first.pk, comment="请补充经营场所要求")
    first.refresh_from_db()
    assert first.state == ChangeRequestState.RETURNED
    draft = item.draft
    draft_update(
        actor=editor, item_id=item.pk, content=sample_content(summary="补充了经营场所要求。"), revision=draft.revision
    )
    second = change_submit(actor=editor, item_id=item.pk)
    version = change_approve(actor=reviewer, change_id=second.pk, comment="同意")
    assert version is not None
    item.refresh_from_db()
    assert (item.state, item.current_version, version.number) == (ItemState.PUBLISHED, version, 1)
    assert version.content["summary"] == "补充了经营场所要求。"
    assert (version.commitment, version.deferrable, version.licence_free, version.is_fully_online) == (
        True,
        True,
        True,
        True,
    )
    events = AuditEvent.objects.filter(object_type="catalog.serviceitem", object_id=str(item.pk))
    actions = list(events.values_list("action", flat=True).order_by("id"))
    assert actions == [
        "item.create",
        "change.submit",
        "change.return",
        "item.draft_update",
        "change.submit",
        "change.approve",
    ]


def test_department_admin_cannot_approve_and_platform_admin_can(world: World, item: ServiceItem):
    change = change_submit(actor=world.users["deptadmin_a"], item_id=item.pk)
    for username in ("deptadmin_a", "approver_a", "clerk_a", "citizen_owner"):
        with pytest.raises(DomainError) as caught:
            change_approve(actor=world.users[username], change_id=change.pk)
        assert caught.value.code == ErrorCode.PERMISSION_DENIED
    assert not ItemVersion.objects.exists()
    assert change_approve(actor=world.users["admin"], change_id=change.pk) is not None


def test_department_admin_edits_only_his_department(world: World, item: ServiceItem):
    for username in ("deptadmin_a_admin", "deptadmin_b", "approver_a"):
        with pytest.raises(DomainError) as caught:
            draft_update(actor=world.users[username], item_id=item.pk, content={}, revision=1)
        assert caught.value.code == ErrorCode.PERMISSION_DENIED
    item.draft.refresh_from_db()
    assert item.draft.content == sample_content()


def test_stale_revision_is_refused(world: World, item: ServiceItem):
    editor = world.users["deptadmin_a"]
    draft_update(actor=editor, item_id=item.pk, content=sample_content(summary="甲的修改"), revision=1)
    with pytest.raises(DomainError) as caught:
        draft_update(actor=editor, item_id=item.pk, content=sample_content(summary="乙的修改"), revision=1)
    assert caught.value.code == ErrorCode.CONFLICT
    item.draft.refresh_from_db()
    assert item.draft.content["summary"] == "甲的修改"


def test_a_published_version_is_never_changed_by_later_edits(world: World, item: ServiceItem):
    v1 = publish_directly(actor=None, item=item)
    frozen = (v1.content, v1.content_hash)
    draft_update(actor=None, item_id=item.pk, content=sample_content(name="食品经营许可（变更）"), revision=1)
    v1.refresh_from_db()
    assert (v1.content, v1.content_hash) == frozen
    v2 = publish_directly(actor=None, item=item)
    v1.refresh_from_db()
    assert (v1.content, v1.content_hash) == frozen
    assert v1.effective_until is not None
    assert (v2.number, v2.name) == (2, "食品经营许可（变更）")
    item.refresh_from_db()
    assert item.current_version == v2


def test_publishing_identical_content_again_is_refused(world: World, item: ServiceItem):
    publish_directly(actor=None, item=item)
    with pytest.raises(DomainError) as caught:
        change_submit(actor=None, item_id=item.pk)
    assert caught.value.code == ErrorCode.INVALID_STATE


def test_cancel_needs_a_reason_and_keeps_history(world: World, item: ServiceItem):
    version = publish_directly(actor=None, item=item)
    with pytest.raises(DomainError):
        change_submit(actor=None, item_id=item.pk, kind=ChangeKind.CANCEL)
    change = change_submit(actor=None, item_id=item.pk, kind=ChangeKind.CANCEL, reason="职能调整，事项划转")
    assert change_approve(actor=None, change_id=change.pk) is None
    item.refresh_from_db()
    version.refresh_from_db()
    assert item.state == ItemState.CANCELLED
    assert version.effective_until is not None
    with pytest.raises(DomainError) as caught:
        draft_update(actor=None, item_id=item.pk, content={}, revision=1)
    assert caught.value.code == ErrorCode.INVALID_STATE


def test_withdraw_only_while_submitted(world: World, item: ServiceItem):
    change = change_submit(actor=None, item_id=item.pk)
    change_withdraw(actor=world.users["deptadmin_a"], change_id=change.pk)
    with pytest.raises(DomainError) as caught:
        change_approve(actor=None, change_id=change.pk)
    assert caught.value.code == ErrorCode.INVALID_STATE


def test_database_refuses_a_version_whose_promise_exceeds_the_legal_limit(world: World, item: ServiceItem):
    version = publish_directly(actor=None, item=item)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_itemversion SET promise_days = 99 WHERE id = %s", [version.pk])


def test_diff_names_changed_elements_and_matches_materials_by_code():
    old = sample_content()
    new = sample_content(promise_limit={"value": 3, "unit": "workday"})
    new["materials"] = [dict(m) for m in reversed(old["materials"])]  # same materials, other order
    new["materials"][0]["necessity"] = "required"  # floor_plan was required already
    new["materials"][1]["necessity"] = "required"  # food_safety_rules: deferrable → required
    new["materials"].append({"code": "lease", "name": "租赁合同"})
    changes = {c.path: c for c in content_diff(old, new)}
    assert set(changes) == {"promise_limit.value", "materials.#food_safety_rules.necessity", "materials.#lease"}
    assert (changes["promise_limit.value"].old, changes["promise_limit.value"].new) == (5, 3)
    assert changes["promise_limit.value"].label == "承诺办结时限·时限"
    assert changes["materials.#food_safety_rules.necessity"].label == "申请材料·材料必要性（food_safety_rules）"
    assert changes["materials.#lease"].kind == "added"
    assert content_diff(old, sample_content()) == []
