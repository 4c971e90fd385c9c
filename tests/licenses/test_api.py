"""Licences API: the role matrix on every endpoint, then each endpoint's behaviour with exact values.

For a licence of 兰山区市场监督管理局 held by citizen_owner:

- ``citizen_owner`` sees it in his wallet (face data in clear, who used it), downloads it, makes a 亮证码,
  shares it and raises disputes; ``citizen_other`` and every staff member get 404 there, as for no licence;
- ``clerk_a``, ``clerk_b`` (another region: licences are used across regions) and ``approver_a`` read it from a
  亮证码 or by identifier with a stated purpose; ``admin`` may not;
- ``approver_a`` (the issuing department) changes its status, corrects it and resolves its disputes, but gets
  404 on a licence of 罗庄区; clerks, citizens and the admin get 403;
- only ``admin`` manages seals and the trust list; ``anonymous`` gets 401 everywhere but the public endpoints.

Each request is sent by every persona, the refused ones first; a refusal is problem+json with a Chinese
message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.accounts.services import person_id_number
from yiwang.audit.models import AuditEvent
from yiwang.core import clock
from yiwang.files.selectors import blob_read
from yiwang.licenses import keys, services
from yiwang.licenses.choices import LicenseStatus
from yiwang.licenses.models import Dispute, License, LicenseType, LicenseUse, Seal, ShareLink, ShowCode, TrustedIssuer
from yiwang.testing.licenses import issued_license, person_license_type
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/licenses"
PROBLEM = "application/problem+json"
PERSONAS = ("citizen_owner", "citizen_other", "clerk_a", "clerk_b", "approver_a", "admin", "anonymous")
FACE = {"shop_name": "兰山区甲乙丙小吃店", "scope": "小吃制售、预包装食品零售"}
PURPOSE = "办理食品经营许可变更，核验营业执照"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def kind(world: World) -> LicenseType:
    return person_license_type()


@pytest.fixture
def licence(world: World, kind: LicenseType) -> License:
    return issued_license(kind, world.dept_a_market, person=world.persons["owner"], face=FACE)


@pytest.fixture
def licence_b(world: World, kind: LicenseType) -> License:
    """A licence of 罗庄区 (another issuer), held by citizen_other."""
    return issued_license(kind, world.dept_b_admin, person=world.persons["other"], face=FACE)


def login(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def as_(world: World, username: str) -> Client:
    return login(world.users[username])


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def problem_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == PROBLEM, response.content
    return response.json()


def snapshot() -> tuple[Any, ...]:
    """Everything a licences request could change."""
    return (
        tuple(License.objects.order_by("id").values_list("id", "status", "version")),
        LicenseUse.objects.count(),
        ShowCode.objects.count(),
        tuple(ShareLink.objects.order_by("id").values_list("id", "revoked_at")),
        tuple(Dispute.objects.order_by("id").values_list("id", "state")),
        tuple(Seal.objects.order_by("id").values_list("id", "status")),
        tuple(TrustedIssuer.objects.order_by("id").values_list("id", "removed_at")),
        AuditEvent.objects.count(),
    )


def check(world: World, request: Callable[[Client], Any], expected: Mapping[str, int]) -> dict[str, Any]:
    """Send ``request`` as every persona, refused ones first; assert each status, that a refusal is
    problem+json with a Chinese message, and that a refusal changed nothing."""
    assert set(expected) == set(PERSONAS), "state every persona"
    responses: dict[str, Any] = {}
    failures: list[str] = []
    for persona in sorted(PERSONAS, key=lambda p: expected[p] < 400):
        client = login(None if persona == "anonymous" else world.users[persona])
        before = snapshot()
        response = request(client)
        responses[persona] = response
        if response.status_code != expected[persona]:
            failures.append(
                f"{persona}: expected {expected[persona]}, got {response.status_code} {response.content[:300]!r}"
            )
        elif response.status_code >= 400:
            if response["Content-Type"] != PROBLEM or not response.json()["detail"]:
                failures.append(f"{persona}: refusal is not problem+json")
            if snapshot() != before:
                failures.append(f"{persona}: refused with {response.status_code} but the data changed")
    assert not failures, "role matrix failed:\n" + "\n".join(failures)
    return responses


PUBLIC = dict.fromkeys(PERSONAS, 200)


def holder_only(ok: int = 200) -> dict[str, int]:
    return {
        "citizen_owner": ok,
        "citizen_other": 404,
        "clerk_a": 404,
        "clerk_b": 404,
        "approver_a": 404,
        "admin": 404,
        "anonymous": 401,
    }


USERS = {  # 用证: window clerks of any region and approvers
    "citizen_owner": 403,
    "citizen_other": 403,
    "clerk_a": 200,
    "clerk_b": 200,
    "approver_a": 200,
    "admin": 403,
    "anonymous": 401,
}


def issuer_only(ok: int = 200) -> dict[str, int]:
    return {
        "citizen_owner": 403,
        "citizen_other": 403,
        "clerk_a": 403,
        "clerk_b": 403,
        "approver_a": ok,
        "admin": 403,
        "anonymous": 401,
    }


def admin_only(ok: int = 200) -> dict[str, int]:
    return {
        "citizen_owner": 403,
        "citizen_other": 403,
        "clerk_a": 403,
        "clerk_b": 403,
        "approver_a": 403,
        "admin": ok,
        "anonymous": 401,
    }


def foreign_ca() -> bytes:
    return keys.authority_create("江苏省电子印章制发中心")[1]


# --- the role matrix ------------------------------------------------------------------------------------


def test_matrix_public_verification(world, licence):
    pdf = blob_read(licence.pdf)

    check(world, lambda c: c.get(f"{API}/verify/{licence.identifier}"), PUBLIC)
    check(
        world,
        lambda c: c.post(f"{API}/verify/pdf", {"file": SimpleUploadedFile("a.pdf", pdf, "application/pdf")}),
        PUBLIC,
    )


def test_matrix_wallet(world, licence):
    responses = check(
        world,
        lambda c: c.get(f"{API}/mine"),
        {**dict.fromkeys(PERSONAS, 200), "anonymous": 401},
    )
    assert responses["citizen_owner"].json()["count"] == 1
    assert all(responses[p].json()["count"] == 0 for p in PERSONAS if p not in ("citizen_owner", "anonymous"))

    check(world, lambda c: c.get(f"{API}/mine/{licence.pk}"), holder_only())
    check(world, lambda c: c.get(f"{API}/mine/{licence.pk}/pdf"), holder_only())
    check(world, lambda c: post(c, f"{API}/mine/{licence.pk}/show-code"), holder_only(201))
    check(world, lambda c: post(c, f"{API}/mine/{licence.pk}/shares", {"purpose": "出示给房东"}), holder_only(201))
    share = ShareLink.objects.get()
    check(world, lambda c: c.delete(f"{API}/mine/shares/{share.pk}"), holder_only(204))
    check(
        world,
        lambda c: post(c, f"{API}/mine/{licence.pk}/disputes", {"reason": "经营范围少了预包装食品销售"}),
        holder_only(201),
    )


def test_matrix_staff_use(world, licence):
    code = services.show_code_create(actor=world.users["citizen_owner"], license_id=licence.pk).code

    check(world, lambda c: post(c, f"{API}/show-codes/redeem", {"code": code, "purpose": PURPOSE}), USERS)
    check(world, lambda c: post(c, f"{API}/lookup", {"identifier": licence.identifier, "purpose": PURPOSE}), USERS)
    assert LicenseUse.objects.filter(license=licence).count() == 6  # three readers, two ways each


def test_matrix_issuer(world, licence, licence_b):
    responses = check(world, lambda c: c.get(f"{API}/issued"), issuer_only())
    assert [row["id"] for row in responses["approver_a"].json()["items"]] == [licence.pk]

    check(world, lambda c: c.get(f"{API}/disputes"), issuer_only())
    check(world, lambda c: post(c, f"{API}/{licence.pk}/status", {"status": "02", "reason": "责令整改"}), issuer_only())
    # approver_a manages the licences of his own department only: 罗庄区's is not there for him.
    b_status = {**issuer_only(404)}
    check(world, lambda c: post(c, f"{API}/{licence_b.pk}/status", {"status": "02", "reason": "责令整改"}), b_status)
    check(
        world,
        lambda c: post(c, f"{API}/{licence.pk}/correct", {"face": {"scope": "小吃制售"}, "reason": "经营范围变更"}),
        issuer_only(201),
    )
    corrected = License.objects.get(previous=licence)
    dispute = services.dispute_raise(
        actor=world.users["citizen_owner"], license_id=corrected.pk, reason="名称应为兰山区甲乙丙小吃部"
    )
    check(
        world,
        lambda c: post(c, f"{API}/disputes/{dispute.pk}/resolve", {"accept": False, "resolution": "名称与登记一致"}),
        issuer_only(),
    )
    dispute_b = services.dispute_raise(
        actor=world.users["citizen_other"], license_id=licence_b.pk, reason="名称有误请更正"
    )
    check(
        world,
        lambda c: post(c, f"{API}/disputes/{dispute_b.pk}/resolve", {"accept": False, "resolution": "名称正确"}),
        issuer_only(404),
    )


def test_matrix_seals_and_trust(world, licence):
    check(world, lambda c: c.get(f"{API}/seals"), admin_only())
    check(
        world,
        lambda c: post(
            c, f"{API}/seals", {"department_id": world.dept_b_admin.pk, "kind": "official", "valid_years": 3}
        ),
        admin_only(201),
    )
    check(world, lambda c: post(c, f"{API}/seals/{licence.seal_id}/revoke", {"reason": "密钥保管不当"}), admin_only())
    check(world, lambda c: c.get(f"{API}/trust"), admin_only())
    ca = foreign_ca()
    check(
        world,
        lambda c: c.post(
            f"{API}/trust",
            {
                "certificate": SimpleUploadedFile("ca.pem", ca),
                "name": "江苏省电子印章制发中心",
                "region_name": "江苏省",
            },
        ),
        admin_only(201),
    )
    issuer = TrustedIssuer.objects.get()
    check(world, lambda c: c.delete(f"{API}/trust/{issuer.pk}"), admin_only(204))
    check(world, lambda c: c.get(f"{API}/types"), {**dict.fromkeys(PERSONAS, 200), "anonymous": 401})


# --- the holder's wallet ---------------------------------------------------------------------------------


def test_my_licences_list_and_detail(world, licence):
    owner = as_(world, "citizen_owner")

    page = owner.get(f"{API}/mine").json()
    detail = owner.get(f"{API}/mine/{licence.pk}")

    assert page["count"] == 1 and page["page"] == 1 and page["page_size"] == 20
    row = page["items"][0]
    assert row == {
        "id": licence.pk,
        "identifier": licence.identifier,
        "type_code": "11100000MB0143028L101",
        "type_name": "个体工商户营业执照",
        "number": licence.number,
        "version": 1,
        "holder_name": "测试群众甲",
        "holder_code_masked": licence.holder_code_masked,
        "issuer_id": world.dept_a_market.pk,
        "issuer_name": "兰山区市场监督管理局",
        "issued_on": licence.issued_on.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat(),
        "status": "01",
        "status_label": "有效",
        "status_reason": "",
    }
    assert detail.status_code == 200
    assert detail["Cache-Control"] == "private, no-store"
    body = detail.json()
    assert body["holder_code"] == person_id_number(world.persons["owner"])
    assert body["face"] == [
        {"key": "shop_name", "label": "名称", "value": "兰山区甲乙丙小吃店"},
        {"key": "scope", "label": "经营范围", "value": "小吃制售、预包装食品零售"},
    ]
    assert body["pdf_url"] == f"{API}/mine/{licence.pk}/pdf"
    assert body["verify_url"] == f"http://127.0.0.1:8000/verify/{licence.identifier}/"
    assert body["uses"] == [] and body["shares"] == [] and body["disputes"] == []
    assert body["previous_identifier"] == ""


def test_the_holder_downloads_the_signed_pdf(world, licence):
    response = as_(world, "citizen_owner").get(f"{API}/mine/{licence.pk}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    data = b"".join(response.streaming_content)
    assert data == blob_read(licence.pdf)
    assert data.startswith(b"%PDF-")


def test_the_wallet_list_costs_the_same_queries_for_one_or_many_licences(world, kind):
    owner = as_(world, "citizen_owner")
    issued_license(kind, world.dept_a_market, person=world.persons["owner"], face=FACE)
    with CaptureQueriesContext(connection) as one:
        assert owner.get(f"{API}/mine").json()["count"] == 1
    other_kind = person_license_type(code="11100000MB0143028L102", name="小餐饮登记证")
    third_kind = person_license_type(code="11100000MB0143028L103", name="食品小作坊登记证")
    issued_license(other_kind, world.dept_a_market, person=world.persons["owner"], face=FACE)
    issued_license(third_kind, world.dept_b_admin, person=world.persons["owner"], face=FACE)
    with CaptureQueriesContext(connection) as three:
        assert owner.get(f"{API}/mine").json()["count"] == 3

    assert len(three) == len(one)


# --- 一码亮证 ------------------------------------------------------------------------------------------------


def test_a_show_code_works_for_five_minutes_and_each_use_is_visible_to_the_holder(world, licence):
    owner = as_(world, "citizen_owner")
    clerk = as_(world, "clerk_b")
    created = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    with clock.travel(created):
        made = post(owner, f"{API}/mine/{licence.pk}/show-code")
    assert made.status_code == 201
    shown = made.json()
    assert ShowCode.objects.get(code=shown["code"]).created_at == created
    assert len(shown["code"]) == 10 and shown["code"].isdigit()
    assert shown["seconds"] == 300
    assert dt.datetime.fromisoformat(shown["expires_at"]) == created + dt.timedelta(minutes=5)

    with clock.travel(created + dt.timedelta(minutes=4, seconds=59)):
        read = post(
            clerk, f"{API}/show-codes/redeem", {"code": shown["code"][:5] + " " + shown["code"][5:], "purpose": PURPOSE}
        )
    with clock.travel(created + dt.timedelta(minutes=5)):
        late = post(clerk, f"{API}/show-codes/redeem", {"code": shown["code"], "purpose": PURPOSE})

    assert read.status_code == 200, read.content
    body = read.json()
    assert body["id"] == licence.pk
    assert body["holder_code"] == person_id_number(world.persons["owner"])
    assert body["face"][0]["value"] == "兰山区甲乙丙小吃店"
    assert (body["verdict"], body["verdict_label"], body["metadata_intact"]) == ("authentic", "真实有效", True)
    assert late.status_code == 404
    assert problem_of(late)["detail"] == "亮证码无效或已过期，请持证人刷新后重新出示"
    uses = owner.get(f"{API}/mine/{licence.pk}").json()["uses"]
    assert len(uses) == 1
    use = uses[0]
    assert (use["kind"], use["kind_label"], use["purpose"]) == ("show", "亮证核验", PURPOSE)
    assert use["user_display"] == "罗庄区行政审批服务局 测试窗口丙"
    assert dt.datetime.fromisoformat(use["at"]) == created + dt.timedelta(minutes=4, seconds=59)


def test_redeeming_needs_a_purpose_of_at_most_200_characters(world, licence):
    code = services.show_code_create(actor=world.users["citizen_owner"], license_id=licence.pk).code
    clerk = as_(world, "clerk_a")

    too_long = post(clerk, f"{API}/show-codes/redeem", {"code": code, "purpose": "核" * 201})
    empty = post(clerk, f"{API}/show-codes/redeem", {"code": code, "purpose": " "})
    exactly = post(clerk, f"{API}/show-codes/redeem", {"code": code, "purpose": "核" * 200})

    for refused in (too_long, empty):
        assert refused.status_code == 422
        problem = problem_of(refused)
        assert problem["code"] == "purpose_required"
        assert problem["errors"][0]["field"] == "body.purpose"
        assert "须说明事由" in problem["detail"]
    assert exactly.status_code == 200
    assert list(LicenseUse.objects.values_list("purpose", flat=True)) == ["核" * 200]


def test_a_mistyped_show_code_and_a_code_of_a_suspended_licence(world, licence):
    clerk = as_(world, "clerk_a")
    owner = as_(world, "citizen_owner")

    short = post(clerk, f"{API}/show-codes/redeem", {"code": "12345", "purpose": PURPOSE})
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.SUSPENDED, reason="责令整改"
    )
    suspended = post(owner, f"{API}/mine/{licence.pk}/show-code")

    assert short.status_code == 422 and problem_of(short)["errors"][0]["field"] == "body.code"
    assert suspended.status_code == 409
    assert problem_of(suspended)["detail"] == "该证照暂扣，不能亮证"
    assert ShowCode.objects.count() == 0


def test_staff_lookup_by_identifier_is_logged(world, licence):
    approver = as_(world, "approver_a")

    found = post(approver, f"{API}/lookup", {"identifier": licence.identifier.lower(), "purpose": PURPOSE})
    missing = post(approver, f"{API}/lookup", {"identifier": licence.identifier[:-1] + "0", "purpose": PURPOSE})

    assert found.status_code == 200 and found.json()["identifier"] == licence.identifier
    assert missing.status_code == 404
    use = LicenseUse.objects.get()
    assert (use.kind, use.purpose, use.user_id) == ("staff", PURPOSE, world.users["approver_a"].pk)


# --- sharing and disputes --------------------------------------------------------------------------------


def test_a_share_link_is_shown_once_and_can_be_revoked(world, licence):
    owner = as_(world, "citizen_owner")

    made = post(owner, f"{API}/mine/{licence.pk}/shares", {"purpose": "出示给房东", "hours": 2})
    body = made.json()
    token = body["url"].rsplit("/", 2)[-2]
    opened = services.share_open(token=token)
    revoked = owner.delete(f"{API}/mine/shares/{body['id']}")
    again = owner.delete(f"{API}/mine/shares/{body['id']}")
    shares = owner.get(f"{API}/mine/{licence.pk}").json()["shares"]

    assert made.status_code == 201
    assert body["url"] == f"http://127.0.0.1:8000/licenses/shared/{token}/"
    assert body["purpose"] == "出示给房东"
    assert opened.pk == licence.pk
    assert token not in str(ShareLink.objects.values_list("token_hash", flat=True))
    assert revoked.status_code == 204 and again.status_code == 404
    assert len(shares) == 1 and shares[0]["active"] is False and shares[0]["opened"] == 1
    with pytest.raises(Exception, match="分享链接无效"):
        services.share_open(token=token)


def test_share_hours_are_checked(world, licence):
    owner = as_(world, "citizen_owner")

    response = post(owner, f"{API}/mine/{licence.pk}/shares", {"purpose": "出示", "hours": 721})

    assert response.status_code == 422
    assert problem_of(response)["errors"][0]["field"] == "body.hours"
    assert ShareLink.objects.count() == 0


def test_a_dispute_is_raised_once_and_resolved_by_a_new_version(world, licence):
    owner = as_(world, "citizen_owner")
    approver = as_(world, "approver_a")

    raised = post(owner, f"{API}/mine/{licence.pk}/disputes", {"reason": "名称应为兰山区甲乙丙小吃部"})
    twice = post(owner, f"{API}/mine/{licence.pk}/disputes", {"reason": "名称应为兰山区甲乙丙小吃部"})
    listed = approver.get(f"{API}/disputes", {"state": "open"}).json()
    dispute_id = raised.json()["id"]
    no_face = post(approver, f"{API}/disputes/{dispute_id}/resolve", {"accept": True, "resolution": "同意更正"})
    resolved = post(
        approver,
        f"{API}/disputes/{dispute_id}/resolve",
        {"accept": True, "resolution": "同意更正", "face": {"shop_name": "兰山区甲乙丙小吃部"}},
    )
    repeat = post(approver, f"{API}/disputes/{dispute_id}/resolve", {"accept": False, "resolution": "不予更正"})

    assert raised.status_code == 201
    assert raised.json()["state"] == "open" and raised.json()["state_label"] == "待处理"
    assert twice.status_code == 409
    assert [d["id"] for d in listed["items"]] == [dispute_id]
    assert no_face.status_code == 422 and problem_of(no_face)["errors"][0]["field"] == "body.face"
    assert resolved.status_code == 200
    body = resolved.json()
    assert (body["state"], body["state_label"], body["resolution"]) == ("corrected", "已更正", "同意更正")
    new = License.objects.get(pk=body["corrected_id"])
    assert new.previous_id == licence.pk and new.version == 2
    assert services.face_data(new)["shop_name"] == "兰山区甲乙丙小吃部"
    assert repeat.status_code == 409
    wallet = owner.get(f"{API}/mine").json()
    assert {(r["version"], r["status"]) for r in wallet["items"]} == {(1, "05"), (2, "01")}
    detail = owner.get(f"{API}/mine/{new.pk}").json()
    assert detail["previous_identifier"] == licence.identifier


# --- the issuer ------------------------------------------------------------------------------------------


def test_issued_licences_filter_and_page(world, licence, kind):
    second = issued_license(
        person_license_type(code="11100000MB0143028L102", name="小餐饮登记证"),
        world.dept_a_market,
        person=world.persons["other"],
        face=FACE,
    )
    services.license_set_status(
        actor=world.users["approver_a"], license_id=second.pk, status=LicenseStatus.REVOKED, reason="撤销"
    )
    approver = as_(world, "approver_a")

    everything = approver.get(f"{API}/issued").json()
    revoked = approver.get(f"{API}/issued", {"status": "03"}).json()
    by_type = approver.get(f"{API}/issued", {"type": kind.code}).json()
    first_page = approver.get(f"{API}/issued", {"page_size": 1}).json()
    by_identifier = approver.get(f"{API}/issued", {"q": licence.identifier[:40]}).json()
    bad_status = approver.get(f"{API}/issued", {"status": "42"})

    assert everything["count"] == 2
    assert [r["id"] for r in revoked["items"]] == [second.pk]
    assert [r["id"] for r in by_type["items"]] == [licence.pk]
    assert first_page["count"] == 2 and len(first_page["items"]) == 1 and first_page["page_size"] == 1
    assert [r["id"] for r in by_identifier["items"]] == [licence.pk]
    assert bad_status.status_code == 422


def test_the_issued_list_costs_the_same_queries_for_one_or_many(world, kind, licence):
    approver = as_(world, "approver_a")
    with CaptureQueriesContext(connection) as one:
        approver.get(f"{API}/issued")
    for number, code in enumerate(("11100000MB0143028L102", "11100000MB0143028L103")):
        other = person_license_type(code=code, name=f"证照{number}")
        issued_license(other, world.dept_a_market, person=world.persons["owner"], face=FACE)
    with CaptureQueriesContext(connection) as three:
        assert approver.get(f"{API}/issued").json()["count"] == 3

    assert len(three) == len(one)


def test_a_status_change_shows_in_the_public_verification(world, licence):
    approver = as_(world, "approver_a")

    changed = post(approver, f"{API}/{licence.pk}/status", {"status": "07", "reason": "严重违法经营"})
    final = post(approver, f"{API}/{licence.pk}/status", {"status": "01", "reason": "恢复"})
    bad = post(approver, f"{API}/{licence.pk}/status", {"status": "05", "reason": "失效"})

    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["status_label"], changed.json()["status_reason"]) == (
        "07",
        "吊销",
        "严重违法经营",
    )
    assert final.status_code == 409 and problem_of(final)["detail"] == "该证照已吊销，不能再变更状态"
    assert bad.status_code == 422
    assert Client().get(f"{API}/verify/{licence.identifier}").json()["verdict"] == "revoked"


def test_a_correction_issues_the_next_version(world, licence):
    approver = as_(world, "approver_a")

    response = post(approver, f"{API}/{licence.pk}/correct", {"face": {"scope": "小吃制售"}, "reason": "经营范围变更"})
    unknown_field = post(approver, f"{API}/{licence.pk}/correct", {"face": {"colour": "红"}, "reason": "x"})

    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 2 and body["status"] == "01"
    assert body["previous_identifier"] == licence.identifier
    assert body["identifier"].split(".")[7] == licence.identifier.split(".")[7]  # same serial, next version
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.LAPSED
    assert unknown_field.status_code == 409  # the old version is no longer live


# --- seals, trust list, types ----------------------------------------------------------------------------


def test_the_admin_makes_lists_and_revokes_seals(world, licence):
    admin = as_(world, "admin")

    made = post(admin, f"{API}/seals", {"department_id": world.dept_b_admin.pk, "kind": "official", "valid_years": 3})
    listed = admin.get(f"{API}/seals").json()
    revoked = post(admin, f"{API}/seals/{made.json()['id']}/revoke", {"reason": "机构撤并"})
    twice = post(admin, f"{API}/seals/{made.json()['id']}/revoke", {"reason": "机构撤并"})
    bad_years = post(admin, f"{API}/seals", {"department_id": world.dept_b_admin.pk, "valid_years": 11})
    no_department = post(admin, f"{API}/seals", {"department_id": 999999})

    assert made.status_code == 201
    body = made.json()
    assert (body["name"], body["label"], body["kind"], body["kind_label"]) == (
        "罗庄区行政审批服务局单位公章",
        "单位公章",
        "official",
        "单位公章",
    )
    assert body["department_id"] == world.dept_b_admin.pk and body["status"] == "active"
    assert body["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert keys.certificate_fingerprint(body["certificate_pem"].encode()) == body["certificate_fingerprint"]
    valid_from = dt.datetime.fromisoformat(body["valid_from"])
    assert dt.datetime.fromisoformat(body["valid_until"]) - valid_from == dt.timedelta(days=365 * 3)
    assert listed["count"] == 2 and {s["id"] for s in listed["items"]} == {licence.seal_id, body["id"]}
    assert revoked.status_code == 200
    assert (revoked.json()["status"], revoked.json()["revoke_reason"]) == ("revoked", "机构撤并")
    assert twice.status_code == 409
    assert bad_years.status_code == 422 and problem_of(bad_years)["errors"][0]["field"] == "body.valid_years"
    assert no_department.status_code == 422
    assert problem_of(no_department)["errors"][0]["field"] == "body.department_id"


def test_the_trust_list_import_checks_the_certificate(world):
    admin = as_(world, "admin")
    ca = foreign_ca()

    def add(data: bytes, name: str = "江苏省电子印章制发中心") -> Any:
        return admin.post(
            f"{API}/trust", {"certificate": SimpleUploadedFile("ca.pem", data), "name": name, "region_name": "江苏省"}
        )

    garbage = add(b"not a certificate")
    first = add(ca)
    duplicate = add(ca)
    nameless = add(foreign_ca(), name=" ")
    listed = admin.get(f"{API}/trust").json()
    admin.delete(f"{API}/trust/{first.json()['id']}")
    after = admin.get(f"{API}/trust").json()
    with_removed = admin.get(f"{API}/trust", {"include_removed": True}).json()
    again = add(ca)  # removed certificates may come back

    assert garbage.status_code == 422 and problem_of(garbage)["errors"][0]["field"] == "body.certificate"
    assert first.status_code == 201
    body = first.json()
    assert (body["name"], body["region_name"], body["active"]) == ("江苏省电子印章制发中心", "江苏省", True)
    assert body["fingerprint"] == keys.certificate_fingerprint(ca)
    assert "江苏省电子印章制发中心" in body["subject"]
    assert duplicate.status_code == 409 and problem_of(duplicate)["detail"] == "该证书已在信任列表中"
    assert nameless.status_code == 422 and problem_of(nameless)["errors"][0]["field"] == "body.name"
    assert [i["id"] for i in listed] == [body["id"]]
    assert after == []
    assert [(i["id"], i["active"]) for i in with_removed] == [(body["id"], False)]
    assert again.status_code == 201


def test_licence_types_are_listed(world, kind):
    body = as_(world, "citizen_owner").get(f"{API}/types").json()

    assert body == [
        {
            "id": kind.pk,
            "code": "11100000MB0143028L101",
            "name": "个体工商户营业执照",
            "definer_name": "测试证照定义机构",
            "definer_code": "11100000MB0143028L",
            "holder_type": "111",
            "holder_type_label": "公民身份号码",
            "face_fields": [{"key": "shop_name", "label": "名称"}, {"key": "scope", "label": "经营范围"}],
            "validity_years": 5,
            "multiple_live": False,
        }
    ]


def test_the_seal_and_dispute_lists_cost_the_same_queries_for_one_or_many(world, licence, kind):
    admin, approver = as_(world, "admin"), as_(world, "approver_a")
    services.dispute_raise(actor=world.users["citizen_owner"], license_id=licence.pk, reason="名称有误请更正")
    with CaptureQueriesContext(connection) as seals_one:
        assert admin.get(f"{API}/seals").json()["count"] == 1
    with CaptureQueriesContext(connection) as disputes_one:
        assert approver.get(f"{API}/disputes").json()["count"] == 1
    for code in ("11100000MB0143028L102", "11100000MB0143028L103"):
        other = issued_license(
            person_license_type(code=code, name=f"证照{code[-1]}"), world.dept_a_market, person=world.persons["owner"]
        )
        services.dispute_raise(actor=world.users["citizen_owner"], license_id=other.pk, reason="名称有误请更正")
        services.seal_create(actor=world.users["admin"], department_id=world.dept_b_admin.pk, kind="business")
    with CaptureQueriesContext(connection) as seals_three:
        assert admin.get(f"{API}/seals").json()["count"] == 3
    with CaptureQueriesContext(connection) as disputes_three:
        assert approver.get(f"{API}/disputes").json()["count"] == 3

    assert len(seals_three) == len(seals_one)
    assert len(disputes_three) == len(disputes_one)
