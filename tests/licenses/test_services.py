"""Issuance, versions, status, 免提交 and 秒批 facts through the services (the crypto is tested in test_crypto)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEvent
from yiwang.cases import services as case_services
from yiwang.cases.auto_rules import build_facts
from yiwang.cases.choices import AcceptMode, Decision, MaterialStatus, StepState
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.licenses import identifiers, services
from yiwang.licenses.choices import LicenseStatus, UseKind, Verdict
from yiwang.licenses.models import License, LicenseUse
from yiwang.licenses.selectors import license_verify
from yiwang.testing.cases import published_item, valid_form
from yiwang.testing.licenses import PERSON_TYPE_CODE, issued_license, person_license_type, seal_for

pytestmark = pytest.mark.django_db

ACCEPTED_AT = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)  # Monday 1 June 2026, 10:00 in Shanghai
REAL = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"


def test_the_check_character_reproduces_a_real_identifier():
    parts = REAL.split(".")
    assert identifiers.check_character("".join(parts[5:-1])) == "U"
    assert identifiers.is_well_formed(REAL)
    assert not identifiers.is_well_formed(REAL[:-1] + "V")
    assert identifiers.compose(parts[5], parts[6], parts[7], 1) == REAL
    assert identifiers.normalize(" 1．2.156.3005.2.11100000000013338w011") == "1.2.156.3005.2.11100000000013338W011"


def test_every_single_character_change_is_caught_by_the_check_character():
    body = "".join(REAL.split(".")[5:-1])
    alphabet = identifiers.ALPHABET
    for position in range(len(body)):
        for replacement in "0A9Z":
            if body[position] == replacement:
                continue
            changed = body[:position] + replacement + body[position + 1 :]
            assert identifiers.check_character(changed) != "U", (position, replacement)
    assert set(identifiers.new_serial()) <= set(alphabet)


def test_issued_licence_has_identifier_encrypted_holder_signed_metadata_and_audit(world):
    person = world.persons["owner"]
    kind = person_license_type()
    license = issued_license(kind, world.dept_a_market, person=person, face={"shop_name": "甲记", "scope": "餐饮"})
    assert identifiers.is_well_formed(license.identifier)
    assert license.identifier.split(".")[5:7] == [PERSON_TYPE_CODE, world.dept_a_market.uscc]
    assert license.version == 1 and license.status == LicenseStatus.VALID
    assert license.holder_code_index == person.id_number_index
    assert services.holder_code(license) not in license.holder_code_cipher  # encrypted at rest
    assert "甲记" not in license.face_cipher
    assert services.face_data(license) == {"shop_name": "甲记", "scope": "餐饮"}
    assert license.valid_until is not None and license.valid_until.year == license.valid_from.year + 5
    assert services.metadata_signature_valid(license)
    assert AuditEvent.objects.filter(action="license.issue", object_id=str(license.pk)).count() == 1


def test_an_altered_row_fails_the_metadata_signature(world):
    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    License.objects.filter(pk=license.pk).update(number="篡改编号")
    license.refresh_from_db()
    assert not services.metadata_signature_valid(license)
    assert license_verify(license.identifier).metadata_intact is False
    License.objects.filter(pk=license.pk).update(metadata_signature=base64.b64encode(b"junk").decode())
    license.refresh_from_db()
    assert not services.metadata_signature_valid(license)


def test_one_live_licence_per_holder_and_type_unless_the_type_allows_more(world):
    kind = person_license_type()
    issued_license(kind, world.dept_a_market, person=world.persons["owner"])
    with pytest.raises(DomainError) as error:
        issued_license(kind, world.dept_a_market, person=world.persons["owner"])
    assert error.value.code == ErrorCode.CONFLICT and "已持有有效的" in error.value.message
    assert License.objects.filter(type=kind).count() == 1
    several = person_license_type(code="11100000MB0143028L102", name="从业资格证", multiple_live=True)
    issued_license(several, world.dept_a_market, person=world.persons["owner"])
    issued_license(several, world.dept_a_market, person=world.persons["owner"])
    assert License.objects.filter(type=several).count() == 2


def test_correction_makes_the_next_version_and_the_old_one_lapses(world):
    approver = world.users["approver_a"]
    first = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    second = services.license_correct(
        actor=approver, license_id=first.pk, face={"shop_name": "甲记小吃"}, reason="名称有误"
    )
    first.refresh_from_db()
    assert (second.version, second.serial, second.previous_id) == (2, first.serial, first.pk)
    assert second.identifier.split(".")[-2] == "002" and identifiers.is_well_formed(second.identifier)
    assert first.status == LicenseStatus.LAPSED
    assert services.face_data(second)["shop_name"] == "甲记小吃"
    assert license_verify(first.identifier).verdict == Verdict.SUPERSEDED
    assert license_verify(second.identifier).verdict == Verdict.AUTHENTIC
    with pytest.raises(DomainError) as error:  # the old version cannot be corrected again
        services.license_correct(actor=approver, license_id=first.pk, face={}, reason="再改")
    assert error.value.code == ErrorCode.INVALID_STATE


def test_status_changes_belong_to_the_issuing_department_and_final_ones_stay_final(world):
    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    for outsider in ("clerk_a", "clerk_b", "deptadmin_b", "citizen_owner"):
        with pytest.raises(DomainError):
            services.license_set_status(
                actor=world.users[outsider], license_id=license.pk, status=LicenseStatus.REVOKED, reason="越权"
            )
    approver = world.users["approver_a"]
    services.license_set_status(actor=approver, license_id=license.pk, status=LicenseStatus.SUSPENDED, reason="核查")
    assert license_verify(license.identifier).verdict == Verdict.SUSPENDED
    services.license_set_status(actor=approver, license_id=license.pk, status=LicenseStatus.VALID, reason="核查完毕")
    services.license_set_status(actor=approver, license_id=license.pk, status=LicenseStatus.REVOKED, reason="骗取许可")
    assert license_verify(license.identifier).verdict == Verdict.REVOKED
    with pytest.raises(DomainError) as error:
        services.license_set_status(actor=approver, license_id=license.pk, status=LicenseStatus.VALID, reason="恢复")
    assert error.value.code == ErrorCode.INVALID_STATE
    license.refresh_from_db()
    assert license.status == LicenseStatus.REVOKED


def test_verification_says_unknown_for_a_wrong_check_character_and_expired_after_the_end(world):
    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    assert license_verify(license.identifier[:-1] + ("A" if license.identifier[-1] != "A" else "B")).verdict == (
        Verdict.UNKNOWN
    )
    assert license.valid_until is not None
    later = license.valid_until.replace(year=license.valid_until.year + 1)
    result = license_verify(license.identifier, on=later)
    assert result.verdict == Verdict.EXPIRED
    shown = dict(result.lines)
    assert shown["持证主体代码"] == license.holder_code_masked and "*" in shown["持证主体代码"]
    assert world.persons["owner"].name not in " ".join(v for _label, v in result.lines)


def _licence_item(world, **overrides):
    return published_item(
        world.dept_a_market,
        materials=[
            {
                "code": "licence",
                "name": "个体工商户营业执照",
                "necessity": "required",
                "licence_type_code": PERSON_TYPE_CODE,
            },
            {"code": "premises", "name": "经营场所使用证明", "necessity": "required"},
        ],
        **overrides,
    )


def test_a_valid_licence_satisfies_its_material_and_the_holder_sees_the_use(world, upload_for):
    citizen = world.users["citizen_owner"]
    item = _licence_item(world)
    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    case = case_services.case_submit(
        actor=citizen, item_id=item.pk, form=valid_form(), materials={"premises": [upload_for().pk]}
    )
    material = case.materials.get(code="licence")
    assert material.status == MaterialStatus.EXEMPT
    assert material.exempt_note == f"免提交：已调用电子证照 个体工商户营业执照（{license.identifier}）"
    use = LicenseUse.objects.get(license=license)
    assert (use.kind, use.case_id, use.department_id) == (UseKind.EXEMPT, case.pk, item.department_id)
    assert case.number in use.purpose


def test_without_a_valid_licence_the_material_must_be_uploaded(world, upload_for):
    citizen = world.users["citizen_owner"]
    item = _licence_item(world, commitment=False)
    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    services.license_set_status(
        actor=world.users["approver_a"], license_id=license.pk, status=LicenseStatus.SUSPENDED, reason="核查"
    )
    with pytest.raises(DomainError) as error:
        case_services.case_submit(
            actor=citizen, item_id=item.pk, form=valid_form(), materials={"premises": [upload_for().pk]}
        )
    assert "个体工商户营业执照" in error.value.message
    assert [e.field for e in error.value.errors] == ["materials.licence"]
    # someone else's licence never stands in for the applicant's
    issued_license(person_license_type(), world.dept_a_market, person=world.persons["other"])
    with pytest.raises(DomainError):
        case_services.case_submit(
            actor=citizen, item_id=item.pk, form=valid_form(), materials={"premises": [upload_for().pk]}
        )
    assert LicenseUse.objects.count() == 0


def test_the_licence_fact_of_auto_rules(world):
    person = world.persons["owner"]
    facts = build_facts(form_data={}, person=person, enterprise=None, on=timezone.localdate())
    assert facts.get(f"licence.{PERSON_TYPE_CODE}.valid") is False
    issued_license(person_license_type(), world.dept_a_market, person=person)
    facts = build_facts(form_data={}, person=person, enterprise=None, on=timezone.localdate())
    assert facts.get(f"licence.{PERSON_TYPE_CODE}.valid") is True


def test_approval_issues_the_licence_once_with_face_data_from_the_form(
    world, upload_for, django_capture_on_commit_callbacks, monkeypatch
):
    # Accepted on a fixed working Monday: the 20-working-day limit must fall inside the calendar's years
    # whatever today's date is (in December it would reach a year not yet entered).
    monkeypatch.setattr(clock, "now", lambda: ACCEPTED_AT)
    person_license_type()
    seal_for(world.dept_a_market)
    item = published_item(
        world.dept_a_market,
        results=[{"type": "licence", "name": "个体工商户营业执照", "licence_type_code": PERSON_TYPE_CODE}],
    )
    citizen, clerk, approver = world.users["citizen_owner"], world.users["clerk_a"], world.users["approver_a"]
    case = case_services.case_submit(
        actor=citizen, item_id=item.pk, form=valid_form(), materials={"premises": [upload_for().pk]}
    )
    case_services.case_accept(actor=clerk, case_id=case.pk, mode=AcceptMode.DEFERRED)
    review = case.steps.get(state=StepState.OPEN)
    case_services.case_step_complete(actor=approver, case_id=case.pk, step_id=review.pk, opinion="同意")
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_decide(actor=approver, case_id=case.pk, decision=Decision.APPROVE, reason="")
    license = License.objects.get(case=case)
    assert services.face_data(license) == {"shop_name": "甲记小吃店", "scope": "餐饮"}
    assert license.holder_person_id == world.persons["owner"].pk and license.issuer_id == item.department_id
    from yiwang.cases.results import case_results_issue

    case_results_issue(case.pk)  # a retried hook issues nothing more
    assert License.objects.filter(case=case).count() == 1


def test_share_links_open_until_they_expire_or_are_revoked(world):
    citizen = world.users["citizen_owner"]
    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    share, token = services.share_create(actor=citizen, license_id=license.pk, purpose="租房核验", hours=1)
    assert share.token_hash != token and services.share_open(token=token).pk == license.pk
    with pytest.raises(DomainError):
        services.share_create(actor=world.users["citizen_other"], license_id=license.pk, purpose="冒用", hours=1)
    services.share_revoke(actor=citizen, share_id=share.pk)
    with pytest.raises(DomainError):
        services.share_open(token=token)
    assert LicenseUse.objects.filter(license=license, kind=UseKind.SHARE).count() == 1


def test_a_dispute_is_corrected_by_a_new_version_or_rejected_with_a_reason(world):
    citizen, approver = world.users["citizen_owner"], world.users["approver_a"]
    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    dispute = services.dispute_raise(actor=citizen, license_id=license.pk, reason="经营范围印错了")
    with pytest.raises(DomainError) as error:
        services.dispute_raise(actor=citizen, license_id=license.pk, reason="再提一次异议")
    assert error.value.code == ErrorCode.CONFLICT
    resolved = services.dispute_resolve(
        actor=approver, dispute_id=dispute.pk, accept=True, resolution="已更正", face={"scope": "零售"}
    )
    assert resolved.corrected is not None and services.face_data(resolved.corrected)["scope"] == "零售"
    second = services.dispute_raise(actor=citizen, license_id=resolved.corrected.pk, reason="名称也不对吧")
    rejected = services.dispute_resolve(actor=approver, dispute_id=second.pk, accept=False, resolution="与申请一致")
    assert rejected.state == "rejected" and rejected.corrected is None


def test_an_expired_licence_cannot_be_shown(world):
    from yiwang.core import clock

    license = issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"])
    assert license.valid_until is not None
    services.show_code_create(actor=world.users["citizen_owner"], license_id=license.pk)
    after = clock.now().replace(year=license.valid_until.year + 1)
    with clock.travel(after), pytest.raises(DomainError) as error:
        services.show_code_create(actor=world.users["citizen_owner"], license_id=license.pk)
    assert "已过有效期" in error.value.message
