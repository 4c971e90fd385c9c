"""The staff pages of 电子证照 and 电子印章: the seal registry, the trust list, 亮证核验 / 证照查询, 证照管理 and the
异议 queue.

Role matrix: the platform admin (临沂市) manages seals and the trust list and nothing else here; window clerks
(any county) and approvers read licences with a purpose; approver_a and deptadmin_a manage only the licences of
兰山区市场监督管理局 — other departments' admins get "not found" and change nothing; citizens are refused every
page. Each POST asserts what it wrote (row, audit event, 用证记录); each refusal asserts the Chinese message next
to its field and that nothing was written.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yiwang.audit.models import AuditEvent
from yiwang.core.identifiers import make_uscc
from yiwang.licenses import keys, services
from yiwang.licenses.choices import DisputeState, LicenseStatus, SealKind, SealStatus, UseKind
from yiwang.licenses.models import (
    Dispute,
    License,
    LicenseType,
    LicenseUse,
    Seal,
    SealAuthority,
    ShowCode,
    TrustedIssuer,
)
from yiwang.regions.models import Department
from yiwang.regions.services import department_create
from yiwang.testing.licenses import issued_license, person_license_type, seal_for
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

STAFF = ["clerk_a", "approver_a", "clerk_b", "admin", "deptadmin_a", "deptadmin_a_admin", "deptadmin_b", "supervisor"]
CITIZENS = ["citizen_owner", "citizen_other"]
MULTI_TYPE_CODE = "11100000MB0143028L102"


# --- fixtures and helpers --------------------------------------------------------------------------------


@pytest.fixture
def kind(world: World) -> LicenseType:
    return person_license_type()


@pytest.fixture
def licence(world: World, kind: LicenseType) -> License:
    """个体工商户营业执照 of 测试群众甲, issued by 兰山区市场监督管理局 (face: 名称示例 / 经营范围示例)."""
    return issued_license(kind, world.dept_a_market, person=world.persons["owner"])


@pytest.fixture
def outside(world: World) -> Department:
    """A provincial department: outside the platform admin's 临沂市."""
    return department_create(
        actor=None, name="山东省测试厅", uscc=make_uscc("11", "370000", "P0000001"), region=world.province
    )


def _client(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def _text(response) -> str:
    return response.content.decode()


def _field_error(response, field_id: str) -> str:
    """The error shown right under the label of input ``field_id`` (partials/field.html), '' if none."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}_error">(.*?)</p>', _text(response), re.S)
    return match.group(1).strip() if match else ""


def _top_error(response) -> str:
    match = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', _text(response), re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def _audit(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def _certificate() -> tuple[bytes, str]:
    """Another region's authority certificate (PEM) and its fingerprint."""
    _key, pem = keys.authority_create("江苏省测试电子印章制发中心")
    return pem, keys.certificate_fingerprint(pem)


def _upload(data: bytes, name: str = "jiangsu.pem") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- who may open what ------------------------------------------------------------------------------------


def _every_url(licence: License, seal: Seal, dispute: Dispute, issuer: TrustedIssuer) -> dict[str, str]:
    authority = SealAuthority.objects.get(active=True)
    return {
        "seals": reverse("workbench:seals"),
        "seal": reverse("workbench:seal", args=[seal.pk]),
        "seal_certificate": reverse("workbench:seal_certificate", args=[seal.pk]),
        "authority_certificate": reverse("workbench:authority_certificate", args=[authority.pk]),
        "trust": reverse("workbench:trust"),
        "use": reverse("workbench:license_use"),
        "licenses": reverse("workbench:licenses"),
        "license": reverse("workbench:license", args=[licence.pk]),
        "license_pdf": reverse("workbench:license_pdf", args=[licence.pk]),
        "disputes": reverse("workbench:license_disputes"),
        "dispute": reverse("workbench:license_dispute", args=[dispute.pk]),
    }


# Expected status of every page for every persona (licence, seal and dispute of 兰山区市场监督管理局).
MATRIX: dict[str, dict[str, int]] = {
    "admin": {"seals": 200, "seal": 200, "seal_certificate": 200, "authority_certificate": 200, "trust": 200},
    "clerk_a": {"use": 200},
    "clerk_b": {"use": 200},
    "approver_a": {"use": 200, "licenses": 200, "license": 200, "license_pdf": 200, "disputes": 200, "dispute": 200},
    "deptadmin_a": {"licenses": 200, "license": 200, "license_pdf": 200, "disputes": 200, "dispute": 200},
    # LICENSE_MANAGE for another department: the lists open (empty), this licence is "not found".
    "deptadmin_a_admin": {"licenses": 200, "license": 404, "license_pdf": 404, "disputes": 200, "dispute": 404},
    "deptadmin_b": {"licenses": 200, "license": 404, "license_pdf": 404, "disputes": 200, "dispute": 404},
    "supervisor": {},
}


@pytest.fixture
def everything(world, licence):
    seal = licence.seal
    dispute = services.dispute_raise(
        actor=world.users["citizen_owner"], license_id=licence.pk, reason="经营范围填写有误"
    )
    pem, _fingerprint = _certificate()
    issuer = services.trusted_issuer_add(actor=world.users["admin"], certificate=pem, name="江苏省测试中心")
    return _every_url(licence, seal, dispute, issuer)


@pytest.mark.parametrize("username", STAFF)
def test_each_staff_role_opens_exactly_its_licence_pages(world, everything, username):
    client = _client(world, username)
    got = {name: client.get(url).status_code for name, url in everything.items()}
    expected = {name: MATRIX[username].get(name, 403) for name in everything}
    assert got == expected


@pytest.mark.parametrize("username", CITIZENS)
def test_citizens_are_refused_every_licence_workbench_page(world, everything, licence, username):
    client = _client(world, username)
    assert {name: client.get(url).status_code for name, url in everything.items()} == dict.fromkeys(everything, 403)
    posts = [
        (reverse("workbench:seals"), {"department": world.dept_a_market.pk, "kind": "license", "valid_years": 5}),
        (reverse("workbench:seal_revoke", args=[licence.seal.pk]), {"revoke-reason": "测试", "confirm": "1"}),
        (reverse("workbench:license_status", args=[licence.pk]), {"status-status": "02", "status-reason": "测试"}),
        (reverse("workbench:license_use"), {"code": licence.identifier, "purpose": "核验营业执照"}),
    ]
    assert [client.post(url, data).status_code for url, data in posts] == [403, 403, 403, 403]
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.VALID
    assert Seal.objects.count() == 1 and licence.seal.status == SealStatus.ACTIVE
    assert not LicenseUse.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(world, everything):
    for url in everything.values():
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_home_shows_the_licence_tiles_of_each_role(world):
    def tiles(username: str) -> list[str]:
        text = _text(_client(world, username).get(reverse("workbench:home")))
        return [t for t in ("亮证核验", "证照管理", "电子印章管理", "互认信任列表") if f"<strong>{t}</strong>" in text]

    assert tiles("admin") == ["电子印章管理", "互认信任列表"]
    assert tiles("clerk_a") == ["亮证核验"]
    assert tiles("approver_a") == ["亮证核验", "证照管理"]
    assert tiles("deptadmin_a") == ["证照管理"]
    assert tiles("supervisor") == []


# --- 1. 电子印章管理 ---------------------------------------------------------------------------------------------


def test_admin_creates_a_seal_and_sees_it_in_the_registry(world):
    client = _client(world, "admin")
    response = client.post(
        reverse("workbench:seals"), {"department": world.dept_b_admin.pk, "kind": SealKind.OFFICIAL, "valid_years": 3}
    )
    seal = Seal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:seals") + f"#seal-{seal.pk}"
    assert (seal.department, seal.kind, seal.name) == (world.dept_b_admin, "official", "罗庄区行政审批服务局单位公章")
    assert seal.created_by == world.users["admin"] and seal.status == SealStatus.ACTIVE
    assert (seal.valid_until - seal.valid_from) == dt.timedelta(days=365 * 3)
    [event] = _audit("seal.create", object_id=str(seal.pk))
    assert event.actor_id == world.users["admin"].pk

    page = _text(client.get(reverse("workbench:seals")))
    assert f'id="seal-{seal.pk}"' in page and seal.esid in page
    assert 'class="yw-seal"' in page and "罗庄区行政审批服务局单位公章（电子印章）" in page  # the drawn seal
    fingerprint = seal.certificate_fingerprint.upper()
    assert " ".join(fingerprint[i : i + 4] for i in range(0, 64, 4)) in page
    assert "已制发“罗庄区行政审批服务局单位公章”" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"department": "", "kind": "license", "valid_years": 5}, "id_department", "请选择用章单位"),
        ({"kind": "license", "valid_years": 0}, "id_valid_years", "印章有效期应为1–10年"),
        ({"kind": "license", "valid_years": 11}, "id_valid_years", "印章有效期应为1–10年"),
        ({"kind": "license", "valid_years": "五"}, "id_valid_years", "有效期应为1–10之间的整数"),
        ({"kind": "stamp", "valid_years": 5}, "id_kind", "请选择列表中的印章类型"),
    ],
)
def test_seal_form_refuses_bad_input_next_to_the_field(world, data, field, message):
    data = {"department": world.dept_a_market.pk, **data}
    response = _client(world, "admin").post(reverse("workbench:seals"), data)
    assert response.status_code == 422
    assert _field_error(response, field) == message
    assert not Seal.objects.exists() and not _audit("seal.create")


def test_admin_cannot_create_a_seal_for_a_department_outside_his_region(world, outside):
    response = _client(world, "admin").post(
        reverse("workbench:seals"), {"department": outside.pk, "kind": "license", "valid_years": 5}
    )
    assert response.status_code == 422
    assert _field_error(response, "id_department") == "请选择您管辖范围内的用章单位"
    assert "山东省测试厅" not in _text(response)  # not even offered
    assert not Seal.objects.exists()


def test_seal_of_a_department_outside_the_admins_region_is_not_found(world, outside):
    seal = seal_for(outside)
    client = _client(world, "admin")
    assert client.get(reverse("workbench:seal", args=[seal.pk])).status_code == 404
    assert client.get(reverse("workbench:seal_certificate", args=[seal.pk])).status_code == 404
    response = client.post(reverse("workbench:seal_revoke", args=[seal.pk]), {"revoke-reason": "测试", "confirm": "1"})
    assert response.status_code == 404
    seal.refresh_from_db()
    assert seal.status == SealStatus.ACTIVE
    assert seal.esid not in _text(client.get(reverse("workbench:seals")))


def test_revoking_a_seal_asks_for_a_reason_then_a_confirmation(world):
    seal = seal_for(world.dept_a_market)
    client = _client(world, "admin")
    url = reverse("workbench:seal_revoke", args=[seal.pk])

    response = client.post(url, {"revoke-reason": "  "})
    assert response.status_code == 422
    assert _field_error(response, "id_revoke-reason") == "请填写吊销原因"

    response = client.post(url, {"revoke-reason": "单位更名，换发新章"})
    assert response.status_code == 200
    assert "确认吊销电子印章" in _text(response) and 'name="confirm" value="1"' in _text(response)
    seal.refresh_from_db()
    assert seal.status == SealStatus.ACTIVE and not _audit("seal.revoke")

    response = client.post(url, {"revoke-reason": "单位更名，换发新章", "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("workbench:seal", args=[seal.pk])
    seal.refresh_from_db()
    assert (seal.status, seal.revoke_reason, seal.revoked_by) == ("revoked", "单位更名，换发新章", world.users["admin"])
    [event] = _audit("seal.revoke", object_id=str(seal.pk))
    assert event.purpose == "单位更名，换发新章"
    page = _text(client.get(reverse("workbench:seal", args=[seal.pk])))
    assert "已吊销" in page and 'id="revoke-title"' not in page  # no second revocation offered

    response = client.post(url, {"revoke-reason": "再次吊销", "confirm": "1"})
    assert response.status_code == 409 and _top_error(response) == "该印章已吊销"
    assert len(_audit("seal.revoke")) == 1


def test_certificates_download_as_pem(world):
    seal = seal_for(world.dept_a_market)
    client = _client(world, "admin")
    response = client.get(reverse("workbench:seal_certificate", args=[seal.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/x-pem-file"
    assert response["Content-Disposition"] == f'attachment; filename="seal-{seal.esid}.pem"'
    assert response.content == seal.certificate_pem.encode("ascii")

    authority = SealAuthority.objects.get(active=True)
    response = client.get(reverse("workbench:authority_certificate", args=[authority.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/x-pem-file"
    assert keys.certificate_fingerprint(response.content) == authority.fingerprint
    assert keys.certificate_summary(response.content)["is_ca"] is True
    assert client.get(reverse("workbench:authority_certificate", args=[authority.pk + 1000])).status_code == 404
    assert reverse("workbench:authority_certificate", args=[authority.pk]) in _text(
        client.get(reverse("workbench:seals"))
    )


# --- 2. 互认信任列表 ---------------------------------------------------------------------------------------------


def test_import_shows_the_summary_first_then_adds_the_certificate(world):
    pem, fingerprint = _certificate()
    client = _client(world, "admin")
    response = client.post(
        reverse("workbench:trust"),
        {"op": "preview", "certificate": _upload(pem), "name": "江苏省政务服务管理办公室", "region_name": "江苏省"},
    )
    assert response.status_code == 200
    page = _text(response)
    assert "CN=江苏省测试电子印章制发中心" in page
    assert " ".join(fingerprint.upper()[i : i + 4] for i in range(0, 64, 4)) in page
    assert "确认导入" in page and not TrustedIssuer.objects.exists()
    carried = re.search(r'name="pem" value="([^"]+)"', page).group(1).replace("&#x27;", "'")

    response = client.post(
        reverse("workbench:trust"),
        {"op": "import", "pem": carried, "name": "江苏省政务服务管理办公室", "region_name": "江苏省"},
    )
    issuer = TrustedIssuer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("workbench:trust") + f"#issuer-{issuer.pk}"
    assert (issuer.name, issuer.region_name, issuer.fingerprint) == ("江苏省政务服务管理办公室", "江苏省", fingerprint)
    assert issuer.added_by == world.users["admin"]
    [event] = _audit("trust.add", object_id=str(issuer.pk))
    assert event.actor_id == world.users["admin"].pk
    listing = _text(client.get(reverse("workbench:trust")))
    assert f'id="issuer-{issuer.pk}"' in listing and "江苏省政务服务管理办公室" in listing


def test_a_der_certificate_is_read_too(world):
    pem, fingerprint = _certificate()
    der = keys.load_certificate(pem).public_bytes(serialization.Encoding.DER)
    response = _client(world, "admin").post(
        reverse("workbench:trust"), {"op": "preview", "certificate": _upload(der, "js.cer"), "name": "江苏"}
    )
    assert response.status_code == 200
    assert " ".join(fingerprint.upper()[i : i + 4] for i in range(0, 64, 4)) in _text(response)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"certificate": b"not a certificate"},
            "id_certificate",
            "不是有效的证书文件（需为 PEM 或 DER 格式的 X.509 证书）",
        ),
        ({"certificate": None}, "id_certificate", "请选择证书文件"),
        ({"name": ""}, "id_name", "请填写机构名称"),
    ],
)
def test_import_refuses_bad_input_next_to_the_field(world, data, field, message):
    pem, _ = _certificate()
    values = {"op": "preview", "certificate": pem, "name": "江苏省政务服务管理办公室", **data}
    post = {k: v for k, v in values.items() if v is not None}
    if isinstance(post.get("certificate"), bytes):
        post["certificate"] = _upload(post["certificate"])
    response = _client(world, "admin").post(reverse("workbench:trust"), post)
    assert response.status_code == 422
    assert _field_error(response, field) == message
    assert not TrustedIssuer.objects.exists() and not _audit("trust.add")


def test_the_same_certificate_twice_is_refused(world):
    pem, _ = _certificate()
    services.trusted_issuer_add(actor=world.users["admin"], certificate=pem, name="江苏")
    client = _client(world, "admin")
    preview = client.post(reverse("workbench:trust"), {"op": "preview", "certificate": _upload(pem), "name": "江苏"})
    assert "该证书已在信任列表中（江苏），不能重复导入" in _text(preview) and "确认导入" not in _text(preview)
    response = client.post(reverse("workbench:trust"), {"op": "import", "pem": pem.decode(), "name": "江苏二"})
    assert response.status_code == 409
    assert _field_error(response, "id_certificate") == "该证书已在信任列表中"
    assert TrustedIssuer.objects.count() == 1


def test_removing_a_trusted_certificate_is_confirmed_first(world):
    pem, _ = _certificate()
    issuer = services.trusted_issuer_add(actor=world.users["admin"], certificate=pem, name="江苏")
    client = _client(world, "admin")
    url = reverse("workbench:trust_remove", args=[issuer.pk])
    response = client.post(url)
    assert response.status_code == 200 and "确认移出信任列表" in _text(response)
    issuer.refresh_from_db()
    assert issuer.removed_at is None

    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    issuer.refresh_from_db()
    assert issuer.removed_at is not None and issuer.removed_by == world.users["admin"]
    assert len(_audit("trust.remove", object_id=str(issuer.pk))) == 1
    assert client.post(url, {"confirm": "1"}).status_code == 404  # already removed
    assert f'id="issuer-{issuer.pk}"' not in _text(client.get(reverse("workbench:trust")))


def test_only_the_trust_manager_may_import_or_remove(world):
    pem, _ = _certificate()
    issuer = services.trusted_issuer_add(actor=world.users["admin"], certificate=pem, name="江苏")
    for username in ("clerk_a", "approver_a", "supervisor"):
        client = _client(world, username)
        other, _ = _certificate()
        assert (
            client.post(reverse("workbench:trust"), {"op": "import", "pem": other.decode(), "name": "X"}).status_code
            == 403
        )
        assert client.post(reverse("workbench:trust_remove", args=[issuer.pk]), {"confirm": "1"}).status_code == 403
    issuer.refresh_from_db()
    assert issuer.removed_at is None and TrustedIssuer.objects.count() == 1


# --- 3. 亮证核验 / 证照查询 ----------------------------------------------------------------------------------------


def test_clerk_redeems_a_show_code_and_the_use_is_logged_for_the_holder(world, licence):
    shown = services.show_code_create(actor=world.users["citizen_owner"], license_id=licence.pk)
    spaced = f"{shown.code[:5]} {shown.code[5:]}"
    response = _client(world, "clerk_a").post(
        reverse("workbench:license_use"), {"code": spaced, "purpose": "办理食品经营许可，核验营业执照"}
    )
    assert response.status_code == 200
    page = _text(response)
    assert "本次查询已记录，持证人可见" in page and "核验结论：真实有效" in page
    for value in ("测试群众甲", "名称示例", "经营范围示例", licence.number, licence.identifier, "兰山区市场监督管理局"):
        assert value in page
    [use] = LicenseUse.objects.all()
    assert (use.license, use.kind, use.purpose, use.user) == (
        licence,
        UseKind.SHOW,
        "办理食品经营许可，核验营业执照",
        world.users["clerk_a"],
    )
    assert use.department == world.dept_a_admin
    [event] = _audit("license.use", object_id=str(licence.pk))
    assert event.purpose == "办理食品经营许可，核验营业执照"


def test_staff_looks_a_licence_up_by_identifier_with_a_purpose(world, licence):
    response = _client(world, "clerk_b").post(
        reverse("workbench:license_use"), {"code": licence.identifier.lower(), "purpose": "跨区通办核验"}
    )
    assert response.status_code == 200 and "本次查询已记录，持证人可见" in _text(response)
    [use] = LicenseUse.objects.all()
    assert (use.kind, use.user, use.purpose) == (UseKind.STAFF, world.users["clerk_b"], "跨区通办核验")


def test_an_expired_show_code_is_refused_clearly_and_nothing_is_logged(world, licence):
    shown = services.show_code_create(actor=world.users["citizen_owner"], license_id=licence.pk)
    ShowCode.objects.filter(pk=shown.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = _client(world, "clerk_a").post(
        reverse("workbench:license_use"), {"code": shown.code, "purpose": "核验营业执照"}
    )
    assert response.status_code == 404
    assert _field_error(response, "id_code") == "亮证码无效或已过期，请持证人刷新后重新出示"
    assert "本次查询已记录" not in _text(response)
    assert not LicenseUse.objects.exists() and not _audit("license.use")


@pytest.mark.parametrize(
    ("data", "field", "message", "status"),
    [
        ({"purpose": ""}, "id_purpose", "请填写用证事由", 422),
        (
            {"purpose": "查"},
            "id_purpose",
            "使用电子证照须说明事由（2–200字），例如“办理食品经营许可变更，核验营业执照”",
            422,
        ),
        ({"purpose": "查" * 201}, "id_purpose", "用证事由不能超过200字", 422),
        ({"code": ""}, "id_code", "请输入亮证码或电子证照标识", 422),
        (
            {"code": "12345"},
            "id_code",
            "请输入持证人出示的10位数字亮证码，或以 1.2.156.3005.2 开头的完整电子证照标识",
            422,
        ),
        ({"code": "1.2.156.3005.2.X"}, "id_code", "查无此证：请核对电子证照标识", 404),
    ],
)
def test_use_form_refuses_bad_input_next_to_the_field(world, licence, data, field, message, status):
    shown = services.show_code_create(actor=world.users["citizen_owner"], license_id=licence.pk)
    response = _client(world, "clerk_a").post(
        reverse("workbench:license_use"), {"code": shown.code, "purpose": "核验营业执照", **data}
    )
    assert response.status_code == status
    assert _field_error(response, field) == message
    assert not LicenseUse.objects.exists()


# --- 4. 证照管理 ------------------------------------------------------------------------------------------------


def test_issuer_lists_only_his_departments_licences_with_filters(world, licence):
    multi = person_license_type(code=MULTI_TYPE_CODE, name="从业资格证", multiple_live=True)
    other_holder = issued_license(multi, world.dept_a_market, person=world.persons["other"])
    elsewhere = issued_license(multi, world.dept_b_admin, person=world.persons["owner"])
    services.license_set_status(
        actor=world.users["approver_a"], license_id=other_holder.pk, status=LicenseStatus.SUSPENDED, reason="核查"
    )
    client = _client(world, "approver_a")

    def numbers(**query) -> set[str]:
        page = _text(client.get(reverse("workbench:licenses"), query))
        return {n for n in (licence.number, other_holder.number, elsewhere.number) if n in page}

    assert numbers() == {licence.number, other_holder.number}
    assert numbers(status="02") == {other_holder.number}
    assert numbers(holder="群众乙") == {other_holder.number}
    assert numbers(type=multi.pk) == {other_holder.number}
    assert numbers(number=licence.identifier[-10:].lower()) == {licence.number}
    assert numbers(status="zz", type="x") == {licence.number, other_holder.number}  # junk filters are ignored
    theirs = _text(_client(world, "deptadmin_b").get(reverse("workbench:licenses")))
    assert elsewhere.number in theirs and licence.number not in theirs and other_holder.number not in theirs


def test_licence_list_is_paged_and_its_queries_do_not_grow_with_the_rows(world):
    multi = person_license_type(code=MULTI_TYPE_CODE, name="从业资格证", multiple_live=True)
    issued_license(multi, world.dept_a_market, person=world.persons["owner"])
    client = _client(world, "approver_a")
    client.get(reverse("workbench:licenses"))  # warm the session and the user's scopes
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("workbench:licenses")).status_code == 200
    for _ in range(21):
        issued_license(multi, world.dept_a_market, person=world.persons["owner"])
    with CaptureQueriesContext(connection) as many:
        first = client.get(reverse("workbench:licenses"))
    assert len(many) == len(one)
    row_link = re.compile(r'<a href="/workbench/licenses/\d+/">')
    assert "（22 份）" in _text(first) and len(row_link.findall(_text(first))) == 20
    second = _text(client.get(reverse("workbench:licenses"), {"page": 2}))
    assert "第 2 / 2 页" in second and len(row_link.findall(second)) == 2


def test_approver_suspends_restores_and_revokes_a_licence(world, licence):
    client = _client(world, "approver_a")
    url = reverse("workbench:license_status", args=[licence.pk])

    response = client.post(url, {"status-status": "02", "status-reason": "涉嫌违法经营，立案调查"})
    assert response.status_code == 302 and response["Location"] == reverse("workbench:license", args=[licence.pk])
    licence.refresh_from_db()
    assert (licence.status, licence.status_reason) == ("02", "涉嫌违法经营，立案调查")

    assert client.post(url, {"status-status": "01", "status-reason": "调查结束"}).status_code == 302
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.VALID

    response = client.post(url, {"status-status": "07", "status-reason": "依法吊销"})
    assert response.status_code == 200 and "确认吊销电子证照" in _text(response)
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.VALID

    assert client.post(url, {"status-status": "07", "status-reason": "依法吊销", "confirm": "1"}).status_code == 302
    licence.refresh_from_db()
    assert (licence.status, licence.status_reason) == ("07", "依法吊销")
    events = _audit("license.status", object_id=str(licence.pk))
    assert [(e.changes["status"], e.purpose) for e in events] == [
        (["01", "02"], "涉嫌违法经营，立案调查"),
        (["02", "01"], "调查结束"),
        (["01", "07"], "依法吊销"),
    ]
    page = _text(client.get(reverse("workbench:license", args=[licence.pk])))
    assert "该证照已吊销，不能再变更状态或更正" in page and 'id="status-form"' not in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"status-status": "02", "status-reason": ""}, "id_status-reason", "请填写变更原因"),
        ({"status-status": "02", "status-reason": "长" * 201}, "id_status-reason", "变更原因不能超过200字"),
        ({"status-status": "01", "status-reason": "恢复"}, "id_status-status", "该证照当前不能变更为所选状态"),
        ({"status-status": "05", "status-reason": "失效"}, "id_status-status", "该证照当前不能变更为所选状态"),
    ],
)
def test_status_form_refuses_bad_input_next_to_the_field(world, licence, data, field, message):
    response = _client(world, "approver_a").post(reverse("workbench:license_status", args=[licence.pk]), data)
    assert response.status_code == 422
    assert _field_error(response, field) == message
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.VALID and not _audit("license.status")


def test_another_departments_admin_cannot_touch_the_licence(world, licence):
    client = _client(world, "deptadmin_b")
    response = client.post(
        reverse("workbench:license_status", args=[licence.pk]),
        {"status-status": "02", "status-reason": "测试", "confirm": "1"},
    )
    assert response.status_code == 404
    response = client.post(
        reverse("workbench:license_correct", args=[licence.pk]),
        {"correct-face__scope": "改", "correct-note": "测试"},
    )
    assert response.status_code == 404
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.VALID and License.objects.count() == 1


def test_correction_issues_a_new_version_and_the_old_one_lapses(world, licence):
    client = _client(world, "deptadmin_a")
    response = client.post(
        reverse("workbench:license_correct", args=[licence.pk]),
        {
            "correct-face__shop_name": "名称示例",
            "correct-face__scope": "餐饮服务；预包装食品销售",
            "correct-note": "经营范围录入错误",
        },
    )
    new = License.objects.get(previous=licence)
    assert response.status_code == 302 and response["Location"] == reverse("workbench:license", args=[new.pk])
    licence.refresh_from_db()
    assert (new.version, new.serial, licence.status) == (2, licence.serial, LicenseStatus.LAPSED)
    assert services.face_data(new) == {"shop_name": "名称示例", "scope": "餐饮服务；预包装食品销售"}
    [event] = _audit("license.correct", object_id=str(new.pk))
    assert event.purpose == "经营范围录入错误" and event.actor_id == world.users["deptadmin_a"].pk
    page = _text(client.get(reverse("workbench:license", args=[new.pk])))
    assert "第002版（本页）" in page and reverse("workbench:license", args=[licence.pk]) in page  # the chain
    old_page = _text(client.get(reverse("workbench:license", args=[licence.pk])))
    assert "已由第002版替代" in old_page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"correct-note": ""}, "id_correct-note", "请填写更正原因"),
        ({"correct-face__scope": "长" * 501}, "id_correct-face__scope", "经营范围不能超过500字"),
        ({"correct-face__scope": "经营范围示例"}, None, "照面信息没有变化，无需更正"),
    ],
)
def test_correction_refuses_bad_input_and_issues_nothing(world, licence, data, field, message):
    post = {"correct-face__shop_name": "名称示例", "correct-face__scope": "新的范围", "correct-note": "更正", **data}
    response = _client(world, "approver_a").post(reverse("workbench:license_correct", args=[licence.pk]), post)
    assert response.status_code == 422
    assert (_field_error(response, field) if field else _top_error(response)) == message
    assert License.objects.count() == 1 and not _audit("license.correct")


def test_the_signed_face_downloads_for_the_issuer(world, licence):
    response = _client(world, "approver_a").get(reverse("workbench:license_pdf", args=[licence.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response["Cache-Control"] == "private, no-store"


# --- 4b. 异议 ---------------------------------------------------------------------------------------------------


@pytest.fixture
def dispute(world, licence) -> Dispute:
    return services.dispute_raise(actor=world.users["citizen_owner"], license_id=licence.pk, reason="名称少了一个字")


def test_dispute_queue_shows_the_open_disputes_of_the_department(world, dispute):
    page = _text(_client(world, "approver_a").get(reverse("workbench:license_disputes")))
    assert "名称少了一个字" in page and reverse("workbench:license_dispute", args=[dispute.pk]) in page
    assert '待处理 <span class="n">（1）</span>' in page
    assert "名称少了一个字" not in _text(_client(world, "deptadmin_b").get(reverse("workbench:license_disputes")))
    assert "待处理 1 件" in _text(_client(world, "approver_a").get(reverse("workbench:licenses")))


def test_accepting_a_dispute_issues_a_corrected_version(world, licence, dispute):
    response = _client(world, "approver_a").post(
        reverse("workbench:license_dispute", args=[dispute.pk]),
        {
            "op": "accept",
            "accept-face__shop_name": "名称示例店",
            "accept-face__scope": "经营范围示例",
            "accept-note": "核实属实，" + "已更正。" * 60,  # 300 characters: more than a correction's reason may hold
        },
    )
    new = License.objects.get(previous=licence)
    assert response.status_code == 302 and response["Location"] == reverse("workbench:license", args=[new.pk])
    dispute.refresh_from_db()
    assert (dispute.state, dispute.corrected, dispute.resolved_by) == (
        DisputeState.CORRECTED,
        new,
        world.users["approver_a"],
    )
    assert services.face_data(new)["shop_name"] == "名称示例店"
    assert len(_audit("license.dispute_resolve", object_id=str(dispute.pk))) == 1


def test_rejecting_a_dispute_needs_a_reason(world, licence, dispute):
    client = _client(world, "approver_a")
    url = reverse("workbench:license_dispute", args=[dispute.pk])
    response = client.post(url, {"op": "reject", "reject-note": ""})
    assert response.status_code == 422
    assert _field_error(response, "id_reject-note") == "请填写不予更正的理由"
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.OPEN

    response = client.post(
        url,
        {
            "op": "accept",
            "accept-face__shop_name": "名称示例",
            "accept-face__scope": "经营范围示例",
            "accept-note": "同意",
        },
    )
    assert response.status_code == 422
    assert _top_error(response) == "照面信息没有变化：如需更正，请修改照面信息；如无需更正，请选择不予更正"

    response = client.post(url, {"op": "reject", "reject-note": "名称与营业执照登记一致，无需更正"})
    assert response.status_code == 302 and response["Location"] == reverse("workbench:license_disputes")
    dispute.refresh_from_db()
    assert (dispute.state, dispute.resolution) == (DisputeState.REJECTED, "名称与营业执照登记一致，无需更正")
    assert License.objects.count() == 1
    page = _text(client.get(url))
    assert "名称与营业执照登记一致，无需更正" in page and 'id="reject-form"' not in page


def test_another_department_cannot_resolve_the_dispute(world, licence, dispute):
    response = _client(world, "deptadmin_a_admin").post(
        reverse("workbench:license_dispute", args=[dispute.pk]), {"op": "reject", "reject-note": "无需更正"}
    )
    assert response.status_code == 404
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.OPEN and not _audit("license.dispute_resolve")


def test_a_stale_accept_of_a_rejected_dispute_issues_nothing(world, licence, dispute):
    services.dispute_resolve(actor=world.users["deptadmin_a"], dispute_id=dispute.pk, accept=False, resolution="无误")
    response = _client(world, "approver_a").post(
        reverse("workbench:license_dispute", args=[dispute.pk]),
        {"op": "accept", "accept-face__shop_name": "改名", "accept-face__scope": "经营范围示例", "accept-note": "同意"},
    )
    assert response.status_code == 409 and _top_error(response) == "该异议已处理"
    assert License.objects.count() == 1
    dispute.refresh_from_db()
    assert (dispute.state, dispute.resolution) == (DisputeState.REJECTED, "无误")
