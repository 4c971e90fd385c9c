"""Staff accounts and their grants: scope rules, audited changes, and who may grant what."""

from __future__ import annotations

import pytest

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.models import LegalPerson, StaffAssignment
from yiwang.accounts.permissions import Action, scopes_for
from yiwang.accounts.services import legal_person_register, staff_assign, staff_create
from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_uscc
from yiwang.testing.world import PASSWORD, World


def test_window_clerk_scope_covers_every_department_of_the_region(world: World):
    scopes = scopes_for(world.users["clerk_a"], Action.PERSON_REVEAL)
    assert [(s.region_path, s.department_id) for s in scopes] == [("/370000/371300/371302/", None)]
    assert scopes_for(world.users["approver_a"], Action.PERSON_VIEW) == []


def test_regranting_a_role_with_a_new_region_updates_it_and_is_audited(world: World):
    clerk = world.users["clerk_a"]
    before = StaffAssignment.objects.get(user=clerk, role=StaffRole.WINDOW_CLERK)
    assert before.window == world.window_a1
    staff_assign(actor=world.users["admin"], user=clerk, role=StaffRole.WINDOW_CLERK, region=world.town_a)
    after = StaffAssignment.objects.get(user=clerk, role=StaffRole.WINDOW_CLERK)
    assert (after.region, after.window) == (world.town_a, None)
    event = AuditEvent.objects.filter(action="staff.reassign").get()
    assert event.changes == {"region": ["371302", "371302001"], "window": [world.window_a1.pk, None]}
    assert StaffAssignment.objects.filter(user=clerk).count() == 1


def test_only_a_window_clerk_may_be_bound_to_a_window(world: World):
    with pytest.raises(DomainError) as caught:
        staff_assign(actor=None, user=world.users["approver_a"], role=StaffRole.APPROVER, window=world.window_a1)
    assert caught.value.field == "window"


def test_department_admin_manages_only_his_department(world: World):
    deptadmin = staff_create(
        actor=None, username="deptadmin_x", password=PASSWORD, display_name="部门管理员", department=world.dept_a_market
    )
    staff_assign(actor=None, user=deptadmin, role=StaffRole.DEPARTMENT_ADMIN)
    colleague = staff_create(
        actor=deptadmin,
        username="new_approver",
        password=PASSWORD,
        display_name="新审批员",
        department=world.dept_a_market,
    )
    assert staff_assign(actor=deptadmin, user=colleague, role=StaffRole.APPROVER).department == world.dept_a_market
    with pytest.raises(DomainError) as caught:
        staff_create(
            actor=deptadmin, username="outsider", password=PASSWORD, display_name="越权", department=world.dept_a_admin
        )
    assert caught.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as caught:
        staff_assign(actor=deptadmin, user=colleague, role=StaffRole.PLATFORM_ADMIN)
    assert caught.value.code == ErrorCode.PERMISSION_DENIED
    assert not StaffAssignment.objects.filter(user=colleague, role=StaffRole.PLATFORM_ADMIN).exists()


def test_legal_person_is_registered_by_staff_in_scope_or_by_its_representative(world: World):
    owner = world.persons["owner"]
    code = make_uscc("91", "371302", "MA0000A1")
    with pytest.raises(DomainError) as caught:
        legal_person_register(
            actor=world.users["clerk_b"], uscc=code, name="某公司", legal_representative=owner, region=world.county_a
        )
    assert caught.value.code == ErrorCode.PERMISSION_DENIED
    legal = legal_person_register(
        actor=world.users["citizen_owner"],
        uscc=code,
        name="临沂测试科技有限公司",
        legal_representative=owner,
        region=world.county_a,
    )
    assert legal.legal_representative == owner
    with pytest.raises(DomainError) as caught:
        legal_person_register(
            actor=world.users["clerk_a"],
            uscc=code.lower(),
            name="重复",
            legal_representative=owner,
            region=world.county_a,
        )
    assert caught.value.code == ErrorCode.CONFLICT
    assert LegalPerson.objects.count() == 1
